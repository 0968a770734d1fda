//! What a hostile broker sends: random valid packets of every type (client-only ones too),
//! the same packets mutated after encoding, and plain random bytes.

use bytes::Bytes;
use mqtt_session::QoS;
use mqttbytes::v4::{self, ConnectReturnCode, Packet, SubscribeReasonCode};
use splitmix::SplitMix64;

/// Topic names, valid first; the harness knows which are valid without asking the session.
pub const TOPICS: [&str; 8] = [
    "a",
    "a/b",
    "sensor/temperature",
    "x/y/z",
    "",
    "a/+",
    "#",
    "a\0b",
];
/// How many of [`TOPICS`] are valid topic names.
pub const VALID_TOPICS: u64 = 4;
/// Topic filters, valid first.
pub const FILTERS: [&str; 8] = ["a/#", "+/b", "#", "sensor/+", "a/#/b", "a+", "", "x\0"];
/// How many of [`FILTERS`] are valid topic filters.
pub const VALID_FILTERS: u64 = 4;

pub fn qos(rng: &mut SplitMix64) -> QoS {
    match rng.below(3) {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Encodes a packet as a broker would: the harness of the other tests, one copy.
pub use crate::common::encode;

pub fn chance(rng: &mut SplitMix64, one_in: u64) -> bool {
    rng.below(one_in) == 0
}

pub fn pick<'a, T>(rng: &mut SplitMix64, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

pub fn random_bytes(rng: &mut SplitMix64, max_len: u64) -> Vec<u8> {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// A packet id: one the client is using (`hints`), a small one, or any.
fn pkid(rng: &mut SplitMix64, hints: &[u16]) -> u16 {
    match rng.below(4) {
        0 | 1 if !hints.is_empty() => *pick(rng, hints),
        0..=2 => rng.in_range(0, 8) as u16,
        _ => rng.next_u64() as u16,
    }
}

fn connack_code(rng: &mut SplitMix64) -> ConnectReturnCode {
    match rng.below(12) {
        0 => ConnectReturnCode::RefusedProtocolVersion,
        1 => ConnectReturnCode::BadClientId,
        2 => ConnectReturnCode::ServiceUnavailable,
        3 => ConnectReturnCode::BadUserNamePassword,
        4 => ConnectReturnCode::NotAuthorized,
        _ => ConnectReturnCode::Success,
    }
}

/// Any MQTT 3.1.1 packet with random fields, including those a broker must never send.
pub fn random_packet(rng: &mut SplitMix64, hints: &[u16]) -> Packet {
    let id = pkid(rng, hints);
    match rng.below(16) {
        0 => Packet::ConnAck(v4::ConnAck::new(connack_code(rng), rng.below(2) == 0)),
        1..=4 => {
            let qos = qos(rng);
            let payload = Bytes::from(random_bytes(rng, 24));
            let mut p = v4::Publish::from_bytes(*pick(rng, &TOPICS), qos.into(), payload);
            p.pkid = if qos == QoS::AtMostOnce { 0 } else { id };
            p.dup = rng.below(2) == 0;
            p.retain = rng.below(2) == 0;
            Packet::Publish(p)
        }
        5 => Packet::PubAck(v4::PubAck::new(id)),
        6 => Packet::PubRec(v4::PubRec::new(id)),
        7 => Packet::PubRel(v4::PubRel::new(id)),
        8 => Packet::PubComp(v4::PubComp::new(id)),
        9 => {
            let codes = (0..rng.below(4))
                .map(|_| match rng.below(4) {
                    0 => SubscribeReasonCode::Failure,
                    _ => SubscribeReasonCode::Success(qos(rng).into()),
                })
                .collect();
            Packet::SubAck(v4::SubAck::new(id, codes))
        }
        10 => Packet::UnsubAck(v4::UnsubAck::new(id)),
        11 => Packet::PingResp,
        12 => Packet::PingReq,
        13 => Packet::Disconnect,
        14 => {
            let mut s = v4::Subscribe::new(*pick(rng, &FILTERS), qos(rng).into());
            s.pkid = id;
            Packet::Subscribe(s)
        }
        _ => Packet::Connect(v4::Connect::new("intruder")),
    }
}

/// One packet's bytes, damaged 1 to 3 times: bit flips, truncation, a corrupt remaining
/// length, overwritten, inserted or deleted bytes, a changed type or flag nibble.
pub fn mutated_packet(rng: &mut SplitMix64, hints: &[u16]) -> Vec<u8> {
    let packet = random_packet(rng, hints);
    let mut bytes = encode(&packet).map_or_else(|_| random_bytes(rng, 16), |b| b.to_vec());
    for _ in 0..rng.in_range(1, 3) {
        mutate(rng, &mut bytes);
    }
    bytes
}

fn mutate(rng: &mut SplitMix64, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(rng.next_u64() as u8);
        return;
    }
    let at = rng.below(bytes.len() as u64) as usize;
    let random = rng.next_u64() as u8;
    match rng.below(8) {
        0 => bytes[at] ^= 1 << (random % 8),
        1 => bytes.truncate(at),
        // The remaining length: any value, or a continuation bit that swallows what follows.
        2 if bytes.len() > 1 => bytes[1] = random,
        3 if bytes.len() > 1 => bytes[1] |= 0x80,
        4 => bytes[0] = (random << 4) | (bytes[0] & 0x0F),
        5 => bytes[0] = (bytes[0] & 0xF0) | (random & 0x0F),
        6 => bytes.insert(at, random),
        7 => {
            bytes.remove(at);
        }
        _ => bytes[at] = random,
    }
}
