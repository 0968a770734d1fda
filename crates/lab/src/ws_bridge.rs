//! Behind the lab's WebSocket listeners: a small WebSocket → TCP bridge in front of rumqttd's
//! TCP listener (or, with `--upstream`, another broker's), one upstream TCP connection per
//! WebSocket client.
//!
//! Why not rumqttd's own WebSocket listener (its `websocket` feature)? In rumqttd 0.20 with
//! ws_stream_tungstenite 0.13:
//! - a write that meets a full socket buffer stays in tungstenite's buffer (the flush is polled
//!   with a no-op waker and rumqttd never flushes), so the tail of a burst to a slow reader, such
//!   as a busy browser tab, waits for the broker's next write to it, often the next PINGRESP;
//! - the handshake runs inside the accept loop with no timeout: one silent socket blocks every
//!   later WebSocket client;
//! - it answers `Sec-WebSocket-Protocol: mqtt` even when the client asked for no subprotocol,
//!   and RFC 6455 clients (browsers) must then fail the connection.
//!
//! This bridge: handshake per connection under a timeout (`http_server.rs`); `mqtt` echoed only
//! when requested (`ws_handshake.rs`); any request path accepted (as mosquitto and rumqttd do;
//! the app uses `/mqtt`; `front_door.rs`); binary frames only [MQTT-6.0.0-1]; each message to
//! the client carries whole MQTT packets (one or more).
//!
//! Each connection is registered in `live_links.rs`, named by the client id of its CONNECT
//! (`connect_id.rs`), so the control endpoint (`control.rs`) can cut it on demand.

use std::time::Duration;

use bytes::BytesMut;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};

use crate::connect_id::{ClientIdReader, Reading};
use crate::live_links::{CutSignal, Registration};
use crate::ws_handshake::Ws;

/// How long to wait for a close frame to go out before just dropping the connection.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Bytes asked of the broker socket per read.
const READ_CHUNK: usize = 64 * 1024;

/// Why a bridged connection ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The client closed the WebSocket or the connection to it failed.
    Client,
    /// The broker closed its side (e.g. it refused the CONNECT) or the connection to it failed.
    Broker,
    /// The client broke MQTT-over-WebSocket rules; closed with this code and reason.
    Refused(CloseCode, &'static str),
    /// Cut through the control endpoint: both connections dropped, no close frame, no
    /// DISCONNECT, as a network failure would end them.
    Cut,
    /// An MQTT 5 CONNECT to a broker that speaks 3.1.1 only: answered with CONNACK 0x84.
    Mqtt5Refused,
}

/// MQTT 5 CONNACK: session present 0, reason 0x84 "unsupported protocol version", no
/// properties.
const CONNACK_UNSUPPORTED_VERSION: [u8; 5] = [0x20, 0x03, 0x00, 0x84, 0x00];

/// Relays between an accepted WebSocket and a new connection to the broker's TCP listener at
/// `broker` (`HOST:PORT`; every address the host resolves to is tried) until either side ends
/// or `cut` fires; `registration` is the link's entry among the live links.
pub(crate) async fn relay(
    ws: Ws,
    broker: &str,
    registration: Registration,
    cut: CutSignal,
    refuse_mqtt5: bool,
) -> End {
    let (mut ws_tx, mut ws_rx) = ws.split();
    let upstream = match TcpStream::connect(broker).await {
        Ok(upstream) => upstream,
        Err(error) => {
            debug!("the broker at {broker} is not reachable: {error}");
            close(&mut ws_tx, CloseCode::Error, "the broker is not reachable").await;
            return End::Broker;
        }
    };
    // Small packets answered by small packets: do not let Nagle hold them back.
    if let Err(error) = upstream.set_nodelay(true) {
        debug!("could not turn Nagle's algorithm off towards the broker: {error}");
    }
    let (mut tcp_rx, mut tcp_tx) = upstream.into_split();

    let end = tokio::select! {
        end = client_to_broker(&mut ws_rx, &mut tcp_tx, &registration, refuse_mqtt5) => end,
        end = broker_to_client(&mut tcp_rx, &mut ws_tx) => end,
        () = cut.cut() => End::Cut,
    };
    match &end {
        // Completes the close handshake the client started (tungstenite queued the reply).
        End::Client => match timeout(CLOSE_TIMEOUT, ws_tx.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => debug!("could not complete the client's close: {error}"),
            Err(_) => debug!("the client's close did not complete within {CLOSE_TIMEOUT:?}"),
        },
        End::Broker => close(&mut ws_tx, CloseCode::Normal, "closed by the broker").await,
        End::Refused(code, reason) => close(&mut ws_tx, *code, reason).await,
        End::Mqtt5Refused => {
            let connack = Message::Binary(CONNACK_UNSUPPORTED_VERSION.to_vec().into());
            if ws_tx.send(connack).await.is_ok() {
                close(
                    &mut ws_tx,
                    CloseCode::Normal,
                    "MQTT 5 is not supported here",
                )
                .await;
            }
        }
        // Returning drops both sockets (closed by the OS), and nothing is said on either.
        End::Cut => {}
    }
    end
}

