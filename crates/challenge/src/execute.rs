//! Executing the roles' [`Action`]s: the one loop shared by the web app, the lab's service
//! and solver, and the tests.
//!
//! The roles say what to do; an [`MqttCommands`] does it on some MQTT client (a
//! `mqtt_session::Session` at an instant through [`SessionCommands`], the browser's client,
//! an in-memory test broker). The loop lives here, once, because its order is part of the
//! roles' contract: each outcome is noted before the next action is taken, since the client
//! matches publish outcomes to its publications in order.
//!
//! A caller that needs to see outcomes (to log a publish, to learn which subscriptions
//! went out) wraps its commands in its own [`MqttCommands`] that looks at each result on
//! its way back.

use mqtt_session::{CommandError, Instant, QoS, Session};

use crate::action::Action;
use crate::client::ChallengeClient;
use crate::server::{ChallengeServer, ServerEvent};

/// The MQTT operations the roles ask for, on whatever client the caller has.
pub trait MqttCommands {
    /// Subscribes to one filter; the packet id of the SUBSCRIBE.
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError>;
    /// Publishes; the packet id for QoS 1 and 2.
    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError>;
    /// Ends the connection cleanly.
    fn disconnect(&mut self);
}

/// A session's commands at one instant. The caller drains the session's outputs afterwards,
/// as `mqtt-session`'s docs say.
pub struct SessionCommands<'a> {
    pub session: &'a mut Session,
    pub now: Instant,
}

impl MqttCommands for SessionCommands<'_> {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        self.session
            .subscribe(self.now, vec![(filter.to_string(), qos)])
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        let payload = bytes::Bytes::copy_from_slice(payload.as_bytes());
        self.session.publish(self.now, topic, payload, qos, retain)
    }

    fn disconnect(&mut self) {
        self.session.disconnect(self.now);
    }
}

impl ChallengeClient {
    /// Executes every pending action on `mqtt`, noting each outcome before taking the next
    /// (noting a failure can queue a disconnect, which is executed too). Call it after every
    /// input; then drain [`ChallengeClient::poll_event`].
    pub fn execute_actions(&mut self, now: Instant, mqtt: &mut impl MqttCommands) {
        while let Some(action) = self.poll_action() {
            match action {
                Action::Subscribe { filter, qos } => {
                    let result = mqtt.subscribe(&filter, qos);
                    self.note_subscribed(now, result);
                }
                Action::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                } => {
                    let result = mqtt.publish(&topic, &payload, qos, retain);
                    self.note_published(now, result);
                }
                Action::Disconnect => mqtt.disconnect(),
            }
        }
    }
}

impl ChallengeServer {
    /// Executes every pending action on `mqtt`. An operation the client refuses becomes a
    /// [`ServerEvent::ActionFailed`]: the server goes on with its other students.
    pub fn execute_actions(&mut self, now: Instant, mqtt: &mut impl MqttCommands) {
        while let Some(action) = self.poll_action() {
            let result = match &action {
                Action::Subscribe { filter, qos } => mqtt.subscribe(filter, *qos).map(drop),
                Action::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                } => mqtt.publish(topic, payload, *qos, *retain).map(drop),
                Action::Disconnect => {
                    mqtt.disconnect();
                    Ok(())
                }
            };
            if let Err(error) = result {
                self.push_event(ServerEvent::ActionFailed {
                    at: now,
                    action,
                    error,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientConfig;
    use crate::{ChallengeEvent, Failure, Phase};
    use mqtt_session::Event;

    /// Records what it was asked and answers from a script.
    #[derive(Default)]
    struct Recorder {
        done: Vec<String>,
        refuse_publish: bool,
    }

    impl MqttCommands for Recorder {
        fn subscribe(&mut self, filter: &str, _qos: QoS) -> Result<u16, CommandError> {
            self.done.push(format!("subscribe {filter}"));
            Ok(1)
        }
        fn publish(
            &mut self,
            topic: &str,
            payload: &str,
            _qos: QoS,
            _retain: bool,
        ) -> Result<Option<u16>, CommandError> {
            self.done.push(format!("publish {topic} {payload}"));
            if self.refuse_publish {
                Err(CommandError::NotConnected)
            } else {
                Ok(Some(2))
            }
        }
        fn disconnect(&mut self) {
            self.done.push("disconnect".into());
        }
    }

    fn connected_client(now: Instant) -> ChallengeClient {
        let mut client = ChallengeClient::new(ClientConfig::new("12345"), now).unwrap();
        client.handle_session_event(
            now,
            &Event::Connected {
                session_present: false,
            },
        );
        client
    }

    #[test]
    fn client_actions_run_in_order_with_each_outcome_noted() {
        let now = Instant::from_millis(0);
        let mut client = connected_client(now);
        let mut mqtt = Recorder::default();
        client.execute_actions(now, &mut mqtt);
        assert_eq!(mqtt.done, ["subscribe 12345/UUID"]);
        client.handle_session_event(
            now,
            &Event::Subscribed {
                pkid: 1,
                results: vec![(
                    "12345/UUID".into(),
                    mqtt_session::SubscribeResult::Granted(QoS::AtMostOnce),
                )],
            },
        );
        client.execute_actions(now, &mut mqtt);
        assert_eq!(mqtt.done[1], "publish login 12345");
        assert_eq!(client.phase(), &Phase::AwaitingUniqueId);
    }

    #[test]
    fn a_refused_publish_fails_the_run_and_the_disconnect_it_asks_for_is_executed() {
        let now = Instant::from_millis(0);
        let mut client = connected_client(now);
        let mut mqtt = Recorder {
            refuse_publish: true,
            ..Recorder::default()
        };
        client.execute_actions(now, &mut mqtt);
        client.handle_session_event(
            now,
            &Event::Subscribed {
                pkid: 1,
                results: vec![(
                    "12345/UUID".into(),
                    mqtt_session::SubscribeResult::Granted(QoS::AtMostOnce),
                )],
            },
        );
        client.execute_actions(now, &mut mqtt);
        assert_eq!(mqtt.done.last().map(String::as_str), Some("disconnect"));
        let failed = std::iter::from_fn(|| client.poll_event()).any(|e| {
            matches!(
                e,
                ChallengeEvent::PhaseChanged {
                    phase: Phase::Failed(Failure::Command { .. }),
                    ..
                }
            )
        });
        assert!(failed, "the refused publish must fail the run");
    }

    #[test]
    fn a_refused_server_action_becomes_an_event() {
        let now = Instant::from_millis(0);
        let mut server = ChallengeServer::new(crate::ServerConfig::new(7)).unwrap();
        let mut mqtt = Recorder::default();
        server.execute_actions(now, &mut mqtt);
        assert!(
            mqtt.done.iter().any(|d| d.starts_with("subscribe")),
            "{:?}",
            mqtt.done
        );
        let login = mqtt_session::Message {
            topic: crate::LOGIN_TOPIC.into(),
            payload: bytes::Bytes::from_static(b"12345"),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            pkid: 0,
            properties: Default::default(),
        };
        server.handle_message(now, &login);
        let mut mqtt = Recorder {
            refuse_publish: true,
            ..Recorder::default()
        };
        server.execute_actions(now, &mut mqtt);
        let failed = std::iter::from_fn(|| server.poll_event())
            .any(|e| matches!(e, ServerEvent::ActionFailed { .. }));
        assert!(failed, "the refused publish must be reported");
    }
}
