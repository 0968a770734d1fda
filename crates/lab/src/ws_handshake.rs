//! The WebSocket handshake's one MQTT-specific step, shared by the bridge and the fault
//! listener: which subprotocol to answer.

use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// The WebSocket subprotocol MQTT registers (MQTT 3.1.1 §6).
const SUBPROTOCOL: &str = "mqtt";

/// Handshake callback: select the `mqtt` subprotocol when the client offers it, and only then.
#[allow(clippy::result_large_err)] // the signature tungstenite's `Callback` requires
pub(crate) fn echo_mqtt(
    request: &Request,
    mut response: Response,
) -> Result<Response, ErrorResponse> {
    let offered = request
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == SUBPROTOCOL);
    if offered {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    Ok(response)
}
