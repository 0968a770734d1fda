//! The session's own packet and property types, one set for MQTT 3.1.1 and 5.0.
//!
//! The state machine works on these only; `codec/` maps them to and from the wire (through
//! mqttbytes' v4 and v5 modules). Fields that exist only in MQTT 5 (properties, reason
//! codes other than success) are empty or zero under 3.1.1 and are not encoded there.

use bytes::Bytes;

use crate::reason::ReasonCode;

/// Quality of service of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for 0, 1 or 2.
    pub fn from_u8(value: u8) -> Option<QoS> {
        match value {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// Which MQTT the session speaks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1.1 (protocol level 4).
    #[default]
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl core::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ProtocolVersion::V311 => "3.1.1",
            ProtocolVersion::V5 => "5",
        })
    }
}

/// A user property: a name/value pair MQTT 5 carries unchanged, in order (a name may repeat).
pub type UserProperty = (String, String);

/// The properties of an application message (PUBLISH, and the will's except its delay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishProperties {
    /// 0: unspecified bytes, 1: UTF-8 text.
    pub payload_format_indicator: Option<u8>,
    /// Seconds the broker may keep the message for subscribers that are not there yet.
    pub message_expiry_interval: Option<u32>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub user_properties: Vec<UserProperty>,
    /// The identifiers of the subscriptions that matched (inbound only).
    pub subscription_identifiers: Vec<u32>,
    /// On the wire only: the session resolves inbound aliases into the topic and does not
    /// use aliases outbound, so a delivered message shows the alias it came with (if any).
    pub topic_alias: Option<u16>,
}

impl PublishProperties {
    /// No property at all (always so under MQTT 3.1.1).
    pub fn is_empty(&self) -> bool {
        *self == PublishProperties::default()
    }
}

/// Properties of the last will (MQTT 5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WillProperties {
    /// Seconds the broker waits after the connection is lost before publishing the will.
    pub delay_interval: Option<u32>,
    /// Same meaning as a PUBLISH's (no topic alias, no subscription identifiers).
    pub message: PublishProperties,
}

/// What a client asks of the broker in CONNECT (MQTT 5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectProperties {
    /// Seconds the broker keeps the session after the connection closes. `None`: 0 with a
    /// clean session (the session ends with the connection), "never expires" otherwise
    /// (what MQTT 3.1.1's persistent session means).
    pub session_expiry_interval: Option<u32>,
    /// QoS 1/2 messages the broker may have in flight towards this client.
    pub receive_maximum: Option<u16>,
    /// Topic aliases the broker may use towards this client (0 or `None`: none).
    pub topic_alias_maximum: Option<u16>,
    /// `Some(false)`: the broker must not add reason strings and user properties to
    /// anything but PUBLISH, CONNACK and DISCONNECT.
    pub request_problem_information: Option<bool>,
    pub user_properties: Vec<UserProperty>,
}

/// What the broker said in CONNACK about itself and this connection (MQTT 5; under 3.1.1
/// every field is `None`/empty and the defaults below apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnAckProperties {
    pub session_expiry_interval: Option<u32>,
    pub receive_maximum: Option<u16>,
    pub maximum_qos: Option<u8>,
    pub retain_available: Option<bool>,
    pub maximum_packet_size: Option<u32>,
    pub assigned_client_identifier: Option<String>,
    pub topic_alias_maximum: Option<u16>,
    pub reason_string: Option<String>,
    pub user_properties: Vec<UserProperty>,
    pub wildcard_subscription_available: Option<bool>,
    pub subscription_identifiers_available: Option<bool>,
    pub shared_subscription_available: Option<bool>,
    pub server_keep_alive: Option<u16>,
    pub response_information: Option<String>,
    pub server_reference: Option<String>,
    pub authentication_method: Option<String>,
}

/// How the broker should send retained messages when a subscription is made (MQTT 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetainHandling {
    /// 0: send retained messages at every subscribe.
    #[default]
    SendAtSubscribe,
    /// 1: only when the subscription did not exist yet.
    SendIfNew,
    /// 2: never.
    DoNotSend,
}

/// One filter of a SUBSCRIBE, with its options (the options are MQTT 5 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub filter: String,
    pub qos: QoS,
    /// Do not send this client its own publishes back.
    pub no_local: bool,
    /// Keep the RETAIN flag as the publisher set it (instead of 0 for live messages).
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

impl Subscription {
    /// A filter at a QoS with the default options.
    pub fn new(filter: impl Into<String>, qos: QoS) -> Self {
        Self {
            filter: filter.into(),
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        }
    }
}

