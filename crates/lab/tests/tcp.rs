//! MQTT 3.1.1 over the lab's TCP listener, plus start-up errors.

mod support;

use std::net::{Ipv4Addr, TcpListener};

use lab::{LabConfig, LabError, Listener};
use mqttbytes::v4::{Packet, PubAck, SubscribeReasonCode};
use mqttbytes::QoS;
use support::{guarded, start_lab, TcpClient as Client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_client_receives_its_own_qos1_publish() {
    let lab = start_lab().await;
    guarded("QoS 1 round trip over TCP", async {
        let mut client = Client::connect(lab.tcp_addr()).await;
        client.send(support::connect("lab-tcp-echo", 30)).await;
        support::assert_connack_success(&client.next_packet().await.expect("CONNACK"));

        client
            .send(support::subscribe(1, "lab/tcp/echo", QoS::AtLeastOnce))
            .await;
        match client.next_packet().await {
            Some(Packet::SubAck(ack)) => {
                assert_eq!(ack.pkid, 1);
                assert_eq!(
                    ack.return_codes,
                    [SubscribeReasonCode::Success(QoS::AtLeastOnce)]
                );
            }
            other => panic!("expected SUBACK, got {other:?}"),
        }

        let payload = b"hello over tcp".to_vec();
        client
            .send(support::publish(
                7,
                "lab/tcp/echo",
                QoS::AtLeastOnce,
                payload.clone(),
            ))
            .await;
        // The PUBACK and our own message may come in either order.
        let (mut acked, mut echoed) = (false, false);
        while !(acked && echoed) {
            match client.next_packet().await {
                Some(Packet::PubAck(ack)) => {
                    assert_eq!(ack, PubAck::new(7));
                    acked = true;
                }
                Some(Packet::Publish(publish)) => {
                    assert_eq!(publish.topic, "lab/tcp/echo");
                    assert_eq!(publish.qos, QoS::AtLeastOnce);
                    assert_eq!(&publish.payload[..], &payload[..]);
                    client.send(support::puback(publish.pkid)).await;
                    echoed = true;
                }
                other => panic!("expected PUBACK or PUBLISH, got {other:?}"),
            }
        }
    })
    .await;
}

/// rumqttd quirk worth knowing in the app: a client id containing `/`, `+`, `#` or `$` is
/// refused by closing the connection, without any CONNACK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_with_slash_is_dropped_without_connack() {
    let lab = start_lab().await;
    guarded("refused client id", async {
        let mut client = Client::connect(lab.tcp_addr()).await;
        client.send(support::connect("playground/tab-1", 30)).await;
        assert_eq!(client.next_packet().await, None);
    })
    .await;
}

/// rumqttd quirk: keep-alive 0 ("never ping") is refused the same silent way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_zero_is_dropped_without_connack() {
    let lab = start_lab().await;
    guarded("keep-alive 0", async {
        let mut client = Client::connect(lab.tcp_addr()).await;
        client.send(support::connect("lab-no-keepalive", 0)).await;
        assert_eq!(client.next_packet().await, None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_a_clear_error() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a test port");
    let port = taken.local_addr().expect("local addr").port();
    let config = LabConfig {
        tcp_port: port,
        ws_port: 0,
        ..LabConfig::default()
    };
    match lab::start(&config).await {
        Err(error @ LabError::AddrInUse { listener, addr }) => {
            assert_eq!(listener, Listener::Tcp);
            assert_eq!(addr.port(), port);
            assert!(error.to_string().contains("already in use"), "{error}");
        }
        Err(other) => panic!("expected AddrInUse, got {other}"),
        Ok(_) => panic!("the lab started on a port that is in use"),
    }
}
