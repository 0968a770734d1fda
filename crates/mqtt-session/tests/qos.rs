mod common;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{ConnectOptions, Event, Message, QoS};
use mqttbytes::v4::{self, Packet};

fn connected() -> Harness {
    Harness::connected(ConnectOptions::new("qos"))
}

fn inbound(qos: QoS, pkid: u16, payload: &'static [u8]) -> Packet {
    let mut p = v4::Publish::new("sensor/temperature", qos.into(), payload);
    p.pkid = pkid;
    Packet::Publish(p)
}

#[test]
fn qos0_publish_needs_no_packet_id_and_no_ack() {
    let mut h = connected();
    let pkid = h.session.publish(
        h.now,
        "sensor/temperature",
        Bytes::from_static(b"21.5"),
        QoS::AtMostOnce,
        true,
    );
    assert_eq!(pkid, Ok(None));
    h.drain();
    let sent = h.take_sent();
    let [Packet::Publish(p)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (p.qos, p.pkid, p.retain, &p.payload[..]),
        (QoS::AtMostOnce.into(), 0, true, &b"21.5"[..])
    );
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn qos1_publish_is_in_flight_until_its_puback() {
    let mut h = connected();
    let pkid = h
        .session
        .publish(
            h.now,
            "t",
            Bytes::from_static(b"x"),
            QoS::AtLeastOnce,
            false,
        )
        .unwrap()
        .unwrap();
    h.drain();
    assert!(
        matches!(h.take_sent().as_slice(), [Packet::Publish(p)] if p.pkid == pkid && p.qos == QoS::AtLeastOnce.into())
    );
    assert!(h.session.store().is_in_use(pkid));
    h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::AtLeastOnce
        }]
    );
    assert!(!h.session.store().is_in_use(pkid));
}

#[test]
fn qos2_publish_runs_pubrec_pubrel_pubcomp() {
    let mut h = connected();
    let pkid = h
        .session
        .publish(
            h.now,
            "t",
            Bytes::from_static(b"x"),
            QoS::ExactlyOnce,
            false,
        )
        .unwrap()
        .unwrap();
    h.drain();
    h.take_sent();
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v4::PubRel::new(pkid))]);
    assert!(h.take_events().is_empty(), "not delivered before PUBCOMP");
    // A resent PUBREC is answered again.
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v4::PubRel::new(pkid))]);
    h.broker_sends(Packet::PubComp(v4::PubComp::new(pkid)));
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::ExactlyOnce
        }]
    );
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn an_ack_of_the_wrong_kind_does_not_release_the_message() {
    let mut h = connected();
    let pkid = h
        .session
        .publish(h.now, "t", Bytes::new(), QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    h.drain();
    h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
    assert!(matches!(h.take_events().as_slice(), [Event::Warning(_)]));
    assert!(h.session.store().is_in_use(pkid));
}

#[test]
fn inbound_qos0_is_delivered_without_reply() {
    let mut h = connected();
    h.broker_sends(inbound(QoS::AtMostOnce, 0, b"20"));
    assert!(h.take_sent().is_empty());
    assert!(matches!(h.take_events().as_slice(), [Event::Message(m)] if &m.payload[..] == b"20"));
}

#[test]
fn inbound_qos1_is_delivered_and_acknowledged() {
    let mut h = connected();
    h.broker_sends(inbound(QoS::AtLeastOnce, 7, b"21"));
    assert_eq!(h.take_sent(), vec![Packet::PubAck(v4::PubAck::new(7))]);
    assert_eq!(
        h.take_events(),
        vec![Event::Message(Message {
            topic: "sensor/temperature".into(),
            payload: Bytes::from_static(b"21"),
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            pkid: 7,
            properties: Default::default(),
        })]
    );
}

#[test]
fn inbound_qos2_is_delivered_once_even_when_resent_before_pubrel() {
    let mut h = connected();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, b"22"));
    assert_eq!(h.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    assert_eq!(h.take_events().len(), 1);
    // The broker did not see our PUBREC and resends with DUP.
    let Packet::Publish(mut again) = inbound(QoS::ExactlyOnce, 9, b"22") else {
        unreachable!()
    };
    again.dup = true;
    h.broker_sends(Packet::Publish(again));
    assert_eq!(h.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    assert!(
        h.take_events().is_empty(),
        "a resend must not be delivered twice"
    );
    h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v4::PubComp::new(9))]);
    // After PUBREL the id is free again: a new message with it is new.
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, b"23"));
    assert_eq!(h.take_events().len(), 1);
}

#[test]
fn a_pubrel_for_an_unknown_id_is_still_completed() {
    let mut h = connected();
    h.broker_sends(Packet::PubRel(v4::PubRel::new(42)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v4::PubComp::new(42))]);
}

#[test]
fn control_packets_are_traced_when_asked() {
    use mqtt_session::{Direction, PacketKind};
    let mut h = connected();
    h.session.set_trace_control_packets(true);
    h.broker_sends(inbound(QoS::ExactlyOnce, 3, b"x"));
    h.broker_sends(Packet::PubRel(v4::PubRel::new(3)));
    let controls: Vec<_> = h
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::Control { .. }))
        .collect();
    assert_eq!(
        controls,
        vec![
            Event::Control {
                direction: Direction::Sent,
                packet: PacketKind::PubRec(3)
            },
            Event::Control {
                direction: Direction::Received,
                packet: PacketKind::PubRel(3)
            },
            Event::Control {
                direction: Direction::Sent,
                packet: PacketKind::PubComp(3)
            },
        ]
    );
}