/// Client → broker: binary payloads are forwarded as bytes; packet boundaries do not matter to
/// a TCP stream, so split or coalesced packets from the client are fine. The link is named
/// by its CONNECT's client id before the CONNECT goes on, so it can be cut by name as soon as
/// the client has its CONNACK.
async fn client_to_broker(
    ws_rx: &mut SplitStream<Ws>,
    tcp_tx: &mut OwnedWriteHalf,
    registration: &Registration,
    refuse_mqtt5: bool,
) -> End {
    let mut naming = Some(ClientIdReader::default());
    while let Some(message) = ws_rx.next().await {
        match message {
            Ok(Message::Binary(bytes)) => {
                if let Some(reader) = &mut naming {
                    match reader.push(&bytes) {
                        Reading::NeedMore => {}
                        Reading::Found { level: 5, .. } if refuse_mqtt5 => {
                            return End::Mqtt5Refused;
                        }
                        Reading::Found { client_id, .. } => {
                            registration.name(client_id);
                            naming = None;
                        }
                        Reading::NotAConnect => naming = None,
                    }
                }
                if tcp_tx.write_all(&bytes).await.is_err() {
                    return End::Broker;
                }
            }
            Ok(Message::Text(_)) => {
                return End::Refused(CloseCode::Unsupported, "MQTT needs binary frames");
            }
            Ok(Message::Close(_)) | Err(_) => return End::Client,
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
        }
    }
    End::Client
}

/// Broker → client: whatever whole packets have arrived go out as one binary message; a partial
/// packet waits for the rest. `send` flushes with the task's waker, so nothing is left behind.
async fn broker_to_client(tcp_rx: &mut OwnedReadHalf, ws_tx: &mut SplitSink<Ws, Message>) -> End {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        buf.reserve(READ_CHUNK);
        match tcp_rx.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return End::Broker,
            Ok(_) => {}
        }
        let Some(whole) = whole_packets_len(&buf) else {
            warn!("the broker sent a malformed MQTT length; closing the connection");
            return End::Broker;
        };
        if whole > 0 {
            let message = Message::Binary(buf.split_to(whole).freeze());
            if ws_tx.send(message).await.is_err() {
                return End::Client;
            }
        }
    }
}

/// Sends a close frame, giving up after CLOSE_TIMEOUT (the client may not be reading).
async fn close(ws_tx: &mut SplitSink<Ws, Message>, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    match timeout(CLOSE_TIMEOUT, ws_tx.send(Message::Close(Some(frame)))).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => debug!("could not send the close frame ({reason}): {error}"),
        Err(_) => debug!("the close frame ({reason}) did not go out within {CLOSE_TIMEOUT:?}"),
    }
}

/// Length of the longest prefix of `buf` made of whole MQTT packets, or None if a remaining
/// length is malformed (more than 4 bytes, MQTT 3.1.1 §2.2.3).
fn whole_packets_len(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        let mut remaining = 0usize;
        let mut header = 1; // packet type byte
        loop {
            let Some(&byte) = buf.get(start + header) else {
                return Some(start);
            };
            remaining |= usize::from(byte & 0x7f) << (7 * (header - 1));
            header += 1;
            if byte & 0x80 == 0 {
                break;
            }
            if header > 4 {
                return None;
            }
        }
        let end = start + header + remaining;
        if end > buf.len() {
            return Some(start);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::whole_packets_len;

    #[test]
    fn finds_whole_packets_and_leaves_partial_ones() {
        assert_eq!(whole_packets_len(&[]), Some(0));
        assert_eq!(whole_packets_len(&[0x20]), Some(0));
        // CONNACK + PINGRESP, then the start of a PUBLISH
        let bytes = [0x20, 0x02, 0x00, 0x00, 0xd0, 0x00, 0x30, 0x05, 0x00];
        assert_eq!(whole_packets_len(&bytes), Some(6));
        // a 200-byte remaining length takes two bytes: 0xc8 0x01
        let mut publish = vec![0x30, 0xc8, 0x01];
        publish.resize(3 + 200, 0);
        assert_eq!(whole_packets_len(&publish[..100]), Some(0));
        assert_eq!(whole_packets_len(&publish), Some(203));
    }

    #[test]
    fn rejects_a_five_byte_length() {
        assert_eq!(
            whole_packets_len(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
            None
        );
    }
}
