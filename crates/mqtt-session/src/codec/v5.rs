//! MQTT 5.0: the session's packets to and from mqttbytes' v5 types, with the guards
//! mqttbytes 0.6 needs on the way in:
//! - DISCONNECT is decoded here: mqttbytes rejects the short forms (`e0 00` with
//!   PayloadRequired, `e0 01 8e` — mosquitto's "session taken over" — with
//!   InsufficientBytes, which a framer would take for "wait for more bytes") and any
//!   reason code it does not list;
//! - AUTH (type 15) is decoded here (mqttbytes has no AUTH);
//! - every property block is walked against its declared length first (`properties.rs`).

use bytes::BytesMut;
use mqttbytes::v5;

use super::properties::walk;
use super::{encode_error, malformed, qos_from_wire, qos_to_wire, EncodeError};
use crate::error::ProtocolError;
use crate::packet::{
    Ack, AckProperties, ConnAck, ConnAckProperties, Connect, Disconnect, Packet, Publish,
    PublishProperties, RetainHandling, SubAck,
};
use crate::reason::ReasonCode;

pub(super) fn write(packet: &Packet, out: &mut BytesMut) -> Result<(), EncodeError> {
    let written = match packet {
        Packet::Connect(c) => connect(c).write(out),
        Packet::ConnAck(a) => {
            let code = connack_code(a.reason)?;
            v5::ConnAck::new(code, a.session_present).write(out)
        }
        Packet::Publish(p) => publish_to_wire(p).write(out),
        Packet::PubAck(a) => {
            let mut ack = v5::PubAck::new(a.pkid);
            ack.properties = ack_properties(&a.properties).map(|p| v5::PubAckProperties {
                reason_string: p.0,
                user_properties: p.1,
            });
            ack.write(out)
        }
        Packet::PubRec(a) => {
            let mut ack = v5::PubRec::new(a.pkid);
            ack.properties = ack_properties(&a.properties).map(|p| v5::PubRecProperties {
                reason_string: p.0,
                user_properties: p.1,
            });
            ack.write(out)
        }
        Packet::PubRel(a) => {
            let mut ack = v5::PubRel::new(a.pkid);
            if a.reason.0 == 0x92 {
                ack.reason = v5::PubRelReason::PacketIdentifierNotFound;
            }
            ack.write(out)
        }
        Packet::PubComp(a) => {
            let mut ack = v5::PubComp::new(a.pkid);
            if a.reason.0 == 0x92 {
                ack.reason = v5::PubCompReason::PacketIdentifierNotFound;
            }
            ack.write(out)
        }
        Packet::Subscribe(s) => {
            let mut subscribe = v5::Subscribe::new_many(s.filters.iter().map(|f| {
                let mut filter = v5::SubscribeFilter::new(f.filter.clone(), qos_to_wire(f.qos));
                filter.nolocal = f.no_local;
                filter.preserve_retain = f.retain_as_published;
                filter.retain_forward_rule = match f.retain_handling {
                    RetainHandling::SendAtSubscribe => v5::RetainForwardRule::OnEverySubscribe,
                    RetainHandling::SendIfNew => v5::RetainForwardRule::OnNewSubscribe,
                    RetainHandling::DoNotSend => v5::RetainForwardRule::Never,
                };
                filter
            }));
            subscribe.pkid = s.pkid;
            let p = &s.properties;
            if p.subscription_identifier.is_some() || !p.user_properties.is_empty() {
                subscribe.properties = Some(v5::SubscribeProperties {
                    id: p.subscription_identifier.map(|id| id as usize),
                    user_properties: p.user_properties.clone(),
                });
            }
            subscribe.write(out)
        }
        Packet::Unsubscribe(u) => {
            let mut unsubscribe = v5::Unsubscribe::new(String::new());
            unsubscribe.pkid = u.pkid;
            unsubscribe.filters = u.filters.clone();
            unsubscribe.write(out)
        }
        Packet::PingReq => v5::PingReq.write(out),
        Packet::PingResp => v5::PingResp.write(out),
        Packet::Disconnect(d) => {
            let mut disconnect = v5::Disconnect::new();
            disconnect.reason_code = v5::DisconnectReasonCode::try_from(d.reason.0)
                .map_err(|_| EncodeError(format!("no DISCONNECT reason {:#04x}", d.reason.0)))?;
            disconnect.write(out)
        }
        Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::Auth(_) | Packet::ClientOnly(_) => {
            return Err(EncodeError(format!(
                "this client does not send {}",
                packet.name()
            )))
        }
    };
    written.map(|_| ()).map_err(encode_error)
}

