//! Errors, one enum per kind of failure, each message a sentence a user can act on.

use thiserror::Error;

use crate::reason::ReasonCode;
use crate::topic::TopicError;

/// Connect options that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OptionsError {
    #[error("the client id is {0} bytes long; MQTT allows at most 65,535")]
    ClientIdTooLong(usize),
    #[error("an empty client id is only allowed with a clean session")]
    EmptyClientIdNeedsCleanSession,
    #[error("keepalive of {0} s is too long; MQTT allows at most 65,535 s")]
    KeepAliveTooLong(u64),
    #[error("a password needs a user name in MQTT 3.1.1 (MQTT 5 allows one alone); enter a user name or clear the password")]
    EmptyUsername,
    #[error("the user name or password is longer than 65,535 bytes")]
    CredentialsTooLong,
    #[error("last will topic: {0}")]
    WillTopic(TopicError),
    #[error("the last will message is {0} bytes; MQTT allows at most 65,535")]
    WillPayloadTooLong(usize),
    #[error("{0} exist only in MQTT 5: choose protocol 5 or clear them")]
    NeedsMqtt5(&'static str),
    #[error("a receive maximum of 0 is not allowed; leave it empty for the default (65,535)")]
    ReceiveMaximumZero,
    #[error("a user property name or value is longer than 65,535 bytes")]
    UserPropertyTooLong,
    #[error("the last will's content type, response topic or correlation data is longer than 65,535 bytes")]
    WillPropertyTooLong,
}

/// A command the session refused; nothing was sent and nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    #[error("not connected to a broker")]
    NotConnected,
    #[error("topic: {0}")]
    InvalidTopic(TopicError),
    #[error("filter '{filter}': {error}")]
    InvalidFilter { filter: String, error: TopicError },
    /// mqttbytes would encode an empty SUBSCRIBE; the spec forbids it [MQTT-3.8.3-3].
    #[error("nothing to subscribe to or unsubscribe from: give at least one filter")]
    NoFilters,
    #[error("the message is {size} bytes; an MQTT packet can hold at most {max}")]
    PayloadTooLarge { size: usize, max: usize },
    #[error("all 65,535 packet identifiers are in use by unacknowledged packets")]
    NoPacketIdAvailable,
    #[error("{0} exist only in MQTT 5: connect with protocol 5 to use them")]
    NeedsMqtt5(&'static str),
    /// [MQTT-3.2.2-11]
    #[error("this broker accepts QoS {max} at most (CONNACK maximum QoS); publish at QoS {max} or lower")]
    QoSNotSupported { max: u8 },
    /// [MQTT-3.2.2-14]
    #[error("this broker does not keep retained messages (CONNACK retain available 0); publish without retain")]
    RetainNotSupported,
    /// [MQTT-3.2.2-15]
    #[error("this message makes a packet of {size} bytes; the broker accepts at most {max} (CONNACK maximum packet size)")]
    PacketTooLarge { size: usize, max: u32 },
    /// [MQTT-3.3.2-...]: payload format indicator 1 promises UTF-8.
    #[error("the payload is marked as UTF-8 text (payload format 1) but is not valid UTF-8")]
    PayloadNotUtf8,
    #[error("payload format {0} does not exist: 0 is bytes, 1 is UTF-8 text")]
    InvalidPayloadFormat(u8),
    #[error("this broker does not support {0} (CONNACK)")]
    NotSupportedByBroker(&'static str),
    #[error("a subscription identifier must be between 1 and 268,435,455")]
    InvalidSubscriptionIdentifier,
    #[error("a topic alias is chosen by this client's session, not set on a message")]
    TopicAliasNotAllowed,
    #[error("{0}")]
    PropertyTooLong(&'static str),
}

/// Why the broker refused the connection (CONNACK return codes 1–5 of MQTT 3.1.1, their
/// MQTT 5 equivalents, and any other MQTT 5 reason code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConnectRefusal {
    #[error("the broker does not speak this MQTT version (unacceptable protocol version); choose the other one")]
    UnacceptableProtocolVersion,
    #[error("the broker rejected the client id; try another one")]
    IdentifierRejected,
    #[error("the broker is unavailable right now; try again later")]
    ServerUnavailable,
    #[error("bad user name or password")]
    BadUserNameOrPassword,
    #[error("not authorized: the broker refused this user name and password (or this client)")]
    NotAuthorized,
    /// Any other MQTT 5 CONNACK reason code.
    #[error("{0}")]
    Other(ReasonCode),
}

impl ConnectRefusal {
    /// The refusal a CONNACK reason code means.
    pub fn from_reason(reason: ReasonCode) -> Self {
        match reason.0 {
            0x84 => ConnectRefusal::UnacceptableProtocolVersion,
            0x85 => ConnectRefusal::IdentifierRejected,
            0x88 => ConnectRefusal::ServerUnavailable,
            0x86 => ConnectRefusal::BadUserNameOrPassword,
            0x87 => ConnectRefusal::NotAuthorized,
            _ => ConnectRefusal::Other(reason),
        }
    }
}

/// The broker broke the protocol; the connection is closed [MQTT-4.8.0-1].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("malformed packet from the broker ({0})")]
    Malformed(String),
    #[error("the broker sent a packet of {size} bytes, above this client's limit of {max}")]
    PacketTooLarge { size: usize, max: usize },
    #[error("the broker sent {packet} while {expected}")]
    Unexpected {
        packet: &'static str,
        expected: &'static str,
    },
    #[error("SUBACK {pkid} has {got} results for {want} filters")]
    SubAckCountMismatch { pkid: u16, got: usize, want: usize },
    /// [MQTT-2.2.2-2]
    #[error(
        "the broker sent {packet} with header flags {flags:#06b}; MQTT requires {expected:#06b}"
    )]
    ReservedFlags {
        packet: &'static str,
        flags: u8,
        expected: u8,
    },
    /// [MQTT-3.3.1-4]
    #[error("the broker sent a PUBLISH with QoS 3, which does not exist")]
    PublishQoS3,
    #[error(
        "the broker sent {packet} with {length} bytes after its header; it must have {expected}"
    )]
    RemainingLength {
        packet: &'static str,
        length: usize,
        expected: usize,
    },
    #[error("the broker sent a CONNACK with reserved flag bits set ({0:#010b})")]
    ConnAckReservedBits(u8),
    /// [MQTT-1.5.3-2], [MQTT-3.3.2-2], [MQTT-4.7.3-1]
    #[error("the broker sent a PUBLISH with an invalid topic: {0}")]
    InvalidTopic(TopicError),
    /// Reported by the transport: MQTT over WebSocket is binary only [MQTT-6.0.0-1].
    #[error("the broker sent a text WebSocket frame; MQTT needs binary frames")]
    TextFrame,
    /// [MQTT-4.12.0-6]
    #[error("the broker sent AUTH ({0}), but this client never asked for enhanced authentication; it does not support it")]
    UnexpectedAuth(ReasonCode),
    /// [MQTT-3.3.2-...]
    #[error("the broker used topic alias {alias}, {why}")]
    TopicAlias { alias: u16, why: &'static str },
    #[error("{packet} {pkid} has {got} reason codes for {want} filters")]
    ReasonCountMismatch {
        packet: &'static str,
        pkid: u16,
        got: usize,
        want: usize,
    },
}

