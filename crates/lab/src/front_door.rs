//! The WebSocket port's front door: each request goes to the broker (a WebSocket upgrade, on
//! any path, bridged by `ws_bridge.rs`), to the control endpoint for tests (`/control/...`,
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

/// Serves the WebSocket port forever: WebSocket clients are bridged to the broker's TCP
/// listener at `broker`; with `app`, other requests get its files.
pub(crate) async fn serve(
    listener: TcpListener,
    broker: SocketAddr,
    app: Option<Arc<AppDir>>,
    control: bool,
) -> String {
    let links = LiveLinks::default();
    http_server::serve(listener, "WebSocket", move |peer, request| {
        let app = app.clone();
        let links = links.clone();
        let control = control.then_some(links.clone());
        async move {
            answer(
                peer,
                request,
                broker,
                app.as_deref(),
                &links,
                control.as_ref(),
            )
            .await
        }
    })
    .await
}

/// One request: a WebSocket upgrade (bridged once hyper lets go of the connection, and
/// registered in `links` while it lives), a control, a file of the app, or, without an app, a
/// word on what this port is for.
async fn answer(
    peer: SocketAddr,
    request: Request<Incoming>,
    broker: SocketAddr,
    app: Option<&AppDir>,
    links: &LiveLinks,
    control: Option<&LiveLinks>,
) -> Response<Body> {
    if !ws_handshake::wants_websocket(&request) {
        // Only with `--control`: otherwise `/control/...` is just a path of the app.
        if let (Some(links), true) = (control, control::is_control(&request)) {
            return control::answer(&request, links);
        }
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
        // Registered before the 101 goes out, so a cut made once the client has its WebSocket
        // always finds it.
        let (registration, cut) = links.register();
        tokio::spawn(async move {
            if let Some(ws) = ws.await {
                let end = ws_bridge::relay(ws, broker, registration, cut).await;
                debug!(%peer, "WebSocket connection ended: {end:?}");
            }
        });
    }
    response
}
