//! The browser WebSocket, reduced to what MQTT needs: binary messages in and out,
//! open and close events with reasons a person can act on.
//!
//! - Subprotocol `mqtt` [MQTT-6.0.0-3]; brokers that do not echo it are refused by the
//!   browser itself.
//! - `binaryType = "arraybuffer"`: message events stay in order (a `Blob` would need a
//!   promise per message).
//! - Text frames are a protocol error [MQTT-6.0.0-1].
//! - The closures are owned here and detached on close; they are freed after the
//!   current event has returned, never while one of them is running.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use thiserror::Error;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::relay::{self, Relay};

/// Why a WebSocket could not even be created.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenError {
    #[error("'{0}' is not a WebSocket URL: it must start with ws:// or wss:// (for example ws://localhost:9001/mqtt)")]
    NotWebSocketUrl(String),
    #[error("this page is served over https, and browsers block unencrypted ws:// connections from it: use a wss:// URL, or open the page over http")]
    MixedContent,
    #[error("the browser refused to open '{url}': {detail}")]
    Refused { url: String, detail: String },
}

/// The browser refused to send a message (the socket is closing, or the message is too
/// large for it).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the browser refused to send on the WebSocket: {0}")]
pub struct SendError(pub(super) String);

/// What the transport reports to its owner.
#[derive(Debug)]
pub enum TransportEvent {
    Open,
    Binary(Vec<u8>),
    /// A text frame: not allowed for MQTT.
    Text,
    /// The browser refused to create the socket (reported later when the socket is a
    /// worker's).
    Refused(OpenError),
    /// The socket closed. `opened` says whether the handshake had completed.
    Closed {
        code: u16,
        reason: String,
        opened: bool,
    },
}

pub(super) type Handler = Rc<dyn Fn(TransportEvent)>;

struct Closures {
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    _error: Closure<dyn FnMut(Event)>,
}

/// One WebSocket connection to a broker: in a worker of its own when the page can run one
/// (see [`super::relay`]), else on the page.
pub struct WsTransport(Route);

enum Route {
    Page(Direct),
    Worker(Relay),
}

/// A WebSocket on the page's thread.
pub(super) struct Direct {
    socket: WebSocket,
    closures: Option<Closures>,
}

/// Checks a broker URL before any socket exists, so mistakes get a precise message.
pub fn check_url(url: &str, page_is_https: bool) -> Result<(), OpenError> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("ws://") || lower.starts_with("wss://")) {
        return Err(OpenError::NotWebSocketUrl(url.to_string()));
    }
    if page_is_https && lower.starts_with("ws://") {
        return Err(OpenError::MixedContent);
    }
    Ok(())
}

impl WsTransport {
    /// Opens a WebSocket with subprotocol `mqtt`; `handler` receives every event.
    pub fn open(url: &str, handler: impl Fn(TransportEvent) + 'static) -> Result<Self, OpenError> {
        check_url(url, page_is_https())?;
        let handler: Handler = Rc::new(handler);
        if relay::enabled() {
            // What the WebSocket constructor would throw at once, said at once (the
            // worker's constructor runs later).
            refused_by_url_parser(url)?;
            if let Some(relay) = Relay::open(url.trim(), handler.clone()) {
                return Ok(Self(Route::Worker(relay)));
            }
        }
        Direct::open(url, handler).map(|direct| Self(Route::Page(direct)))
    }

    /// Sends one MQTT packet as one binary WebSocket message.
    pub fn send(&self, packet: &[u8]) -> Result<(), SendError> {
        match &self.0 {
            Route::Page(direct) => direct.send(packet),
            Route::Worker(relay) => relay.send(packet),
        }
    }

    /// Bytes queued in the browser but not yet sent (for backpressure).
    pub fn buffered_amount(&self) -> u32 {
        match &self.0 {
            Route::Page(direct) => direct.buffered_amount(),
            Route::Worker(relay) => relay.buffered_amount(),
        }
    }

    /// Whether a worker runs this socket (the page's diagnostics, the tests).
    pub fn in_worker(&self) -> bool {
        match &self.0 {
            Route::Page(_) => false,
            Route::Worker(relay) => relay.in_worker(),
        }
    }

    /// Closes the socket and detaches the handlers: no event reaches the owner after this.
    pub fn close(&mut self) {
        match &mut self.0 {
            Route::Page(direct) => direct.close(),
            Route::Worker(relay) => relay.close(),
        }
    }
}

impl Direct {
    /// Opens a WebSocket with subprotocol `mqtt` on the page (the URL was checked).
    pub(super) fn open(url: &str, handler: Handler) -> Result<Self, OpenError> {
        let socket =
            WebSocket::new_with_str(url.trim(), "mqtt").map_err(|e| OpenError::Refused {
                url: url.to_string(),
                detail: js_error_text(&e),
            })?;
        socket.set_binary_type(BinaryType::Arraybuffer);

        let opened = Rc::new(Cell::new(false));

        let on_open = {
            let (handler, opened) = (handler.clone(), opened.clone());
            Closure::<dyn FnMut(Event)>::new(move |_| {
                opened.set(true);
                handler(TransportEvent::Open);
            })
        };
        let on_message = {
            let handler = handler.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                match event.data().dyn_into::<ArrayBuffer>() {
                    Ok(buffer) => {
                        handler(TransportEvent::Binary(Uint8Array::new(&buffer).to_vec()))
                    }
                    Err(_) => handler(TransportEvent::Text),
                }
            })
        };
        let on_close = {
            let (handler, opened) = (handler.clone(), opened.clone());
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
                handler(TransportEvent::Closed {
                    code: event.code(),
                    reason: event.reason(),
                    opened: opened.get(),
                });
            })
        };
        // `error` carries no detail in any browser; `close` always follows it and says more.
        let on_error = Closure::<dyn FnMut(Event)>::new(|_| {});

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            closures: Some(Closures {
                _open: on_open,
                _message: on_message,
                _close: on_close,
                _error: on_error,
            }),
        })
    }

    pub(super) fn send(&self, packet: &[u8]) -> Result<(), SendError> {
        self.socket
            .send_with_u8_array(packet)
            .map_err(|e| SendError(js_error_text(&e)))
    }

    pub(super) fn buffered_amount(&self) -> u32 {
        self.socket.buffered_amount()
    }

    pub(super) fn close(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
        // Only an invalid code or reason throws; 1000 without a reason is neither. Say so
        // in the console if a browser ever disagrees.
        if let Err(e) = self.socket.close_with_code(1000) {
            web_sys::console::warn_1(&e);
        }
        if let Some(closures) = self.closures.take() {
            // We may be inside one of these closures right now: free them afterwards.
            wasm_bindgen_futures::spawn_local(async move { drop(closures) });
        }
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        if self.closures.is_some() {
            self.close();
        }
    }
}

