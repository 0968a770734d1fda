//! The browser's MQTT client: moves bytes and timers between a [`WsTransport`] and the
//! sans-IO [`Session`] and [`Reconnect`] policy, and reports what happens through one
//! callback.
//!
//! One `Session` lives as long as the client, across every WebSocket it opens: after a lost
//! connection the policy says when to open the next one, and the session resumes (resends
//! with DUP on a resumed session, reports what it abandons otherwise).
//!
//! Everything runs on the page's single thread. The state sits in an `Rc<RefCell<_>>`; no
//! borrow is held while the callback runs, so the callback may call back into the client
//! (publish from a message handler, for example).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bytes::Bytes;
use mqtt_session::{
    CloseReason, CommandError, ConnectionInfo, Event, Instant, Phase, ProtocolError,
    PublishProperties, QoS, Reconnect, ReconnectOutput, ReconnectPolicy, Session,
    SubscribeProperties, Subscription,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::clock::now;
use super::deadline::DeadlineTimer;
use super::link::Inner;
use super::persist::Persistence;
use super::transport::{describe_close, TransportEvent, WsTransport};

pub use super::settings::{BrokerSettings, StartError};

/// What the client reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// A WebSocket is being opened: `retry` 0 is the first try, then 1, 2…
    Connecting { retry: u32 },
    /// The WebSocket is open and CONNECT was sent.
    TransportOpen,
    /// An event of the MQTT session. `Closed` ends one connection, not the client.
    Session(Event),
    /// The connection is down; retry number `retry` is due at `at` (page clock).
    Reconnecting {
        retry: u32,
        at: Instant,
        reason: CloseReason,
    },
    /// No more connections: the user disconnected, the broker refused for good, or the
    /// connection ended with reconnecting off. Always the last event.
    Ended(CloseReason),
}

/// A connection to one broker, kept up across drops. Cloning gives another handle to the
/// same client.
#[derive(Clone)]
pub struct MqttClient {
    pub(super) inner: Rc<RefCell<Inner>>,
}

impl MqttClient {
    /// Opens the WebSocket and starts the MQTT handshake. Events arrive through `on_event`.
    pub fn connect(
        settings: &BrokerSettings,
        on_event: impl Fn(ClientEvent) + 'static,
    ) -> Result<Self, StartError> {
        // With clean session off, a reloaded page continues the session it had saved.
        let (mut persistence, saved) = Persistence::open(settings);
        let session = match saved {
            Some(saved) => Session::with_snapshot(settings.connect_options(), saved)?,
            None => Session::new(settings.connect_options())?,
        };
        persistence.loaded(&session);
        let reconnect = settings.reconnect.then(|| {
            let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
            Reconnect::new(ReconnectPolicy::default(), seed)
        });
        let inner = Rc::new_cyclic(|weak_self| {
            RefCell::new(Inner {
                session,
                reconnect,
                transport: None,
                persistence,
                url: settings.url.trim().to_string(),
                timer: DeadlineTimer::new(),
                ended: false,
                on_event: Rc::new(on_event),
                online: None,
                weak_self: weak_self.clone(),
            })
        });
        {
            // The first WebSocket is opened here, so a URL the browser refuses is an error
            // of `connect` rather than an event. Its events arrive later, from the browser.
            let mut guard = inner.borrow_mut();
            let state = &mut *guard;
            state.transport = Some(Self::open_transport(&state.url, Rc::downgrade(&inner))?);
            let now = now();
            state.session.handle_transport_connecting(now);
            if let Some(reconnect) = state.reconnect.as_mut() {
                reconnect.start(now);
                // Its first `Open` is the transport just opened.
                let first = reconnect.poll_output();
                debug_assert_eq!(first, ReconnectOutput::Open { retry: 0 });
            }
        }
        let client = Self { inner };
        client.listen_for_online();
        client.drive();
        Ok(client)
    }

    /// Where the MQTT session stands.
    pub fn phase(&self) -> Phase {
        self.inner.borrow().session.phase()
    }

    /// Whether the client still connects or reconnects (not ended).
    pub fn is_alive(&self) -> bool {
        !self.inner.borrow().ended
    }

    /// Publishes; returns the packet id for QoS 1 and 2.
    pub fn publish(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        let payload = payload.into();
        self.command(|s, now| s.publish(now, topic, payload, qos, retain))
    }

    /// Publishes with MQTT 5 properties; returns the packet id for QoS 1 and 2.
    pub fn publish_with(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
        properties: PublishProperties,
    ) -> Result<Option<u16>, CommandError> {
        let payload = payload.into();
        self.command(|s, now| s.publish_with(now, topic, payload, qos, retain, properties))
    }

