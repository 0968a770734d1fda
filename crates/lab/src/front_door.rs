//! The WebSocket port's front door when the lab also serves the web app (`--app-dir`).
//!
//! Why one port for both: the app's default broker URL is its own origin + `/mqtt`, and trunk
//! 0.21's dev-server proxy does not negotiate the `mqtt` subprotocol, so browsers reject the
//! proxied WebSocket. Served by the lab, the app's origin *is* the WebSocket listener.
//!
//! The request head is read (up to `http::MAX_HEAD`) and kept: a WebSocket upgrade goes to the
//! bridge on a [`Replay`] stream that yields those bytes again, so tungstenite sees the
//! untouched request (and any frame the client sent right behind it). Reading and replaying,
//! rather than `TcpStream::peek` in a loop, never spins on bytes that are already there.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at, Instant};

use crate::http::{read_request, Arrival};
use crate::static_files::{self, AppDir};

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
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn replay_yields_the_prefix_then_the_stream() {
        let mut replay = Replay::new(b"head".to_vec(), &b" and body"[..]);
        let mut out = String::new();
        replay.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "head and body");
    }
}
