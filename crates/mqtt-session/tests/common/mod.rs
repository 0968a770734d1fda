//! A scripted broker peer and a virtual clock driving one [`Session`].
#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mqtt_session::{ConnectOptions, Event, Instant, Output, QoS, Session};
use mqttbytes::v4::{self, ConnectReturnCode, Packet};

/// The session under test, what it sent (decoded as the broker would) and what it said.
pub struct Harness {
    pub session: Session,
    pub now: Instant,
    pub sent: Vec<Packet>,
    pub events: Vec<Event>,
    pub deadline: Option<Instant>,
}

impl Harness {
    pub fn new(options: ConnectOptions) -> Self {
        let session = Session::new(options).expect("valid options");
        Self {
            session,
            now: Instant::from_millis(1_000),
            sent: vec![],
            events: vec![],
            deadline: None,
        }
    }

    /// Opens the transport and answers CONNECT with a successful CONNACK.
    pub fn connected(options: ConnectOptions) -> Self {
        let mut h = Self::new(options);
        h.session.handle_transport_open(h.now);
        h.drain();
        assert!(matches!(h.take_sent().as_slice(), [Packet::Connect(_)]));
        h.broker_sends(Packet::ConnAck(v4::ConnAck::new(
            ConnectReturnCode::Success,
            false,
        )));
        assert_eq!(
            h.take_events(),
            vec![Event::Connected {
                session_present: false
            }]
        );
        h
    }

    /// Drains outputs as the IO layer must after every input.
    pub fn drain(&mut self) {
        loop {
            match self.session.poll_output() {
                Output::Transmit(bytes) => self.sent.push(decode_exactly_one(&bytes)),
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
        let bytes = encode(&packet).expect("test packet encodes");
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

    /// The transport drops under the session. What was sent before is forgotten: look at
    /// it first if it matters.
    pub fn cut(&mut self) {
        self.sent.clear();
        self.session.handle_transport_closed(self.now, "cut");
        self.drain();
    }

    /// A new transport opens and the broker accepts CONNECT, saying whether it kept the
    /// session. What the session sent after CONNECT stays in `sent`.
    pub fn reconnect(&mut self, session_present: bool) {
        self.session.handle_transport_open(self.now);
        self.drain();
        let sent = self.take_sent();
        assert!(matches!(sent.as_slice(), [Packet::Connect(_)]), "{sent:?}");
        self.broker_sends(Packet::ConnAck(v4::ConnAck::new(
            ConnectReturnCode::Success,
            session_present,
        )));
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
        std::mem::take(&mut self.sent)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// Every transmit must hold exactly one whole packet (one per WebSocket message).
pub fn decode_exactly_one(bytes: &Bytes) -> Packet {
    let mut buffer = BytesMut::from(&bytes[..]);
    let packet = v4::read(&mut buffer, usize::MAX).expect("the session sent a whole, valid packet");
    assert!(buffer.is_empty(), "a transmit held more than one packet");
    packet
}

pub fn bytes_of(packets: &[Packet]) -> Vec<u8> {
    packets
        .iter()
        .flat_map(|p| encode(p).expect("encodes").to_vec())
        .collect()
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

/// A PUBLISH as the broker would send it.
pub fn inbound(qos: QoS, pkid: u16, payload: &'static str) -> Packet {
    let mut p = v4::Publish::new("sensor/temperature", qos.into(), payload);
    p.pkid = pkid;
    Packet::Publish(p)
}

/// Encodes a packet as the broker would (mqttbytes v4, an independent encoder).
pub fn encode(packet: &Packet) -> Result<Bytes, mqttbytes::Error> {
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
        Packet::PingReq => v4::PingReq.write(&mut out),
        Packet::PingResp => v4::PingResp.write(&mut out),
        Packet::Disconnect => v4::Disconnect.write(&mut out),
    }?;
    Ok(out.freeze())
}
