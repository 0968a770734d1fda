//! `MqttClient` (WebSocket transport + sans-IO session) against real brokers.

use bytes::Bytes;
use mqtt_playground::driver::client::MqttClient;
use mqtt_session::{CloseReason, ConnectRefusal, Event, QoS, SubscribeResult};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

/// Subscribes at QoS 2, publishes at `qos` to itself, and checks what comes back.
async fn round_trip(url: &str, user: Option<(&str, &str)>, qos: QoS) {
    let r = Recorder::connected(&settings(url, user)).await;
    let topic = unique("round-trip");
    r.client
        .subscribe(&topic, QoS::ExactlyOnce)
        .expect("subscribe");
    let granted = r
        .wait_for("SUBACK", |e| match e {
            Event::Subscribed { results, .. } => Some(results[0].1),
            _ => None,
        })
        .await;
    assert_eq!(granted, SubscribeResult::Granted(QoS::ExactlyOnce));

    let payload = format!("payload at QoS {}", qos as u8);
    let pkid = r
        .client
        .publish(&topic, payload.clone().into_bytes(), qos, false)
        .expect("publish");
    assert_eq!(pkid.is_some(), qos != QoS::AtMostOnce);
    let message = r
        .wait_for("our own message", |e| match e {
            Event::Message(m) if m.topic == topic => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(&message.payload[..], payload.as_bytes());
    assert!(!message.retain);
    if let Some(pkid) = pkid {
        let delivered = r
            .wait_for("PUBACK/PUBCOMP", |e| match e {
                Event::Delivered { pkid: p, qos } if *p == pkid => Some(*qos),
                _ => None,
            })
            .await;
        assert_eq!(delivered, qos);
    }
    r.client.disconnect();
}

#[wasm_bindgen_test]
async fn lab_round_trips_at_qos_0_1_and_2() {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        round_trip(lab_url(), None, qos).await;
    }
}

#[wasm_bindgen_test]
async fn mosquitto_round_trips_at_qos_0_1_and_2_with_the_seed_credentials() {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        round_trip(mosquitto_url(), Some(mosquitto_user()), qos).await;
    }
}

#[wasm_bindgen_test]
async fn mosquitto_received_qos_is_the_minimum_of_publish_and_subscription() {
    let r = Recorder::connected(&settings(mosquitto_url(), Some(mosquitto_user()))).await;
    let topic = unique("downgrade");
    r.client
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribe");
    r.wait_for("SUBACK", |e| {
        matches!(e, Event::Subscribed { .. }).then_some(())
    })
    .await;
    r.client
        .publish(&topic, Bytes::from_static(b"x"), QoS::ExactlyOnce, false)
        .expect("publish");
    let qos = r
        .wait_for("message", |e| match e {
            Event::Message(m) if m.topic == topic => Some(m.qos),
            _ => None,
        })
        .await;
    assert_eq!(qos, QoS::AtLeastOnce);
}

#[wasm_bindgen_test]
async fn mosquitto_refuses_a_wrong_password_in_plain_words() {
    let r = Recorder::connect(&settings(
        mosquitto_url(),
        Some(("student", "not-the-password")),
    ));
    let reason = r
        .wait_for("the refusal", |e| match e {
            Event::Closed(reason) => Some(reason.clone()),
            _ => None,
        })
        .await;
    // mosquitto 2.0 answers a wrong password on MQTT 3.1.1 with "not authorized" (5),
    // not "bad user name or password" (4); both must read as a credentials problem.
    let credentials_refused = matches!(
        reason,
        CloseReason::Refused(ConnectRefusal::NotAuthorized | ConnectRefusal::BadUserNameOrPassword)
    );
    assert!(credentials_refused, "{reason}");
    let text = reason.to_string();
    assert!(text.contains("user name"), "{text}");
}

#[wasm_bindgen_test]
async fn mosquitto_refuses_anonymous_clients() {
    let r = Recorder::connect(&settings(mosquitto_url(), None));
    let reason = r
        .wait_for("the refusal", |e| match e {
            Event::Closed(reason) => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert!(matches!(reason, CloseReason::Refused(_)), "{reason}");
}

#[wasm_bindgen_test]
async fn an_unreachable_broker_gives_an_actionable_error() {
    // Nothing listens on this port on the test machine: the TCP connect is refused.
    let r = Recorder::connect(&settings(&closed_port_url(), None));
    let reason = r
        .wait_for("the failure", |e| match e {
            Event::Closed(reason) => Some(reason.to_string()),
            _ => None,
        })
        .await;
    assert!(reason.contains("could not open a WebSocket"), "{reason}");
    assert!(reason.contains(&closed_port_url()), "{reason}");
}

#[wasm_bindgen_test]
async fn a_port_the_browser_blocks_fails_instead_of_hanging() {
    // Chromium blocks "unsafe" ports such as 9 (discard) before any handshake; whether
    // it reports that as a close or not at all, the attempt must end (the session's open
    // timeout is the backstop).
    let r = Recorder::connect(&settings("ws://127.0.0.1:9/mqtt", None));
    let reason = r
        .wait_for_within("the failure", 15.0, |e| match e {
            Event::Closed(reason) => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert!(
        matches!(
            reason,
            CloseReason::OpenTimeout(_) | CloseReason::TransportClosed(_)
        ),
        "{reason}"
    );
}

#[wasm_bindgen_test]
fn urls_that_are_not_websocket_urls_are_refused_before_connecting() {
    let Err(error) = MqttClient::connect(&settings("http://localhost:9001/mqtt", None), |_| {})
    else {
        panic!("an http:// URL must be refused");
    };
    assert!(error.to_string().contains("ws:// or wss://"), "{error}");
}

#[wasm_bindgen_test]
async fn a_large_payload_survives_the_trip() {
    let r = Recorder::connected(&settings(lab_url(), None)).await;
    let topic = unique("large");
    r.client
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribe");
    r.wait_for("SUBACK", |e| {
        matches!(e, Event::Subscribed { .. }).then_some(())
    })
    .await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    r.client
        .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
        .expect("publish");
    let got = r
        .wait_for("the large message", |e| match e {
            Event::Message(m) if m.topic == topic => Some(m.payload.clone()),
            _ => None,
        })
        .await;
    assert_eq!(got.len(), payload.len());
    assert!(got[..] == payload[..]);
}
