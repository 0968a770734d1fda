//! The lab's WebSocket listener: a small WebSocket → TCP bridge in front of rumqttd's TCP
//! listener, one upstream TCP connection per WebSocket client.
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
//! This bridge: handshake per connection under a timeout; `mqtt` echoed only when requested; any
//! request path accepted (as mosquitto and rumqttd do; the app uses `/mqtt`); binary frames only
//! [MQTT-6.0.0-1]; each message to the client carries whole MQTT packets (one or more).
//!
//! With an app dir (`--app-dir`), requests without `Upgrade: websocket` get the app's files
//! instead (`front_door.rs`, `static_files.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{timeout, timeout_at, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, warn};

use crate::front_door::{self, Door};
use crate::limits::MAX_PACKET_SIZE;
use crate::static_files::AppDir;
use crate::ws_handshake::echo_mqtt;

/// A client that has not completed the HTTP upgrade by then is dropped (same as rumqttd's
/// CONNECT timeout). With an app dir, reading the request head counts against it too.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a close frame to go out before just dropping the connection.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Bytes asked of the broker socket per read.
const READ_CHUNK: usize = 64 * 1024;
/// Largest WebSocket message or frame accepted from a client: room for a MAX_PACKET_SIZE
/// packet among others, and a bound on memory (tungstenite's default is 64 MiB).
const MAX_MESSAGE_SIZE: usize = 4 * MAX_PACKET_SIZE;

type Ws<S> = WebSocketStream<S>;

/// Accepts WebSocket clients forever, bridging each to the broker's TCP listener at `broker`
/// (and, with `app`, answering plain HTTP requests with its files).
/// Returns only if the task is cancelled (the `String` matches the other listener's task).
pub(crate) async fn serve(
    listener: TcpListener,
    broker: SocketAddr,
    app: Option<Arc<AppDir>>,
) -> String {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let app = app.clone();
                tokio::spawn(async move {
                    match connection(stream, broker, app.as_deref()).await {
                        End::Http(status) => debug!(%peer, "answered HTTP {status}"),
                        end => debug!(%peer, "WebSocket connection ended: {end:?}"),
                    }
                });
            }
            Err(error) => {
                warn!("WebSocket listener could not accept a connection: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Why a bridged connection ended.
#[derive(Debug)]
enum End {
    /// The handshake failed or timed out (includes plain TCP probes such as readiness checks);
    /// with an app dir, also an HTTP request that could not be read or answered.
    Handshake,
    /// The client closed the WebSocket or the connection to it failed.
    Client,
    /// The broker closed its side (e.g. it refused the CONNECT) or the connection to it failed.
    Broker,
    /// The client broke MQTT-over-WebSocket rules; closed with this code and reason.
    Refused(CloseCode, &'static str),
    /// Not a WebSocket upgrade: answered over plain HTTP with this status (app dir only).
    Http(u16),
}

/// One accepted connection. Without an app dir it goes straight to the bridge; with one, the
/// request head decides (front_door.rs).
async fn connection(stream: TcpStream, broker: SocketAddr, app: Option<&AppDir>) -> End {
    // MQTT is request/response-heavy with small packets: do not let Nagle hold them back.
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let Some(app) = app else {
        return bridge(stream, broker, deadline).await;
    };
    match front_door::enter(stream, app, deadline).await {
        Door::WebSocket(stream) => bridge(stream, broker, deadline).await,
        Door::Answered(status) => End::Http(status),
        Door::Dropped => End::Handshake,
    }
}

/// Completes the WebSocket handshake by `deadline`, then relays until either side ends.
async fn bridge<S>(stream: S, broker: SocketAddr, deadline: Instant) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(stream, echo_mqtt, Some(config));
    let ws = match timeout_at(deadline, handshake).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(error)) => {
            debug!("WebSocket handshake failed: {error}");
            return End::Handshake;
        }
        Err(_) => {
            debug!("WebSocket handshake timed out");
            return End::Handshake;
        }
    };
    let (mut ws_tx, mut ws_rx) = ws.split();
    let upstream = match TcpStream::connect(broker).await {
        Ok(upstream) => upstream,
        Err(_) => {
            close(&mut ws_tx, CloseCode::Error, "the broker is not reachable").await;
            return End::Broker;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (mut tcp_rx, mut tcp_tx) = upstream.into_split();

    let end = tokio::select! {
        end = client_to_broker(&mut ws_rx, &mut tcp_tx) => end,
        end = broker_to_client(&mut tcp_rx, &mut ws_tx) => end,
    };
    match &end {
        // Completes the close handshake the client started (tungstenite queued the reply).
        End::Client => drop(timeout(CLOSE_TIMEOUT, ws_tx.close()).await),
        End::Broker => close(&mut ws_tx, CloseCode::Normal, "closed by the broker").await,
        End::Refused(code, reason) => close(&mut ws_tx, *code, reason).await,
        End::Handshake | End::Http(_) => {}
    }
    end
}

/// Client → broker: binary payloads are forwarded as bytes; packet boundaries do not matter to
/// a TCP stream, so split or coalesced packets from the client are fine.
async fn client_to_broker<S: AsyncRead + AsyncWrite + Unpin>(
    ws_rx: &mut SplitStream<Ws<S>>,
    tcp_tx: &mut OwnedWriteHalf,
) -> End {
    while let Some(message) = ws_rx.next().await {
        match message {
            Ok(Message::Binary(bytes)) => {
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
async fn broker_to_client<S: AsyncRead + AsyncWrite + Unpin>(
    tcp_rx: &mut OwnedReadHalf,
    ws_tx: &mut SplitSink<Ws<S>, Message>,
) -> End {
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
async fn close<S: AsyncRead + AsyncWrite + Unpin>(
    ws_tx: &mut SplitSink<Ws<S>, Message>,
    code: CloseCode,
    reason: &'static str,
) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = timeout(CLOSE_TIMEOUT, ws_tx.send(Message::Close(Some(frame)))).await;
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
