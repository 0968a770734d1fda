//! The broker WebSocket in a worker (src/driver/relay.rs, static/socket-worker.js): what
//! crosses between the worker and the page arrives whole and in order, backpressure is
//! still seen, and the page's own socket takes over where no worker can run.

use mqtt_playground::driver::relay;
use mqtt_session::QoS;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{lab_url, mosquitto_url, mosquitto_user, settings, unique, until, Recorder};

#[wasm_bindgen_test]
async fn a_flood_crosses_from_the_worker_whole_and_in_order() {
    let topic = unique("worker-flood");
    let r = Recorder::subscribed(
        &settings(mosquitto_url(), Some(mosquitto_user())),
        &topic,
        QoS::AtMostOnce,
    )
    .await;
    assert!(
        r.client.socket_in_worker(),
        "the socket should run in a worker"
    );
    // Many messages in one task: the worker sends each as its own WebSocket message and
    // posts back bursts of them, which the session splits into packets again.
    let n = 5_000u32;
    for i in 0..n {
        r.client
            .publish(&topic, i.to_string(), QoS::AtMostOnce, false)
            .expect("publish");
    }
    until("the flood comes back", 30.0, || {
        r.numbers_in_order(&topic).len() == n as usize
    })
    .await;
    assert_eq!(r.numbers_in_order(&topic), (0..n).collect::<Vec<_>>());
}

#[wasm_bindgen_test]
async fn the_bytes_held_for_sending_are_reported_until_they_are_sent() {
    let r = Recorder::connected(&settings(lab_url(), None)).await;
    assert!(r.client.socket_in_worker());
    let topic = unique("worker-backpressure");
    let payload = vec![b'x'; 64 * 1024];
    for _ in 0..32 {
        r.client
            .publish(&topic, payload.clone(), QoS::AtMostOnce, false)
            .expect("publish");
    }
    let held = r.client.buffered_amount();
    assert!(
        held >= 32 * 64 * 1024,
        "held right after publishing: {held}"
    );
    until("every byte is sent", 20.0, || {
        r.client.buffered_amount() == 0
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_socket_runs_on_the_page_when_asked() {
    relay::set_enabled(false);
    let topic = unique("page-socket");
    let r = Recorder::subscribed(&settings(lab_url(), None), &topic, QoS::AtLeastOnce).await;
    relay::set_enabled(true);
    assert!(!r.client.socket_in_worker());
    r.client
        .publish(&topic, &b"7"[..], QoS::AtLeastOnce, false)
        .expect("publish");
    until("the message comes back", 10.0, || {
        r.numbers_in_order(&topic) == [7]
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_worker_that_cannot_start_leaves_the_socket_on_the_page() {
    // What a server without the script (or a CSP forbidding workers) does.
    relay::set_script(Some("./no-such-socket-worker.js".to_string()));
    let topic = unique("fallback");
    let r = Recorder::subscribed(&settings(lab_url(), None), &topic, QoS::AtLeastOnce).await;
    let later_sockets_tried_a_worker = relay::enabled();
    relay::set_script(None);
    relay::set_enabled(true);
    assert!(
        !r.client.socket_in_worker(),
        "the page's own socket took over"
    );
    assert!(
        !later_sockets_tried_a_worker,
        "one failure turns workers off for the page"
    );
    r.client
        .publish(&topic, &b"3"[..], QoS::AtLeastOnce, false)
        .expect("publish");
    until("the message comes back", 10.0, || {
        r.numbers_in_order(&topic) == [3]
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_url_the_browser_cannot_parse_is_refused_at_once() {
    let start = mqtt_playground::driver::client::MqttClient::connect(
        &settings("ws://127.0.0.1:1/mqtt#part", None),
        |_| {},
    );
    let error = start.err().expect("refused").to_string();
    assert!(error.contains("fragment"), "{error}");
}
