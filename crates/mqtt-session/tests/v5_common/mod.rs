//! A scripted MQTT 5 broker peer and a virtual clock driving one [`Session`].
//!
//! The broker side is an independent codec: packets it sends are encoded with
//! `mqttbytes::v5`, and what the session transmits is decoded with it, never with the
//! session's own codec. Where mqttbytes cannot express a case (the short DISCONNECT forms,
//! AUTH, damaged property blocks), tests build raw bytes with [`frame`].
#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mqtt_session::{
    CloseReason, ConnectOptions, Event, Instant, Output, ProtocolVersion, QoS, Session,
};
use mqttbytes::v5::{self, ConnectReturnCode, Packet};

/// MQTT 5 options with the usual defaults (clean session, 60 s keepalive).
pub fn options(client_id: &str) -> ConnectOptions {
    let mut o = ConnectOptions::new(client_id);
    o.protocol = ProtocolVersion::V5;
    o
}

/// MQTT 5 options for a persistent session (clean start 0, no session expiry set).
pub fn persistent_options(client_id: &str) -> ConnectOptions {
    let mut o = options(client_id);
    o.clean_session = false;
    o
}

/// The session under test, what it sent (decoded as the broker would) and what it said.
pub struct Harness {
    pub session: Session,
    pub now: Instant,
    pub sent: Vec<Packet>,
    /// The same transmits as `sent`, as bytes.
    pub raw: Vec<Bytes>,
    pub events: Vec<Event>,
    pub deadline: Option<Instant>,
}

impl Harness {
    pub fn new(options: ConnectOptions) -> Self {
        Self::from_session(Session::new(options).expect("valid options"))
    }

    pub fn from_session(session: Session) -> Self {
        Self {
            session,
            now: Instant::from_millis(1_000),
            sent: vec![],
            raw: vec![],
            events: vec![],
            deadline: None,
        }
    }

    /// Opens the transport and answers CONNECT with a successful CONNACK without
    /// properties.
    pub fn connected(options: ConnectOptions) -> Self {
        Self::connected_with(options, v5::ConnAckProperties::new())
    }

    /// Opens the transport and answers CONNECT with a successful CONNACK carrying these
    /// properties. Nothing the session sent is left in `sent`.
    pub fn connected_with(options: ConnectOptions, properties: v5::ConnAckProperties) -> Self {
        let mut h = Self::new(options);
        h.open();
        h.broker_sends(connack(ConnectReturnCode::Success, false, properties));
        assert_eq!(
            h.take_events(),
            vec![Event::Connected {
                session_present: false
            }]
        );
        h.take_sent();
        h
    }

    /// Opens the transport and returns the CONNECT the session sent.
    pub fn open(&mut self) -> v5::Connect {
        self.session.handle_transport_open(self.now);
        self.drain();
        match self.take_sent().as_slice() {
            [Packet::Connect(c)] => c.clone(),
            other => panic!("expected one CONNECT, got {other:?}"),
        }
    }

    /// Drains outputs as the IO layer must after every input.
    pub fn drain(&mut self) {
        loop {
            match self.session.poll_output() {
                Output::Transmit(bytes) => {
                    self.sent.push(decode_exactly_one(&bytes));
                    self.raw.push(bytes);
                }
                Output::Event(event) => self.events.push(event),
                Output::Timeout(at) => {
                    self.deadline = Some(at);
                    return;
                }
                Output::Idle => {
                    self.deadline = None;
                    return;
                }
            }
        }
    }

    pub fn broker_sends(&mut self, packet: Packet) {
        let bytes = encode(&packet);
        self.broker_sends_bytes(&bytes);
    }

    pub fn broker_sends_bytes(&mut self, bytes: &[u8]) {
        self.session.handle_bytes(self.now, bytes);
        self.drain();
    }

