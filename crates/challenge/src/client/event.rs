//! What the challenge client reports to the application, and its running totals.

use core::fmt;

use mqtt_session::store::OutgoingStage;
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
    /// Back after a lost connection before the unique id came, with nothing kept for the
    /// client meanwhile: the id may have been sent while the link was down, so the client
    /// subscribes and logs in again (the server's first session for this login expires).
    LoggingInAgain(NothingKept),
    /// Back after a lost connection once commands may have started, with nothing kept for
    /// the client meanwhile. The run goes on: if no command was sent while the link was
    /// down it can still finish; otherwise the final-message deadline ends it.
    CommandsMayBeLost(NothingKept),
    /// The session gave up a reply it had not completed (the broker lost the session) and
    /// the client published it again: the server still waits for it. It may have reached
    /// the server already, which then counts the copy as an extra reply (`ReplyProblem::Extra`):
    /// harmless, where a missing reply would keep the final message back for good.
    ReplyPublishedAgain {
        command: Command,
        /// How far the abandoned copy got.
        stage: OutgoingStage,
    },
}

/// Why messages sent to the client while its link was down did not wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NothingKept {
    /// CONNACK said session present 0: the broker kept neither the subscriptions nor the
    /// messages queued for them [MQTT-3.2.2-2].
    SessionLost,
    /// The run subscribes at QoS 0, and a broker does not queue QoS 0 messages for a client
    /// that is offline (mosquitto's default; section 3.1.2.4 of the spec makes storing them optional).
    AtMostOnce,
}

impl fmt::Display for NothingKept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NothingKept::SessionLost => "the broker kept no session for this client",
            NothingKept::AtMostOnce => {
                "at QoS 0 the broker keeps no message for a client that is offline"
            }
        })
    }
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
            Warning::LoggingInAgain(why) => write!(
                f,
                "{why}: a unique id sent while the link was down is lost; logging in again"
            ),
            Warning::CommandsMayBeLost(why) => write!(
                f,
                "{why}: commands sent while the link was down are lost, and the final message \
                 comes only once every command has its reply"
            ),
            Warning::ReplyPublishedAgain { command, stage } => {
                let progress = match stage {
                    OutgoingStage::Queued => "never sent",
                    OutgoingStage::AwaitingPubAck => "sent, no PUBACK",
                    OutgoingStage::AwaitingPubRec => "sent, no PUBREC",
                    OutgoingStage::AwaitingPubComp => "the broker had it, no PUBCOMP",
                };
                write!(
                    f,
                    "the broker lost the reply to {command} with the session ({progress}): \
                     published it again; the server counts a second copy as an extra reply"
                )
            }
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
    /// Replies the caller reported as published: one per command answered, whatever
    /// happened to the connection.
    pub replies_sent: u32,
    /// Replies published a second time because the session abandoned the first copy
    /// (not counted in `replies_sent`).
    pub replies_published_again: u32,
    /// Connections lost and lived through (`ClientConfig::survive_drops`).
    pub drops: u32,
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
