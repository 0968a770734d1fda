//! Holds the challenge roles' actions back while too many QoS 1/2 messages are unacknowledged.
//!
//! MQTT 3.1.1 sets no limit on messages in flight, but brokers do. mosquitto's
//! `max_inflight_messages` (default 20) also counts a client's incoming QoS 2 messages
//! awaiting PUBREL; past it, a 3.1.1 client gets its PUBREC (logged as `rc151`, "quota
//! exceeded", a reason code 3.1.1 cannot carry) and the message is **dropped**, acknowledged
//! but never delivered. A burst of 40 QoS 2 replies lost two that way and the challenge never
//! finished. So each role keeps at most [`MAX_IN_FLIGHT`] packet ids in use, as paho's
//! clients do with the same default.
//!
//! The actions wait in order, not just the publishes: the challenge client matches publish
//! outcomes (`note_published`) to its publishes in order, and the server's final message must
//! not overtake the commands it concludes.

use std::collections::VecDeque;

use challenge::Action;
use mqtt_session::{Phase, QoS, Session};

/// Packet ids in use (QoS 1/2 publishes until PUBACK/PUBCOMP, and pending subscribes) at
/// which further QoS 1/2 publishes wait. Counting until PUBCOMP is stricter than mosquitto,
/// which frees the slot at PUBREL, so its default of 20 is never exceeded.
pub(crate) const MAX_IN_FLIGHT: usize = 20;

/// Actions taken from a challenge role, released in order as the window allows.
#[derive(Debug, Default)]
pub(crate) struct SendWindow {
    held: VecDeque<Action>,
}

impl SendWindow {
    pub(crate) fn push(&mut self, action: Action) {
        self.held.push_back(action);
    }

    /// The oldest action, unless it is a QoS 1/2 publish and the window is full, or the
    /// session is not connected (nothing could be sent). Call it again after every event: an
    /// acknowledgement frees a slot.
    pub(crate) fn next(&mut self, session: &Session) -> Option<Action> {
        if session.phase() != Phase::Connected {
            return None;
        }
        let blocked = match self.held.front()? {
            Action::Publish { qos, .. } => {
                *qos != QoS::AtMostOnce && session.store().in_flight() >= MAX_IN_FLIGHT
            }
            Action::Subscribe { .. } | Action::Disconnect => false,
        };
        if blocked {
            return None;
        }
        self.held.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use mqtt_session::{ConnectOptions, Instant};

    use super::*;

    fn connected() -> Session {
        let now = Instant::from_millis(0);
        let mut session = Session::new(ConnectOptions::new("window")).expect("valid options");
        session.handle_transport_open(now);
        session.handle_bytes(now, &[0x20, 0x02, 0x00, 0x00]); // CONNACK, accepted
        assert_eq!(session.phase(), Phase::Connected);
        session
    }

    fn publish(topic: &str, qos: QoS) -> Action {
        Action::Publish {
            topic: topic.into(),
            payload: "x".into(),
            qos,
            retain: false,
        }
    }

    #[test]
    fn a_full_window_holds_the_next_publish_and_everything_behind_it() {
        let now = Instant::from_millis(0);
        let mut session = connected();
        let mut window = SendWindow::default();
        for _ in 0..MAX_IN_FLIGHT {
            session
                .publish(now, "t", "x".into(), QoS::AtLeastOnce, false)
                .expect("publish");
        }
        window.push(publish("held", QoS::ExactlyOnce));
        window.push(Action::Disconnect);
        assert_eq!(window.next(&session), None);

        session.handle_bytes(now, &[0x40, 0x02, 0x00, 0x01]); // PUBACK 1 frees a slot
        assert_eq!(
            window.next(&session),
            Some(publish("held", QoS::ExactlyOnce))
        );
        assert_eq!(window.next(&session), Some(Action::Disconnect));
        assert_eq!(window.next(&session), None);
    }

    #[test]
    fn qos0_publishes_and_subscribes_never_wait_but_nothing_goes_out_unconnected() {
        let now = Instant::from_millis(0);
        let mut session = connected();
        for _ in 0..MAX_IN_FLIGHT {
            session
                .publish(now, "t", "x".into(), QoS::AtLeastOnce, false)
                .expect("publish");
        }
        let mut window = SendWindow::default();
        window.push(publish("free", QoS::AtMostOnce));
        assert_eq!(
            window.next(&session),
            Some(publish("free", QoS::AtMostOnce))
        );

        session.handle_transport_closed(now, "gone");
        window.push(publish("late", QoS::AtMostOnce));
        assert_eq!(window.next(&session), None);
    }
}
