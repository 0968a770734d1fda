//! The challenge server: the broker-side service that hands out unique ids and commands
//! and checks the replies, for many clients at once.

mod challenge;
mod config;
mod event;

use std::collections::{BTreeMap, VecDeque};

use mqtt_session::{Instant, Message};

pub use config::{ServerConfig, ServerConfigError};
pub use event::{ReplyProblem, ServerEvent, ServerStats};

use self::challenge::Challenge;
use crate::action::Action;
use crate::protocol::{uuid_topic, validate_user_id, Command, FINAL_MESSAGE, LOGIN_TOPIC};
use crate::rng::{uuid_v4, SplitMix64};

/// The filter for every reply, `<unique id>/<CMD>`. One subscription for all sessions:
/// per-session subscriptions would race the first reply and need unsubscribing. It
/// also matches the server's own `<user id>/UUID` publications, which are ignored.
pub const REPLY_FILTER: &str = "+/+";

/// The server side of the challenge. Drive it like the client: feed it the messages
/// of its MQTT session and its timeouts, then drain actions and events.
#[derive(Debug)]
pub struct ChallengeServer {
    config: ServerConfig,
    rng: SplitMix64,
    /// By unique id. A `BTreeMap` so that work due at the same instant is done in the
    /// same order on every run (a `HashMap`'s order changes from process to process).
    challenges: BTreeMap<String, Challenge>,
    actions: VecDeque<Action>,
    events: VecDeque<ServerEvent>,
    stats: ServerStats,
}

impl ChallengeServer {
    /// A server that first asks to subscribe to `login` and [`REPLY_FILTER`]. Execute
    /// those before any client logs in.
    pub fn new(config: ServerConfig) -> Result<Self, ServerConfigError> {
        config.validate()?;
        let qos = config.qos;
        let actions = [config.login_filter(), REPLY_FILTER.to_string()]
            .into_iter()
            .map(|filter| Action::Subscribe { filter, qos })
            .collect();
        Ok(Self {
            rng: SplitMix64::new(config.seed),
            config,
            challenges: BTreeMap::new(),
            actions,
            events: VecDeque::new(),
            stats: ServerStats::default(),
        })
    }

    // ----- getters -----

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Totals over every session so far.
    pub fn stats(&self) -> ServerStats {
        self.stats
    }

    /// Sessions started and not yet finished or dropped.
    pub fn active_sessions(&self) -> usize {
        self.challenges.len()
    }

    // ----- inputs -----

    /// A message from the server's MQTT session (on `login` or a reply topic).
    pub fn handle_message(&mut self, now: Instant, message: &Message) {
        let payload = String::from_utf8_lossy(&message.payload).into_owned();
        if message.topic == LOGIN_TOPIC {
            return self.on_login(now, payload);
        }
        let Some((unique_id, level)) = message.topic.split_once('/') else {
            return;
        };
        // Anything else (our own `<user id>/UUID`, other traffic on the broker) is not ours.
        let Some(challenge) = self.challenges.get_mut(unique_id) else {
            return;
        };
        if let Err(problem) = challenge.check_reply(level, &payload) {
            self.stats.wrong_replies += 1;
            self.events.push_back(ServerEvent::WrongReply {
                at: now,
                unique_id: unique_id.to_string(),
                topic: message.topic.clone(),
                payload,
                problem,
            });
            return;
        }
        if challenge.is_complete(now) {
            let unique_id = unique_id.to_string();
            self.finish(now, unique_id);
        }
    }

    /// The clock reached [`Self::poll_timeout`]: send due commands, drop late sessions.
    pub fn handle_timeout(&mut self, now: Instant) {
        let ids: Vec<String> = self.challenges.keys().cloned().collect();
        for unique_id in ids {
            let Some(challenge) = self.challenges.get_mut(&unique_id) else {
                continue;
            };
            while let Some(command) = challenge.take_due(now, self.config.pace) {
                self.stats.commands_sent += 1;
                self.actions.push_back(Action::publish(
                    unique_id.clone(),
                    command.name(),
                    self.config.qos,
                ));
                self.events.push_back(ServerEvent::CommandSent {
                    at: now,
                    unique_id: unique_id.clone(),
                    command,
                });
            }
            if challenge.is_complete(now) {
                // Only a challenge without commands completes here.
                self.finish(now, unique_id);
            } else if challenge.is_expired(now, self.config.answer_timeout) {
                self.expire(now, unique_id);
            }
        }
    }

    // ----- outputs -----

    /// The next MQTT operation to perform (subscribe, publish).
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub(crate) fn push_event(&mut self, event: ServerEvent) {
        self.events.push_back(event);
    }

    /// The next log line.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The earliest instant some session needs: its next command or its expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.challenges
            .values()
            .map(|c| c.deadline(self.config.answer_timeout))
            .min()
    }

    // ----- the protocol -----

    /// "Send a message containing **User ID** to the topic 'login'" … "we shall receive
    /// a message on the topic '**User ID**/UUID'. The message will contain a **UNIQUE ID**."
    fn on_login(&mut self, now: Instant, user_id: String) {
        if let Err(error) = validate_user_id(&user_id) {
            let payload = user_id;
            self.events.push_back(ServerEvent::LoginIgnored {
                at: now,
                payload,
                error,
            });
            return;
        }
        let unique_id = loop {
            let candidate = uuid_v4(&mut self.rng);
            if !self.challenges.contains_key(&candidate) {
                break candidate;
            }
        };
        // "We will receive a random number of commands … They can come repeatedly and in
        // any order."
        let count = self
            .rng
            .in_range(self.config.min_commands, self.config.max_commands);
        let commands: Vec<Command> = (0..count)
            .map(|_| Command::ALL[self.rng.below(Command::ALL.len() as u64) as usize])
            .collect();
        self.actions.push_back(Action::publish(
            uuid_topic(&user_id),
            unique_id.clone(),
            self.config.qos,
        ));
        self.stats.logins += 1;
        self.events.push_back(ServerEvent::SessionStarted {
            at: now,
            user_id: user_id.clone(),
            unique_id: unique_id.clone(),
            commands: count,
        });
        // "After 3 seconds from the publishing of the **UNIQUE ID**".
        let first_at = now + self.config.delay;
        let challenge = Challenge::new(user_id, now, commands, first_at);
        self.challenges.insert(unique_id, challenge);
    }

    /// "Once all the commands are handled and replies are sent …, we shall receive the
    /// following message from broker: '**Well done my IoT!**' on the topic '**UNIQUE ID**'."
    fn finish(&mut self, now: Instant, unique_id: String) {
        let Some(challenge) = self.challenges.remove(&unique_id) else {
            return;
        };
        self.actions.push_back(Action::publish(
            unique_id.clone(),
            FINAL_MESSAGE,
            self.config.qos,
        ));
        self.stats.finished += 1;
        self.events.push_back(ServerEvent::Finished {
            at: now,
            took: now - challenge.started_at,
            user_id: challenge.user_id,
            unique_id,
            sent: challenge.sent,
            wrong_replies: challenge.wrong_replies,
        });
    }

    fn expire(&mut self, now: Instant, unique_id: String) {
        let Some(challenge) = self.challenges.remove(&unique_id) else {
            return;
        };
        self.stats.expired += 1;
        self.events.push_back(ServerEvent::Expired {
            at: now,
            missing: challenge.missing(),
            user_id: challenge.user_id,
            unique_id,
            wrong_replies: challenge.wrong_replies,
        });
    }
}