    /// Moves the virtual clock forward, firing every deadline on the way.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(deadline) = self.deadline.filter(|d| *d <= target) {
            self.now = self.now.max(deadline);
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
    }

    /// The transport drops under the session. What was sent before is forgotten.
    pub fn cut(&mut self) {
        self.take_sent();
        self.session.handle_transport_closed(self.now, "cut");
        self.drain();
    }

    /// A new transport opens and the broker accepts CONNECT, saying whether it kept the
    /// session. Returns that CONNECT; what the session sent after it stays in `sent`.
    pub fn reconnect(&mut self, session_present: bool) -> v5::Connect {
        self.reconnect_with(session_present, v5::ConnAckProperties::new())
    }

    pub fn reconnect_with(
        &mut self,
        session_present: bool,
        properties: v5::ConnAckProperties,
    ) -> v5::Connect {
        let connect = self.open();
        self.broker_sends(connack(
            ConnectReturnCode::Success,
            session_present,
            properties,
        ));
        connect
    }

    /// Publishes `payload` to `t` and returns the packet id (QoS 1 or 2).
    pub fn publish(&mut self, qos: QoS, payload: &'static str) -> u16 {
        let pkid = self
            .session
            .publish(
                self.now,
                "t",
                Bytes::from_static(payload.as_bytes()),
                qos,
                false,
            )
            .expect("publish accepted")
            .expect("QoS 1 or 2 has a packet id");
        self.drain();
        pkid
    }

    pub fn take_sent(&mut self) -> Vec<Packet> {
        self.raw.clear();
        std::mem::take(&mut self.sent)
    }

    /// The transmits since the last `take_sent`/`take_raw`, as bytes.
    pub fn take_raw(&mut self) -> Vec<Bytes> {
        self.sent.clear();
        std::mem::take(&mut self.raw)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// A CONNACK as the broker sends it. MQTT 5 requires the property length even when there
/// is no property, so the properties are always written.
pub fn connack(
    code: ConnectReturnCode,
    session_present: bool,
    properties: v5::ConnAckProperties,
) -> Packet {
    let mut ack = v5::ConnAck::new(code, session_present);
    ack.properties = Some(properties);
    Packet::ConnAck(ack)
}

/// Every transmit must hold exactly one whole packet (one per WebSocket message).
pub fn decode_exactly_one(bytes: &[u8]) -> Packet {
    let header = mqttbytes::check(bytes.iter(), usize::MAX)
        .expect("the session sent a whole packet with a valid fixed header");
    assert_eq!(
        header.frame_length(),
        bytes.len(),
        "a transmit held more or less than one packet: {}",
        head(bytes)
    );
    if bytes[0] == 0xE0 {
        return decode_disconnect(bytes);
    }
    let mut buffer = BytesMut::from(bytes);
    let packet = v5::read(&mut buffer, usize::MAX).unwrap_or_else(|e| {
        panic!(
            "the session sent an invalid packet ({e:?}): {}",
            head(bytes)
        )
    });
    assert!(buffer.is_empty(), "a transmit held more than one packet");
    packet
}

/// The first bytes of a packet, for a failure message.
fn head(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(48)];
    format!("{shown:02x?} ({} bytes)", bytes.len())
}

/// mqttbytes 0.6 cannot read the short DISCONNECT forms (`e0 00`, `e0 01 rc`) that MQTT 5
/// allows, so those are read here; longer ones go through mqttbytes.
fn decode_disconnect(bytes: &[u8]) -> Packet {
    let (_, header_len) = remaining_length(&bytes[1..]);
    let body = &bytes[1 + header_len..];
    match body {
        [] => Packet::Disconnect(v5::Disconnect::new()),
        [reason] => Packet::Disconnect(v5::Disconnect {
            reason_code: v5::DisconnectReasonCode::try_from(*reason)
                .expect("a DISCONNECT reason code MQTT 5 defines"),
            properties: None,
        }),
        _ => {
            let mut buffer = BytesMut::from(bytes);
            v5::read(&mut buffer, usize::MAX).expect("a valid DISCONNECT")
        }
    }
}

/// Encodes a packet as the broker would (mqttbytes v5, an independent encoder).
pub fn encode(packet: &Packet) -> Bytes {
    let mut out = BytesMut::new();
    match packet {
        Packet::Connect(p) => p.write(&mut out),
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::Publish(p) => p.write(&mut out),
        Packet::PubAck(p) => p.write(&mut out),
        Packet::PubRec(p) => p.write(&mut out),
        Packet::PubRel(p) => p.write(&mut out),
        Packet::PubComp(p) => p.write(&mut out),
        Packet::Subscribe(p) => p.write(&mut out),
        Packet::SubAck(p) => p.write(&mut out),
        Packet::Unsubscribe(p) => p.write(&mut out),
        Packet::UnsubAck(p) => p.write(&mut out),
        Packet::PingReq => v5::PingReq.write(&mut out),
        Packet::PingResp => v5::PingResp.write(&mut out),
        Packet::Disconnect(p) => p.write(&mut out),
    }
    .expect("test packet encodes");
    out.freeze()
}

