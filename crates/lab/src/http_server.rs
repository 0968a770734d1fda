//! The HTTP/1.1 side of the lab's WebSocket listeners (the broker's WebSocket port and the
//! fault port): hyper reads each request and writes its answer; the lab only decides what to
//! answer (`front_door.rs`, `faults.rs`).
//!
//! Deliberately small, for one developer's browser and test clients: one request per
//! connection (every answer says `Connection: close`, except the 101 of a WebSocket upgrade,
//! after which hyper hands the connection over). Every connection
//! has a deadline, so a client that goes silent cannot hold a task forever.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONNECTION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tracing::{debug, warn};

/// A response body: the whole of it in memory (a short sentence, or one file of the app).
pub(crate) type Body = Full<Bytes>;

/// A client that has not sent its whole request head by then is dropped (same as rumqttd's
/// CONNECT timeout). For a WebSocket this bounds the handshake.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on one connection's HTTP part, from accept to the last byte of the answer (or to
/// the hand-over of an upgraded connection), so a client that stops reading does not hold
/// the connection (and a file in memory) forever. Generous: the debug wasm is several MiB.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` forever, answering each request with `answer` (given
/// the client's address, for its logs). `name` says which listener in the logs. Returns only if the task is cancelled (the `String`
/// matches the other listeners' tasks).
pub(crate) async fn serve<A, F>(listener: TcpListener, name: &'static str, answer: A) -> String
where
    A: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                warn!("{name} listener could not accept a connection: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // MQTT is request/response-heavy with small packets: do not let Nagle hold them back.
        if let Err(error) = stream.set_nodelay(true) {
            debug!(%peer, "could not turn Nagle's algorithm off: {error}");
        }
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = answer(peer, request);
                async move { Ok::<_, Infallible>(response.await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            match timeout(CONNECTION_TIMEOUT, connection).await {
                Ok(Ok(())) => {}
                // Includes readiness probes that connect and close without a request.
                Ok(Err(error)) => debug!(%peer, "{name}: HTTP connection failed: {error}"),
                Err(_) => {
                    debug!(%peer, "{name}: HTTP connection dropped after {CONNECTION_TIMEOUT:?}")
                }
            }
        });
    }
}

/// A response with a short plain-text body (an error, in words) and the headers every
/// answer of the lab carries.
pub(crate) fn text_response(status: StatusCode, text: impl Into<Bytes>) -> Response<Body> {
    response(status, "text/plain; charset=utf-8", text.into())
}

/// A response with `body` as `content_type`. `Cache-Control: no-cache` so a rebuilt app is
/// picked up on reload; `nosniff` so browsers trust the content type given;
/// `Connection: close`, which hyper honours by closing once the response is out.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
