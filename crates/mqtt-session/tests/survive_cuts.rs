//! A session and its reconnect policy against a small broker that keeps the session, over
//! a link cut three times with packets in flight both ways: every message arrives, and at
//! QoS 2 exactly once.
mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use common::Harness;
use mqtt_session::{
    CloseReason, ConnectOptions, Event, Phase, QoS, Reconnect, ReconnectOutput, ReconnectPolicy,
};
use mqttbytes::v4::{self, ConnectReturnCode, Packet};
use splitmix::SplitMix64;

/// The broker's side of one client's session (it never loses it).
#[derive(Default)]
struct Broker {
    /// Inbound QoS 2 ids awaiting PUBREL: forwarded on first receipt only.
    awaiting_pubrel: BTreeSet<u16>,
    /// What it forwarded to subscribers, in order.
    forwarded: Vec<String>,
    /// Its own outgoing messages: the payload until PUBREC, `None` while awaiting PUBCOMP.
    outgoing: BTreeMap<u16, Option<&'static str>>,
    /// CONNECTs seen: from the second on, its PUBLISHes are resends (DUP).
    connects: u32,
}

impl Broker {
    fn publish(qos: QoS, pkid: u16, payload: &'static str, dup: bool) -> Packet {
        let mut p = v4::Publish::from_bytes(
            "to/client",
            qos.into(),
            Bytes::from_static(payload.as_bytes()),
        );
        p.pkid = pkid;
        p.dup = dup;
        Packet::Publish(p)
    }

    /// Its answers to one packet from the client.
    fn handle(&mut self, packet: Packet) -> Vec<Packet> {
        match packet {
            Packet::Connect(_) => {
                // CONNACK, then its own unacknowledged PUBLISH (DUP on a resend) and PUBREL.
                self.connects += 1;
                let resend = self.connects > 1;
                let mut out = vec![Packet::ConnAck(v4::ConnAck::new(
                    ConnectReturnCode::Success,
                    resend,
                ))];
                for (&pkid, stage) in &self.outgoing {
                    out.push(match stage {
                        Some(payload) => Self::publish(QoS::ExactlyOnce, pkid, payload, resend),
                        None => Packet::PubRel(v4::PubRel::new(pkid)),
                    });
                }
                out
            }
            Packet::Publish(p) => {
                let payload = String::from_utf8_lossy(&p.payload).into_owned();
                match QoS::from(p.qos) {
                    QoS::AtLeastOnce => {
                        self.forwarded.push(payload);
                        vec![Packet::PubAck(v4::PubAck::new(p.pkid))]
                    }
                    QoS::ExactlyOnce => {
                        if self.awaiting_pubrel.insert(p.pkid) {
                            self.forwarded.push(payload);
                        }
                        vec![Packet::PubRec(v4::PubRec::new(p.pkid))]
                    }
                    QoS::AtMostOnce => vec![],
                }
            }
            Packet::PubRel(rel) => {
                self.awaiting_pubrel.remove(&rel.pkid);
                vec![Packet::PubComp(v4::PubComp::new(rel.pkid))]
            }
            Packet::PubRec(rec) => {
                self.outgoing.insert(rec.pkid, None);
                vec![Packet::PubRel(v4::PubRel::new(rec.pkid))]
            }
            Packet::PubComp(comp) => {
                self.outgoing.remove(&comp.pkid);
                vec![]
            }
            Packet::PingReq => vec![Packet::PingResp],
            _ => vec![],
        }
    }
}

const PAYLOADS: [&str; 30] = [
    "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12", "m13", "m14",
    "m15", "m16", "m17", "m18", "m19", "m20", "m21", "m22", "m23", "m24", "m25", "m26", "m27",
    "m28", "m29",
];