fn connect(c: &Connect) -> v5::Connect {
    let mut connect = v5::Connect::new(c.client_id.clone());
    connect.keep_alive = c.keep_alive;
    connect.clean_session = c.clean_start;
    if c.username.is_some() || c.password.is_some() {
        connect.login = Some(v5::Login::new(
            c.username.clone().unwrap_or_default(),
            c.password.clone().unwrap_or_default(),
        ));
    }
    connect.last_will = c.will.as_ref().map(|w| {
        let mut will = v5::LastWill::new(
            w.topic.clone(),
            w.payload.to_vec(),
            qos_to_wire(w.qos),
            w.retain,
        );
        let p = &w.properties;
        if *p != Default::default() {
            will.properties = Some(v5::WillProperties {
                delay_interval: p.delay_interval,
                payload_format_indicator: p.message.payload_format_indicator,
                message_expiry_interval: p.message.message_expiry_interval,
                content_type: p.message.content_type.clone(),
                response_topic: p.message.response_topic.clone(),
                correlation_data: p.message.correlation_data.clone(),
                user_properties: p.message.user_properties.clone(),
            });
        }
        will
    });
    let p = &c.properties;
    connect.properties = Some(v5::ConnectProperties {
        session_expiry_interval: p.session_expiry_interval,
        receive_maximum: p.receive_maximum,
        max_packet_size: c.maximum_packet_size,
        topic_alias_max: p.topic_alias_maximum,
        request_response_info: None,
        request_problem_info: p.request_problem_information.map(u8::from),
        user_properties: p.user_properties.clone(),
        authentication_method: None,
        authentication_data: None,
    });
    connect
}

fn publish_to_wire(p: &Publish) -> v5::Publish {
    let mut publish =
        v5::Publish::from_bytes(p.topic.clone(), qos_to_wire(p.qos), p.payload.clone());
    publish.dup = p.dup;
    publish.retain = p.retain;
    publish.pkid = p.pkid;
    let q = &p.properties;
    if !q.is_empty() {
        publish.properties = Some(v5::PublishProperties {
            payload_format_indicator: q.payload_format_indicator,
            message_expiry_interval: q.message_expiry_interval,
            topic_alias: q.topic_alias,
            response_topic: q.response_topic.clone(),
            correlation_data: q.correlation_data.clone(),
            user_properties: q.user_properties.clone(),
            subscription_identifiers: q
                .subscription_identifiers
                .iter()
                .map(|i| *i as usize)
                .collect(),
            content_type: q.content_type.clone(),
        });
    }
    publish
}

type WireAckProperties = (Option<String>, Vec<(String, String)>);

fn ack_properties(p: &AckProperties) -> Option<WireAckProperties> {
    (p.reason_string.is_some() || !p.user_properties.is_empty())
        .then(|| (p.reason_string.clone(), p.user_properties.clone()))
}

fn connack_code(reason: ReasonCode) -> Result<v5::ConnectReturnCode, EncodeError> {
    use v5::ConnectReturnCode as C;
    Ok(match reason.0 {
        0x00 => C::Success,
        0x84 => C::UnsupportedProtocolVersion,
        0x85 => C::ClientIdentifierNotValid,
        0x86 => C::BadUserNamePassword,
        0x87 => C::NotAuthorized,
        0x88 => C::ServerUnavailable,
        0x89 => C::ServerBusy,
        0x8A => C::Banned,
        0x9C => C::UseAnotherServer,
        0x9D => C::ServerMoved,
        0x80 => C::UnspecifiedError,
        other => return Err(EncodeError(format!("no CONNACK reason {other:#04x} here"))),
    })
}

