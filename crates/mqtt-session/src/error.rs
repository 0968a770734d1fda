//! Errors, one enum per kind of failure, each message a sentence a user can act on.

use thiserror::Error;

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
    #[error("a password needs a user name in MQTT 3.1.1; enter a user name or clear the password")]
    EmptyUsername,
    #[error("the user name or password is longer than 65,535 bytes")]
    CredentialsTooLong,
    #[error("last will topic: {0}")]
    WillTopic(TopicError),
    #[error("the last will message is {0} bytes; MQTT 3.1.1 allows at most 65,535")]
    WillPayloadTooLong(usize),
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
}

/// Why the broker refused the connection (CONNACK return codes 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConnectRefusal {
    #[error("the broker does not speak MQTT 3.1.1 (unacceptable protocol version)")]
    UnacceptableProtocolVersion,
    #[error("the broker rejected the client id; try another one")]
    IdentifierRejected,
    #[error("the broker is unavailable right now; try again later")]
    ServerUnavailable,
    #[error("bad user name or password")]
    BadUserNameOrPassword,
    #[error("not authorized: the broker refused this user name and password (or this client)")]
    NotAuthorized,
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
    #[error("{0}")]
    TransportClosed(String),
    #[error("disconnected")]
    ClientDisconnect,
}
