//! Messages the broker sends, with the link cut at every step of QoS 1 and QoS 2, then a
//! reconnect where the broker did or did not keep the session.
mod common;

use common::{inbound, Harness};
use mqtt_session::{ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, Packet};

fn persistent() -> Harness {
    let mut options = ConnectOptions::new("resume");
    options.clean_session = false;
    let mut h = Harness::connected(options);
    h.take_sent();
    h
}

fn resent(qos: QoS, pkid: u16, payload: &'static str) -> Packet {
    let Packet::Publish(mut p) = inbound(qos, pkid, payload) else {
        unreachable!()
    };
    p.dup = true;
    Packet::Publish(p)
}

/// Payloads of the messages delivered to the application (taking the events).
fn messages(h: &mut Harness) -> Vec<(String, bool)> {
    h.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some((String::from_utf8_lossy(&m.payload).into_owned(), m.dup)),
            _ => None,
        })
        .collect()
}

// ----- QoS 1 -----

#[test]
fn a_qos1_message_resent_after_a_cut_is_delivered_again_marked_dup_and_acked() {
    // At least once: our PUBACK was lost in the cut, the broker resends [MQTT-4.4.0-1].
    let mut h = persistent();
    h.broker_sends(inbound(QoS::AtLeastOnce, 5, "21"));
    assert_eq!(messages(&mut h), [("21".into(), false)]);
    h.cut();
    h.reconnect(true);
    h.take_sent();
    h.broker_sends(resent(QoS::AtLeastOnce, 5, "21"));
    assert_eq!(h.take_sent(), vec![Packet::PubAck(v4::PubAck::new(5))]);
    assert_eq!(messages(&mut h), [("21".into(), true)]);
}

#[test]
fn a_qos1_message_leaves_no_state_to_resume_or_discard() {
    for session_present in [true, false] {
        let mut h = persistent();
        h.broker_sends(inbound(QoS::AtLeastOnce, 5, "21"));
        h.take_sent();
        h.cut();
        h.reconnect(session_present);
        assert!(h.take_sent().is_empty());
        assert_eq!(h.session.store().awaiting_pubrel(), 0);
    }
}

// ----- QoS 2 -----

#[test]
fn mqtt_4_3_3_2_a_qos2_message_resent_after_a_cut_before_pubrel_is_not_delivered_twice() {
    let mut h = persistent();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
    assert_eq!(h.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    assert_eq!(messages(&mut h).len(), 1);
    h.cut();
    h.reconnect(true);
    assert_eq!(
        h.session.store().awaiting_pubrel(),
        1,
        "kept across the cut"
    );
    // Our PUBREC was lost: the broker resends the PUBLISH with DUP.
    h.broker_sends(resent(QoS::ExactlyOnce, 9, "22"));
    assert_eq!(h.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    assert!(messages(&mut h).is_empty(), "not delivered twice");
    h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v4::PubComp::new(9))]);
    assert_eq!(h.session.store().awaiting_pubrel(), 0);
}

#[test]
fn mqtt_4_4_0_1_a_pubrel_resent_after_a_cut_completes_the_message_without_delivering_it() {
    // Our PUBREC arrived; the broker resends its PUBREL, not the PUBLISH.
    let mut h = persistent();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
    h.take_sent();
    assert_eq!(messages(&mut h).len(), 1);
    h.cut();
    h.reconnect(true);
    h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v4::PubComp::new(9))]);
    assert!(messages(&mut h).is_empty());
    // The id is free again: a new message with it is new.
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "23"));
    assert_eq!(messages(&mut h), [("23".into(), false)]);
}

#[test]
fn a_pubcomp_lost_in_a_cut_after_pubrel_is_sent_again() {
    let mut h = persistent();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
    h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    h.take_sent();
    assert_eq!(messages(&mut h).len(), 1);
    h.cut();
    h.reconnect(true);
    h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v4::PubComp::new(9))]);
    assert!(messages(&mut h).is_empty());
}

#[test]
fn inbound_qos2_ids_are_forgotten_when_the_broker_lost_the_session() {
    // A new broker session may reuse id 9 for a new message: it must be delivered.
    let mut h = persistent();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
    h.take_sent();
    messages(&mut h);
    h.cut();
    h.reconnect(false);
    assert_eq!(h.session.store().awaiting_pubrel(), 0);
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "new"));
    assert_eq!(messages(&mut h), [("new".into(), false)]);
}

#[test]
fn a_qos2_message_cut_after_pubrel_leaves_nothing_to_resume() {
    for session_present in [true, false] {
        let mut h = persistent();
        h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
        h.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
        h.take_sent();
        h.cut();
        h.reconnect(session_present);
        assert!(h.take_sent().is_empty());
        assert_eq!(h.session.store().awaiting_pubrel(), 0);
    }
}
