//! What ends with a connection and what outlives it: the audit's findings on clean
//! session, pending (UN)SUBSCRIBE ids and the send window after a drop.
mod common;

use common::{abandoned, inbound, Harness};
use mqtt_session::store::OutgoingStage;
use mqtt_session::{AbandonReason, CloseReason, ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, Packet, SubscribeReasonCode};

fn options(clean_session: bool, max_inflight: usize) -> ConnectOptions {
    let mut o = ConnectOptions::new("ends");
    o.clean_session = clean_session;
    o.max_inflight = max_inflight;
    o
}

fn publish_ids(packets: &[Packet]) -> Vec<u16> {
    packets
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => p.pkid,
            other => panic!("expected only PUBLISH, got {other:?}"),
        })
        .collect()
}

// ----- clean session -----

#[test]
fn mqtt_3_1_2_6_with_clean_session_the_session_state_ends_with_the_connection() {
    let mut h = Harness::connected(options(true, 20));
    let sub = h
        .session
        .subscribe(h.now, vec![("sensor/#".into(), QoS::ExactlyOnce)])
        .unwrap();
    h.drain();
    h.broker_sends(Packet::SubAck(v4::SubAck::new(
        sub,
        vec![SubscribeReasonCode::Success(QoS::ExactlyOnce.into())],
    )));
    let one = h.publish(QoS::AtLeastOnce, "one");
    let two = h.publish(QoS::ExactlyOnce, "two");
    h.broker_sends(Packet::PubRec(v4::PubRec::new(two)));
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "in"));
    h.take_events();
    h.cut();
    let events = h.take_events();
    assert_eq!(abandoned(&events), [one, two]);
    assert!(events.iter().all(|e| match e {
        Event::Abandoned(a) => a.reason == AbandonReason::CleanSessionEnded,
        _ => true,
    }));
    assert!(
        matches!(events.last(), Some(Event::Closed(_))),
        "Closed is the connection's last event: {events:?}"
    );
    let store = h.session.store();
    assert_eq!(
        (
            store.in_flight(),
            store.in_flight_publishes(),
            store.awaiting_pubrel(),
            store.subscriptions().count()
        ),
        (0, 0, 0, 0)
    );
    // The next connection starts from nothing: no resend, and the broker's id 9 is new.
    h.reconnect(false);
    assert!(h.take_sent().is_empty());
    assert!(abandoned(&h.take_events()).is_empty(), "reported once");
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "new"));
    assert!(h
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::Message(m) if &m.payload[..] == b"new")));
}

#[test]
fn mqtt_3_2_2_1_a_session_present_answer_to_a_clean_session_resumes_nothing() {
    let mut h = Harness::connected(options(true, 20));
    h.publish(QoS::AtLeastOnce, "one");
    h.cut();
    h.take_events();
    h.reconnect(true);
    assert!(h.take_sent().is_empty());
    let events = h.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Warning(w) if w.contains("clean"))),
        "{events:?}"
    );
}

#[test]
fn with_clean_session_off_a_users_disconnect_keeps_the_session_for_the_next_connection() {
    let mut h = Harness::connected(options(false, 20));
    let pkid = h.publish(QoS::AtLeastOnce, "one");
    h.session.disconnect(h.now);
    h.drain();
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::ClientDisconnect)]
    );
    h.sent.clear();
    h.reconnect(true);
    assert_eq!(publish_ids(&h.take_sent()), [pkid]);
}

// ----- pending (UN)SUBSCRIBE ids -----

#[test]
fn pending_subscribe_and_unsubscribe_ids_are_freed_when_the_connection_ends() {
    for clean_session in [false, true] {
        let mut h = Harness::connected(options(clean_session, 20));
        let sub = h
            .session
            .subscribe(h.now, vec![("a".into(), QoS::AtMostOnce)])
            .unwrap();
        let unsub = h.session.unsubscribe(h.now, vec!["b".into()]).unwrap();
        h.drain();
        assert!(h.session.store().is_in_use(sub) && h.session.store().is_in_use(unsub));
        h.cut();
        assert_eq!(h.session.store().in_flight(), 0, "clean {clean_session}");
        h.reconnect(!clean_session);
        h.take_events();
        // MQTT 3.1.1 never resends (UN)SUBSCRIBE, so a late ack is a stranger now.
        h.broker_sends(Packet::SubAck(v4::SubAck::new(
            sub,
            vec![SubscribeReasonCode::Success(QoS::AtMostOnce.into())],
        )));
        assert!(matches!(h.take_events().as_slice(), [Event::Warning(_)]));
    }
}

// ----- the send window after a drop -----

#[test]
fn a_full_send_window_at_a_drop_does_not_silence_later_publishes() {
    // 20 unacknowledged at the drop used to stay counted forever: every later QoS 1/2
    // publish got an id and was never sent.
    for (clean_session, session_present) in [(false, false), (true, false)] {
        let mut h = Harness::connected(options(clean_session, 20));
        let ids: Vec<u16> = (0..21).map(|_| h.publish(QoS::AtLeastOnce, "x")).collect();
        assert_eq!(h.session.store().queued_publishes(), 1);
        h.cut();
        h.reconnect(session_present);
        let events = h.take_events();
        assert_eq!(abandoned(&events), ids, "the queued one too");
        assert!(
            matches!(events.iter().rev().find(|e| matches!(e, Event::Abandoned(_))),
                Some(Event::Abandoned(a)) if a.stage == OutgoingStage::Queued),
            "the last one was never sent"
        );
        assert_eq!(h.session.store().in_flight_publishes(), 0);
        let later = h.publish(QoS::ExactlyOnce, "later");
        assert_eq!(publish_ids(&h.take_sent()), [later], "sent at once");
    }
}

#[test]
fn a_resumed_full_window_resends_its_messages_and_the_queue_follows_the_acks() {
    let mut h = Harness::connected(options(false, 3));
    let ids: Vec<u16> = (0..5).map(|_| h.publish(QoS::AtLeastOnce, "x")).collect();
    h.cut();
    h.reconnect(true);
    assert_eq!(publish_ids(&h.take_sent()), ids[..3], "the window, resent");
    h.broker_sends(Packet::PubAck(v4::PubAck::new(ids[0])));
    h.broker_sends(Packet::PubAck(v4::PubAck::new(ids[1])));
    let sent = h.take_sent();
    assert_eq!(publish_ids(&sent), ids[3..]);
    assert!(
        sent.iter()
            .all(|p| matches!(p, Packet::Publish(p) if !p.dup)),
        "first sends are not DUP"
    );
    assert_eq!(h.session.store().queued_publishes(), 0);
}
