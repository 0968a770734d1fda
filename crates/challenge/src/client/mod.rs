//! The challenge client: the seed's protocol as a state machine over MQTT session events.

mod config;
mod drops;
mod event;
mod inbound;
mod phase;

use std::collections::{HashMap, VecDeque};

use mqtt_session::store::OutgoingStage;
use mqtt_session::{CloseReason, CommandError, Event, Instant};

pub use config::ClientConfig;
pub use event::{ChallengeEvent, ClientStats, NothingKept, Warning};
pub use phase::{Failure, Phase};

use self::drops::{Link, Owed};
use crate::action::Action;
use crate::protocol::{
    reply_topic, uuid_topic, validate_user_id, Command, UserIdError, LOGIN_TOPIC,
};

/// What an `Action::Publish` was for, kept until the caller reports its outcome.
#[derive(Debug, Clone, Copy)]
enum Publication {
    Login,
    Reply(Command),
    /// A reply the session abandoned (at this stage), published again.
    ReplyAgain(Command, OutgoingStage),
}

/// The client side of the challenge. See the crate documentation for the calling order.
#[derive(Debug)]
pub struct ChallengeClient {
    config: ClientConfig,
    /// `<user id>/UUID`, built once.
    uuid_topic: String,
    phase: Phase,
    /// The current phase's deadline (unique id, first command or final message), while
    /// the connection is up; paused in `link` while it is down.
    phase_deadline: Option<Instant>,
    /// Whether the connection is up, as the session's events said.
    link: Link,
    /// Subscriptions awaiting their SUBACK, each with its deadline. At most two.
    subacks: Vec<(String, Instant)>,
    /// Subscribes handed out whose outcome `note_subscribed` has not reported yet, in order.
    subscribing: VecDeque<String>,
    /// Publishes handed out whose outcome `note_published` has not reported yet, in order.
    publishing: VecDeque<Publication>,
    /// QoS 1/2 replies awaiting PUBACK/PUBCOMP, by packet id.
    in_flight: HashMap<u16, Command>,
    /// Filters to subscribe to again once the connection is back (their SUBACK was lost
    /// with the connection).
    resubscribe: Vec<String>,
    /// Replies to publish once the connection is back.
    owed: Vec<Owed>,
    actions: VecDeque<Action>,
    events: VecDeque<ChallengeEvent>,
    stats: ClientStats,
}

impl ChallengeClient {
    /// A client waiting for its session to connect. Fails if the user id cannot name
    /// the `<user id>/UUID` topic.
    ///
    /// If the session is already connected, pass it `Event::Connected` right away.
    pub fn new(config: ClientConfig, now: Instant) -> Result<Self, UserIdError> {
        validate_user_id(&config.user_id)?;
        let mut client = Self {
            uuid_topic: uuid_topic(&config.user_id),
            config,
            phase: Phase::Connecting,
            phase_deadline: None,
            link: Link::NeverUp,
            subacks: Vec::new(),
            subscribing: VecDeque::new(),
            publishing: VecDeque::new(),
            in_flight: HashMap::new(),
            resubscribe: Vec::new(),
            owed: Vec::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            stats: ClientStats::default(),
        };
        client.enter(now, Phase::Connecting, None);
        Ok(client)
    }

    // ----- getters -----

    /// Where the challenge stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Totals so far: commands per CMD, replies sent and acknowledged, key instants.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// The configuration this client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether the client is waiting for its connection to come back: it lost one and
    /// lives through it (`ClientConfig::survive_drops`), its deadlines paused.
    pub fn is_offline(&self) -> bool {
        matches!(self.link, Link::Down { .. })
    }

    // ----- inputs -----

