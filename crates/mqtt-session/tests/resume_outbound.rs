//! Messages this client publishes, with the link cut at every step of QoS 1 and QoS 2,
//! then a reconnect where the broker did or did not keep the session.
mod common;

use bytes::Bytes;
use common::{abandoned, Harness};
use mqtt_session::store::OutgoingStage;
use mqtt_session::{AbandonReason, Abandoned, ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, Packet};

fn persistent() -> Harness {
    let mut options = ConnectOptions::new("resume");
    options.clean_session = false;
    let mut h = Harness::connected(options);
    h.take_sent();
    h
}

fn publish_packet(pkid: u16, payload: &'static str, qos: QoS, dup: bool) -> Packet {
    let mut p = v4::Publish::from_bytes("t", qos.into(), Bytes::from_static(payload.as_bytes()));
    p.pkid = pkid;
    p.dup = dup;
    Packet::Publish(p)
}

fn delivered(h: &mut Harness) -> Vec<u16> {
    h.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Delivered { pkid, .. } => Some(pkid),
            _ => None,
        })
        .collect()
}

// ----- QoS 1 -----

#[test]
fn mqtt_4_4_0_1_a_qos1_publish_cut_before_its_puback_is_resent_with_dup_and_its_id() {
    let mut h = persistent();
    let pkid = h.publish(QoS::AtLeastOnce, "one");
    h.take_sent();
    h.cut();
    h.reconnect(true);
    assert_eq!(
        h.take_sent(),
        vec![publish_packet(pkid, "one", QoS::AtLeastOnce, true)]
    );
    h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
    assert_eq!(delivered(&mut h), [pkid]);
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_qos1_publish_cut_before_its_puback_is_abandoned_when_the_broker_lost_the_session() {
    let mut h = persistent();
    let pkid = h.publish(QoS::AtLeastOnce, "one");
    h.take_sent();
    h.cut();
    assert!(abandoned(&h.events).is_empty(), "kept while disconnected");
    h.reconnect(false);
    assert!(h.take_sent().is_empty(), "nothing resent to a new session");
    assert_eq!(abandoned(&h.events), [pkid]);
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_qos1_publish_cut_after_its_puback_is_neither_resent_nor_abandoned() {
    for session_present in [true, false] {
        let mut h = persistent();
        let pkid = h.publish(QoS::AtLeastOnce, "one");
        h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
        h.take_sent();
        h.take_events();
        h.cut();
        h.reconnect(session_present);
        assert!(h.take_sent().is_empty());
        assert!(abandoned(&h.events).is_empty());
    }
}

// ----- QoS 2 -----

#[test]
fn mqtt_4_4_0_1_a_qos2_publish_cut_before_its_pubrec_is_resent_with_dup_and_completes_once() {
    let mut h = persistent();
    let pkid = h.publish(QoS::ExactlyOnce, "two");
    h.take_sent();
    h.cut();
    h.reconnect(true);
    assert_eq!(
        h.take_sent(),
        vec![publish_packet(pkid, "two", QoS::ExactlyOnce, true)]
    );
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v4::PubRel::new(pkid))]);
    h.broker_sends(Packet::PubComp(v4::PubComp::new(pkid)));
    assert_eq!(delivered(&mut h), [pkid]);
}

#[test]
fn a_qos2_publish_cut_before_its_pubrec_is_abandoned_when_the_broker_lost_the_session() {
    let mut h = persistent();
    let pkid = h.publish(QoS::ExactlyOnce, "two");
    h.take_sent();
    h.cut();
    h.reconnect(false);
    assert!(h.take_sent().is_empty());
    assert_eq!(abandoned(&h.events), [pkid]);
}

#[test]
fn mqtt_4_4_0_1_a_qos2_message_cut_after_its_pubrec_resends_only_the_pubrel() {
    let mut h = persistent();
    let pkid = h.publish(QoS::ExactlyOnce, "two");
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    assert_eq!(h.take_sent().len(), 2, "PUBLISH, PUBREL");
    h.cut();
    h.reconnect(true);
    assert_eq!(
        h.take_sent(),
        vec![Packet::PubRel(v4::PubRel::new(pkid))],
        "the broker has the message: no PUBLISH again"
    );
    h.broker_sends(Packet::PubComp(v4::PubComp::new(pkid)));
    assert_eq!(delivered(&mut h), [pkid]);
}

#[test]
fn a_qos2_message_cut_after_its_pubrec_is_abandoned_when_the_broker_lost_the_session() {
    let mut h = persistent();
    let pkid = h.publish(QoS::ExactlyOnce, "two");
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    h.take_sent();
    h.cut();
    h.reconnect(false);
    assert!(h.take_sent().is_empty(), "no PUBREL into a new session");
    let events = h.take_events();
    let [Event::Closed(_), Event::Connected { .. }, Event::Abandoned(a)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        a,
        &Abandoned {
            pkid,
            topic: "t".into(),
            payload: Bytes::from_static(b"two"),
            qos: QoS::ExactlyOnce,
            retain: false,
            stage: OutgoingStage::AwaitingPubComp,
            reason: AbandonReason::BrokerLostSession,
            properties: Default::default(),
        },
        "the payload is kept past PUBREC so it can be offered back"
    );
    assert_eq!(
        a.to_string(),
        format!(
            "QoS 2 message {pkid} to 't' was abandoned (the broker had it, no PUBCOMP): \
             the broker kept no session for this client; publish it again to send it"
        )
    );
}