/// Properties of a SUBSCRIBE (MQTT 5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeProperties {
    /// 1..=268,435,455; messages matching this subscription carry it back.
    pub subscription_identifier: Option<u32>,
    pub user_properties: Vec<UserProperty>,
}

/// Reason string and user properties of an acknowledgement or DISCONNECT (MQTT 5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckProperties {
    pub reason_string: Option<String>,
    pub user_properties: Vec<UserProperty>,
}

/// CONNECT as the session sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub protocol: ProtocolVersion,
    pub client_id: String,
    pub clean_start: bool,
    pub keep_alive: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub will: Option<Will>,
    pub properties: ConnectProperties,
    /// Announced in CONNECT (MQTT 5): the largest packet this client accepts, whole.
    pub maximum_packet_size: Option<u32>,
}

/// The will inside CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub properties: WillProperties,
}

/// CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    /// 3.1.1 return codes 1–5 are mapped to their MQTT 5 equivalents.
    pub reason: ReasonCode,
    pub properties: ConnAckProperties,
}

/// PUBLISH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    /// Empty when an MQTT 5 broker sent only a topic alias.
    pub topic: String,
    /// 0 for QoS 0.
    pub pkid: u16,
    pub payload: Bytes,
    pub properties: PublishProperties,
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub pkid: u16,
    pub reason: ReasonCode,
    pub properties: AckProperties,
}

impl Ack {
    /// A successful acknowledgement with no properties.
    pub fn success(pkid: u16) -> Self {
        Self {
            pkid,
            reason: ReasonCode::SUCCESS,
            properties: AckProperties::default(),
        }
    }
}

/// SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub pkid: u16,
    pub filters: Vec<Subscription>,
    pub properties: SubscribeProperties,
}

/// SUBACK or UNSUBACK: one reason code per filter, in order. Under 3.1.1 a granted QoS
/// is the reason code of the same value (0, 1, 2), a refusal is 0x80, and UNSUBACK has
/// none (`reasons` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub pkid: u16,
    pub reasons: Vec<ReasonCode>,
    pub properties: AckProperties,
}

/// UNSUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub pkid: u16,
    pub filters: Vec<String>,
}

/// DISCONNECT (MQTT 5 gives it a reason and properties; 3.1.1's has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect {
    pub reason: ReasonCode,
    pub properties: AckProperties,
    pub session_expiry_interval: Option<u32>,
    pub server_reference: Option<String>,
}

impl Disconnect {
    /// A normal disconnection, no properties.
    pub fn normal() -> Self {
        Self::with_reason(ReasonCode::SUCCESS)
    }

    /// A DISCONNECT with this reason code and no properties.
    pub fn with_reason(reason: ReasonCode) -> Self {
        Self {
            reason,
            properties: AckProperties::default(),
            session_expiry_interval: None,
            server_reference: None,
        }
    }
}

/// Every control packet the session sends or receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Connect(Box<Connect>),
    ConnAck(Box<ConnAck>),
    Publish(Publish),
    PubAck(Ack),
    PubRec(Ack),
    PubRel(Ack),
    PubComp(Ack),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(SubAck),
    PingReq,
    PingResp,
    Disconnect(Disconnect),
    /// A packet only a client sends (CONNECT, SUBSCRIBE, UNSUBSCRIBE), received from the
    /// broker: only its name is kept, for the protocol error the session closes with.
    ClientOnly(&'static str),
    /// MQTT 5 AUTH, with its reason code. This client never starts enhanced
    /// authentication, so a broker that sends one breaks the protocol [MQTT-4.12.0-6].
    Auth(ReasonCode),
}

impl Packet {
    /// The packet's name as the spec writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Connect(_) => "CONNECT",
            Packet::ConnAck(_) => "CONNACK",
            Packet::Publish(_) => "PUBLISH",
            Packet::PubAck(_) => "PUBACK",
            Packet::PubRec(_) => "PUBREC",
            Packet::PubRel(_) => "PUBREL",
            Packet::PubComp(_) => "PUBCOMP",
            Packet::Subscribe(_) => "SUBSCRIBE",
            Packet::SubAck(_) => "SUBACK",
            Packet::Unsubscribe(_) => "UNSUBSCRIBE",
            Packet::UnsubAck(_) => "UNSUBACK",
            Packet::PingReq => "PINGREQ",
            Packet::PingResp => "PINGRESP",
            Packet::Disconnect(_) => "DISCONNECT",
            Packet::Auth(_) => "AUTH",
            Packet::ClientOnly(name) => name,
        }
    }
}
