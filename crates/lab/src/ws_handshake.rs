//! The server side of the WebSocket opening handshake (RFC 6455 §4.2) on a hyper request,
//! shared by the bridge and the fault listener; tungstenite then speaks WebSocket on the
//! upgraded connection.
//!
//! hyper parses the HTTP and hands over the connection after the 101; what is left here are
//! the handshake's own rules (which headers a valid upgrade carries, the accept key) and its
//! one MQTT-specific step: the `mqtt` subprotocol is answered when offered, and only then
//! (RFC 6455 clients, browsers among them, must fail a connection that selects a subprotocol
//! they did not offer).

use std::future::Future;

use hyper::header::{
    HeaderName, HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use crate::http_server::{text_response, Body};

/// The WebSocket subprotocol MQTT registers (MQTT 3.1.1 §6).
const SUBPROTOCOL: &str = "mqtt";

/// A WebSocket on a connection hyper has handed over.
pub(crate) type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// True if the request asks for a WebSocket (`Upgrade: websocket`, any case, possibly among
/// other protocols): it is then answered by [`accept`], never with a file.
pub(crate) fn wants_websocket<B>(request: &Request<B>) -> bool {
    tokens(request, UPGRADE).any(|token| token.eq_ignore_ascii_case("websocket"))
}

/// Answers a WebSocket upgrade: the response to send and, if it is the 101, the WebSocket,
/// ready once hyper has sent it and let go of the connection. A request that is not a valid
/// upgrade gets 400 (or 426 for a WebSocket version other than 13) and no WebSocket.
pub(crate) fn accept<B>(
    mut request: Request<B>,
    config: WebSocketConfig,
) -> (Response<Body>, Option<impl Future<Output = Option<Ws>>>) {
    let version = request.headers().get(SEC_WEBSOCKET_VERSION);
    if version.is_some_and(|v| v != "13") {
        let mut refusal = text_response(
            StatusCode::UPGRADE_REQUIRED,
            "Only WebSocket version 13 is supported.\n",
        );
        let headers = refusal.headers_mut();
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return (refusal, None);
    }
    let key = request.headers().get(SEC_WEBSOCKET_KEY);
    let valid = request.method() == Method::GET
        && tokens(&request, CONNECTION).any(|token| token.eq_ignore_ascii_case("upgrade"))
        && wants_websocket(&request)
        && version.is_some();
    let Some(key) = key.filter(|_| valid) else {
        let refusal = text_response(
            StatusCode::BAD_REQUEST,
            "Not a WebSocket upgrade: it needs GET with Connection: Upgrade, Upgrade: \
             websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key.\n",
        );
        return (refusal, None);
    };
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    let accept_key = derive_accept_key(key.as_bytes());
    // A base64 string: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&accept_key) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    // Subprotocol names are compared exactly (RFC 6455 §11.3.4 registers them as tokens).
    if tokens(&request, SEC_WEBSOCKET_PROTOCOL).any(|token| token == SUBPROTOCOL) {
        headers.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    let upgrade = hyper::upgrade::on(&mut request);
    let ws = async move {
        match upgrade.await {
            Ok(upgraded) => Some(
                WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await,
            ),
            Err(error) => {
                tracing::debug!("the connection was not handed over for the WebSocket: {error}");
                None
            }
        }
    };
    (response, Some(ws))
}

/// The comma-separated values of every header `name`, trimmed.
fn tokens<B>(request: &Request<B>, name: HeaderName) -> impl Iterator<Item = &str> {
    request
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::get("/mqtt");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).expect("a valid test request")
    }

    #[test]
    fn websocket_is_found_among_upgrade_protocols_in_any_case() {
        assert!(wants_websocket(&request(&[("upGrade", "WebSocket")])));
        assert!(wants_websocket(&request(&[("Upgrade", "h2c, websocket")])));
        assert!(!wants_websocket(&request(&[("Upgrade", "h2c")])));
        assert!(!wants_websocket(&request(&[])));
    }

    /// A browser's upgrade request, with `extra` headers.
    fn upgrade(extra: &[(&str, &str)]) -> Request<()> {
        let mut headers = vec![
            ("Connection", "keep-alive, Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            // RFC 6455 §1.3's example key.
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        headers.extend_from_slice(extra);
        request(&headers)
    }

    fn header(response: &Response<Body>, name: HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[test]
    fn a_valid_upgrade_gets_101_with_the_accept_key_rfc_6455_derives() {
        let (response, ws) = accept(upgrade(&[]), WebSocketConfig::default());
        assert!(ws.is_some(), "a valid upgrade was refused");
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        let accept_key = header(&response, SEC_WEBSOCKET_ACCEPT);
        assert_eq!(accept_key, Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert_eq!(header(&response, SEC_WEBSOCKET_PROTOCOL), None);
    }

    #[test]
    fn mqtt_is_answered_only_when_offered_exactly() {
        for (offer, answer) in [
            ("mqtt", Some("mqtt")),
            ("mqttv3.1, mqtt", Some("mqtt")),
            ("MQTT", None),
            ("wamp", None),
        ] {
            let request = upgrade(&[("Sec-WebSocket-Protocol", offer)]);
            let (response, ws) = accept(request, WebSocketConfig::default());
            assert!(ws.is_some(), "{offer}: refused");
            assert_eq!(header(&response, SEC_WEBSOCKET_PROTOCOL), answer, "{offer}");
        }
    }

    #[test]
    fn incomplete_upgrades_and_other_versions_are_refused() {
        let refused = |request: Request<()>| {
            let (response, ws) = accept(request, WebSocketConfig::default());
            assert!(ws.is_none(), "accepted");
            response.status()
        };
        let no_key = request(&[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
        ]);
        assert_eq!(refused(no_key), StatusCode::BAD_REQUEST);
        let old = upgrade(&[]);
        let (mut parts, body) = old.into_parts();
        parts
            .headers
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        let old = Request::from_parts(parts, body);
        assert_eq!(refused(old), StatusCode::UPGRADE_REQUIRED);
    }
}