    /// Subscribes to one filter.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        self.command(|s, now| s.subscribe(now, vec![(filter.to_string(), qos)]))
    }

    /// Subscribes to one filter with MQTT 5 options and properties.
    pub fn subscribe_with(
        &self,
        subscription: Subscription,
        properties: SubscribeProperties,
    ) -> Result<u16, CommandError> {
        self.command(|s, now| s.subscribe_with(now, vec![subscription], properties))
    }

    /// What the broker said in CONNACK, while connected.
    pub fn connection_info(&self) -> Option<ConnectionInfo> {
        self.inner.borrow().session.connection_info().cloned()
    }

    /// Unsubscribes from one filter.
    pub fn unsubscribe(&self, filter: &str) -> Result<u16, CommandError> {
        self.command(|s, now| s.unsubscribe(now, vec![filter.to_string()]))
    }

    /// Stops reconnecting, sends DISCONNECT (if connected) and closes the WebSocket.
    pub fn disconnect(&self) {
        let now = now();
        let idle = {
            let mut inner = self.inner.borrow_mut();
            if let Some(reconnect) = inner.reconnect.as_mut() {
                reconnect.stop(now);
            }
            inner.session.disconnect(now);
            // Between two connections there is no `Closed` to come: end here.
            inner.session.phase() == Phase::Disconnected && inner.transport.is_none()
        };
        self.drive();
        if idle {
            self.end(CloseReason::ClientDisconnect);
        }
    }

    /// Retries now instead of at the end of the wait (the user's "reconnect now").
    pub fn reconnect_now(&self) {
        if let Some(reconnect) = self.inner.borrow_mut().reconnect.as_mut() {
            reconnect.handle_online(now());
        }
        self.drive();
    }

    /// Also report control packets (acks, pings…) as `Event::Control`.
    pub fn set_trace_control_packets(&self, on: bool) {
        self.inner
            .borrow_mut()
            .session
            .set_trace_control_packets(on);
    }

    /// Bytes the browser has queued but not yet sent: publishers slow down when it grows.
    pub fn buffered_amount(&self) -> u32 {
        self.inner
            .borrow()
            .transport
            .as_ref()
            .map_or(0, WsTransport::buffered_amount)
    }

    /// Whether the current WebSocket runs in a worker (`false` on the page, or with none).
    pub fn socket_in_worker(&self) -> bool {
        self.inner
            .borrow()
            .transport
            .as_ref()
            .is_some_and(WsTransport::in_worker)
    }

    pub(super) fn command<R>(&self, f: impl FnOnce(&mut Session, Instant) -> R) -> R {
        let result = f(&mut self.inner.borrow_mut().session, now());
        self.drive();
        result
    }

    pub(super) fn open_transport(
        url: &str,
        weak: Weak<RefCell<Inner>>,
    ) -> Result<WsTransport, super::transport::OpenError> {
        WsTransport::open(url, move |event| {
            if let Some(inner) = weak.upgrade() {
                MqttClient { inner }.on_transport(event);
            }
        })
    }

    fn listen_for_online(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                MqttClient { inner }.reconnect_now();
            }
        });
        if window
            .add_event_listener_with_callback("online", closure.as_ref().unchecked_ref())
            .is_ok()
        {
            self.inner.borrow_mut().online = Some(closure);
        }
    }

    fn on_transport(&self, event: TransportEvent) {
        let now = now();
        let opened = matches!(event, TransportEvent::Open);
        {
            let mut inner = self.inner.borrow_mut();
            match event {
                TransportEvent::Open => inner.session.handle_transport_open(now),
                TransportEvent::Binary(bytes) => inner.session.handle_bytes(now, &bytes),
                TransportEvent::Text => inner
                    .session
                    .handle_transport_error(now, ProtocolError::TextFrame),
                TransportEvent::Refused(error) => {
                    inner.transport = None;
                    inner
                        .session
                        .handle_transport_closed(now, error.to_string());
                }
                TransportEvent::Closed {
                    code,
                    reason,
                    opened,
                } => {
                    let text = if opened && inner.session.phase() == Phase::AwaitingConnAck {
                        format!(
                            "the WebSocket opened but closed before the broker answered CONNECT (code {code}): \
                             is this the URL of an MQTT broker's WebSocket listener?"
                        )
                    } else {
                        describe_close(&inner.url, code, &reason, opened)
                    };
                    inner.transport = None; // already closed by the browser
                    inner.session.handle_transport_closed(now, text);
                }
            }
        }
        if opened {
            self.emit(vec![ClientEvent::TransportOpen]);
        }
        self.drive();
    }

    /// Drains the session and the reconnect policy until both wait: transmits go to the
    /// socket, the earlier deadline to the timer, events to the callback (after the borrow
    /// is released).
    fn drive(&self) {
        let mut events = Vec::new();
        let mut ended = None;
        {
            let mut inner = self.inner.borrow_mut();
            let now = now();
            loop {
                let session_deadline = inner.drain_session(now, &mut events, &mut ended);
                match inner.reconnect.as_mut().map(Reconnect::poll_output) {
                    Some(ReconnectOutput::Open { retry }) => {
                        events.push(ClientEvent::Connecting { retry });
                        inner.open();
                        continue; // the session has a new transport's outputs
                    }
                    Some(ReconnectOutput::Timeout(at)) => {
                        let deadline = session_deadline.map_or(at, |s| s.min(at));
                        inner.schedule(Some(deadline));
                    }
                    Some(ReconnectOutput::Idle) | None => inner.schedule(session_deadline),
                }
                break;
            }
        }
        self.emit(events);
        if let Some(reason) = ended {
            self.end(reason);
        }
    }

    /// The last event: detaches the `online` listener and reports `Ended`.
    fn end(&self, reason: CloseReason) {
        let already = std::mem::replace(&mut self.inner.borrow_mut().ended, true);
        if already {
            return;
        }
        let online = self.inner.borrow_mut().online.take();
        if let (Some(closure), Some(window)) = (online, web_sys::window()) {
            if let Err(e) = window
                .remove_event_listener_with_callback("online", closure.as_ref().unchecked_ref())
            {
                web_sys::console::warn_1(&e);
            }
        }
        self.emit(vec![ClientEvent::Ended(reason)]);
    }

    /// Hands each event over by value: received messages are not copied on their way out.
    fn emit(&self, events: Vec<ClientEvent>) {
        if events.is_empty() {
            return;
        }
        let on_event = self.inner.borrow().on_event.clone();
        for event in events {
            on_event(event);
        }
    }
}
