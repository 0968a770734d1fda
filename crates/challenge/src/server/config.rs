//! How the challenge server plays its role: randomness, pacing, patience.

use core::time::Duration;

use mqtt_session::QoS;
use thiserror::Error;

/// Settings of a [`crate::ChallengeServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Seeds the PRNG behind unique ids and command lists: the same seed and the same
    /// inputs give the same run.
    pub seed: u64,
    /// "After 3 seconds from the publishing of the **UNIQUE ID** by the broker, we start
    /// receiving multiple messages/commands".
    pub delay: Duration,
    /// "We will receive a random number of commands": drawn uniformly in
    /// `min_commands..=max_commands`. Zero is allowed: the final message then follows
    /// the delay directly, which exercises a client's "final before any command" path.
    pub min_commands: u32,
    pub max_commands: u32,
    /// Time between two commands; `None` sends them all at once (a burst).
    pub pace: Option<Duration>,
    /// For subscriptions and every message the server publishes.
    pub qos: QoS,
    /// A session whose replies are not complete this long after its last command is
    /// dropped, with a log line naming the missing replies.
    pub answer_timeout: Duration,
    /// Scale-out: subscribe to `$share/<group>/login` instead of `login`, so several
    /// services with the same group share the logins, one each [MQTT-4.8.2]. The instance
    /// that gets a login owns that student: its unique id, commands and replies (every
    /// instance subscribes to all replies, `+/+`, and ignores the unique ids it does not
    /// own), so a student's state is never split between instances.
    pub share_group: Option<String>,
}

impl ServerConfig {
    /// The seed's behaviour: a 3 s delay, 5 to 20 commands 200 ms apart, QoS 1, and a
    /// minute to answer.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            delay: Duration::from_secs(3),
            min_commands: 5,
            max_commands: 20,
            pace: Some(Duration::from_millis(200)),
            qos: QoS::AtLeastOnce,
            answer_timeout: Duration::from_secs(60),
            share_group: None,
        }
    }
}

/// Settings the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServerConfigError {
    #[error("min_commands ({min}) is above max_commands ({max}); swap them")]
    CommandRange { min: u32, max: u32 },
    /// Each session holds its command list in memory; a typo should not exhaust it.
    #[error("max_commands is {0}; at most {MAX_COMMANDS} per session are supported")]
    TooManyCommands(u32),
    #[error("share group '{0}' must be a non-empty topic level without '/', '+' or '#'")]
    ShareGroup(String),
}

/// The most commands one session may be sent.
pub const MAX_COMMANDS: u32 = 10_000;

impl ServerConfig {
    /// The filter the server subscribes to for logins.
    pub fn login_filter(&self) -> String {
        match &self.share_group {
            Some(group) => format!("$share/{group}/{}", crate::protocol::LOGIN_TOPIC),
            None => crate::protocol::LOGIN_TOPIC.to_string(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ServerConfigError> {
        if self.min_commands > self.max_commands {
            return Err(ServerConfigError::CommandRange {
                min: self.min_commands,
                max: self.max_commands,
            });
        }
        if self.max_commands > MAX_COMMANDS {
            return Err(ServerConfigError::TooManyCommands(self.max_commands));
        }
        if let Some(group) = &self.share_group {
            if group.is_empty() || group.contains(['/', '+', '#', '\0']) {
                return Err(ServerConfigError::ShareGroup(group.clone()));
            }
        }
        Ok(())
    }
}
