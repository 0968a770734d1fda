//! `--upstream HOST:PORT` with `--upstream-ws-port N`: a second WebSocket listener bridged to
//! another broker's TCP listener, so the browser tests can cut connections in front of
//! mosquitto too. Here the other broker is a second lab, watched over plain TCP: what arrives
//! there came through the bridge, not through the first lab's embedded broker.

mod support;

use lab::{LabConfig, RunningBroker, UpstreamConfig};
use mqttbytes::v4::Packet;
use mqttbytes::QoS;
use support::cut::{assert_alive, assert_dropped_without_close, connected, control};
use support::ws::Client;
use support::{free_ports, guarded, start_lab, start_lab_with, TcpClient};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// A lab with `--control` whose upstream listener bridges to `broker` (`HOST:PORT`).
async fn start_lab_in_front_of(broker: String) -> RunningBroker {
    start_lab_with(LabConfig {
        control: true,
        upstream: Some(UpstreamConfig { broker, ws_port: 0 }),
        ..free_ports()
    })
    .await
}

/// A client of `broker` over TCP, subscribed to `filter`.
async fn watcher(broker: &RunningBroker, client_id: &str, filter: &str) -> TcpClient {
    let mut watcher = TcpClient::connect(broker.tcp_addr()).await;
    watcher.send(support::connect(client_id, 30)).await;
    let connack = watcher.next_packet().await.expect("a CONNACK");
    support::assert_connack_success(&connack);
    watcher
        .send(support::subscribe(1, filter, QoS::AtLeastOnce))
        .await;
    assert!(matches!(
        watcher.next_packet().await,
        Some(Packet::SubAck(_))
    ));
    watcher
}

/// The next PUBLISH `watcher` receives: its topic and payload.
async fn next_message(watcher: &mut TcpClient) -> (String, Vec<u8>) {
    match watcher.next_packet().await {
        Some(Packet::Publish(publish)) => (publish.topic, publish.payload.to_vec()),
        other => panic!("expected a PUBLISH, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_listener_bridges_to_the_other_broker_and_a_cut_by_prefix_drops_it() {
    let other = start_lab().await;
    let lab = start_lab_in_front_of(other.tcp_addr().to_string()).await;
    guarded("a cut in front of another broker", async {
        let url = lab.upstream_ws_url().expect("an upstream listener");
        assert_ne!(url, lab.ws_url());
        let old_line = format!("LAB_READY ws={} tcp={}", lab.ws_url(), lab.tcp_addr());
        assert_eq!(lab.ready_line(), format!("{old_line} upstream={url}"));

        let mut watcher = watcher(&other, "lab-upstream-watcher", "lab/upstream/#").await;
        let (mut doomed, _) = connected(
            &url,
            "lab-upstream-doomed",
            Some("lab/upstream/will"),
            false,
        )
        .await;
        let (mut kept, _) = connected(&url, "lab-upstream-kept", None, false).await;
        doomed
            .send(support::publish(
                1,
                "lab/upstream/data",
                QoS::AtMostOnce,
                b"through the bridge".to_vec(),
            ))
            .await;
        let message = next_message(&mut watcher).await;
        assert_eq!(
            message,
            ("lab/upstream/data".into(), b"through the bridge".to_vec())
        );

        let addr = lab.upstream_ws_addr().expect("an upstream listener");
        let reply = control(addr, "POST", "/control/cut?client=lab-upstream-doomed").await;
        assert_eq!(reply.status, 200, "{}", reply.head);
        assert_eq!(reply.body, "{\"cut\": 1}\n");

        assert_dropped_without_close(&mut doomed, "the cut client").await;
        // The other broker saw the bridge's connection vanish without a DISCONNECT.
        let will = next_message(&mut watcher).await;
        assert_eq!(will, ("lab/upstream/will".into(), b"gone".to_vec()));
        assert_alive(&mut kept, "the other client of the upstream listener").await;
    })
    .await;
}

/// Both listeners register their connections in one place: a cut asked on either port
/// reaches the connections of both, so a test need not know which port its client used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_asked_on_either_port_reaches_the_connections_of_both() {
    let other = start_lab().await;
    let lab = start_lab_in_front_of(other.tcp_addr().to_string()).await;
    guarded("one registry for both ports", async {
        let upstream_url = lab.upstream_ws_url().expect("an upstream listener");
        let upstream_addr = lab.upstream_ws_addr().expect("an upstream listener");
        let (mut embedded, _) = connected(&lab.ws_url(), "lab-both-embedded", None, false).await;
        let (mut upstream, _) = connected(&upstream_url, "lab-both-upstream", None, false).await;

        let reply = control(
            lab.ws_addr(),
            "GET",
            "/control/cut?client=lab-both-upstream",
        )
        .await;
        assert_eq!(reply.body, "{\"cut\": 1}\n");
        assert_dropped_without_close(&mut upstream, "the upstream client").await;
        assert_alive(&mut embedded, "the embedded broker's client").await;

        let reply = control(
            upstream_addr,
            "GET",
            "/control/cut?client=lab-both-embedded",
        )
        .await;
        assert_eq!(reply.body, "{\"cut\": 1}\n");
        assert_dropped_without_close(&mut embedded, "the embedded broker's client").await;
    })
    .await;
}

/// Nothing listens at the upstream address: the WebSocket opens (the bridge connects only
/// then) and is closed at once with 1011 and a reason the page can show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_closes_the_websocket_with_a_reason() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a port free a moment ago");
    let lab = start_lab_in_front_of(closed.to_string()).await;
    guarded("an unreachable upstream", async {
        let url = lab.upstream_ws_url().expect("an upstream listener");
        let (mut client, _) = Client::open(&url, true).await;
        match futures_util::StreamExt::next(&mut client.ws).await {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Error);
                assert!(frame.reason.contains("not reachable"), "{}", frame.reason);
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    })
    .await;
}
