//! The fault-injection listener (`--fault-port`): each request path misbehaves in one way, so
//! browser tests can check the web app's error handling against a real server.

mod support;

use futures_util::{SinkExt, StreamExt};
use lab::{RunningBroker, FAULT_PATHS, OVERSIZE_LENGTH};
use support::ws::{subprotocol, Client};
use support::{guarded, start_lab, start_lab_with_faults};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

/// Opens `path` on the fault listener the way the browser does (asking for `mqtt`).
async fn open(lab: &RunningBroker, path: &str) -> Client {
    let url = format!("{}{path}", lab.faults_url().expect("faults enabled"));
    let (client, response) = Client::open(&url, true).await;
    assert_eq!(response.status(), 101);
    assert_eq!(subprotocol(&response), Some("mqtt"), "{path}");
    client
}

/// Opens `path` and sends a CONNECT, as an MQTT client does first.
async fn open_and_connect(lab: &RunningBroker, path: &str) -> Client {
    let mut client = open(lab, path).await;
    client.send(support::connect("lab-fault", 30)).await;
    client
}

async fn next_message(client: &mut Client) -> Message {
    match client.ws.next().await {
        Some(Ok(message)) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ready_line_gains_a_faults_field_only_when_enabled() {
    let plain = start_lab().await;
    assert_eq!(plain.faults_url(), None);
    assert_eq!(
        plain.ready_line(),
        format!("LAB_READY ws={} tcp={}", plain.ws_url(), plain.tcp_addr())
    );

    let lab = start_lab_with_faults().await;
    let faults = lab.faults_addr().expect("faults enabled");
    assert_ne!(faults, lab.ws_addr());
    assert_eq!(lab.faults_url(), Some(format!("ws://{faults}")));
    assert_eq!(
        lab.ready_line(),
        format!(
            "LAB_READY ws={} tcp={} faults=ws://{faults}",
            lab.ws_url(),
            lab.tcp_addr()
        )
    );
}

/// MQTT over WebSocket must be binary [MQTT-6.0.0-1]; `/text` sends a text frame at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_sends_a_text_frame() {
    let lab = start_lab_with_faults().await;
    guarded("/text", async {
        let mut client = open(&lab, "/text").await;
        assert_eq!(next_message(&mut client).await, Message::text("hello"));

        // Like the bridge, no subprotocol is answered when none is asked for.
        let url = format!("{}/text", lab.faults_url().unwrap());
        let (mut client, response) = Client::open(&url, false).await;
        assert_eq!(subprotocol(&response), None);
        assert_eq!(next_message(&mut client).await, Message::text("hello"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_answers_connect_with_a_reserved_packet_type() {
    let lab = start_lab_with_faults().await;
    guarded("/garbage", async {
        let mut client = open_and_connect(&lab, "/garbage").await;
        assert_eq!(
            next_message(&mut client).await,
            Message::binary(vec![0x00, 0x00])
        );
    })
    .await;
}

/// No answer can be proven without waiting, but order can: the server answers a ping sent
/// after the CONNECT, so it has read the CONNECT, and the pong is the first thing it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_reads_but_never_answers() {
    let lab = start_lab_with_faults().await;
    guarded("/silent", async {
        let mut client = open_and_connect(&lab, "/silent").await;
        client
            .ws
            .send(Message::Ping(b"anyone?".to_vec().into()))
            .await
            .expect("send a ping");
        assert_eq!(
            next_message(&mut client).await,
            Message::Pong(b"anyone?".to_vec().into())
        );
        // It still takes part in a clean close.
        client.ws.close(None).await.expect("send a close frame");
        while let Some(message) = client.ws.next().await {
            assert!(
                matches!(message, Ok(Message::Close(_))),
                "after close: {message:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_closes_with_1011_after_the_first_message() {
    let lab = start_lab_with_faults().await;
    guarded("/close", async {
        let mut client = open_and_connect(&lab, "/close").await;
        match next_message(&mut client).await {
            Message::Close(Some(frame)) => {
                assert_eq!(frame.code, CloseCode::Error);
                assert_eq!(u16::from(frame.code), 1011);
                assert_eq!(frame.reason.as_str(), "fault injected");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
        // tungstenite answers the close; the server then ends the connection.
        assert!(client.ws.next().await.is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_sends_connack_then_a_publish_claiming_200_mb() {
    let lab = start_lab_with_faults().await;
    guarded("/oversize", async {
        let mut client = open_and_connect(&lab, "/oversize").await;
        let connack = next_message(&mut client).await;
        assert_eq!(connack, Message::binary(vec![0x20, 0x02, 0x00, 0x00]));
        client.decoder.push(&connack.into_data());
        support::assert_connack_success(&client.decoder.next_packet().expect("a CONNACK"));

        let publish = next_message(&mut client).await.into_data();
        assert_eq!(publish[0] >> 4, 3, "a PUBLISH: {publish:02x?}");
        let (length, header) = remaining_length(&publish[1..]);
        assert_eq!(length, 200_000_000);
        assert_eq!(length, OVERSIZE_LENGTH);
        let sent = publish.len() - 1 - header;
        assert!(sent > 0 && sent < 16, "a few bytes of body, got {sent}");
        // An MQTT decoder accepts the header and waits for the rest.
        client.decoder.push(&publish);
        assert_eq!(client.decoder.next_packet(), None);
    })
    .await;
}

/// Unknown paths (including the broker's usual `/mqtt`) fail the handshake with HTTP 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_paths_get_404() {
    let lab = start_lab_with_faults().await;
    let base = lab.faults_url().expect("faults enabled");
    guarded("unknown fault paths", async {
        for path in ["/mqtt", "/", "/text/more", "/TEXT"] {
            match Client::try_open(&format!("{base}{path}"), true).await {
                Err(Error::Http(response)) => assert_eq!(response.status(), 404, "{path}"),
                Err(other) => panic!("{path}: expected HTTP 404, got {other}"),
                Ok(_) => panic!("{path}: the handshake succeeded"),
            }
        }
        // Every listed path does upgrade.
        for path in FAULT_PATHS {
            open(&lab, path).await;
        }
    })
    .await;
}

/// Decodes an MQTT remaining length: (value, bytes it took).
fn remaining_length(bytes: &[u8]) -> (u32, usize) {
    let mut value = 0;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("malformed remaining length: {bytes:02x?}");
}