/// Decodes one whole frame (fixed header included).
pub(super) fn read(frame: &mut BytesMut, max: usize) -> Result<Packet, ProtocolError> {
    let byte1 = frame[0];
    let header_len = 1 + frame[1..].iter().take_while(|b| *b & 0x80 != 0).count() + 1;
    let body = &frame[header_len..];
    match byte1 >> 4 {
        // A broker that speaks 3.1.1 only refuses a level-5 CONNECT with its own CONNACK
        // (two bytes, return code 1 "unacceptable protocol version"), as [MQTT-3.1.2-2]
        // tells it to: read it as the refusal it is, not as a malformed MQTT 5 CONNACK.
        2 if body.len() == 2 && body[1] != 0 => {
            let code = body[1];
            let reason = match code {
                1..=5 => ReasonCode::from_v311_connack(code),
                other => ReasonCode(other),
            };
            return Ok(Packet::ConnAck(Box::new(ConnAck {
                session_present: false,
                reason,
                properties: ConnAckProperties::default(),
            })));
        }
        14 => return disconnect(body),
        15 => return Ok(Packet::Auth(ReasonCode(body.first().copied().unwrap_or(0)))),
        _ => {}
    }
    if let Some(start) = property_start(byte1, body)? {
        walk(body, start)?;
    }
    let packet = v5::read(frame, max).map_err(malformed)?;
    Ok(from_wire(packet))
}

/// Where the property block of a packet from the broker starts in its body, if it has one.
fn property_start(byte1: u8, body: &[u8]) -> Result<Option<usize>, ProtocolError> {
    Ok(match byte1 >> 4 {
        2 => Some(2),
        3 => {
            let [hi, lo, ..] = *body else {
                return Err(ProtocolError::Malformed("PUBLISH without a topic".into()));
            };
            let with_id = if byte1 & 0b0110 != 0 { 2 } else { 0 };
            Some(2 + usize::from(u16::from_be_bytes([hi, lo])) + with_id)
        }
        4..=7 if body.len() > 3 => Some(3),
        9 | 11 => Some(2),
        _ => None,
    })
}

fn disconnect(body: &[u8]) -> Result<Packet, ProtocolError> {
    let mut packet = Disconnect::normal();
    let Some(&reason) = body.first() else {
        return Ok(Packet::Disconnect(packet)); // `e0 00`: normal disconnection
    };
    packet.reason = ReasonCode(reason);
    if body.len() > 1 {
        let (properties, end) = walk(body, 1)?;
        if end != body.len() {
            return Err(ProtocolError::Malformed(
                "DISCONNECT has bytes after its properties".into(),
            ));
        }
        for property in properties {
            match property.id {
                0x11 => packet.session_expiry_interval = Some(property.u32()),
                0x1C => packet.server_reference = Some(property.string()),
                0x1F => packet.properties.reason_string = Some(property.string()),
                0x26 => packet.properties.user_properties.push(property.pair()),
                other => return Err(not_allowed(other, "DISCONNECT")),
            }
        }
    }
    Ok(Packet::Disconnect(packet))
}

fn not_allowed(id: u8, packet: &str) -> ProtocolError {
    ProtocolError::Malformed(format!("property {id:#04x} is not allowed in {packet}"))
}