    /// Every event the caller's MQTT session produced, in order.
    pub fn handle_session_event(&mut self, now: Instant, event: &Event) {
        if self.phase.is_over() {
            return;
        }
        match event {
            Event::Connected { session_present } => match self.link {
                Link::NeverUp => {
                    self.link = Link::Up;
                    let topic = self.uuid_topic.clone();
                    self.subscribe(now, topic);
                    self.enter(now, Phase::SubscribingUuid, None);
                }
                Link::Down { .. } => self.on_reconnected(now, *session_present),
                Link::Up => {} // Not from a session: `Closed` comes between two connections.
            },
            Event::Subscribed { results, .. } => {
                for (filter, result) in results {
                    self.on_suback(now, filter, *result);
                }
            }
            Event::Message(message) => self.on_message(now, message),
            Event::Delivered { pkid, .. } => {
                if let Some(command) = self.in_flight.remove(pkid) {
                    self.stats.replies_acknowledged += 1;
                    self.emit(ChallengeEvent::ReplyAcknowledged {
                        at: now,
                        command,
                        pkid: *pkid,
                    });
                }
            }
            Event::Abandoned(abandoned) => self.on_abandoned(abandoned),
            Event::Closed(reason) => self.on_closed(now, reason),
            _ => {}
        }
    }

    /// The caller will not reconnect any more (the user disconnected, the broker refused
    /// for good, its policy gave up): a run that is not over fails with `reason`. Only a
    /// client that survives drops waits for this; otherwise `Closed` already ended the run.
    pub fn handle_ended(&mut self, now: Instant, reason: &CloseReason) {
        if !self.phase.is_over() {
            // No Disconnect: the caller's client is already done.
            self.enter(now, Phase::Failed(Failure::Closed(reason.clone())), None);
        }
    }

    /// Reports what became of the oldest `Action::Publish` not reported yet: pass the
    /// session's `publish` result as it is. Call it once per executed publish, in order.
    pub fn note_published(&mut self, now: Instant, result: Result<Option<u16>, CommandError>) {
        let Some(publication) = self.publishing.pop_front() else {
            return self.warn(now, Warning::UnexpectedPublishNote);
        };
        let pkid = match result {
            Ok(pkid) => pkid,
            // The connection closed under this input (its `Closed` event comes next): a
            // client that survives drops publishes it once it is back.
            Err(CommandError::NotConnected) if self.config.survive_drops => {
                return self.owe(publication);
            }
            Err(error) => {
                let what = match publication {
                    Publication::Login => format!("publish the user id on {LOGIN_TOPIC}"),
                    Publication::Reply(c) | Publication::ReplyAgain(c, _) => {
                        format!("publish the reply to {c}")
                    }
                };
                return self.fail(now, Failure::Command { what, error });
            }
        };
        match publication {
            Publication::Login => {
                self.stats.login_at = Some(now);
                if self.phase == Phase::LoggingIn {
                    let deadline = now + self.config.unique_id_timeout;
                    self.enter(now, Phase::AwaitingUniqueId, Some(deadline));
                }
            }
            Publication::Reply(command) => {
                self.stats.replies_sent += 1;
                if let Some(pkid) = pkid {
                    self.in_flight.insert(pkid, command);
                }
                let topic = self.reply_topic(command);
                self.emit(ChallengeEvent::ReplySent {
                    at: now,
                    command,
                    topic,
                    pkid,
                });
            }
            Publication::ReplyAgain(command, stage) => {
                // Not a second reply: the first copy is gone with the broker's session.
                self.stats.replies_published_again += 1;
                if let Some(pkid) = pkid {
                    self.in_flight.insert(pkid, command);
                }
                self.warn(now, Warning::ReplyPublishedAgain { command, stage });
            }
        }
    }

    /// Reports the session's `subscribe` result. Only a failure matters (the SUBACK is
    /// matched by filter), but reporting every result keeps the caller's loop uniform.
    pub fn note_subscribed(&mut self, now: Instant, result: Result<u16, CommandError>) {
        let Some(filter) = self.subscribing.pop_front() else {
            return; // A subscription of the caller's own.
        };
        match result {
            Ok(_) => {}
            // The connection closed under this input: subscribe again once it is back.
            Err(CommandError::NotConnected) if self.config.survive_drops => {
                self.subacks.retain(|(f, _)| *f != filter);
                self.resubscribe.push(filter);
            }
            Err(error) if !self.phase.is_over() => {
                let what = format!("subscribe to {filter}");
                self.fail(now, Failure::Command { what, error });
            }
            Err(_) => {}
        }
    }

