//! The server's log: one event per thing worth a line, with `Display` as that line.

use core::fmt;
use core::time::Duration;

use mqtt_session::Instant;

use mqtt_session::CommandError;

use crate::action::Action;
use crate::protocol::{Command, CommandCounts, UserIdError};
use crate::secs;

/// What happened on the server, per challenge session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A login created a session; its unique id was published on `<user id>/UUID`.
    SessionStarted {
        at: Instant,
        user_id: String,
        unique_id: String,
        commands: u32,
    },
    /// A command went out on `<unique id>`.
    CommandSent {
        at: Instant,
        unique_id: String,
        command: Command,
    },
    /// A reply that does not count (see [`ReplyProblem`]).
    WrongReply {
        at: Instant,
        unique_id: String,
        topic: String,
        payload: String,
        problem: ReplyProblem,
    },
    /// Every command had its correct reply; the final message was published.
    Finished {
        at: Instant,
        user_id: String,
        unique_id: String,
        sent: CommandCounts,
        wrong_replies: u32,
        took: Duration,
    },
    /// The replies were not complete in time; the session was dropped.
    Expired {
        at: Instant,
        user_id: String,
        unique_id: String,
        missing: CommandCounts,
        wrong_replies: u32,
    },
    /// A payload on `login` that cannot be a user id.
    LoginIgnored {
        at: Instant,
        payload: String,
        error: UserIdError,
    },
    /// The server's MQTT client refused an action (not connected, a topic it rejects…).
    ActionFailed {
        at: Instant,
        action: Action,
        error: CommandError,
    },
}

/// Why a reply on `<unique id>/<CMD>` did not count.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyProblem {
    /// The last topic level is not `CMD1`…`CMD7`.
    UnknownCommand,
    /// This command was not sent in this session (or not yet).
    NotSent(Command),
    /// Every sending of this command already has its correct reply. A QoS 1 reply the
    /// broker delivered twice ("the reply from MQTT client is sent twice", as the seed's
    /// second scenario shows) lands here: counted, but it does not spoil the session.
    Extra(Command),
    /// The payload is not the command's reply word.
    WrongWord(Command),
}

impl fmt::Display for ReplyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyProblem::UnknownCommand => write!(f, "no such command"),
            ReplyProblem::NotSent(c) => write!(f, "{c} was not sent"),
            ReplyProblem::Extra(c) => write!(f, "every {c} sent was already answered"),
            ReplyProblem::WrongWord(c) => write!(f, "{c} expects {:?}", c.reply()),
        }
    }
}

impl ServerEvent {
    /// When it happened.
    pub fn at(&self) -> Instant {
        match self {
            ServerEvent::SessionStarted { at, .. }
            | ServerEvent::CommandSent { at, .. }
            | ServerEvent::WrongReply { at, .. }
            | ServerEvent::Finished { at, .. }
            | ServerEvent::Expired { at, .. }
            | ServerEvent::LoginIgnored { at, .. }
            | ServerEvent::ActionFailed { at, .. } => *at,
        }
    }
}

impl fmt::Display for ServerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerEvent::SessionStarted {
                user_id,
                unique_id,
                commands,
                ..
            } => write!(
                f,
                "[{unique_id}] user {user_id} logged in; {commands} commands to come"
            ),
            ServerEvent::CommandSent {
                unique_id, command, ..
            } => write!(f, "[{unique_id}] sent {command}"),
            ServerEvent::WrongReply {
                unique_id,
                topic,
                payload,
                problem,
                ..
            } => write!(
                f,
                "[{unique_id}] wrong reply {payload:?} on {topic}: {problem}"
            ),
            ServerEvent::Finished {
                user_id,
                unique_id,
                sent,
                wrong_replies,
                took,
                ..
            } => write!(
                f,
                "[{unique_id}] user {user_id} done in {}: {} commands ({sent}), {wrong_replies} wrong replies",
                secs(took),
                sent.total()
            ),
            ServerEvent::Expired {
                user_id,
                unique_id,
                missing,
                wrong_replies,
                ..
            } => write!(
                f,
                "[{unique_id}] user {user_id} dropped: replies missing for {missing}; {wrong_replies} wrong replies"
            ),
            ServerEvent::LoginIgnored { payload, error, .. } => {
                write!(f, "ignored login {payload:?}: {error}")
            }
            ServerEvent::ActionFailed { action, error, .. } => match action {
                Action::Subscribe { filter, .. } => {
                    write!(f, "could not subscribe to {filter}: {error}")
                }
                Action::Publish { topic, .. } => write!(f, "could not publish on {topic}: {error}"),
                Action::Disconnect => write!(f, "could not disconnect: {error}"),
            },
        }
    }
}

/// Totals over all sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    pub logins: u32,
    pub finished: u32,
    pub expired: u32,
    pub commands_sent: u32,
    pub wrong_replies: u32,
}
