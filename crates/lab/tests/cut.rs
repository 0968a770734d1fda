//! The control endpoint `/control/cut` on the WebSocket port: browser tests cut the page's live
//! connections with it to check that the page reconnects by itself. A cut must look like a
//! network failure on both sides: no close frame to the client, no DISCONNECT to the broker.

mod support;

use mqttbytes::v4::Packet;
use mqttbytes::QoS;
use support::cut::{assert_alive, assert_dropped_without_close, connected, control};
use support::ws::Client;
use support::{free_ports, guarded, start_lab_with};

/// A lab with `--control`, the flag that turns the endpoint on.
async fn start_lab() -> lab::RunningBroker {
    start_lab_with(lab::LabConfig {
        control: true,
        ..free_ports()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_by_client_id_prefix_drops_only_the_matching_connection() {
    let lab = start_lab().await;
    guarded("cut by client id prefix", async {
        let (mut doomed, _) = connected(
            &lab.ws_url(),
            "lab-cut-doomed-1",
            Some("lab/cut/will"),
            false,
        )
        .await;
        let (mut kept, _) = connected(&lab.ws_url(), "lab-cut-kept-1", None, false).await;
        kept.send(support::subscribe(1, "lab/cut/will", QoS::AtMostOnce))
            .await;
        assert!(matches!(kept.next_packet().await, Packet::SubAck(_)));

        let reply = control(lab.ws_addr(), "POST", "/control/cut?client=lab-cut-doomed").await;
        assert_eq!(reply.status, 200, "{}", reply.head);
        assert_eq!(reply.body, "{\"cut\": 1}\n");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));

        assert_dropped_without_close(&mut doomed, "the cut client").await;
        // The broker saw the bridge's connection vanish without a DISCONNECT: it sends the will.
        match kept.next_packet().await {
            Packet::Publish(will) => {
                assert_eq!(will.topic, "lab/cut/will");
                assert_eq!(&will.payload[..], b"gone");
            }
            other => panic!("expected the cut client's will, got {other:?}"),
        }
        assert_alive(&mut kept, "the other client").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_without_a_filter_cuts_every_connection() {
    let lab = start_lab().await;
    guarded("cut everything", async {
        let (mut first, _) = connected(&lab.ws_url(), "lab-cut-all-1", None, false).await;
        let (mut second, _) = connected(&lab.ws_url(), "another-client", None, false).await;
        // A WebSocket whose CONNECT has not been sent has no client id, but is live all the same.
        let (mut silent, _) = Client::open(&lab.ws_url(), true).await;

        let reply = control(lab.ws_addr(), "GET", "/control/cut").await;
        assert_eq!(reply.status, 200, "{}", reply.head);
        assert_eq!(reply.body, "{\"cut\": 3}\n");

        assert_dropped_without_close(&mut first, "the first client").await;
        assert_dropped_without_close(&mut second, "the second client").await;
        assert_dropped_without_close(&mut silent, "the client that never connected").await;
        let again = control(lab.ws_addr(), "GET", "/control/cut").await;
        assert_eq!(again.body, "{\"cut\": 0}\n", "cut connections are gone");

        let (mut fresh, _) = connected(&lab.ws_url(), "lab-cut-all-1", None, false).await;
        assert_alive(&mut fresh, "a client connecting after the cut").await;
    })
    .await;
}

/// What the browser tests check in the page: after a cut, a client that asked the broker to
/// keep its session (clean session 0) finds it again, subscriptions included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_client_reconnects_to_its_session() {
    let lab = start_lab().await;
    guarded("session after a cut", async {
        let (mut watcher, _) = connected(&lab.ws_url(), "lab-cut-watcher", None, false).await;
        watcher
            .send(support::subscribe(
                1,
                "lab/cut/session/will",
                QoS::AtMostOnce,
            ))
            .await;
        assert!(matches!(watcher.next_packet().await, Packet::SubAck(_)));
        let (mut client, _) = connected(
            &lab.ws_url(),
            "lab-cut-session",
            Some("lab/cut/session/will"),
            true,
        )
        .await;
        client
            .send(support::subscribe(
                1,
                "lab/cut/session/data",
                QoS::AtLeastOnce,
            ))
            .await;
        assert!(matches!(client.next_packet().await, Packet::SubAck(_)));

        let reply = control(lab.ws_addr(), "POST", "/control/cut?client=lab-cut-session").await;
        assert_eq!(reply.body, "{\"cut\": 1}\n");
        assert_dropped_without_close(&mut client, "the cut client").await;
        // The will shows the broker has seen the connection go, so the session is stored.
        assert!(matches!(watcher.next_packet().await, Packet::Publish(_)));

        let (mut client, session_present) =
            connected(&lab.ws_url(), "lab-cut-session", None, true).await;
        assert!(
            session_present,
            "the broker kept the session across the cut"
        );
        watcher
            .send(support::publish(
                2,
                "lab/cut/session/data",
                QoS::AtLeastOnce,
                b"after".to_vec(),
            ))
            .await;
        assert!(matches!(watcher.next_packet().await, Packet::PubAck(_)));
        match client.next_packet().await {
            Packet::Publish(publish) => assert_eq!(&publish.payload[..], b"after"),
            other => panic!("expected the message on the kept subscription, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_origin_preflight_is_answered() {
    let lab = start_lab().await;
    guarded("preflight", async {
        let reply = control(lab.ws_addr(), "OPTIONS", "/control/cut?client=x").await;
        assert_eq!(reply.status, 204, "{}", reply.head);
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        let methods = reply.header("access-control-allow-methods");
        assert!(methods.is_some_and(|methods| methods.contains("POST")));
    })
    .await;
}

/// Without `--control` the endpoint does not exist: nobody who reaches the port can cut
/// everyone's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_control_flag_nothing_can_be_cut() {
    let lab = start_lab_with(free_ports()).await;
    guarded("no control without the flag", async {
        let reply = control(lab.ws_addr(), "GET", "/control/cut").await;
        assert_eq!(reply.status, 426, "{}", reply.head);
        assert!(!reply.body.contains("\"cut\""), "{}", reply.body);
    })
    .await;
}
