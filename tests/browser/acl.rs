//! mosquitto's access rules (`config/mosquitto/acl`): each user owns /iot/user/<name>/#.
//! Neither a subscription nor a publish outside it is refused visibly by mosquitto 2.0.11
//! (MQTT 3.1.1 has no negative acknowledgement for PUBLISH, and mosquitto grants the
//! SUBSCRIBE and filters at delivery), so each test proves that nothing arrived with a
//! marker published after the forbidden message.

use mqtt_session::{Event, QoS, SubscribeResult};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

const ALICE: (&str, &str) = ("alice", "alice-password");
const BOB: (&str, &str) = ("bob", "bob-password");

/// mosquitto 2.0.11 answers such a SUBSCRIBE with success (its pattern rules are checked
/// when messages are delivered, not at SUBACK): what matters is that nothing arrives.
#[wasm_bindgen_test]
async fn a_subscription_outside_the_users_namespace_receives_nothing() {
    let alice = Recorder::connected(&settings(mosquitto_url(), Some(ALICE))).await;
    let bob = Recorder::connected(&settings(mosquitto_url(), Some(BOB))).await;
    let marker_topic = unique("acl-marker");
    alice
        .client
        .subscribe("/iot/user/bob/#", QoS::AtMostOnce)
        .expect("subscribe");
    alice
        .client
        .subscribe(&marker_topic, QoS::AtMostOnce)
        .expect("subscribe");
    alice
        .wait_for("both SUBACKs", |e| match e {
            Event::Subscribed { results, .. } if results[0].0 == marker_topic => Some(()),
            _ => None,
        })
        .await;
    // bob writes into his own namespace (allowed), then a marker on a public topic.
    let pkid = bob
        .client
        .publish(
            "/iot/user/bob/sensor/temperature",
            b"42".to_vec(),
            QoS::AtLeastOnce,
            false,
        )
        .expect("publish")
        .expect("a packet id");
    bob.wait_for("PUBACK", |e| {
        matches!(e, Event::Delivered { pkid: p, .. } if *p == pkid).then_some(())
    })
    .await;
    bob.client
        .publish(&marker_topic, b"marker".to_vec(), QoS::AtMostOnce, false)
        .expect("publish");
    alice
        .wait_for("the marker", |e| match e {
            Event::Message(m) if m.topic == marker_topic => Some(()),
            _ => None,
        })
        .await;
    let leaked = alice.events.borrow().iter().any(|e| {
        matches!(e, mqtt_playground::driver::client::ClientEvent::Session(Event::Message(m)) if m.topic.starts_with("/iot/user/bob/"))
    });
    assert!(!leaked, "alice received a message from bob's namespace");
}

#[wasm_bindgen_test]
async fn a_publish_into_another_users_namespace_never_arrives() {
    let alice = Recorder::connected(&settings(mosquitto_url(), Some(ALICE))).await;
    let bob = Recorder::connected(&settings(mosquitto_url(), Some(BOB))).await;
    alice
        .client
        .subscribe("/iot/user/alice/#", QoS::AtLeastOnce)
        .expect("subscribe");
    let granted = alice
        .wait_for("SUBACK", |e| match e {
            Event::Subscribed { results, .. } => Some(results[0].1),
            _ => None,
        })
        .await;
    assert_eq!(granted, SubscribeResult::Granted(QoS::AtLeastOnce));

    // bob writes into alice's namespace; mosquitto still acknowledges it (3.1.1).
    let pkid = bob
        .client
        .publish(
            "/iot/user/alice/sensor/temperature",
            b"99".to_vec(),
            QoS::AtLeastOnce,
            false,
        )
        .expect("publish")
        .expect("a packet id");
    bob.wait_for("PUBACK", |e| {
        matches!(e, Event::Delivered { pkid: p, .. } if *p == pkid).then_some(())
    })
    .await;
    // Then alice writes a marker into her own namespace: once it is here, bob's message,
    // processed earlier by the broker, would have been here before it.
    alice
        .client
        .publish(
            "/iot/user/alice/sensor/temperature",
            b"21".to_vec(),
            QoS::AtLeastOnce,
            false,
        )
        .expect("publish");
    alice
        .wait_for("the marker", |e| match e {
            Event::Message(m) if &m.payload[..] == b"21" => Some(()),
            _ => None,
        })
        .await;
    let intruder = alice.events.borrow().iter().any(|e| {
        matches!(e, mqtt_playground::driver::client::ClientEvent::Session(Event::Message(m)) if &m.payload[..] == b"99")
    });
    assert!(
        !intruder,
        "bob's publish into alice's namespace was delivered"
    );
}
