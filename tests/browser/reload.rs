//! Surviving a reload: with clean session off the in-flight store is saved in
//! `localStorage`, and a new client for the same broker and client id resumes from it.

use mqtt_playground::driver::client::ClientEvent;
use mqtt_session::{Event, QoS};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

/// A reload, through the driver: a publisher with clean session off publishes QoS 2
/// messages and is dropped at once, as a closed or reloaded tab is (its WebSocket closes
/// with no DISCONNECT, before any ack is read; the last ones never left the send window).
/// Only `localStorage` remembers them: a NEW client with the same URL and client id resumes
/// the session, resends the unacknowledged ones with DUP and sends the queued ones, and a
/// subscriber connected to mosquitto directly receives each exactly once. In front of
/// mosquitto: the lab's rumqttd 0.20 mishandles a resumed QoS 2 flow (ARCHITECTURE.md, Brokers).
#[wasm_bindgen_test]
async fn qos_2_messages_in_flight_at_a_reload_are_resent_from_local_storage_exactly_once() {
    use mqtt_playground::driver::persist::{decode_base64, storage_key};

    let (name, password) = mosquitto_user();
    let user = Some((name, password));
    let topic = unique("reload");
    let receiver =
        Recorder::subscribed(&settings(mosquitto_url(), user), &topic, QoS::ExactlyOnce).await;

    let mut publisher_settings = settings(mosquitto_cut_url(), user);
    publisher_settings.clean_session = false;
    let key = storage_key(&publisher_settings.url, &publisher_settings.client_id);
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage");
    let saved = || storage.get_item(&key).expect("localStorage reads");

    let before = Recorder::connected(&publisher_settings).await;
    // More than the send window (20): the rest wait in the session, never sent.
    const N: u32 = 30;
    for i in 0..N {
        before
            .client
            .publish(&topic, i.to_string().into_bytes(), QoS::ExactlyOnce, false)
            .expect("publish");
    }
    // Synchronously, so no ack was read: the page goes away.
    drop(before);
    let entry = saved().expect("the messages in flight are saved");
    let bytes = decode_base64(&entry).expect("base64");
    let holds_password = bytes
        .windows(password.len())
        .any(|w| w == password.as_bytes());
    assert!(!holds_password, "the password is never saved");
    // Should the close not have reached the broker yet, cut what is left of the link.
    cut(mosquitto_cut_url(), &publisher_settings.client_id).await;

    let after = Recorder::connect(&publisher_settings);
    let session_present = after
        .wait_for("CONNACK after the reload", |e| match e {
            Event::Connected { session_present } => Some(*session_present),
            Event::Closed(reason) => panic!("the reconnect failed: {reason}"),
            _ => None,
        })
        .await;
    assert!(session_present, "mosquitto kept the session");
    after
        .client
        .publish(&topic, b"999".to_vec(), QoS::ExactlyOnce, false)
        .expect("publish the marker");
    let received = || receiver.numbers_on(&topic);
    until("the marker", 10.0, || received().contains(&999)).await;
    let expected: Vec<u32> = (0..N).chain([999]).collect();
    assert_eq!(received(), expected, "each exactly once");
    let warnings: Vec<_> = after
        .events
        .borrow()
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::Session(Event::Warning(_) | Event::Abandoned(_))
            )
        })
        .cloned()
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    until("the entry removed once all is acknowledged", 10.0, || {
        saved().is_none()
    })
    .await;
    after.client.disconnect();
}