/// Turns a close event into a sentence saying what probably went wrong and what to try.
pub fn describe_close(url: &str, code: u16, reason: &str, opened: bool) -> String {
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!(" ({reason})")
    };
    if !opened {
        return format!(
            "could not open a WebSocket to {url}{reason}. Check that the broker is running and \
             that this port is its WebSocket listener (not plain MQTT on 1883). If it is, the \
             server refused the WebSocket handshake: {}",
            handshake_hint(url)
        );
    }
    match code {
        1000 => format!("the broker closed the connection{reason}"),
        1001 => format!("the broker is going away{reason}"),
        1002 | 1003 | 1007 => {
            format!("the broker rejected our WebSocket data (code {code}){reason}")
        }
        1006 => {
            "the connection dropped without a closing handshake (network lost or broker stopped)"
                .to_string()
        }
        1008 | 1009 => {
            format!("the broker refused a message (code {code}: policy or size limit){reason}")
        }
        1011 => format!("the broker hit an internal error{reason}"),
        1015 => "the TLS handshake failed (certificate not trusted by this browser?)".to_string(),
        other => format!("the connection closed with code {other}{reason}"),
    }
}

/// Why a server that is listening may refuse the handshake. The browser hides the HTTP
/// status (a 404 and a 400 both read as close code 1006 before open), so the sentence names
/// the two usual causes, with what the brokers checked here do (NOTES' broker table).
pub fn handshake_hint(url: &str) -> String {
    let path = url_path(url);
    let on_path = if path == "/mqtt" {
        "the path /mqtt is the usual one (ejabberd serves MQTT over WebSocket on /mqtt only; \
         HiveMQ and EMQX on /mqtt; mosquitto and aedes on any path)"
            .to_string()
    } else {
        format!(
            "wrong path? This URL asks for '{path}': ejabberd serves MQTT over WebSocket on \
             /mqtt only (404 elsewhere), HiveMQ and EMQX on /mqtt; mosquitto and aedes accept \
             any path. Try ws://…/mqtt"
        )
    };
    format!(
        "{on_path}. Or the subprotocol: this page offers `mqtt`, which amqtt and rmqtt require \
         and which some proxies drop (a broker that wants `mqttv3.1` or none refuses it)"
    )
}

/// The path of a ws:// or wss:// URL ("/" when it has none), without query or fragment.
fn url_path(url: &str) -> &str {
    let rest = url.trim().split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    }
}

/// The URL errors the WebSocket constructor throws for: not a URL, or one with a fragment.
fn refused_by_url_parser(url: &str) -> Result<(), OpenError> {
    let refused = |detail: String| OpenError::Refused {
        url: url.to_string(),
        detail,
    };
    let parsed = web_sys::Url::new(url.trim()).map_err(|e| refused(js_error_text(&e)))?;
    if parsed.hash().is_empty() {
        Ok(())
    } else {
        Err(refused(
            "a WebSocket URL cannot have a fragment (the part from '#')".to_string(),
        ))
    }
}

/// Whether the page itself was loaded over https.
pub fn page_is_https() -> bool {
    web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:")
}

fn js_error_text(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_refused_on_another_path_names_ejabberds_mqtt_path() {
        let text = describe_close("ws://127.0.0.1:5280/ws", 1006, "", false);
        assert!(text.starts_with("could not open a WebSocket"), "{text}");
        assert!(
            text.contains("wrong path? This URL asks for '/ws'"),
            "{text}"
        );
        assert!(text.contains("ejabberd serves MQTT over WebSocket on /mqtt only"));
        assert!(text.contains("subprotocol"), "{text}");
    }

    #[test]
    fn a_handshake_refused_on_mqtt_points_at_the_subprotocol() {
        let text = describe_close("ws://127.0.0.1:8080/mqtt", 1006, "", false);
        assert!(text.contains("the path /mqtt is the usual one"), "{text}");
        assert!(!text.contains("wrong path?"), "{text}");
        assert!(text.contains("amqtt and rmqtt require"), "{text}");
    }

    #[test]
    fn the_path_of_a_url_ignores_query_and_credentials() {
        assert_eq!(url_path("ws://h:1"), "/");
        assert_eq!(url_path("wss://u:p@h/a/b?x=1#f"), "/a/b");
        assert_eq!(url_path(" ws://h:9001/mqtt "), "/mqtt");
    }

    #[test]
    fn a_close_after_open_keeps_its_code_sentence() {
        let text = describe_close("ws://h/mqtt", 1006, "", true);
        assert!(text.contains("without a closing handshake"), "{text}");
    }
}