impl ProtocolError {
    /// The MQTT 5 DISCONNECT reason code a client sends when it closes for this error.
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            ProtocolError::Malformed(_)
            | ProtocolError::ReservedFlags { .. }
            | ProtocolError::PublishQoS3
            | ProtocolError::RemainingLength { .. }
            | ProtocolError::ConnAckReservedBits(_) => ReasonCode::MALFORMED_PACKET,
            ProtocolError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            ProtocolError::TopicAlias { .. } => ReasonCode::TOPIC_ALIAS_INVALID,
            ProtocolError::InvalidTopic(_) => ReasonCode(0x90),
            _ => ReasonCode::PROTOCOL_ERROR,
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloseReason {
    #[error("the broker refused the connection: {0}")]
    Refused(ConnectRefusal),
    #[error("the connection could not be opened within {0} s: is the broker reachable from this machine, and is the port right?")]
    OpenTimeout(u64),
    #[error("no answer to CONNECT within {0} s: is this an MQTT broker?")]
    ConnectTimeout(u64),
    #[error("the broker stopped answering (no PINGRESP within {0} s)")]
    KeepAliveTimeout(u64),
    #[error("{0}")]
    Protocol(ProtocolError),
    /// MQTT 5: the broker closed the connection with a DISCONNECT and a reason.
    #[error("the broker disconnected this client: {reason}{}{}", reason_string.as_ref().map(|s| format!(" (\"{s}\")")).unwrap_or_default(), server_reference.as_ref().map(|s| format!("; it points to {s}")).unwrap_or_default())]
    ServerDisconnect {
        reason: ReasonCode,
        reason_string: Option<String>,
        server_reference: Option<String>,
    },
    #[error("{0}")]
    TransportClosed(String),
    #[error("disconnected")]
    ClientDisconnect,
}
