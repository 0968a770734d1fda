//! The browser's MQTT client: moves bytes and timers between a [`WsTransport`] and the
//! sans-IO [`Session`], and reports what happens through one callback.
//!
//! Everything runs on the page's single thread. The session sits in an
//! `Rc<RefCell<_>>`; no borrow is held while the callback runs, so the callback may
//! call back into the client (publish from a message handler, for example).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use bytes::Bytes;
use mqtt_session::{
    CommandError, ConnectOptions, Credentials, Event, Instant, OptionsError, Output, Phase,
    ProtocolError, QoS, Session,
};

use super::clock::now;
use super::deadline::DeadlineTimer;
use super::transport::{describe_close, OpenError, TransportEvent, WsTransport};

/// What the user typed in the connection panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerSettings {
    pub url: String,
    pub client_id: String,
    pub username: String,
    pub password: String,
    pub keep_alive_secs: u16,
    pub clean_session: bool,
}

impl BrokerSettings {
    /// The session options these settings describe.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.client_id.trim());
        options.keep_alive = Duration::from_secs(u64::from(self.keep_alive_secs));
        options.clean_session = self.clean_session;
        let username = self.username.trim();
        if !username.is_empty() || !self.password.is_empty() {
            options.credentials = Some(Credentials {
                username: username.to_string(),
                password: (!self.password.is_empty()).then(|| self.password.clone()),
            });
        }
        options
    }
}

/// Why [`MqttClient::connect`] could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Options(#[from] OptionsError),
    #[error("{0}")]
    Open(#[from] OpenError),
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The WebSocket is open and CONNECT was sent.
    TransportOpen,
    /// An event of the MQTT session; `Closed` is always the last one.
    Session(Event),
}

struct Inner {
    session: Session,
    transport: Option<WsTransport>,
    url: String,
    timer: DeadlineTimer,
    on_event: Rc<dyn Fn(ClientEvent)>,
    weak_self: Weak<RefCell<Inner>>,
}

/// A connection to one broker. Cloning gives another handle to the same connection.
#[derive(Clone)]
pub struct MqttClient {
    inner: Rc<RefCell<Inner>>,
}

impl MqttClient {
    /// Opens the WebSocket and starts the MQTT handshake. Events arrive through `on_event`.
    pub fn connect(
        settings: &BrokerSettings,
        on_event: impl Fn(ClientEvent) + 'static,
    ) -> Result<Self, StartError> {
        let session = Session::new(settings.connect_options())?;
        let inner = Rc::new_cyclic(|weak_self| {
            RefCell::new(Inner {
                session,
                transport: None,
                url: settings.url.trim().to_string(),
                timer: DeadlineTimer::new(),
                on_event: Rc::new(on_event),
                weak_self: weak_self.clone(),
            })
        });
        let weak = Rc::downgrade(&inner);
        let transport = WsTransport::open(&settings.url, move |event| {
            if let Some(inner) = weak.upgrade() {
                MqttClient { inner }.on_transport(event);
            }
        })?;
        inner.borrow_mut().transport = Some(transport);
        let client = Self { inner };
        client.command(|s, now| s.handle_transport_connecting(now));
        Ok(client)
    }

    /// Where the MQTT session stands.
    pub fn phase(&self) -> Phase {
        self.inner.borrow().session.phase()
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

    /// Subscribes to one filter.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        self.command(|s, now| s.subscribe(now, vec![(filter.to_string(), qos)]))
    }

    /// Unsubscribes from one filter.
    pub fn unsubscribe(&self, filter: &str) -> Result<u16, CommandError> {
        self.command(|s, now| s.unsubscribe(now, vec![filter.to_string()]))
    }

    /// Sends DISCONNECT (if connected) and closes the WebSocket.
    pub fn disconnect(&self) {
        self.command(|s, now| s.disconnect(now));
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

    fn command<R>(&self, f: impl FnOnce(&mut Session, Instant) -> R) -> R {
        let result = f(&mut self.inner.borrow_mut().session, now());
        self.drive();
        result
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

    /// Drains the session: transmits go to the socket, the deadline to a timer, events
    /// to the callback (after the borrow is released).
    fn drive(&self) {
        let mut events = Vec::new();
        let mut send_failure = None;
        {
            let mut inner = self.inner.borrow_mut();
            loop {
                match inner.session.poll_output() {
                    Output::Transmit(packet) => {
                        if let Some(transport) = inner.transport.as_ref() {
                            if let Err(e) = transport.send(&packet) {
                                send_failure.get_or_insert(e);
                            }
                        }
                    }
                    Output::Event(event) => {
                        if matches!(event, Event::Closed(_)) {
                            if let Some(mut transport) = inner.transport.take() {
                                transport.close();
                            }
                        }
                        events.push(ClientEvent::Session(event));
                    }
                    Output::Timeout(at) => {
                        inner.schedule(Some(at));
                        break;
                    }
                    Output::Idle => {
                        inner.schedule(None);
                        break;
                    }
                }
            }
        }
        self.emit(events);
        if let Some(error) = send_failure {
            let closed = {
                let mut inner = self.inner.borrow_mut();
                inner
                    .session
                    .handle_transport_closed(now(), error.to_string());
                inner.session.phase() == Phase::Disconnected
            };
            if closed {
                self.drive();
            }
        }
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

impl Inner {
    /// Follows the session's deadline with the one timer.
    fn schedule(&mut self, at: Option<Instant>) {
        let weak = self.weak_self.clone();
        self.timer.follow(at, move || {
            if let Some(inner) = weak.upgrade() {
                MqttClient { inner }.command(|s, now| s.handle_timeout(now));
            }
        });
    }
}
