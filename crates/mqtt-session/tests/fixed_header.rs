//! [MQTT-2.2.2-2]: reserved flags must hold their listed values, and packets of fixed size
//! must have that size; mqttbytes 0.6 checks neither, the decoder does before it.
mod common;

use common::Harness;
use mqtt_session::{CloseReason, ConnectOptions, Event, Phase, ProtocolError};
use mqttbytes::v4::Packet;

fn closed_with(h: &mut Harness) -> ProtocolError {
    let events = h.take_events();
    match events.last() {
        Some(Event::Closed(CloseReason::Protocol(e))) => e.clone(),
        other => panic!("expected a protocol close, got {other:?} in {events:?}"),
    }
}

fn connected() -> Harness {
    let mut h = Harness::connected(ConnectOptions::new("flags"));
    h.take_sent();
    h
}

#[test]
fn mqtt_2_2_2_2_a_pubrel_with_flags_0000_closes_the_connection_unanswered() {
    let mut h = connected();
    h.broker_sends_bytes(&[0x60, 0x02, 0x00, 0x07]);
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::ReservedFlags {
            packet: "PUBREL",
            flags: 0,
            expected: 0b0010
        }
    );
    assert!(
        h.take_sent().is_empty(),
        "no PUBCOMP for a malformed PUBREL"
    );
    assert_eq!(h.session.phase(), Phase::Disconnected);
}

#[test]
fn mqtt_2_2_2_2_reserved_flags_on_any_ack_close_the_connection() {
    for (byte1, packet) in [
        (0x41, "PUBACK"),
        (0x58, "PUBREC"),
        (0x72, "PUBCOMP"),
        (0xb4, "UNSUBACK"),
        (0xd1, "PINGRESP"),
    ] {
        let mut h = connected();
        let bytes: &[u8] = if packet == "PINGRESP" {
            &[byte1, 0x00]
        } else {
            &[byte1, 0x02, 0x00, 0x01]
        };
        h.broker_sends_bytes(bytes);
        assert!(
            matches!(closed_with(&mut h), ProtocolError::ReservedFlags { packet: p, .. } if p == packet),
            "{packet}"
        );
    }
}

#[test]
fn mqtt_2_2_2_2_a_connack_with_flags_is_refused() {
    let mut h = Harness::new(ConnectOptions::new("flags"));
    h.session.handle_transport_open(h.now);
    h.drain();
    h.broker_sends_bytes(&[0x21, 0x02, 0x00, 0x00]);
    assert!(matches!(
        closed_with(&mut h),
        ProtocolError::ReservedFlags {
            packet: "CONNACK",
            ..
        }
    ));
}

#[test]
fn a_puback_with_remaining_length_4_is_malformed() {
    let mut h = connected();
    h.broker_sends_bytes(&[0x40, 0x04, 0x00, 0x01, 0x00, 0x00]);
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::RemainingLength {
            packet: "PUBACK",
            length: 4,
            expected: 2
        }
    );
}

#[test]
fn a_pingresp_with_a_body_is_malformed() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xd0, 0x01, 0x00]);
    assert!(matches!(
        closed_with(&mut h),
        ProtocolError::RemainingLength {
            packet: "PINGRESP",
            length: 1,
            expected: 0
        }
    ));
}

#[test]
fn connack_reserved_bits_7_to_1_must_be_zero() {
    let mut h = Harness::new(ConnectOptions::new("flags"));
    h.session.handle_transport_open(h.now);
    h.drain();
    // Acknowledge flags 0x02: bit 1 is reserved (bit 0 is session present).
    h.broker_sends_bytes(&[0x20, 0x02, 0x02, 0x00]);
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::ConnAckReservedBits(0x02)
    );
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, Event::Connected { .. })),
        "never reported connected"
    );
}

#[test]
fn mqtt_3_3_1_4_a_publish_with_both_qos_bits_set_closes_the_connection() {
    let mut h = connected();
    h.broker_sends_bytes(&[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]);
    assert_eq!(closed_with(&mut h), ProtocolError::PublishQoS3);
    assert!(h.take_sent().is_empty());
}

#[test]
fn publish_flags_dup_qos_and_retain_are_accepted() {
    let mut h = connected();
    // DUP=1, QoS 1, RETAIN=1.
    h.broker_sends_bytes(&[0x3b, 0x05, 0x00, 0x01, b't', 0x00, 0x09]);
    let events = h.take_events();
    assert!(
        matches!(events.as_slice(), [Event::Message(m)] if m.dup && m.retain && m.pkid == 9),
        "{events:?}"
    );
    assert!(matches!(h.take_sent().as_slice(), [Packet::PubAck(a)] if a.pkid == 9));
}
