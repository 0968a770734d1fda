//! Helpers for the control endpoint's tests: a control request as a page on another origin
//! sends it, a client connected over WebSocket with a will and a session of its choice, and
//! what a cut must look like.

use std::net::SocketAddr;

use bytes::BytesMut;
use futures_util::StreamExt;
use mqttbytes::v4::{self, LastWill, Packet};
use mqttbytes::QoS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::Error;

use super::ws::Client;

const PINGREQ: [u8; 2] = [0xc0, 0x00];

/// The answer to one control request.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `method target` to a WebSocket port of the lab, as a page on another origin would,
/// and reads the answer to the end (the lab closes after one response).
pub async fn control(addr: SocketAddr, method: &str, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://127.0.0.1:1\r\n\
         Content-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read the reply");
    let raw = String::from_utf8(raw).expect("a UTF-8 reply");
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a complete response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// A client connected through the WebSocket at `url`. `will` is published by the broker if
/// the client vanishes; with `persistent`, the broker keeps its session across connections
/// (clean session 0). Returns the client and the CONNACK's session present flag.
pub async fn connected(
    url: &str,
    client_id: &str,
    will: Option<&str>,
    persistent: bool,
) -> (Client, bool) {
    let (mut client, _) = Client::open(url, true).await;
    let mut connect = v4::Connect::new(client_id);
    connect.keep_alive = 30;
    connect.clean_session = !persistent;
    connect.last_will = will.map(|topic| LastWill::new(topic, "gone", QoS::AtMostOnce, false));
    let mut bytes = BytesMut::new();
    connect.write(&mut bytes).expect("CONNECT encodes");
    client.send(bytes.to_vec()).await;
    match client.next_packet().await {
        Packet::ConnAck(ack) if ack.code == v4::ConnectReturnCode::Success => {
            (client, ack.session_present)
        }
        other => panic!("{client_id}: expected a successful CONNACK, got {other:?}"),
    }
}

/// Asserts that the connection ended without a close frame: tungstenite reports a peer that
/// closed its TCP connection without the closing handshake (a browser reports 1006), or a reset.
pub async fn assert_dropped_without_close(client: &mut Client, who: &str) {
    match client.ws.next().await {
        Some(Err(Error::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {}
        Some(Err(Error::Io(error))) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("{who}: expected the connection to drop without a close, got {other:?}"),
    }
}

/// Asserts that the client is still connected: the broker answers its PINGREQ.
pub async fn assert_alive(client: &mut Client, who: &str) {
    client.send(PINGREQ.to_vec()).await;
    match client.next_packet().await {
        Packet::PingResp => {}
        other => panic!("{who}: expected PINGRESP, got {other:?}"),
    }
}
