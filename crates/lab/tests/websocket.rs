//! MQTT over the lab's WebSocket listener, the way the browser uses it:
//! `new WebSocket("ws://HOST:PORT/mqtt", "mqtt")`, one MQTT packet per binary message.

mod support;

use futures_util::{SinkExt, StreamExt};
use mqttbytes::v4::{Packet, SubscribeReasonCode};
use mqttbytes::QoS;
use support::ws::{subprotocol, Client};
use support::{guarded, start_lab};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_style_handshake_echoes_mqtt_and_connects() {
    let lab = start_lab().await;
    guarded("WebSocket CONNECT", async {
        let (mut client, response) = Client::open(&lab.ws_url(), true).await;
        assert!(lab.ws_url().ends_with("/mqtt"));
        assert_eq!(response.status(), 101);
        assert_eq!(subprotocol(&response), Some("mqtt"));
        client.connect("lab-ws-connect").await;
        assert!(client.decoder.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_kib_publish_round_trips() {
    let lab = start_lab().await;
    guarded("200 KiB round trip over WebSocket", async {
        let (mut client, _) = Client::open(&lab.ws_url(), true).await;
        client.connect("lab-ws-large").await;
        client
            .send(support::subscribe(1, "lab/ws/large", QoS::AtMostOnce))
            .await;
        match client.next_packet().await {
            Packet::SubAck(ack) => {
                assert_eq!(
                    ack.return_codes,
                    [SubscribeReasonCode::Success(QoS::AtMostOnce)]
                )
            }
            other => panic!("expected SUBACK, got {other:?}"),
        }

        let payload: Vec<u8> = (0..200 * 1024).map(|i| (i % 251) as u8).collect();
        client
            .send(support::publish(
                0,
                "lab/ws/large",
                QoS::AtMostOnce,
                payload.clone(),
            ))
            .await;
        match client.next_packet().await {
            Packet::Publish(publish) => {
                assert_eq!(publish.topic, "lab/ws/large");
                assert_eq!(publish.payload.len(), payload.len());
                assert!(publish.payload[..] == payload[..], "payload corrupted");
            }
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    })
    .await;
}

/// Any request path reaches the broker, as with mosquitto and rumqttd. The app should still use
/// `/mqtt`, which other brokers and proxies expect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_path_is_accepted() {
    let lab = start_lab().await;
    let url = format!("ws://{}/not-mqtt/at/all", lab.ws_addr());
    guarded("WebSocket on another path", async {
        let (mut client, response) = Client::open(&url, true).await;
        assert_eq!(subprotocol(&response), Some("mqtt"));
        client.connect("lab-ws-path").await;
    })
    .await;
}

/// Unlike rumqttd's own listener, the lab answers no subprotocol when none was asked for, so
/// RFC 6455 clients (which must reject an unrequested one) can connect without "mqtt" too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_subprotocol_is_answered_when_none_is_requested() {
    let lab = start_lab().await;
    guarded("WebSocket without subprotocol", async {
        let (mut client, response) = Client::open(&lab.ws_url(), false).await;
        assert_eq!(subprotocol(&response), None);
        client.connect("lab-ws-no-subprotocol").await;
    })
    .await;
}

/// MQTT-6.0.0-1: anything but binary frames closes the connection (here with 1003).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_closes_the_connection() {
    let lab = start_lab().await;
    guarded("text frame", async {
        let (mut client, _) = Client::open(&lab.ws_url(), true).await;
        client.connect("lab-ws-text").await;
        client.ws.send(Message::text("hello")).await.expect("send");
        match client.ws.next().await {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Unsupported),
            other => panic!("expected a close frame, got {other:?}"),
        }
    })
    .await;
}

/// Regression test for rumqttd's own WebSocket listener, which left the tail of a burst to a
/// slow reader stuck until the broker's next write to it (see src/ws_bridge.rs): 16 × 1 MiB
/// are queued for a reader that reads nothing until the broker has acknowledged them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_to_a_slow_reader_arrives_in_full() {
    const COUNT: u16 = 16;
    let lab = start_lab().await;
    guarded("burst to a slow reader", async {
        let (mut reader, _) = Client::open(&lab.ws_url(), true).await;
        reader.connect("lab-ws-slow-reader").await;
        reader
            .send(support::subscribe(1, "lab/ws/burst", QoS::AtMostOnce))
            .await;
        assert!(matches!(reader.next_packet().await, Packet::SubAck(_)));

        let (mut writer, _) = Client::open(&lab.ws_url(), true).await;
        writer.connect("lab-ws-burst-writer").await;
        let payload = vec![0x5a; 1024 * 1024];
        for pkid in 1..=COUNT {
            let publish = support::publish(pkid, "lab/ws/burst", QoS::AtLeastOnce, payload.clone());
            writer.send(publish).await;
        }
        for _ in 0..COUNT {
            assert!(matches!(writer.next_packet().await, Packet::PubAck(_)));
        }

        for _ in 0..COUNT {
            match reader.next_packet().await {
                Packet::Publish(publish) => assert_eq!(publish.payload.len(), payload.len()),
                other => panic!("expected PUBLISH, got {other:?}"),
            }
        }
    })
    .await;
}
