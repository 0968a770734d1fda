//! What the session hands back to its caller.

use bytes::Bytes;

use crate::error::CloseReason;
use crate::packet::{PublishProperties, QoS};
use crate::reason::ReasonCode;
use crate::resume::Abandoned;
use crate::time::Instant;

/// One output of [`crate::Session::poll_output`].
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Exactly one encoded MQTT packet: send it as one WebSocket message (or write it to
    /// the stream). Brokers differ in how they take several packets in one message.
    Transmit(Bytes),
    /// Something the application should know about.
    Event(Event),
    /// Nothing more to do until this instant: then call `handle_timeout`.
    Timeout(Instant),
    /// Nothing more to do and no deadline: the session is not connected.
    Idle,
}

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// The control packets a learner may want to see in the log, with their packet id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    Connect,
    ConnAck,
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Subscribe(u16),
    SubAck(u16),
    Unsubscribe(u16),
    UnsubAck(u16),
    PingReq,
    PingResp,
    Disconnect,
}

impl core::fmt::Display for PacketKind {
    /// The packet's name as the spec writes it, with its packet id: `PUBREC 7`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (name, pkid) = match *self {
            PacketKind::Connect => ("CONNECT", None),
            PacketKind::ConnAck => ("CONNACK", None),
            PacketKind::PubAck(id) => ("PUBACK", Some(id)),
            PacketKind::PubRec(id) => ("PUBREC", Some(id)),
            PacketKind::PubRel(id) => ("PUBREL", Some(id)),
            PacketKind::PubComp(id) => ("PUBCOMP", Some(id)),
            PacketKind::Subscribe(id) => ("SUBSCRIBE", Some(id)),
            PacketKind::SubAck(id) => ("SUBACK", Some(id)),
            PacketKind::Unsubscribe(id) => ("UNSUBSCRIBE", Some(id)),
            PacketKind::UnsubAck(id) => ("UNSUBACK", Some(id)),
            PacketKind::PingReq => ("PINGREQ", None),
            PacketKind::PingResp => ("PINGRESP", None),
            PacketKind::Disconnect => ("DISCONNECT", None),
        };
        match pkid {
            Some(id) => write!(f, "{name} {id}"),
            None => f.write_str(name),
        }
    }
}

/// An application message received from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// Zero for QoS 0.
    pub pkid: u16,
    /// MQTT 5 properties as received (empty under 3.1.1). A topic alias is already
    /// resolved into `topic`; `properties.topic_alias` tells it was used.
    pub properties: PublishProperties,
}

/// MQTT 5: the broker's answer to an outgoing QoS 1/2 message said more than "success"
/// (e.g. PUBACK 0x87 "not authorized", or 0x10 "no matching subscribers").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    /// The id `publish` returned.
    pub pkid: u16,
    /// 0x80 and above: the broker refused the message, which is done (not delivered).
    pub reason: ReasonCode,
    pub reason_string: Option<String>,
}

impl core::fmt::Display for PublishOutcome {
    /// "message 7: 0x87 not authorized: … (\"reason string\")"
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let verb = if self.reason.is_failure() {
            "refused"
        } else {
            "accepted"
        };
        write!(
            f,
            "the broker {verb} message {}: {}",
            self.pkid, self.reason
        )?;
        if let Some(text) = &self.reason_string {
            write!(f, " (\"{text}\")")?;
        }
        Ok(())
    }
}

/// The broker's answer for one filter of a SUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeResult {
    /// Granted, at this maximum QoS (may be lower than asked).
    Granted(QoS),
    /// The broker refused this filter (often an ACL): 0x80 under MQTT 3.1.1, the MQTT 5
    /// reason code otherwise.
    Refused(ReasonCode),
}

/// Events for the application, in the order they happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// CONNACK accepted the connection.
    Connected { session_present: bool },
    /// A message arrived. QoS 2 messages are delivered once, on first receipt
    /// (method B of [MQTT-4.3.3-2]'s figure: the id is kept until PUBREL so a DUP
    /// resend is not delivered twice).
    Message(Message),
    /// A QoS 1 message got its PUBACK, or a QoS 2 message its PUBCOMP (without failure).
    Delivered { pkid: u16, qos: QoS },
    /// MQTT 5: an acknowledgement with a reason other than plain success. A failure
    /// (0x80 and above) ends the message: no `Delivered` follows.
    PublishOutcome(PublishOutcome),
    /// An outgoing QoS 1/2 message that will never be completed: its session ended
    /// (clean session) or the broker kept none. It carries all it takes to publish it
    /// again; its `Display` is a sentence for the log.
    Abandoned(Abandoned),
    /// SUBACK: one result per filter, in the order they were asked.
    Subscribed {
        pkid: u16,
        results: Vec<(String, SubscribeResult)>,
    },
    /// UNSUBACK for these filters.
    Unsubscribed { pkid: u16, filters: Vec<String> },
    /// A control packet went by (only when `trace_control_packets` is on).
    Control {
        direction: Direction,
        packet: PacketKind,
    },
    /// The broker did something odd that does not justify closing (e.g. PUBACK for an
    /// id not in flight).
    Warning(String),
    /// The connection ended. The IO layer closes the transport when it sees this.
    Closed(CloseReason),
}
