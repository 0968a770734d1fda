//! Shared test helpers: start a lab on free ports, encode packets with mqttbytes, and decode
//! whatever bytes arrive into whole MQTT packets (split and coalesced alike).
#![allow(dead_code)] // each test file uses a different subset

pub mod challenge;
pub mod cut;
pub mod ws;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use bytes::BytesMut;
use lab::{LabConfig, RunningBroker};
use mqttbytes::v4::{self, ConnAck, ConnectReturnCode, Packet};
use mqttbytes::QoS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Failure guard only: a healthy run takes milliseconds.
pub const GUARD: Duration = Duration::from_secs(10);

pub async fn start_lab() -> RunningBroker {
    start_lab_serving(None).await
}

/// A lab on free ports that also serves the app in `app_dir`, if given.
pub async fn start_lab_serving(app_dir: Option<PathBuf>) -> RunningBroker {
    start_lab_with(LabConfig {
        app_dir,
        ..free_ports()
    })
    .await
}

/// A lab on free ports with the fault-injection listener (`--fault-port 0`).
pub async fn start_lab_with_faults() -> RunningBroker {
    start_lab_with(LabConfig {
        fault_port: Some(0),
        ..free_ports()
    })
    .await
}

/// The default configuration on loopback and free ports.
pub fn free_ports() -> LabConfig {
    LabConfig {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        ws_port: 0,
        tcp_port: 0,
        ..LabConfig::default()
    }
}

pub async fn start_lab_with(config: LabConfig) -> RunningBroker {
    match lab::start(&config).await {
        Ok(broker) => broker,
        Err(error) => panic!("lab did not start: {error}"),
    }
}

/// Runs a test body under the failure guard.
pub async fn guarded<F: std::future::Future<Output = T>, T>(what: &str, body: F) -> T {
    match tokio::time::timeout(GUARD, body).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: no result within {GUARD:?}"),
    }
}

fn encode(write: impl FnOnce(&mut BytesMut) -> Result<usize, mqttbytes::Error>) -> Vec<u8> {
    let mut buf = BytesMut::new();
    write(&mut buf).expect("test packet encodes");
    buf.to_vec()
}

pub fn connect(client_id: &str, keep_alive: u16) -> Vec<u8> {
    let mut connect = v4::Connect::new(client_id);
    connect.keep_alive = keep_alive;
    encode(|buf| connect.write(buf))
}

pub fn subscribe(pkid: u16, filter: &str, qos: QoS) -> Vec<u8> {
    let mut subscribe = v4::Subscribe::new(filter, qos);
    subscribe.pkid = pkid;
    encode(|buf| subscribe.write(buf))
}

pub fn publish(pkid: u16, topic: &str, qos: QoS, payload: Vec<u8>) -> Vec<u8> {
    let mut publish = v4::Publish::new(topic, qos, payload);
    publish.pkid = pkid;
    encode(|buf| publish.write(buf))
}

pub fn puback(pkid: u16) -> Vec<u8> {
    encode(|buf| v4::PubAck::new(pkid).write(buf))
}

pub fn assert_connack_success(packet: &Packet) {
    assert_eq!(
        packet,
        &Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false))
    );
}

/// Accumulates received bytes and yields complete packets.
#[derive(Default)]
pub struct Decoder {
    buf: BytesMut,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete packet, or None if more bytes are needed.
    pub fn next_packet(&mut self) -> Option<Packet> {
        match v4::read(&mut self.buf, usize::MAX) {
            Ok(packet) => Some(packet),
            Err(mqttbytes::Error::InsufficientBytes(_)) => None,
            Err(error) => panic!("broker sent a malformed packet: {error:?}"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// A raw MQTT client over TCP.
pub struct TcpClient {
    stream: TcpStream,
    decoder: Decoder,
}

impl TcpClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("TCP connect");
        Self {
            stream,
            decoder: Decoder::default(),
        }
    }

    pub async fn send(&mut self, bytes: Vec<u8>) {
        self.stream.write_all(&bytes).await.expect("send");
    }

    /// The next packet, or None once the broker has closed the connection.
    pub async fn next_packet(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) = self.decoder.next_packet() {
                return Some(packet);
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.push(&chunk[..n]),
            }
        }
    }
}
