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
pub struct SendError(String);

/// What the transport reports to its owner.
#[derive(Debug)]
pub enum TransportEvent {
    Open,
    Binary(Vec<u8>),
    /// A text frame: not allowed for MQTT.
    Text,
    /// The socket closed. `opened` says whether the handshake had completed.
    Closed {
        code: u16,
        reason: String,
        opened: bool,
    },
}

type Handler = Rc<dyn Fn(TransportEvent)>;

struct Closures {
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    _error: Closure<dyn FnMut(Event)>,
}

/// One WebSocket connection to a broker.
pub struct WsTransport {
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
        let socket =
            WebSocket::new_with_str(url.trim(), "mqtt").map_err(|e| OpenError::Refused {
                url: url.to_string(),
                detail: js_error_text(&e),
            })?;
        socket.set_binary_type(BinaryType::Arraybuffer);

        let handler: Handler = Rc::new(handler);
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

    /// Sends one MQTT packet as one binary WebSocket message.
    pub fn send(&self, packet: &[u8]) -> Result<(), SendError> {
        self.socket
            .send_with_u8_array(packet)
            .map_err(|e| SendError(js_error_text(&e)))
    }

    /// Bytes queued in the browser but not yet sent (for backpressure).
    pub fn buffered_amount(&self) -> u32 {
        self.socket.buffered_amount()
    }

    /// Closes the socket and detaches the handlers: no event reaches the owner after this.
    pub fn close(&mut self) {
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

impl Drop for WsTransport {
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
            "could not open a WebSocket to {url}{reason}. Check that the broker is running, that this port is its \
             WebSocket listener (not plain MQTT on 1883) and that the path is right (often /mqtt)"
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
