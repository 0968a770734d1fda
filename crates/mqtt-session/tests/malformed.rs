//! Whatever the broker sends, the session never panics: malformed input closes the
//! connection with a reason that says what was wrong.
mod common;

use common::{bytes_of, Harness};
use mqtt_session::topic::TopicError;
use mqtt_session::{CloseReason, ConnectOptions, Event, Phase, ProtocolError, QoS};
use mqttbytes::v4::{self, Packet, SubscribeReasonCode};

fn closed_with(h: &mut Harness) -> ProtocolError {
    let events = h.take_events();
    match events.last() {
        Some(Event::Closed(CloseReason::Protocol(e))) => e.clone(),
        other => panic!("expected a protocol close, got {other:?} in {events:?}"),
    }
}

#[test]
fn an_unknown_packet_type_closes_the_connection() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    h.broker_sends_bytes(&[0x00, 0x00]); // type 0 is reserved
    assert!(
        matches!(closed_with(&mut h), ProtocolError::Malformed(d) if d.contains("packet type"))
    );
    assert_eq!(h.session.phase(), Phase::Disconnected);
}

#[test]
fn type_15_is_an_unknown_packet_type_in_mqtt_3_1_1_whatever_its_flags() {
    // MQTT 5's AUTH does not exist in 3.1.1: no "AUTH with wrong flags" either.
    for frame in [[0xf0, 0x00], [0xf1, 0x00], [0xff, 0x00]] {
        let mut h = Harness::connected(ConnectOptions::new("m"));
        h.broker_sends_bytes(&frame);
        assert_eq!(
            closed_with(&mut h),
            ProtocolError::Malformed("unknown packet type 15".into()),
            "{frame:02x?}"
        );
    }
}

#[test]
fn a_remaining_length_over_four_bytes_is_malformed() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    h.broker_sends_bytes(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    assert!(matches!(
        closed_with(&mut h),
        ProtocolError::Malformed(_) | ProtocolError::PacketTooLarge { .. }
    ));
}

#[test]
fn a_packet_whose_inner_lengths_overrun_its_frame_is_malformed_not_short() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    // PUBLISH, remaining length 4, topic length claims 200 bytes.
    h.broker_sends_bytes(&[0x30, 0x04, 0x00, 0xc8, b'a', b'b']);
    assert!(matches!(closed_with(&mut h), ProtocolError::Malformed(_)));
}

#[test]
fn a_qos1_publish_with_packet_id_zero_is_malformed() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    h.broker_sends_bytes(&[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00]);
    assert!(
        matches!(closed_with(&mut h), ProtocolError::Malformed(d) if d.contains("identifier 0"))
    );
}

#[test]
fn a_packet_above_the_inbound_limit_is_refused_from_its_header() {
    let mut options = ConnectOptions::new("m");
    options.max_inbound_packet = 1_000;
    let mut h = Harness::connected(options);
    // Only the fixed header of a 2,000-byte PUBLISH has arrived.
    h.broker_sends_bytes(&[0x30, 0xd0, 0x0f]);
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::PacketTooLarge {
            size: 2_000,
            max: 1_000
        }
    );
}

#[test]
fn a_suback_with_the_wrong_number_of_results_is_a_protocol_error() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    let pkid = h
        .session
        .subscribe(
            h.now,
            vec![("a".into(), QoS::AtMostOnce), ("b".into(), QoS::AtMostOnce)],
        )
        .unwrap();
    h.drain();
    h.broker_sends(Packet::SubAck(v4::SubAck::new(
        pkid,
        vec![SubscribeReasonCode::Success(QoS::AtMostOnce.into())],
    )));
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::SubAckCountMismatch {
            pkid,
            got: 1,
            want: 2
        }
    );
}

#[test]
fn server_only_packets_from_the_broker_are_refused() {
    for packet in [
        Packet::PingReq,
        Packet::ConnAck(v4::ConnAck::new(v4::ConnectReturnCode::Success, false)),
    ] {
        let mut h = Harness::connected(ConnectOptions::new("m"));
        h.broker_sends(packet);
        assert!(matches!(
            closed_with(&mut h),
            ProtocolError::Unexpected { .. }
        ));
    }
}

#[test]
fn bytes_after_a_fatal_packet_are_ignored() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    let mut stream = vec![0x00, 0x00];
    stream.extend(bytes_of(&[Packet::PingResp]));
    h.broker_sends_bytes(&stream);
    closed_with(&mut h);
    h.broker_sends_bytes(&[0x30, 0x03, 0x00, 0x01, b't']);
    assert!(h.take_events().is_empty());
}

#[test]
fn random_bytes_never_panic_the_session() {
    // A small deterministic generator: the same 2,000 streams every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let mut h = Harness::connected(ConnectOptions::new("fuzz"));
        let len = (next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        for chunk in bytes.chunks(1 + (next() % 7) as usize) {
            h.broker_sends_bytes(chunk);
        }
        // Whatever happened, the outputs are well-formed (checked by the harness) and
        // any close carries a reason.
        for event in h.take_events() {
            if let Event::Closed(reason) = event {
                assert!(!reason.to_string().is_empty());
            }
        }
    }
}

fn publish_with_topic(topic: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x30, (2 + topic.len() + 1) as u8, 0x00, topic.len() as u8];
    bytes.extend_from_slice(topic);
    bytes.push(b'x');
    bytes
}

#[test]
fn mqtt_1_5_3_2_an_inbound_topic_with_u0000_closes_the_connection() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    h.broker_sends_bytes(&publish_with_topic(b"a\0b"));
    assert_eq!(
        h.events,
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::InvalidTopic(TopicError::ContainsNul)
        ))],
        "closed, and nothing delivered"
    );
}

#[test]
fn mqtt_3_3_2_2_an_inbound_topic_with_a_wildcard_closes_the_connection() {
    for topic in [&b"a/+"[..], b"#", b"a/#"] {
        let mut h = Harness::connected(ConnectOptions::new("m"));
        let mut bytes = publish_with_topic(topic);
        bytes[0] = 0x32; // QoS 1: not even acknowledged
        bytes[1] += 2;
        bytes.splice(4 + topic.len()..4 + topic.len(), [0x00, 0x01]);
        h.take_sent();
        h.broker_sends_bytes(&bytes);
        assert_eq!(
            closed_with(&mut h),
            ProtocolError::InvalidTopic(TopicError::WildcardInTopicName)
        );
        assert!(h.take_sent().is_empty(), "no PUBACK for {topic:?}");
    }
}

#[test]
fn mqtt_4_7_3_1_an_empty_inbound_topic_closes_the_connection() {
    let mut h = Harness::connected(ConnectOptions::new("m"));
    h.broker_sends_bytes(&publish_with_topic(b""));
    assert_eq!(
        closed_with(&mut h),
        ProtocolError::InvalidTopic(TopicError::Empty)
    );
}
