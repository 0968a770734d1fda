//! Where the challenge client stands, and why it failed if it did.

use core::time::Duration;

use mqtt_session::{CloseReason, CommandError};
use thiserror::Error;

use crate::protocol::FINAL_MESSAGE;
use crate::secs;

/// The client's progress through the seed's protocol.
///
/// ```text
///  Connecting ──Connected──▶ SubscribingUuid ──SUBACK──▶ LoggingIn ──login published──┐
///                            (subscribe <user id>/UUID)  (publish user id on `login`)  │
///                                                                                      ▼
///  Done ◀──final message── ReceivingCommands ◀──first command── AwaitingCommands ◀── AwaitingUniqueId
///    ▲   (send Disconnect)    (answer each)                    (subscribe <unique id>)  (id on <user id>/UUID)
///    └────────────── final message before any command (with a warning) ──┘
///
///  any phase but Done ──Closed, refused SUBACK, a deadline, a failed publish──▶ Failed(Failure)
///
///  with `ClientConfig::survive_drops`, a lost connection keeps the phase (deadlines paused)
///  until `Connected`; a phase before the unique id with nothing kept by the broker goes
///  back to SubscribingUuid to log in again; `handle_ended` fails the run
/// ```
///
/// `Done` and `Failed` are final: every later input is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the session's `Event::Connected`.
    Connecting,
    /// `<user id>/UUID` subscribed, waiting for its SUBACK. This comes first because the
    /// server answers the login at once and does not retain the answer: a client that
    /// subscribed after publishing its id could miss its unique id.
    SubscribingUuid,
    /// The user id is to be published on `login`.
    LoggingIn,
    /// "we shall receive a message on the topic '**User ID**/UUID'".
    AwaitingUniqueId,
    /// `<unique id>` subscribed; "After 3 seconds … we start receiving multiple
    /// messages/commands on the topic '**UNIQUE ID**'".
    AwaitingCommands,
    /// At least one command came; each is answered as it arrives.
    ReceivingCommands,
    /// "Once we receive this message, the communication is over and we can disconnect".
    Done,
    /// The challenge cannot go on; the reason says what was missing.
    Failed(Failure),
}

impl Phase {
    /// `Done` or `Failed`: nothing more will happen.
    pub fn is_over(&self) -> bool {
        matches!(self, Phase::Done | Phase::Failed(_))
    }
}

/// Why the challenge failed, as a sentence naming what was missing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Failure {
    #[error("the broker refused the subscription to {filter} (SUBACK 0x80); its access rules may not allow this topic")]
    SubscriptionRefused { filter: String },
    #[error("the broker did not acknowledge the subscription to {filter} within {}", secs(.after))]
    NoSubAck { filter: String, after: Duration },
    #[error("no unique id arrived on {topic} within {} after the login", secs(.after))]
    NoUniqueId { topic: String, after: Duration },
    #[error("the unique id {payload:?} on {topic} cannot name a topic: {why}")]
    BadUniqueId {
        topic: String,
        payload: String,
        why: &'static str,
    },
    #[error("no command arrived on {topic} within {} after the unique id", secs(.after))]
    NoCommands { topic: String, after: Duration },
    #[error("no final message ({FINAL_MESSAGE:?}) arrived on {topic} within {} after the last command", secs(.after))]
    NoFinalMessage { topic: String, after: Duration },
    /// The connection ended first (or, with `survive_drops`, the caller stopped
    /// reconnecting); the text is the session's own reason, e.g. "the broker refused the
    /// connection: bad user name or password".
    #[error("{0}")]
    Closed(CloseReason),
    /// The caller's session refused a publish or subscribe the client asked for.
    #[error("could not {what}: {error}")]
    Command { what: String, error: CommandError },
}
