//! What the challenge client reports to the application, and its running totals.

use core::fmt;

use mqtt_session::Instant;

use super::phase::Phase;
use crate::protocol::{Command, CommandCounts, FINAL_MESSAGE};

/// Something the application may show, stamped with the instant it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeEvent {
    /// The client entered `phase`; `Done` and `Failed` also arrive this way.
    PhaseChanged { at: Instant, phase: Phase },
    /// The unique id arrived on `<user id>/UUID`.
    UniqueIdReceived { at: Instant, unique_id: String },
    /// A command arrived on `<unique id>`; its reply is queued as an action.
    CommandReceived { at: Instant, command: Command },
    /// The caller published the reply (reported through `note_published`).
    /// `pkid` is `None` at QoS 0.
    ReplySent {
        at: Instant,
        command: Command,
        topic: String,
        pkid: Option<u16>,
    },
    /// The broker acknowledged a QoS 1 or 2 reply (PUBACK or PUBCOMP).
    ReplyAcknowledged {
        at: Instant,
        command: Command,
        pkid: u16,
    },
    /// The server did something the seed does not describe; the client goes on.
    Warning { at: Instant, warning: Warning },
}

/// Oddities that do not stop the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A message on `<unique id>` that is neither a command nor the final message.
    /// It is not answered: there is no reply word for it.
    UnexpectedMessage { topic: String, payload: String },
    /// The final message came before any command. Accepted (the server decides when the
    /// challenge is over), but a server that sends no command is worth pointing out.
    FinalMessageBeforeCommands,
    /// Something on `<user id>/UUID` other than the unique id in use: an id from before
    /// the login (a retained message from an earlier run) or a second id. Ignored.
    StrayUniqueId { topic: String, payload: String },
    /// `note_published` was called with no `Action::Publish` awaiting its outcome: a bug
    /// in the caller's loop.
    UnexpectedPublishNote,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnexpectedMessage { topic, payload } => write!(
                f,
                "ignored {payload:?} on {topic}: neither a command (CMD1…CMD7) nor {FINAL_MESSAGE:?}"
            ),
            Warning::FinalMessageBeforeCommands => {
                write!(f, "the final message came before any command")
            }
            Warning::StrayUniqueId { topic, payload } => write!(
                f,
                "ignored {payload:?} on {topic}: not the unique id of this login"
            ),
            Warning::UnexpectedPublishNote => write!(
                f,
                "note_published was called but no Publish action was waiting for its outcome"
            ),
        }
    }
}

/// Running totals of one challenge run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// The id from `<user id>/UUID`, once it arrived.
    pub unique_id: Option<String>,
    /// Commands received, per command (repeats counted).
    pub commands_received: CommandCounts,
    /// Replies the caller reported as published.
    pub replies_sent: u32,
    /// QoS 1/2 replies the broker acknowledged. Stays zero at QoS 0, which has no ack.
    pub replies_acknowledged: u32,
    /// Warning events emitted.
    pub warnings: u32,
    /// When the user id was published on `login`.
    pub login_at: Option<Instant>,
    pub unique_id_at: Option<Instant>,
    pub first_command_at: Option<Instant>,
    pub final_message_at: Option<Instant>,
}
