//! The seed's steps: what each subscription ack, id, command and final message does.

use mqtt_session::{Instant, Message, SubscribeResult};

use super::{ChallengeClient, ChallengeEvent, Failure, Phase, Publication, Warning};
use crate::action::Action;
use crate::protocol::{Command, FINAL_MESSAGE, LOGIN_TOPIC};

impl ChallengeClient {
    pub(super) fn on_suback(&mut self, now: Instant, filter: &str, result: SubscribeResult) {
        let Some(i) = self.subacks.iter().position(|(f, _)| f == filter) else {
            return; // A subscription of the caller's own.
        };
        let (filter, _) = self.subacks.remove(i);
        if matches!(result, SubscribeResult::Refused(_)) {
            return self.fail(now, Failure::SubscriptionRefused { filter });
        }
        if filter == self.uuid_topic && self.phase == Phase::SubscribingUuid {
            // "Send a message containing **User ID** to the topic 'login'."
            let login = self.config.user_id.clone();
            self.publish(LOGIN_TOPIC.to_string(), login, Publication::Login);
            self.enter(now, Phase::LoggingIn, None);
        }
    }

    pub(super) fn on_message(&mut self, now: Instant, message: &Message) {
        let payload = String::from_utf8_lossy(&message.payload).into_owned();
        if message.topic == self.uuid_topic {
            return self.on_unique_id(now, &message.payload);
        }
        if self.stats.unique_id.as_deref() != Some(message.topic.as_str()) {
            return; // Not ours: the caller may have other subscriptions.
        }
        if payload == FINAL_MESSAGE {
            if self.stats.commands_received.total() == 0 {
                self.warn(now, Warning::FinalMessageBeforeCommands);
            }
            self.stats.final_message_at = Some(now);
            self.actions.push_back(Action::Disconnect);
            self.enter(now, Phase::Done, None);
        } else if let Some(command) = Command::parse(&payload) {
            self.on_command(now, command);
        } else {
            let topic = message.topic.clone();
            self.warn(now, Warning::UnexpectedMessage { topic, payload });
        }
    }

    pub(super) fn on_unique_id(&mut self, now: Instant, payload: &[u8]) {
        let utf8 = std::str::from_utf8(payload);
        let unique_id = String::from_utf8_lossy(payload).into_owned();
        // Before the login, an id can only be a retained leftover of an earlier run.
        if !matches!(self.phase, Phase::LoggingIn | Phase::AwaitingUniqueId) {
            if self.stats.unique_id.as_ref() != Some(&unique_id) {
                let topic = self.uuid_topic.clone();
                let warning = Warning::StrayUniqueId {
                    topic,
                    payload: unique_id,
                };
                self.warn(now, warning);
            }
            return;
        }
        // The id becomes a topic name and, with a level added, the reply topics.
        let why = if unique_id.is_empty() {
            Some("it is empty")
        } else if unique_id.contains(['+', '#']) {
            Some("it contains a wildcard ('+' or '#')")
        } else if utf8.is_err() {
            Some("it is not valid UTF-8")
        } else if unique_id.contains('\0') {
            Some("it contains NUL")
        } else {
            None
        };
        if let Some(why) = why {
            let topic = self.uuid_topic.clone();
            let payload = unique_id;
            return self.fail(
                now,
                Failure::BadUniqueId {
                    topic,
                    payload,
                    why,
                },
            );
        }
        self.stats.unique_id = Some(unique_id.clone());
        self.stats.unique_id_at = Some(now);
        self.emit(ChallengeEvent::UniqueIdReceived {
            at: now,
            unique_id: unique_id.clone(),
        });
        // Subscribed at once: the first command comes 3 s after the id is published.
        self.subscribe(now, unique_id);
        let deadline = now + self.config.first_command_timeout;
        self.enter(now, Phase::AwaitingCommands, Some(deadline));
    }

    /// "For each command we should send a specific reply … to the following topic:
    /// '**UNIQUE ID**/**CMD**'." Answered in any phase after the id, even before the
    /// SUBACK of `<unique id>`: the broker may deliver first [MQTT-3.8.4-3 allows it].
    ///
    /// Every delivery is answered, a QoS 1 resend with DUP included: once it has sent
    /// PUBACK, the receiver "MUST treat any incoming PUBLISH packet that contains the same
    /// Packet Identifier as being a new publication, irrespective of the setting of its DUP
    /// flag" [MQTT-4.3.2-2]. If it was a copy, the server counts the second reply as extra
    /// (`ReplyProblem::Extra`), which does not spoil the run; a command not answered would.
    /// At QoS 2 the session delivers a resent command only once.
    pub(super) fn on_command(&mut self, now: Instant, command: Command) {
        self.stats.commands_received.add(command);
        self.stats.first_command_at.get_or_insert(now);
        self.emit(ChallengeEvent::CommandReceived { at: now, command });
        self.publish_reply(command, None);
        let deadline = Some(now + self.config.final_message_timeout);
        if self.phase == Phase::ReceivingCommands {
            self.phase_deadline = deadline;
        } else {
            self.enter(now, Phase::ReceivingCommands, deadline);
        }
    }
}
