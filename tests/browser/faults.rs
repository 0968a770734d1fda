//! The client against a broker that misbehaves on purpose (the lab's `--fault-port`): every
//! fault ends the connection with a sentence that says what happened, never a hang.

use mqtt_session::{CloseReason, Event, ProtocolError};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[allow(clippy::option_env_unwrap)]
fn fault(path: &str) -> String {
    let base = option_env!("MQTT_FAULTS_URL")
        .expect("MQTT_FAULTS_URL is not set: run the browser tests with `cargo xtask test`");
    format!("{base}/{path}")
}

async fn close_reason(url: &str, seconds: f64) -> CloseReason {
    let r = Recorder::connect(&settings(url, None));
    r.wait_for_within("the connection to end", seconds, |e| match e {
        Event::Closed(reason) => Some(reason.clone()),
        _ => None,
    })
    .await
}

#[wasm_bindgen_test]
async fn a_text_frame_is_a_protocol_error() {
    let reason = close_reason(&fault("text"), 10.0).await;
    assert_eq!(reason, CloseReason::Protocol(ProtocolError::TextFrame));
    assert!(
        reason.to_string().contains("text WebSocket frame"),
        "{reason}"
    );
}

#[wasm_bindgen_test]
async fn a_malformed_packet_closes_with_a_reason() {
    let reason = close_reason(&fault("garbage"), 10.0).await;
    assert!(
        matches!(reason, CloseReason::Protocol(ProtocolError::Malformed(_))),
        "{reason}"
    );
    assert!(reason.to_string().contains("malformed packet"), "{reason}");
}

#[wasm_bindgen_test]
async fn an_oversized_packet_is_refused_from_its_header() {
    let reason = close_reason(&fault("oversize"), 10.0).await;
    assert!(
        matches!(
            reason,
            CloseReason::Protocol(ProtocolError::PacketTooLarge {
                size: 200_000_000,
                ..
            })
        ),
        "{reason}"
    );
}

#[wasm_bindgen_test]
async fn a_broker_that_closes_before_connack_is_explained() {
    let reason = close_reason(&fault("close"), 10.0).await.to_string();
    assert!(
        reason.contains("closed before the broker answered CONNECT"),
        "{reason}"
    );
    assert!(reason.contains("1011"), "{reason}");
}

#[wasm_bindgen_test]
async fn a_silent_server_hits_the_connack_timeout() {
    let reason = close_reason(&fault("silent"), 15.0).await;
    assert_eq!(reason, CloseReason::ConnectTimeout(10));
}

#[wasm_bindgen_test]
async fn a_wrong_websocket_path_says_to_check_the_path() {
    let reason = close_reason(&fault("no-such-path"), 10.0).await.to_string();
    assert!(reason.contains("could not open a WebSocket"), "{reason}");
    assert!(reason.contains("path"), "{reason}");
}