    /// The clock reached the instant [`Self::poll_timeout`] returned (or later).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase.is_over() {
            return;
        }
        if let Some((filter, _)) = self.subacks.iter().find(|(_, at)| now >= *at) {
            let filter = filter.clone();
            let after = self.config.suback_timeout;
            return self.fail(now, Failure::NoSubAck { filter, after });
        }
        if self.phase_deadline.is_none_or(|at| now < at) {
            return;
        }
        let failure = match self.phase {
            Phase::AwaitingUniqueId => Failure::NoUniqueId {
                topic: self.uuid_topic.clone(),
                after: self.config.unique_id_timeout,
            },
            Phase::AwaitingCommands => Failure::NoCommands {
                topic: self.unique_id().to_string(),
                after: self.config.first_command_timeout,
            },
            Phase::ReceivingCommands => Failure::NoFinalMessage {
                topic: self.unique_id().to_string(),
                after: self.config.final_message_timeout,
            },
            _ => return,
        };
        self.fail(now, failure);
    }

    // ----- outputs -----

    /// The next MQTT operation to perform. Execute each one before polling the next.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ChallengeEvent> {
        self.events.pop_front()
    }

    /// When to call [`Self::handle_timeout`]; `None` once the challenge is over.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase.is_over() {
            return None;
        }
        self.subacks
            .iter()
            .map(|(_, at)| *at)
            .chain(self.phase_deadline)
            .min()
    }

    // ----- helpers -----

    fn unique_id(&self) -> &str {
        self.stats.unique_id.as_deref().unwrap_or_default()
    }

    fn reply_topic(&self, command: Command) -> String {
        reply_topic(self.unique_id(), command)
    }

    fn subscribe(&mut self, now: Instant, filter: String) {
        let qos = self.config.qos;
        self.subacks
            .push((filter.clone(), now + self.config.suback_timeout));
        self.subscribing.push_back(filter.clone());
        self.actions.push_back(Action::Subscribe { filter, qos });
    }

    fn publish(&mut self, topic: String, payload: String, publication: Publication) {
        self.publishing.push_back(publication);
        self.actions
            .push_back(Action::publish(topic, payload, self.config.qos));
    }

    /// Publishes a command's reply (again, with `stage`, if the session abandoned it).
    fn publish_reply(&mut self, command: Command, again: Option<OutgoingStage>) {
        let topic = self.reply_topic(command);
        let publication = match again {
            None => Publication::Reply(command),
            Some(stage) => Publication::ReplyAgain(command, stage),
        };
        self.publish(topic, command.reply().to_string(), publication);
    }

    fn enter(&mut self, now: Instant, phase: Phase, deadline: Option<Instant>) {
        self.phase = phase.clone();
        self.phase_deadline = deadline;
        if phase.is_over() {
            self.subacks.clear();
        }
        self.emit(ChallengeEvent::PhaseChanged { at: now, phase });
    }

    /// Fails the run. Unless the connection is already gone, ask for a disconnect too:
    /// the challenge cannot be resumed on this connection.
    fn fail(&mut self, now: Instant, failure: Failure) {
        if !matches!(failure, Failure::Closed(_)) {
            self.actions.push_back(Action::Disconnect);
        }
        self.enter(now, Phase::Failed(failure), None);
    }

    fn warn(&mut self, now: Instant, warning: Warning) {
        self.stats.warnings += 1;
        self.emit(ChallengeEvent::Warning { at: now, warning });
    }

    fn emit(&mut self, event: ChallengeEvent) {
        self.events.push_back(event);
    }
}
