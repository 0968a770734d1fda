//! The WebSocket ports' front door: each request goes to the broker (a WebSocket upgrade, on
//! any path, bridged by `ws_bridge.rs` to the embedded broker, or to `--upstream` on that
//! listener), to the control endpoint for tests (`/control/...`,
//! `control.rs`) or, with `--app-dir`, to the app's files.
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
use crate::live_links::LiveLinks;
use crate::static_files::{self, AppDir};
use crate::{control, ws_bridge, ws_handshake};

/// Largest WebSocket message or frame accepted from a client: room for a MAX_PACKET_SIZE
/// packet among others, and a bound on memory (tungstenite's default is 64 MiB).
const MAX_MESSAGE_SIZE: usize = 4 * MAX_PACKET_SIZE;

/// What one WebSocket listener bridges to and serves besides.
#[derive(Clone)]
pub(crate) struct Door {
    /// The broker's MQTT-over-TCP listener, `HOST:PORT`: the embedded one, or `--upstream`.
    pub(crate) broker: Arc<str>,
    /// The app's files, served to requests that are not upgrades.
    pub(crate) app: Option<Arc<AppDir>>,
    /// Where each bridged connection registers. The lab gives every listener the same
    /// registry, so a cut asked on either port reaches the connections of both.
    pub(crate) links: LiveLinks,
    /// Answer `/control/...` (`--control`).
    pub(crate) control: bool,
    /// Answer an MQTT 5 CONNECT with CONNACK 0x84 "unsupported protocol version" instead of
    /// bridging it (the embedded broker's TCP listener speaks 3.1.1 only, and would just
    /// close, which a client cannot tell from a broken link).
    pub(crate) refuse_mqtt5: bool,
}

/// Serves a WebSocket port forever: WebSocket clients are bridged to `door.broker`; with an
/// app, other requests get its files. `name` says which listener in the logs.
pub(crate) async fn serve(listener: TcpListener, name: &'static str, door: Door) -> String {
    http_server::serve(listener, name, move |peer, request| {
        let door = door.clone();
        async move { answer(peer, request, &door).await }
    })
    .await
}

/// One request: a WebSocket upgrade (bridged once hyper lets go of the connection, and
/// registered among the live links while it lives), a control, a file of the app, or,
/// without an app, a word on what this port is for.
async fn answer(peer: SocketAddr, request: Request<Incoming>, door: &Door) -> Response<Body> {
    if !ws_handshake::wants_websocket(&request) {
        // Only with `--control`: otherwise `/control/...` is just a path of the app.
        if door.control && control::is_control(&request) {
            return control::answer(&request, &door.links);
        }
        return match &door.app {
            Some(app) => static_files::respond(&request, app).await,
            None => text_response(
                StatusCode::UPGRADE_REQUIRED,
                "This port speaks MQTT over WebSocket (ws://HOST:PORT/mqtt). The lab serves the \
                 web app on its own WebSocket port when started with --app-dir DIR.\n",
            ),
        };
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let (response, ws) = ws_handshake::accept(request, config);
    if let Some(ws) = ws {
        // Registered before the 101 goes out, so a cut made once the client has its WebSocket
        // always finds it.
        let (registration, cut) = door.links.register();
        let broker = door.broker.clone();
        let refuse_mqtt5 = door.refuse_mqtt5;
        tokio::spawn(async move {
            if let Some(ws) = ws.await {
                let end = ws_bridge::relay(ws, &broker, registration, cut, refuse_mqtt5).await;
                debug!(%peer, "WebSocket connection ended: {end:?}");
            }
        });
    }
    response
}