fn from_wire(packet: v5::Packet) -> Packet {
    match packet {
        v5::Packet::ConnAck(a) => {
            let p = a.properties;
            let flag = |v: Option<u8>| v.map(|v| v != 0);
            let properties = match p {
                None => ConnAckProperties::default(),
                Some(p) => ConnAckProperties {
                    session_expiry_interval: p.session_expiry_interval,
                    receive_maximum: p.receive_max,
                    maximum_qos: p.max_qos,
                    retain_available: flag(p.retain_available),
                    maximum_packet_size: p.max_packet_size,
                    assigned_client_identifier: p.assigned_client_identifier,
                    topic_alias_maximum: p.topic_alias_max,
                    reason_string: p.reason_string,
                    user_properties: p.user_properties,
                    wildcard_subscription_available: flag(p.wildcard_subscription_available),
                    subscription_identifiers_available: flag(p.subscription_identifiers_available),
                    shared_subscription_available: flag(p.shared_subscription_available),
                    server_keep_alive: p.server_keep_alive,
                    response_information: p.response_information,
                    server_reference: p.server_reference,
                    authentication_method: p.authentication_method,
                },
            };
            Packet::ConnAck(Box::new(ConnAck {
                session_present: a.session_present,
                reason: ReasonCode(a.code as u8),
                properties,
            }))
        }
        v5::Packet::Publish(p) => Packet::Publish(publish_from_wire(p)),
        v5::Packet::PubAck(a) => {
            let props = a.properties.map(|p| (p.reason_string, p.user_properties));
            Packet::PubAck(ack(a.pkid, a.reason as u8, props))
        }
        v5::Packet::PubRec(a) => {
            let props = a.properties.map(|p| (p.reason_string, p.user_properties));
            Packet::PubRec(ack(a.pkid, a.reason as u8, props))
        }
        v5::Packet::PubRel(a) => {
            let props = a.properties.map(|p| (p.reason_string, p.user_properties));
            Packet::PubRel(ack(a.pkid, a.reason as u8, props))
        }
        v5::Packet::PubComp(a) => {
            let props = a.properties.map(|p| (p.reason_string, p.user_properties));
            Packet::PubComp(ack(a.pkid, a.reason as u8, props))
        }
        v5::Packet::SubAck(a) => Packet::SubAck(SubAck {
            pkid: a.pkid,
            reasons: a
                .return_codes
                .iter()
                .map(|c| ReasonCode(*c as u8))
                .collect(),
            properties: wire_ack_properties(
                a.properties.map(|p| (p.reason_string, p.user_properties)),
            ),
        }),
        v5::Packet::UnsubAck(a) => Packet::UnsubAck(SubAck {
            pkid: a.pkid,
            reasons: a.reasons.iter().map(|c| ReasonCode(*c as u8)).collect(),
            properties: wire_ack_properties(
                a.properties.map(|p| (p.reason_string, p.user_properties)),
            ),
        }),
        v5::Packet::PingReq => Packet::PingReq,
        v5::Packet::PingResp => Packet::PingResp,
        // Packets only a client sends: the session refuses them by name.
        v5::Packet::Connect(_) => Packet::ClientOnly("CONNECT"),
        v5::Packet::Subscribe(_) => Packet::ClientOnly("SUBSCRIBE"),
        v5::Packet::Unsubscribe(_) => Packet::ClientOnly("UNSUBSCRIBE"),
        // Decoded above, never by mqttbytes.
        v5::Packet::Disconnect(d) => {
            Packet::Disconnect(Disconnect::with_reason(ReasonCode(d.reason_code as u8)))
        }
    }
}

fn publish_from_wire(p: v5::Publish) -> Publish {
    let properties = p
        .properties
        .map_or_else(PublishProperties::default, |q| PublishProperties {
            payload_format_indicator: q.payload_format_indicator,
            message_expiry_interval: q.message_expiry_interval,
            content_type: q.content_type,
            response_topic: q.response_topic,
            correlation_data: q.correlation_data,
            user_properties: q.user_properties,
            subscription_identifiers: q
                .subscription_identifiers
                .iter()
                .map(|i| *i as u32)
                .collect(),
            topic_alias: q.topic_alias,
        });
    Publish {
        dup: p.dup,
        qos: qos_from_wire(p.qos),
        retain: p.retain,
        topic: p.topic,
        pkid: p.pkid,
        payload: p.payload,
        properties,
    }
}

fn ack(pkid: u16, reason: u8, properties: Option<WireAckProperties>) -> Ack {
    Ack {
        pkid,
        reason: ReasonCode(reason),
        properties: wire_ack_properties(properties),
    }
}

fn wire_ack_properties(properties: Option<WireAckProperties>) -> AckProperties {
    properties.map_or_else(
        AckProperties::default,
        |(reason_string, user_properties)| AckProperties {
            reason_string,
            user_properties,
        },
    )
}
