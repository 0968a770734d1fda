//! MQTT 3.1.1: the session's packets to and from mqttbytes' v4 types. Everything MQTT 5
//! added (properties, reason codes other than the 3.1.1 return codes) is dropped on the
//! way out; the session never sets it under 3.1.1.

use bytes::BytesMut;
use mqttbytes::v4;

use super::{encode_error, malformed, qos_from_wire, qos_to_wire, EncodeError};
use crate::error::ProtocolError;
use crate::packet::{
    Ack, AckProperties, ConnAck, ConnAckProperties, Disconnect, Packet, Publish, PublishProperties,
    SubAck,
};
use crate::reason::ReasonCode;

pub(super) fn write(packet: &Packet, out: &mut BytesMut) -> Result<(), EncodeError> {
    let written = match packet {
        Packet::Connect(c) => {
            let mut connect = v4::Connect::new(c.client_id.clone());
            connect.keep_alive = c.keep_alive;
            connect.clean_session = c.clean_start;
            connect.login = c
                .username
                .as_ref()
                .map(|user| v4::Login::new(user.clone(), c.password.clone().unwrap_or_default()));
            connect.last_will = c.will.as_ref().map(|w| v4::LastWill {
                topic: w.topic.clone(),
                message: w.payload.clone(),
                qos: qos_to_wire(w.qos),
                retain: w.retain,
            });
            connect.write(out)
        }
        Packet::ConnAck(a) => {
            let code = match a.reason.0 {
                0x00 => v4::ConnectReturnCode::Success,
                0x84 => v4::ConnectReturnCode::RefusedProtocolVersion,
                0x85 => v4::ConnectReturnCode::BadClientId,
                0x88 => v4::ConnectReturnCode::ServiceUnavailable,
                0x86 => v4::ConnectReturnCode::BadUserNamePassword,
                _ => v4::ConnectReturnCode::NotAuthorized,
            };
            v4::ConnAck::new(code, a.session_present).write(out)
        }
        Packet::Publish(p) => {
            let mut publish =
                v4::Publish::from_bytes(p.topic.clone(), qos_to_wire(p.qos), p.payload.clone());
            publish.dup = p.dup;
            publish.retain = p.retain;
            publish.pkid = p.pkid;
            publish.write(out)
        }
        Packet::PubAck(a) => v4::PubAck::new(a.pkid).write(out),
        Packet::PubRec(a) => v4::PubRec::new(a.pkid).write(out),
        Packet::PubRel(a) => v4::PubRel::new(a.pkid).write(out),
        Packet::PubComp(a) => v4::PubComp::new(a.pkid).write(out),
        Packet::Subscribe(s) => {
            let mut subscribe = v4::Subscribe::empty_subscribe();
            subscribe.pkid = s.pkid;
            for f in &s.filters {
                subscribe.add(f.filter.clone(), qos_to_wire(f.qos));
            }
            subscribe.write(out)
        }
        Packet::SubAck(a) => {
            let codes = a
                .reasons
                .iter()
                .map(|r| match r.0 {
                    0 => v4::SubscribeReasonCode::Success(mqttbytes::QoS::AtMostOnce),
                    1 => v4::SubscribeReasonCode::Success(mqttbytes::QoS::AtLeastOnce),
                    2 => v4::SubscribeReasonCode::Success(mqttbytes::QoS::ExactlyOnce),
                    _ => v4::SubscribeReasonCode::Failure,
                })
                .collect();
            v4::SubAck::new(a.pkid, codes).write(out)
        }
        Packet::Unsubscribe(u) => v4::Unsubscribe {
            pkid: u.pkid,
            topics: u.filters.clone(),
        }
        .write(out),
        Packet::UnsubAck(a) => v4::UnsubAck::new(a.pkid).write(out),
        Packet::PingReq => v4::PingReq.write(out),
        Packet::PingResp => v4::PingResp.write(out),
        Packet::Disconnect(_) => v4::Disconnect.write(out),
        Packet::Auth(_) => return Err(EncodeError("MQTT 3.1.1 has no AUTH packet".into())),
        Packet::ClientOnly(name) => {
            return Err(EncodeError(format!(
                "{name} was received, not built to be sent"
            )))
        }
    };
    written.map(|_| ()).map_err(encode_error)
}

pub(super) fn read(frame: &mut BytesMut, max: usize) -> Result<Packet, ProtocolError> {
    let packet = v4::read(frame, max).map_err(malformed)?;
    Ok(match packet {
        // Packets only a client sends: the session refuses them by name.
        v4::Packet::Connect(_) => Packet::ClientOnly("CONNECT"),
        v4::Packet::Subscribe(_) => Packet::ClientOnly("SUBSCRIBE"),
        v4::Packet::Unsubscribe(_) => Packet::ClientOnly("UNSUBSCRIBE"),
        v4::Packet::PingReq => Packet::PingReq,
        v4::Packet::ConnAck(a) => Packet::ConnAck(Box::new(ConnAck {
            session_present: a.session_present,
            reason: ReasonCode::from_v311_connack(a.code as u8),
            properties: ConnAckProperties::default(),
        })),
        v4::Packet::Publish(p) => Packet::Publish(Publish {
            dup: p.dup,
            qos: qos_from_wire(p.qos),
            retain: p.retain,
            topic: p.topic,
            pkid: p.pkid,
            payload: p.payload,
            properties: PublishProperties::default(),
        }),
        v4::Packet::PubAck(a) => Packet::PubAck(Ack::success(a.pkid)),
        v4::Packet::PubRec(a) => Packet::PubRec(Ack::success(a.pkid)),
        v4::Packet::PubRel(a) => Packet::PubRel(Ack::success(a.pkid)),
        v4::Packet::PubComp(a) => Packet::PubComp(Ack::success(a.pkid)),
        v4::Packet::SubAck(a) => Packet::SubAck(SubAck {
            pkid: a.pkid,
            reasons: a
                .return_codes
                .iter()
                .map(|code| match code {
                    v4::SubscribeReasonCode::Success(q) => ReasonCode(*q as u8),
                    v4::SubscribeReasonCode::Failure => ReasonCode::UNSPECIFIED_ERROR,
                })
                .collect(),
            properties: AckProperties::default(),
        }),
        v4::Packet::UnsubAck(a) => Packet::UnsubAck(SubAck {
            pkid: a.pkid,
            reasons: Vec::new(),
            properties: AckProperties::default(),
        }),
        v4::Packet::PingResp => Packet::PingResp,
        v4::Packet::Disconnect => Packet::Disconnect(Disconnect::normal()),
    })
}
