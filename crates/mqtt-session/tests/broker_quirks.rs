//! What real brokers do that the session names for the user (see NOTES' broker table): a
//! delivery above the QoS MQTT allows [MQTT-3.8.4-6] (rumqttd 0.20 and amqtt 0.12 deliver
//! at the subscription's QoS). The message is still delivered and its handshake answered,
//! and a warning says once per connection what the broker did.

mod common;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, Packet, SubscribeReasonCode};

/// Connected, with `filter` granted at `granted`.
fn subscribed(filter: &str, granted: QoS) -> Harness {
    let mut h = Harness::connected(ConnectOptions::new("qos-upgrade"));
    let pkid = h
        .session
        .subscribe(h.now, vec![(filter.into(), QoS::ExactlyOnce)])
        .unwrap();
    h.drain();
    h.broker_sends(Packet::SubAck(v4::SubAck::new(
        pkid,
        vec![SubscribeReasonCode::Success(granted.into())],
    )));
    h.take_sent();
    h.take_events();
    h
}

fn publish_own(h: &mut Harness, topic: &str, payload: &'static [u8], qos: QoS) {
    h.session
        .publish(h.now, topic, Bytes::from_static(payload), qos, false)
        .expect("publish accepted");
    h.drain();
    h.take_sent();
}

fn delivered(h: &mut Harness, topic: &str, payload: &'static [u8], qos: QoS, pkid: u16) {
    let mut p = v4::Publish::new(topic, qos.into(), payload);
    p.pkid = pkid;
    h.broker_sends(Packet::Publish(p));
}

fn warnings(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn messages(events: &[Event]) -> Vec<QoS> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.qos),
            _ => None,
        })
        .collect()
}

#[test]
fn our_qos0_message_coming_back_as_qos2_is_named_once_per_connection() {
    let mut h = subscribed("lab/#", QoS::ExactlyOnce);
    publish_own(&mut h, "lab/a", b"one", QoS::AtMostOnce);
    delivered(&mut h, "lab/a", b"one", QoS::ExactlyOnce, 7);
    // Delivered and acknowledged as the broker sent it: refusing would only lose it.
    assert!(matches!(h.take_sent().as_slice(), [Packet::PubRec(r)] if r.pkid == 7));
    let events = h.take_events();
    assert_eq!(messages(&events), vec![QoS::ExactlyOnce]);
    let warned = warnings(&events);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].starts_with("this broker delivered a QoS 0 message as QoS 2"),
        "{}",
        warned[0]
    );
    assert!(warned[0].contains("[MQTT-3.8.4-6]"), "{}", warned[0]);

    // The same again: no second warning on this connection.
    publish_own(&mut h, "lab/a", b"two", QoS::AtLeastOnce);
    delivered(&mut h, "lab/a", b"two", QoS::ExactlyOnce, 8);
    assert!(warnings(&h.take_events()).is_empty());

    // A new connection warns again.
    h.cut();
    h.reconnect(false);
    h.take_sent();
    h.take_events();
    publish_own(&mut h, "lab/a", b"three", QoS::AtLeastOnce);
    delivered(&mut h, "lab/a", b"three", QoS::ExactlyOnce, 9);
    let warned = warnings(&h.take_events());
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].starts_with("this broker delivered a QoS 1 message as QoS 2"),
        "{}",
        warned[0]
    );
}

#[test]
fn a_delivery_at_min_of_the_two_qos_says_nothing() {
    let mut h = subscribed("lab/#", QoS::ExactlyOnce);
    publish_own(&mut h, "lab/a", b"x", QoS::AtLeastOnce);
    delivered(&mut h, "lab/a", b"x", QoS::AtLeastOnce, 3);
    // Our QoS 2 message at QoS 2: as published.
    publish_own(&mut h, "lab/b", b"y", QoS::ExactlyOnce);
    delivered(&mut h, "lab/b", b"y", QoS::ExactlyOnce, 4);
    // A stranger's message at the granted QoS: nothing to object to.
    delivered(&mut h, "lab/c", b"z", QoS::ExactlyOnce, 5);
    let events = h.take_events();
    assert_eq!(messages(&events).len(), 3);
    assert!(warnings(&events).is_empty(), "{events:?}");
}

#[test]
fn a_message_above_the_granted_qos_is_named_whoever_published_it() {
    let mut h = subscribed("sensor/+", QoS::AtLeastOnce);
    delivered(&mut h, "sensor/t", b"21.5", QoS::ExactlyOnce, 11);
    let events = h.take_events();
    assert_eq!(messages(&events), vec![QoS::ExactlyOnce]);
    let warned = warnings(&events);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].contains("at QoS 2, above the QoS 1 it granted"),
        "{}",
        warned[0]
    );
}

#[test]
fn our_own_message_on_another_topic_or_with_another_payload_is_not_confused() {
    let mut h = subscribed("lab/#", QoS::ExactlyOnce);
    publish_own(&mut h, "lab/a", b"mine", QoS::AtMostOnce);
    delivered(&mut h, "lab/b", b"mine", QoS::ExactlyOnce, 1);
    delivered(&mut h, "lab/a", b"theirs", QoS::ExactlyOnce, 2);
    assert!(warnings(&h.take_events()).is_empty());
}

#[test]
fn a_message_matching_no_known_subscription_is_not_judged() {
    // E.g. a resumed session whose subscriptions this session object never saw.
    let mut h = Harness::connected(ConnectOptions::new("qos-upgrade"));
    delivered(&mut h, "x/y", b"1", QoS::ExactlyOnce, 1);
    let events = h.take_events();
    assert_eq!(messages(&events).len(), 1);
    assert!(warnings(&events).is_empty());
}
