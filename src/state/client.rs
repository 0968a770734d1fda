//! The client view's state as plain Rust: the status line and the subscription list, and
//! the one reducer that turns the connection's events into them and into log lines.
//!
//! Events and the user's intents go in; the new state, log lines (through a [`LogSink`])
//! and a [`Reaction`] for the caller come out. No signals, no browser: the view wraps it in
//! a signal (`views::client_state`) and these tests run natively.

use mqtt_session::topic::{validate_topic_filter, TopicError};
use mqtt_session::{
    CloseReason, CommandError, Direction as Wire, Event, Instant, QoS, SubscribeResult,
};

use super::connection::{ConnState, Status};
use super::log::{Body, Direction, LogSink};
use super::offline_queue::{OfflineQueue, QueueError, Queued};
use crate::driver::client::ClientEvent;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    Pending,
    Granted(QoS),
    Refused,
}

/// One row of the subscription list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub filter: String,
    pub qos: QoS,
    pub state: SubState,
    /// What the broker granted on the last connection: a resumed session still has it.
    pub granted_before: Option<QoS>,
}

/// Why a publish, subscribe or unsubscribe of the client view did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("not connected: connect to a broker first")]
    NotConnected,
    #[error("filter '{filter}': {error}")]
    InvalidFilter { filter: String, error: TopicError },
    #[error("{0}")]
    Command(#[from] CommandError),
    #[error("{0}")]
    Queue(#[from] QueueError),
}

/// The keepalive field holds something other than 0–65535 whole seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keepalive must be a whole number of seconds from 0 to 65535")]
pub struct BadKeepAlive;

/// The keepalive the user typed, in seconds.
pub fn parse_keep_alive(text: &str) -> Result<u16, BadKeepAlive> {
    text.trim().parse().map_err(|_| BadKeepAlive)
}

/// What the caller must do after an event, besides showing the new state.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// The status or the subscription list changed (a message alone changes neither).
    pub changed: bool,
    /// Subscriptions to send again: the broker has just accepted the connection.
    pub restore: Vec<(String, QoS)>,
    /// Messages published while offline, to publish now (after `restore`).
    pub flush: Vec<Queued>,
    /// The client is over (no more reconnecting): forget it.
    pub closed: bool,
}

/// The client view's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientModel {
    pub status: Status,
    pub subscriptions: Vec<SubscriptionRow>,
    /// Whether control packets (acks, pings…) are written to the log.
    pub trace_control: bool,
    /// When the next retry is due, while reconnecting.
    pub retry_at: Option<Instant>,
    /// Publishes made while the connection was down.
    pub queue: OfflineQueue,
    /// Messages the session gave up (its session ended with them unacknowledged), newest
    /// last, at most [`ABANDONED_KEPT`]: the user may send them again.
    pub abandoned: Vec<Queued>,
}

/// Abandoned messages kept for "send again"; older ones are only logged.
pub const ABANDONED_KEPT: usize = 100;