/// A raw packet: header byte, remaining length (variable byte integer), body.
pub fn frame(byte1: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![byte1];
    let mut length = body.len();
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if length == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A variable byte integer at the start of `bytes`: its value and its size.
pub fn remaining_length(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("invalid variable byte integer: {bytes:02x?}");
}

/// A length-prefixed string as MQTT writes it.
pub fn mqtt_string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// Publish properties with nothing set (mqttbytes has no `Default` for them).
pub fn no_publish_properties() -> v5::PublishProperties {
    v5::PublishProperties {
        payload_format_indicator: None,
        message_expiry_interval: None,
        topic_alias: None,
        response_topic: None,
        correlation_data: None,
        user_properties: vec![],
        subscription_identifiers: vec![],
        content_type: None,
    }
}

/// A PUBLISH as the broker sends it, to `sensor/temperature`.
pub fn inbound(qos: QoS, pkid: u16, payload: &'static str) -> v5::Publish {
    let mut p = v5::Publish::new("sensor/temperature", qos.into(), payload);
    p.pkid = pkid;
    p
}

/// A PUBLISH to `topic` (empty: alias only) with this topic alias.
pub fn aliased(topic: &str, alias: u16, payload: &'static str) -> Packet {
    let mut p = v5::Publish::new(topic, mqttbytes::QoS::AtMostOnce, payload);
    p.properties = Some(v5::PublishProperties {
        topic_alias: Some(alias),
        ..no_publish_properties()
    });
    Packet::Publish(p)
}

/// A PUBACK with a reason code and, optionally, a reason string.
pub fn puback(pkid: u16, reason: v5::PubAckReason, reason_string: Option<&str>) -> Packet {
    let mut ack = v5::PubAck::new(pkid);
    ack.reason = reason;
    ack.properties = reason_string.map(|s| v5::PubAckProperties {
        reason_string: Some(s.to_string()),
        user_properties: vec![],
    });
    Packet::PubAck(ack)
}

/// A PUBREC with a reason code and, optionally, a reason string.
pub fn pubrec(pkid: u16, reason: v5::PubRecReason, reason_string: Option<&str>) -> Packet {
    let mut rec = v5::PubRec::new(pkid);
    rec.reason = reason;
    rec.properties = reason_string.map(|s| v5::PubRecProperties {
        reason_string: Some(s.to_string()),
        user_properties: vec![],
    });
    Packet::PubRec(rec)
}

/// The packet ids of the messages the session reported abandoned, in order.
pub fn abandoned(events: &[Event]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Abandoned(a) => Some(a.pkid),
            _ => None,
        })
        .collect()
}

/// The text of every warning, in order.
pub fn warnings(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

/// Why the connection closed, if it did.
pub fn closed(events: &[Event]) -> Option<&CloseReason> {
    events.iter().find_map(|e| match e {
        Event::Closed(reason) => Some(reason),
        _ => None,
    })
}

/// A PUBLISH the session sent.
pub fn publish_of(packet: &Packet) -> &v5::Publish {
    match packet {
        Packet::Publish(p) => p,
        other => panic!("expected a PUBLISH, got {other:?}"),
    }
}

/// The reason code of a DISCONNECT the session sent.
pub fn disconnect_reason(packet: &Packet) -> u8 {
    match packet {
        Packet::Disconnect(d) => d.reason_code as u8,
        other => panic!("expected a DISCONNECT, got {other:?}"),
    }
}

/// A connected MQTT 3.1.1 session (CONNACK as raw bytes: this harness speaks MQTT 5),
/// for the checks that refuse MQTT 5 features under 3.1.1.
pub fn v311_connected(mut options: ConnectOptions) -> Session {
    options.protocol = ProtocolVersion::V311;
    let mut session = Session::new(options).expect("valid options");
    let now = Instant::from_millis(0);
    session.handle_transport_open(now);
    drain_quietly(&mut session);
    session.handle_bytes(now, &[0x20, 0x02, 0x00, 0x00]);
    drain_quietly(&mut session);
    assert_eq!(session.phase(), mqtt_session::Phase::Connected);
    session
}

/// Drains a session's outputs, returning the number of transmits.
pub fn drain_quietly(session: &mut Session) -> usize {
    let mut transmits = 0;
    loop {
        match session.poll_output() {
            Output::Transmit(_) => transmits += 1,
            Output::Event(_) => {}
            Output::Timeout(_) | Output::Idle => return transmits,
        }
    }
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
