//! The WebSocket port's front door: each request goes to the broker (a WebSocket upgrade, on
//! any path, bridged by `ws_bridge.rs`) or, with `--app-dir`, to the app's files.
//!
//! Why one port for both: the app's default broker URL is its own origin + `/mqtt`, and trunk
//! 0.21's dev-server proxy does not negotiate the `mqtt` subprotocol, so browsers reject the
//! proxied WebSocket. Served by the lab, the app's origin *is* the WebSocket listener.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::debug;

use crate::http_server::{self, text_response, Body};
use crate::limits::MAX_PACKET_SIZE;
use crate::static_files::{self, AppDir};
use crate::{ws_bridge, ws_handshake};

/// Largest WebSocket message or frame accepted from a client: room for a MAX_PACKET_SIZE
/// packet among others, and a bound on memory (tungstenite's default is 64 MiB).
const MAX_MESSAGE_SIZE: usize = 4 * MAX_PACKET_SIZE;

/// Serves the WebSocket port forever: WebSocket clients are bridged to the broker's TCP
/// listener at `broker`; with `app`, other requests get its files.
pub(crate) async fn serve(
    listener: TcpListener,
    broker: SocketAddr,
    app: Option<Arc<AppDir>>,
) -> String {
    http_server::serve(listener, "WebSocket", move |peer, request| {
        let app = app.clone();
        async move { answer(peer, request, broker, app.as_deref()).await }
    })
    .await
}

/// One request: a WebSocket upgrade (bridged once hyper lets go of the connection), a file of
/// the app, or, without an app, a word on what this port is for.
async fn answer(
    peer: SocketAddr,
    request: Request<Incoming>,
    broker: SocketAddr,
    app: Option<&AppDir>,
) -> Response<Body> {
    if !ws_handshake::wants_websocket(&request) {
        return match app {
            Some(app) => static_files::respond(&request, app).await,
            None => text_response(
                StatusCode::UPGRADE_REQUIRED,
                "This port speaks MQTT over WebSocket (ws://HOST:PORT/mqtt). Start the lab with \
                 --app-dir DIR to serve the web app here too.\n",
            ),
        };
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let (response, ws) = ws_handshake::accept(request, config);
    if let Some(ws) = ws {
        tokio::spawn(async move {
            if let Some(ws) = ws.await {
                let end = ws_bridge::relay(ws, broker).await;
                debug!(%peer, "WebSocket connection ended: {end:?}");
            }
        });
    }
    response
}