impl ClientModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection to `url` is being opened.
    pub fn connecting(&mut self, url: &str, client_id: &str, log: &mut impl LogSink) {
        self.status = Status::connecting(url);
        log.note(
            Direction::Info,
            format!("connecting to {url} as '{client_id}'"),
        );
    }

    /// The connection could not even start (bad URL, bad options) or the form is invalid.
    pub fn failed_to_start(&mut self, error: &str, log: &mut impl LogSink) {
        self.status = Status::failed(error);
        log.note(Direction::Error, error);
    }

    /// Applies one event of the connection.
    pub fn on_event(&mut self, event: ClientEvent, log: &mut impl LogSink) -> Reaction {
        let mut reaction = Reaction {
            changed: true,
            ..Reaction::default()
        };
        let event = match event {
            ClientEvent::Connecting { retry } => {
                self.status = Status::retrying(retry);
                self.retry_at = None;
                return reaction;
            }
            ClientEvent::TransportOpen => {
                self.status = Status::transport_open();
                return reaction;
            }
            ClientEvent::Reconnecting { retry, at, reason } => {
                self.status = Status::reconnecting(retry, &reason);
                self.retry_at = Some(at);
                return reaction;
            }
            ClientEvent::Ended(reason) => {
                self.status = Status::closed(&reason);
                self.retry_at = None;
                reaction.closed = true;
                return reaction;
            }
            ClientEvent::Session(event) => event,
        };
        match event {
            Event::Connected { session_present } => {
                self.status = Status::connected(session_present);
                self.retry_at = None;
                log.note(Direction::Info, self.status.text.clone());
                // A resumed session kept what was granted [MQTT-3.2.2-2]: subscribing again
                // would only make the broker send its retained messages once more.
                let mut kept = 0;
                for row in &mut self.subscriptions {
                    match row.granted_before.filter(|_| session_present) {
                        Some(qos) => {
                            row.state = SubState::Granted(qos);
                            kept += 1;
                        }
                        None => reaction.restore.push((row.filter.clone(), row.qos)),
                    }
                }
                if kept > 0 {
                    log.note(
                        Direction::Info,
                        format!("the broker kept {kept} subscription(s) with the session"),
                    );
                }
                reaction.flush = self.queue.take();
                if !reaction.flush.is_empty() {
                    log.note(
                        Direction::Info,
                        format!(
                            "publishing the {} message(s) queued while offline",
                            reaction.flush.len()
                        ),
                    );
                }
            }
            Event::Message(m) => {
                log.push(
                    Direction::In,
                    Body::Message {
                        topic: m.topic,
                        qos: m.qos,
                        retain: m.retain,
                        payload: m.payload,
                    },
                );
                reaction.changed = false;
            }
            Event::Delivered { .. } => reaction.changed = false,
            Event::Subscribed { results, .. } => self.on_subscribed(results, log),
            Event::Unsubscribed { filters, .. } => {
                self.subscriptions.retain(|r| !filters.contains(&r.filter));
                log.note(
                    Direction::Info,
                    format!("unsubscribed from {}", filters.join(", ")),
                );
            }
            Event::Control { direction, packet } => {
                reaction.changed = false;
                if self.trace_control {
                    let arrow = if direction == Wire::Sent {
                        "→"
                    } else {
                        "←"
                    };
                    log.note(Direction::Info, format!("{arrow} {packet}"));
                }
            }
            Event::Warning(text) => {
                reaction.changed = false;
                log.note(Direction::Error, text);
            }
            Event::Abandoned(message) => {
                log.note(Direction::Error, message.to_string());
                if self.abandoned.len() == ABANDONED_KEPT {
                    self.abandoned.remove(0);
                }
                self.abandoned.push(Queued {
                    topic: message.topic,
                    payload: message.payload,
                    qos: message.qos,
                    retain: message.retain,
                });
            }
            Event::Closed(reason) => {
                // One connection ended; `Reconnecting` or `Ended` says what comes next.
                for row in &mut self.subscriptions {
                    row.state = SubState::Pending;
                }
                let direction = if reason == CloseReason::ClientDisconnect {
                    Direction::Info
                } else {
                    Direction::Error
                };
                log.note(direction, reason.to_string());
            }
        }
        reaction
    }

    fn on_subscribed(&mut self, results: Vec<(String, SubscribeResult)>, log: &mut impl LogSink) {
        for (filter, result) in results {
            let state = match result {
                SubscribeResult::Granted(qos) => {
                    log.note(
                        Direction::Info,
                        format!("subscribed to '{filter}' (granted QoS {})", qos as u8),
                    );
                    SubState::Granted(qos)
                }
                SubscribeResult::Refused => {
                    log.note(
                        Direction::Error,
                        format!("the broker refused the subscription to '{filter}' (SUBACK 0x80): not allowed for this user?"),
                    );
                    SubState::Refused
                }
            };
            if let Some(row) = self.subscriptions.iter_mut().find(|r| r.filter == filter) {
                row.state = state;
                row.granted_before = match state {
                    SubState::Granted(qos) => Some(qos),
                    _ => None,
                };
            }
        }
    }

    /// Seconds until the next retry, while waiting for it.
    pub fn retry_in_secs(&self, now: Instant) -> Option<u64> {
        let at = self.retry_at?;
        (self.status.state == ConnState::Reconnecting)
            .then(|| at.saturating_duration_since(now).as_millis().div_ceil(1000) as u64)
    }

    /// Keeps a publish for when the connection is back; its place in the queue.
    pub fn queue_publish(&mut self, message: Queued) -> Result<usize, QueueError> {
        self.queue.push(message)
    }

    /// Checks a filter the user typed; the trimmed filter to send, if it is valid. Checked
    /// whatever the connection's state, so an invalid filter never enters the list.
    pub fn check_filter(filter: &str) -> Result<String, ClientError> {
        let filter = filter.trim();
        validate_topic_filter(filter).map_err(|error| ClientError::InvalidFilter {
            filter: filter.to_string(),
            error,
        })?;
        Ok(filter.to_string())
    }

    /// Adds (or replaces) a subscription row, pending until the broker answers.
    pub fn add_subscription(&mut self, filter: String, qos: QoS) {
        self.subscriptions.retain(|r| r.filter != filter);
        self.subscriptions.push(SubscriptionRow {
            filter,
            qos,
            state: SubState::Pending,
            granted_before: None,
        });
    }

    /// Removes a subscription row (when not connected; else the UNSUBACK does).
    pub fn remove_subscription(&mut self, filter: &str) {
        self.subscriptions.retain(|r| r.filter != filter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::connection::ConnState;
    use bytes::Bytes;
    use mqtt_session::{CloseReason, Message, PacketKind};

    type Log = Vec<(Direction, Body)>;

    fn session(event: Event) -> ClientEvent {
        ClientEvent::Session(event)
    }

    fn subscribed(model: &mut ClientModel, filter: &str) {
        let filter = ClientModel::check_filter(filter).unwrap();
        model.add_subscription(filter, QoS::AtLeastOnce);
    }

    #[test]
    fn connecting_then_connected_restores_every_subscription() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "a/#");
        subscribed(&mut model, " b/+ ");
        model.connecting("ws://x/mqtt", "me", &mut log);
        assert_eq!(model.status.state, ConnState::Connecting);
        let open = model.on_event(ClientEvent::TransportOpen, &mut log);
        assert!(open.changed && open.restore.is_empty());
        let reaction = model.on_event(
            session(Event::Connected {
                session_present: false,
            }),
            &mut log,
        );
        assert_eq!(model.status.state, ConnState::Connected);
        assert_eq!(
            reaction.restore,
            [
                ("a/#".to_string(), QoS::AtLeastOnce),
                ("b/+".to_string(), QoS::AtLeastOnce)
            ]
        );
    }

    #[test]
    fn an_invalid_filter_is_refused_before_it_reaches_the_list() {
        let error = ClientModel::check_filter("a/#/b").unwrap_err();
        assert!(
            matches!(error, ClientError::InvalidFilter { .. }),
            "{error}"
        );
        assert!(error.to_string().starts_with("filter 'a/#/b'"), "{error}");
    }

    #[test]
    fn a_message_is_logged_without_touching_the_state() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        let before = model.clone();
        let reaction = model.on_event(
            session(Event::Message(Message {
                topic: "t".into(),
                payload: Bytes::from_static(b"1"),
                qos: QoS::AtMostOnce,
                retain: false,
                dup: false,
                pkid: 0,
            })),
            &mut log,
        );
        assert!(!reaction.changed);
        assert_eq!(model, before);
        assert!(matches!(&log[..], [(Direction::In, Body::Message { topic, .. })] if topic == "t"));
    }

    #[test]
    fn suback_marks_each_row_granted_or_refused() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "ok");
        subscribed(&mut model, "no");
        model.on_event(
            session(Event::Subscribed {
                pkid: 1,
                results: vec![
                    ("ok".into(), SubscribeResult::Granted(QoS::AtMostOnce)),
                    ("no".into(), SubscribeResult::Refused),
                ],
            }),
            &mut log,
        );
        let states: Vec<_> = model.subscriptions.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            [SubState::Granted(QoS::AtMostOnce), SubState::Refused]
        );
        assert_eq!(log[1].0, Direction::Error);
    }

    #[test]
    fn a_lost_connection_reconnects_and_rows_wait_for_the_next_one() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "x");
        model.subscriptions[0].state = SubState::Granted(QoS::AtMostOnce);
        let lost = CloseReason::KeepAliveTimeout(60);
        let reaction = model.on_event(session(Event::Closed(lost.clone())), &mut log);
        assert!(!reaction.closed, "one connection ended, not the client");
        assert_eq!(model.subscriptions[0].state, SubState::Pending);
        assert_eq!(log.last().map(|l| l.0), Some(Direction::Error));
        let at = Instant::from_millis(5_000);
        model.on_event(
            ClientEvent::Reconnecting {
                retry: 1,
                at,
                reason: lost,
            },
            &mut log,
        );
        assert_eq!(model.status.state, ConnState::Reconnecting);
        assert_eq!(model.retry_in_secs(Instant::from_millis(3_500)), Some(2));
        model.on_event(ClientEvent::Connecting { retry: 1 }, &mut log);
        assert_eq!(model.retry_in_secs(Instant::from_millis(3_500)), None);
    }

    #[test]
    fn the_end_of_the_client_is_idle_after_a_disconnect_and_failed_after_a_refusal() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        let end = model.on_event(ClientEvent::Ended(CloseReason::ClientDisconnect), &mut log);
        assert!(end.closed);
        assert_eq!(model.status.state, ConnState::Idle);
        let refused = CloseReason::Refused(mqtt_session::ConnectRefusal::BadUserNameOrPassword);
        model.on_event(ClientEvent::Ended(refused), &mut log);
        assert_eq!(model.status.state, ConnState::Failed);
        assert!(
            model.status.text.contains("bad user name"),
            "{}",
            model.status.text
        );
    }

    #[test]
    fn a_resumed_session_keeps_its_granted_subscriptions_and_only_the_others_are_sent_again() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "kept");
        subscribed(&mut model, "never-answered");
        model.on_event(
            session(Event::Subscribed {
                pkid: 1,
                results: vec![("kept".into(), SubscribeResult::Granted(QoS::AtLeastOnce))],
            }),
            &mut log,
        );
        model.on_event(
            session(Event::Closed(CloseReason::KeepAliveTimeout(9))),
            &mut log,
        );
        assert_eq!(model.subscriptions[0].state, SubState::Pending);
        let resumed = model.on_event(
            session(Event::Connected {
                session_present: true,
            }),
            &mut log,
        );
        assert_eq!(
            resumed.restore,
            [("never-answered".to_string(), QoS::AtLeastOnce)]
        );
        assert_eq!(
            model.subscriptions[0].state,
            SubState::Granted(QoS::AtLeastOnce)
        );
        let fresh = model.on_event(
            session(Event::Connected {
                session_present: false,
            }),
            &mut log,
        );
        assert_eq!(
            fresh.restore.len(),
            2,
            "a new session subscribes to everything again"
        );
    }

    #[test]
    fn publishes_queued_offline_are_flushed_when_connected_after_the_subscriptions() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "x");
        let queued = Queued {
            topic: "t".into(),
            payload: Bytes::from_static(b"1"),
            qos: QoS::AtLeastOnce,
            retain: false,
        };
        assert_eq!(model.queue_publish(queued.clone()), Ok(1));
        let reaction = model.on_event(
            session(Event::Connected {
                session_present: true,
            }),
            &mut log,
        );
        assert_eq!(reaction.restore.len(), 1);
        assert_eq!(reaction.flush, [queued]);
        assert!(model.queue.is_empty());
    }

    #[test]
    fn abandoned_messages_are_kept_to_be_sent_again_and_bounded() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        for pkid in 1..=(ABANDONED_KEPT as u16 + 5) {
            model.on_event(
                session(Event::Abandoned(mqtt_session::Abandoned {
                    pkid,
                    topic: format!("t/{pkid}"),
                    payload: Bytes::new(),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    stage: mqtt_session::store::OutgoingStage::AwaitingPubAck,
                    reason: mqtt_session::AbandonReason::BrokerLostSession,
                })),
                &mut log,
            );
        }
        assert_eq!(model.abandoned.len(), ABANDONED_KEPT);
        assert_eq!(model.abandoned[0].topic, "t/6");
        assert_eq!(log.len(), ABANDONED_KEPT + 5, "every one is logged");
    }

    #[test]
    fn control_packets_are_logged_only_when_traced() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        let ping = || {
            session(Event::Control {
                direction: Wire::Sent,
                packet: PacketKind::PingReq,
            })
        };
        model.on_event(ping(), &mut log);
        assert!(log.is_empty());
        model.trace_control = true;
        model.on_event(ping(), &mut log);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn keepalive_is_whole_seconds_that_fit_in_16_bits() {
        assert_eq!(parse_keep_alive(" 60 "), Ok(60));
        assert_eq!(parse_keep_alive("65536"), Err(BadKeepAlive));
        assert_eq!(parse_keep_alive("1.5"), Err(BadKeepAlive));
    }

    #[test]
    fn unsuback_removes_the_rows() {
        let (mut model, mut log) = (ClientModel::new(), Log::new());
        subscribed(&mut model, "x");
        subscribed(&mut model, "y");
        model.on_event(
            session(Event::Unsubscribed {
                pkid: 2,
                filters: vec!["x".into()],
            }),
            &mut log,
        );
        assert_eq!(model.subscriptions.len(), 1);
        assert_eq!(model.subscriptions[0].filter, "y");
    }
}
