mod common;

use bytes::Bytes;
use common::{bytes_of, Harness};
use mqtt_session::{ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, ConnectReturnCode, Packet};

fn publish(n: u16) -> Packet {
    let mut p = v4::Publish::new(
        format!("t/{n}"),
        QoS::AtLeastOnce.into(),
        format!("payload {n}"),
    );
    p.pkid = n;
    Packet::Publish(p)
}

#[test]
fn packets_split_one_byte_at_a_time_are_reassembled() {
    let mut h = Harness::new(ConnectOptions::new("split"));
    h.session.handle_transport_open(h.now);
    h.drain();
    h.take_sent();
    let stream = bytes_of(&[
        Packet::ConnAck(v4::ConnAck::new(ConnectReturnCode::Success, false)),
        publish(1),
        publish(2),
    ]);
    for byte in stream {
        h.broker_sends_bytes(&[byte]);
    }
    let events = h.take_events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        matches!(&events[2], Event::Message(m) if m.topic == "t/2" && &m.payload[..] == b"payload 2")
    );
    assert_eq!(
        h.take_sent(),
        vec![
            Packet::PubAck(v4::PubAck::new(1)),
            Packet::PubAck(v4::PubAck::new(2))
        ]
    );
}

#[test]
fn coalesced_packets_in_one_message_are_all_handled_in_order() {
    let mut h = Harness::connected(ConnectOptions::new("coalesced"));
    let packets: Vec<Packet> = (1..=50).map(publish).collect();
    h.broker_sends_bytes(&bytes_of(&packets));
    let topics: Vec<String> = h
        .take_events()
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m.topic,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let expected: Vec<String> = (1..=50).map(|n| format!("t/{n}")).collect();
    assert_eq!(topics, expected);
    // Each PUBACK went out as its own transmit (checked by the harness's decoder).
    assert_eq!(h.take_sent().len(), 50);
}

#[test]
fn a_packet_split_at_every_possible_point_decodes_the_same() {
    let big = Bytes::from(vec![0xAB; 300]); // two-byte remaining length
    let mut p = v4::Publish::from_bytes("a/b", QoS::AtMostOnce.into(), big.clone());
    p.retain = true;
    let stream = bytes_of(&[Packet::Publish(p)]);
    for cut in 1..stream.len() {
        let mut h = Harness::connected(ConnectOptions::new("cut"));
        h.broker_sends_bytes(&stream[..cut]);
        assert!(h.take_events().is_empty());
        h.broker_sends_bytes(&stream[cut..]);
        let events = h.take_events();
        assert!(
            matches!(events.as_slice(), [Event::Message(m)] if m.payload == big && m.retain),
            "cut at {cut}"
        );
    }
}
