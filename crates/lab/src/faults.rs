//! The fault-injection listener (`--fault-port`): a deliberately misbehaving MQTT-over-WebSocket
//! server, so browser tests can check the web app's error handling end to end.
//!
//! The request path picks the fault; the WebSocket handshake itself is well-behaved (`mqtt` is
//! echoed only when requested, as the bridge does):
//! - `/text`: sends one TEXT frame, "hello" (MQTT over WebSocket is binary only [MQTT-6.0.0-1]);
//! - `/garbage`: answers the client's first message (its CONNECT) with `[0x00, 0x00]`, packet
//!   type 0, which is reserved: a malformed packet;
//! - `/silent`: reads and discards everything and never answers (the CONNACK timeout must fire);
//! - `/close`: after the first message, closes with 1011 and the reason "fault injected";
//! - `/oversize`: after the first message, a valid CONNACK, then the start of a PUBLISH whose
//!   remaining length claims [`OVERSIZE_LENGTH`] bytes;
//! - any other path: HTTP 404, so the handshake fails (a "wrong WebSocket path").
//!
//! "First message" is the first data (binary or text) message; pings are answered by
//! tungstenite and otherwise ignored. After its fault, a connection keeps reading (and
//! discarding) until the client closes it, so what is observed is the client's reaction.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;

use crate::http_server::{self, text_response, Body};
use crate::limits::MAX_PACKET_SIZE;
use crate::ws_handshake::{self, Ws};

/// The request paths that inject a fault, in the order the lab lists them.
pub const FAULT_PATHS: [&str; 5] = ["/text", "/garbage", "/silent", "/close", "/oversize"];

/// The remaining length the `/oversize` PUBLISH claims: far beyond any sane packet limit, yet a
/// valid 4-byte MQTT length (the maximum is 268,435,455).
pub const OVERSIZE_LENGTH: u32 = 200_000_000;

/// Bound on a whole faulty connection, so one whose client never closes is freed eventually.
/// Far longer than any client's CONNACK or keep-alive timeout.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Largest WebSocket message or frame accepted from a client (a CONNECT is tiny).
const MAX_MESSAGE_SIZE: usize = MAX_PACKET_SIZE;

/// What a connection does, chosen by its request path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Text,
    Garbage,
    Silent,
    Close,
    Oversize,
}

impl Fault {
    fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "/text" => Fault::Text,
            "/garbage" => Fault::Garbage,
            "/silent" => Fault::Silent,
            "/close" => Fault::Close,
            "/oversize" => Fault::Oversize,
            _ => return None,
        })
    }
}

/// Serves the fault port forever: each connection injects the fault its path asks for.
/// Returns only if the task is cancelled (the `String` matches the other listeners' tasks).
pub(crate) async fn serve(listener: TcpListener) -> String {
    http_server::serve(listener, "fault", |peer, request| async move {
        answer(peer, request)
    })
    .await
}

/// One request: 404 for a path that names no fault, else the WebSocket handshake (the same
/// as the bridge's), then the fault on the upgraded connection.
fn answer(peer: SocketAddr, request: Request<Incoming>) -> Response<Body> {
    let Some(fault) = Fault::from_path(request.uri().path()) else {
        return not_found();
    };
    // Whatever the client sends is discarded; no need for tungstenite's 64 MiB default.
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let (response, ws) = ws_handshake::accept(request, config);
    if let Some(ws) = ws {
        tokio::spawn(async move {
            let Some(ws) = ws.await else { return };
            match timeout(CONNECTION_LIFETIME, inject(ws, fault)).await {
                Ok(end) => debug!(%peer, "fault connection ended: {end}"),
                Err(_) => debug!(%peer, "fault connection dropped after its lifetime"),
            }
        });
    }
    response
}

/// The 404 for a path that names no fault; the body lists the ones that do.
fn not_found() -> Response<Body> {
    let body = format!(
        "no such fault; the fault paths are {}\n",
        FAULT_PATHS.join(", ")
    );
    text_response(StatusCode::NOT_FOUND, body)
}

/// Misbehaves as `fault` says, then discards whatever comes until the client goes away.
async fn inject(mut ws: Ws, fault: Fault) -> &'static str {
    if fault != Fault::Text && fault != Fault::Silent && !first_message(&mut ws).await {
        return "the client left before its first message";
    }
    let sent = match fault {
        Fault::Text => ws.send(Message::text("hello")).await,
        Fault::Garbage => ws.send(Message::binary(vec![0x00, 0x00])).await,
        Fault::Silent => Ok(()),
        Fault::Close => {
            let frame = CloseFrame {
                code: CloseCode::Error, // 1011
                reason: "fault injected".into(),
            };
            ws.send(Message::Close(Some(frame))).await
        }
        Fault::Oversize => {
            let connack = Message::binary(vec![0x20, 0x02, 0x00, 0x00]);
            match ws.send(connack).await {
                Ok(()) => ws.send(Message::binary(oversize_publish())).await,
                Err(error) => Err(error),
            }
        }
    };
    if sent.is_err() {
        return "the client went away before the fault";
    }
    // Also completes the close handshake after `/close` (the client's reply ends the stream).
    while let Some(Ok(_)) = ws.next().await {}
    "the client closed or left"
}

/// Waits for the client's first data message; false if the connection ended first.
async fn first_message(ws: &mut Ws) -> bool {
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Binary(_) | Message::Text(_) => return true,
            Message::Close(_) => return false,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
    false
}

/// A QoS 0 PUBLISH header claiming OVERSIZE_LENGTH remaining bytes, followed by only the start
/// of its variable header (topic length 3, "big").
fn oversize_publish() -> Vec<u8> {
    let mut bytes = vec![0x30];
    bytes.extend(remaining_length(OVERSIZE_LENGTH));
    bytes.extend([0x00, 0x03, b'b', b'i', b'g']);
    bytes
}

/// MQTT's variable-length encoding (3.1.1 §2.2.3): 7 bits per byte, least significant first,
/// the top bit set on every byte but the last.
fn remaining_length(mut value: u32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4);
    loop {
        let byte = (value % 128) as u8;
        value /= 128;
        if value == 0 {
            bytes.push(byte);
            return bytes;
        }
        bytes.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_lengths_encode_as_in_the_spec() {
        // MQTT 3.1.1 table 2.4's boundaries.
        assert_eq!(remaining_length(0), [0x00]);
        assert_eq!(remaining_length(127), [0x7f]);
        assert_eq!(remaining_length(128), [0x80, 0x01]);
        assert_eq!(remaining_length(16_383), [0xff, 0x7f]);
        assert_eq!(remaining_length(2_097_152), [0x80, 0x80, 0x80, 0x01]);
        assert_eq!(remaining_length(268_435_455), [0xff, 0xff, 0xff, 0x7f]);
        // 200,000,000 = 0 + 4·128 + 47·128² + 95·128³
        assert_eq!(remaining_length(OVERSIZE_LENGTH), [0x80, 0x84, 0xaf, 0x5f]);
    }

    #[test]
    fn every_listed_path_names_a_fault() {
        for path in FAULT_PATHS {
            assert!(Fault::from_path(path).is_some(), "{path}");
        }
        assert_eq!(Fault::from_path("/mqtt"), None);
        assert_eq!(Fault::from_path("/text/"), None);
    }
}