/// Runs the exchange with three cuts at random steps; returns what the broker forwarded
/// and what the client received.
fn run(seed: u64, qos: QoS) -> (Vec<String>, Vec<String>, Vec<u16>) {
    let mut options = ConnectOptions::new("survivor");
    options.clean_session = false;
    let mut h = Harness::new(options);
    let mut reconnect = Reconnect::new(ReconnectPolicy::default(), seed);
    let mut rng = SplitMix64::new(seed);
    let mut broker = Broker::default();
    let mut to_client: VecDeque<Packet> = VecDeque::new();
    let mut received = Vec::new();
    let mut delivered = Vec::new();
    let mut cuts_left = 3;

    reconnect.start(h.now);
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let pkid = u16::try_from(i + 1).unwrap();
        broker.outgoing.insert(pkid, Some(payload));
    }
    let mut published = false;
    for _ in 0..20_000 {
        if let ReconnectOutput::Open { .. } = reconnect.poll_output() {
            h.session.handle_transport_connecting(h.now);
            h.session.handle_transport_open(h.now);
            h.drain();
        }
        for event in h.take_events() {
            match event {
                Event::Connected { .. } => reconnect.handle_connected(h.now),
                Event::Closed(reason) => reconnect.handle_closed(h.now, &reason),
                Event::Message(m) => received.push(String::from_utf8_lossy(&m.payload).into()),
                Event::Delivered { pkid, .. } => delivered.push(pkid),
                Event::Abandoned(a) => panic!("seed {seed}: the broker kept the session: {a}"),
                _ => {}
            }
        }
        if h.session.phase() == Phase::Connected && !published {
            published = true;
            for payload in PAYLOADS {
                h.publish(qos, payload);
            }
        }
        let done = published
            && h.session.store().in_flight() == 0
            && broker.outgoing.is_empty()
            && h.sent.is_empty()
            && to_client.is_empty();
        if done {
            assert_eq!(cuts_left, 0, "seed {seed}: finished before its three cuts");
            return (broker.forwarded, received, delivered);
        }
        if h.session.phase() != Phase::Disconnected && cuts_left > 0 && rng.below(25) == 0 {
            cuts_left -= 1;
            to_client.clear();
            h.cut();
            continue;
        }
        // Deliver one packet in flight, either way; or let time pass.
        let to_broker = !h.sent.is_empty() && (to_client.is_empty() || rng.below(2) == 0);
        if to_broker {
            let packet = h.sent.remove(0);
            to_client.extend(broker.handle(packet));
        } else if let Some(packet) = to_client.pop_front() {
            h.broker_sends(packet);
        } else if let ReconnectOutput::Timeout(at) = reconnect.poll_output() {
            h.advance(at - h.now);
            reconnect.handle_timeout(h.now);
        } else {
            h.advance(std::time::Duration::from_secs(1));
        }
    }
    panic!("seed {seed}: did not finish; {:?}", reconnect.state());
}

#[test]
fn over_three_cuts_every_qos2_message_arrives_exactly_once_both_ways() {
    for seed in 0..50 {
        let (forwarded, received, mut delivered) = run(seed, QoS::ExactlyOnce);
        assert_eq!(forwarded, PAYLOADS, "seed {seed}: broker side");
        assert_eq!(received, PAYLOADS, "seed {seed}: client side");
        delivered.sort_unstable();
        assert_eq!(delivered, (1..=30).collect::<Vec<u16>>(), "seed {seed}");
    }
}

#[test]
fn over_three_cuts_every_qos1_message_arrives_at_least_once() {
    for seed in 0..50 {
        let (forwarded, _, mut delivered) = run(seed, QoS::AtLeastOnce);
        let unique: BTreeSet<&str> = forwarded.iter().map(String::as_str).collect();
        assert_eq!(unique, PAYLOADS.into_iter().collect(), "seed {seed}");
        delivered.sort_unstable();
        assert_eq!(delivered, (1..=30).collect::<Vec<u16>>(), "seed {seed}");
    }
}

#[test]
fn a_closed_reason_reaches_the_policy_as_the_last_reason() {
    let mut reconnect = Reconnect::new(ReconnectPolicy::default(), 1);
    let mut h = Harness::connected(ConnectOptions::new("reason"));
    reconnect.start(h.now);
    reconnect.poll_output();
    reconnect.handle_connected(h.now);
    h.cut();
    for event in h.take_events() {
        if let Event::Closed(reason) = event {
            reconnect.handle_closed(h.now, &reason);
        }
    }
    assert_eq!(
        reconnect.last_reason(),
        Some(&CloseReason::TransportClosed("cut".into()))
    );
}