#[test]
fn an_abandoned_message_carries_what_it_takes_to_publish_it_again() {
    let mut h = persistent();
    let first = h
        .session
        .publish(
            h.now,
            "a/b",
            Bytes::from_static(b"42"),
            QoS::AtLeastOnce,
            true,
        )
        .unwrap()
        .unwrap();
    h.drain();
    h.cut();
    h.reconnect(false);
    let events = h.take_events();
    let Some(Event::Abandoned(a)) = events.last().cloned() else {
        panic!("{events:?}");
    };
    assert_eq!(
        (a.pkid, a.stage, a.reason),
        (
            first,
            OutgoingStage::AwaitingPubAck,
            AbandonReason::BrokerLostSession
        )
    );
    let again = h
        .session
        .publish(h.now, &a.topic, a.payload, a.qos, a.retain)
        .unwrap()
        .unwrap();
    h.drain();
    let sent = h.take_sent();
    assert!(
        matches!(sent.as_slice(), [Packet::Publish(p)]
            if p.pkid == again && p.topic == "a/b" && &p.payload[..] == b"42" && p.retain && !p.dup),
        "{sent:?}"
    );
}

#[test]
fn a_qos2_message_cut_after_its_pubcomp_is_neither_resent_nor_abandoned() {
    for session_present in [true, false] {
        let mut h = persistent();
        let pkid = h.publish(QoS::ExactlyOnce, "two");
        h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
        h.broker_sends(Packet::PubComp(v4::PubComp::new(pkid)));
        h.take_sent();
        h.take_events();
        h.cut();
        h.reconnect(session_present);
        assert!(h.take_sent().is_empty());
        assert!(abandoned(&h.events).is_empty());
    }
}

#[test]
fn a_pubrec_lost_in_the_cut_is_answered_after_the_resent_publish() {
    // The broker got the PUBLISH and sent PUBREC, which the cut swallowed: it answers the
    // DUP resend with PUBREC again (it must not forward the message twice).
    let mut h = persistent();
    let pkid = h.publish(QoS::ExactlyOnce, "two");
    h.take_sent();
    h.cut();
    h.reconnect(true);
    h.take_sent();
    h.broker_sends(Packet::PubRec(v4::PubRec::new(pkid)));
    h.broker_sends(Packet::PubComp(v4::PubComp::new(pkid)));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v4::PubRel::new(pkid))]);
    assert_eq!(delivered(&mut h), [pkid]);
}

// ----- order -----

#[test]
fn mqtt_4_6_0_1_resent_publishes_keep_their_first_order_then_pubrels_follow_in_pubrec_order() {
    let mut h = persistent();
    let a = h.publish(QoS::AtLeastOnce, "a");
    let b = h.publish(QoS::ExactlyOnce, "b");
    let c = h.publish(QoS::ExactlyOnce, "c");
    let d = h.publish(QoS::ExactlyOnce, "d");
    // PUBRECs arrive for d, then b [MQTT-4.6.0-4]: PUBRELs go out in that order.
    h.broker_sends(Packet::PubRec(v4::PubRec::new(d)));
    h.broker_sends(Packet::PubRec(v4::PubRec::new(b)));
    h.take_sent();
    h.cut();
    h.reconnect(true);
    assert_eq!(
        h.take_sent(),
        vec![
            publish_packet(a, "a", QoS::AtLeastOnce, true),
            publish_packet(c, "c", QoS::ExactlyOnce, true),
            Packet::PubRel(v4::PubRel::new(d)),
            Packet::PubRel(v4::PubRel::new(b)),
        ]
    );
}

#[test]
fn mqtt_4_6_0_1_the_resend_order_is_the_send_order_even_across_the_packet_id_wrap() {
    let mut h = persistent();
    for _ in 0..65_533u32 {
        let pkid = h.publish(QoS::AtLeastOnce, "x");
        h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
    }
    h.take_sent();
    h.take_events();
    let ids: Vec<u16> = ["a", "b", "c"]
        .into_iter()
        .map(|p| h.publish(QoS::AtLeastOnce, p))
        .collect();
    assert_eq!(ids, [65_534, 65_535, 1]);
    h.take_sent();
    h.cut();
    h.reconnect(true);
    let resent: Vec<u16> = h
        .take_sent()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => p.pkid,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(resent, ids);
}

#[test]
fn a_session_resumed_twice_resends_again_until_acknowledged() {
    let mut h = persistent();
    let pkid = h.publish(QoS::AtLeastOnce, "one");
    for _ in 0..3 {
        h.take_sent();
        h.cut();
        h.reconnect(true);
        assert_eq!(
            h.take_sent(),
            vec![publish_packet(pkid, "one", QoS::AtLeastOnce, true)]
        );
    }
    h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
    assert_eq!(delivered(&mut h), [pkid]);
}
