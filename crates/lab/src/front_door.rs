//! The WebSocket port's front door when the lab also serves the web app (`--app-dir`).
//!
//! Why one port for both: the app's default broker URL is its own origin + `/mqtt`, and trunk
//! 0.21's dev-server proxy does not negotiate the `mqtt` subprotocol, so browsers reject the
//! proxied WebSocket. Served by the lab, the app's origin *is* the WebSocket listener.
//!
//! The request head is read (up to [`MAX_HEAD`]) and kept: a WebSocket upgrade goes to the
//! bridge on a [`Replay`] stream that yields those bytes again, so tungstenite sees the
//! untouched request (and any frame the client sent right behind it). Reading and replaying,
//! rather than `TcpStream::peek` in a loop, never spins on bytes that are already there.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at, Instant};

use crate::static_files::{self, AppDir};

/// Largest request head (request line + headers) read before deciding; browsers send ~1 KiB.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Bound on sending one file of the app, so a client that stops reading does not hold the
/// connection (and the file in memory) forever. Generous: the debug wasm is several MiB.
const HTTP_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a connection to the WebSocket port goes when the lab serves an app.
pub(crate) enum Door {
    /// A WebSocket upgrade, for the bridge: the stream replays the bytes read so far.
    WebSocket(Replay<TcpStream>),
    /// Plain HTTP, answered with this status; the connection is done.
    Answered(u16),
    /// Closed, timed out or failed before a request was read or answered.
    Dropped,
}

/// Reads the request head by `deadline` (the WebSocket handshake's), then either hands the
/// connection back for the bridge or answers it from `app`.
pub(crate) async fn enter(mut stream: TcpStream, app: &AppDir, deadline: Instant) -> Door {
    let Ok(arrival) = timeout_at(deadline, read_request(&mut stream)).await else {
        return Door::Dropped;
    };
    let (head, bytes) = match arrival {
        Arrival::Request { head, bytes } => (head, bytes),
        Arrival::TooLarge => return answer(static_files::refuse(&mut stream, 431, false)).await,
        Arrival::Malformed => return answer(static_files::refuse(&mut stream, 400, false)).await,
        Arrival::Closed => return Door::Dropped,
    };
    if head.is_websocket_upgrade() {
        // tungstenite reads the request again from the replayed bytes.
        return Door::WebSocket(Replay::new(bytes, stream));
    }
    answer(static_files::respond(&mut stream, &head, app)).await
}

/// Waits for an HTTP response to go out, within HTTP_RESPONSE_TIMEOUT.
async fn answer(response: impl Future<Output = io::Result<u16>>) -> Door {
    match timeout(HTTP_RESPONSE_TIMEOUT, response).await {
        Ok(Ok(status)) => Door::Answered(status),
        Ok(Err(_)) | Err(_) => Door::Dropped,
    }
}

/// What arrived first on a connection.
pub(crate) enum Arrival {
    /// A complete request head; `bytes` holds everything read so far (the head and maybe more).
    Request { head: RequestHead, bytes: Vec<u8> },
    /// No `\r\n\r\n` within [`MAX_HEAD`] bytes.
    TooLarge,
    /// Not an HTTP request line.
    Malformed,
    /// The peer closed (or reset) before sending a whole head, e.g. a readiness probe.
    Closed,
}

/// Reads until the end of the request head. Any time limit is the caller's.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Arrival {
    let mut bytes = vec![0; MAX_HEAD];
    let mut len = 0;
    loop {
        let n = match stream.read(&mut bytes[len..]).await {
            Ok(0) | Err(_) => return Arrival::Closed,
            Ok(n) => n,
        };
        // The terminator may straddle two reads.
        let from = len.saturating_sub(3);
        len += n;
        if let Some(end) = find(&bytes[from..len], b"\r\n\r\n") {
            bytes.truncate(len);
            return match RequestHead::parse(&bytes[..from + end]) {
                Some(head) => Arrival::Request { head, bytes },
                None => Arrival::Malformed,
            };
        }
        if len == MAX_HEAD {
            return Arrival::TooLarge;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of an HTTP/1.x request head the lab looks at.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    /// The request target as sent (path and query), e.g. `/index.html?v=1`.
    pub(crate) target: String,
    headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Parses `METHOD TARGET HTTP/x.y` and the header lines; None if it is not HTTP/1.x.
    fn parse(head: &[u8]) -> Option<Self> {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let mut request_line = lines.next()?.split(' ');
        let (method, target, version) = (
            request_line.next()?,
            request_line.next()?,
            request_line.next()?,
        );
        if request_line.next().is_some() || method.is_empty() || !version.starts_with("HTTP/1.") {
            return None;
        }
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Some(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
        })
    }

    /// True for `Upgrade: websocket` (header name and value case-insensitive; the value may
    /// list several protocols).
    pub(crate) fn is_websocket_upgrade(&self) -> bool {
        self.headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("upgrade"))
            .flat_map(|(_, value)| value.split(','))
            .any(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
    }
}

/// A stream that first yields `prefix` (bytes already read from `inner`), then reads `inner`.
/// Writes go straight to `inner`.
pub(crate) struct Replay<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    pub(crate) fn new(prefix: Vec<u8>, inner: S) -> Self {
        Self {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let left = &this.prefix[this.pos..];
        if left.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = left.len().min(buf.remaining());
        buf.put_slice(&left[..n]);
        this.pos += n;
        if this.pos == this.prefix.len() {
            this.prefix = Vec::new(); // up to 16 KiB per connection, no longer needed
            this.pos = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` to [`read_request`], each as a separate read.
    async fn arrival(chunks: &[&[u8]]) -> Arrival {
        let mut stream = chunks.iter().fold(
            Box::new(tokio::io::empty()) as Box<dyn AsyncRead + Unpin>,
            |stream, chunk| Box::new(stream.chain(io::Cursor::new(chunk.to_vec()))),
        );
        read_request(&mut stream).await
    }

    #[tokio::test]
    async fn upgrade_is_found_across_split_reads() {
        let request: &[&[u8]] = &[
            b"GET /mqtt HTTP/1.1\r\nHost: x\r\nupGrade: WebSocket\r",
            b"\n\r\n",
        ];
        let Arrival::Request { head, bytes } = arrival(request).await else {
            panic!("expected a request");
        };
        assert!(head.is_websocket_upgrade());
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/mqtt");
        assert_eq!(bytes, request.concat());
    }

    #[tokio::test]
    async fn plain_requests_and_other_upgrades_are_not_websocket() {
        for request in [
            &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
        ] {
            let Arrival::Request { head, .. } = arrival(&[request]).await else {
                panic!("expected a request");
            };
            assert!(!head.is_websocket_upgrade());
        }
    }

    #[tokio::test]
    async fn garbage_long_heads_and_early_close_are_told_apart() {
        assert!(matches!(
            arrival(&[b"\x10\x0c\x00\x04MQTT\r\n\r\n"]).await,
            Arrival::Malformed
        ));
        assert!(matches!(
            arrival(&[b"GET / HTTP/1.1\r\n"]).await,
            Arrival::Closed
        ));
        let long = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(arrival(&[&long]).await, Arrival::TooLarge));
    }

    #[tokio::test]
    async fn replay_yields_the_prefix_then_the_stream() {
        let mut replay = Replay::new(b"head".to_vec(), &b" and body"[..]);
        let mut out = String::new();
        replay.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "head and body");
    }
}
