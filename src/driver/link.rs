//! One client's connections, inside [`MqttClient`]: the session, the reconnect policy, the
//! current WebSocket and the one timer, and how their outputs are drained: transmits to the
//! socket (saved first when the session persists), `Closed` to the policy, which answers with
//! `Reconnecting` or the end.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use mqtt_session::{CloseReason, Event, Instant, Output, Reconnect, ReconnectState, Session};
use wasm_bindgen::closure::Closure;

use super::client::{ClientEvent, MqttClient};
use super::clock::now;
use super::deadline::DeadlineTimer;
use super::persist::Persistence;
use super::transport::WsTransport;

pub(super) struct Inner {
    pub(super) session: Session,
    /// `None` when the settings turned reconnecting off.
    pub(super) reconnect: Option<Reconnect>,
    pub(super) transport: Option<WsTransport>,
    /// The in-flight store in `localStorage` (clean session off), saved before transmits.
    pub(super) persistence: Persistence,
    pub(super) url: String,
    pub(super) timer: DeadlineTimer,
    pub(super) ended: bool,
    pub(super) on_event: Rc<dyn Fn(ClientEvent)>,
    /// The window's `online` listener: a retry goes at once when the network is back.
    pub(super) online: Option<Closure<dyn FnMut()>>,
    pub(super) weak_self: Weak<RefCell<Inner>>,
}

impl Inner {
    /// Drains the session's outputs; its next deadline. A `Closed` is also told to the
    /// reconnect policy, which says whether (and when) to try again.
    pub(super) fn drain_session(
        &mut self,
        now: Instant,
        events: &mut Vec<ClientEvent>,
        ended: &mut Option<CloseReason>,
    ) -> Option<Instant> {
        loop {
            match self.session.poll_output() {
                Output::Transmit(packet) => {
                    // Saved before it can reach the broker, so a reload resends it.
                    self.save(events);
                    self.send(now, &packet);
                }
                Output::Event(event) => {
                    match &event {
                        Event::Connected { .. } => {
                            if let Some(reconnect) = self.reconnect.as_mut() {
                                reconnect.handle_connected(now);
                            }
                        }
                        Event::Closed(reason) => {
                            if let Some(mut transport) = self.transport.take() {
                                transport.close();
                            }
                            let reason = reason.clone();
                            events.push(ClientEvent::Session(event));
                            match self.after_close(now, reason) {
                                Ok(retrying) => events.push(retrying),
                                Err(end) => *ended = Some(end),
                            }
                            continue;
                        }
                        _ => {}
                    }
                    events.push(ClientEvent::Session(event));
                }
                Output::Timeout(at) => {
                    self.save(events);
                    return Some(at);
                }
                Output::Idle => {
                    self.save(events);
                    return None;
                }
            }
        }
    }

    /// Saves the session's store if it changed (clean session off); a storage problem is
    /// reported once, as a warning.
    fn save(&mut self, events: &mut Vec<ClientEvent>) {
        if let Some(problem) = self.persistence.save_if_changed(&self.session) {
            events.push(ClientEvent::Session(Event::Warning(problem)));
        }
    }

    /// `Reconnecting` when the policy will try again, else the reason to end with.
    fn after_close(
        &mut self,
        now: Instant,
        reason: CloseReason,
    ) -> Result<ClientEvent, CloseReason> {
        let Some(reconnect) = self.reconnect.as_mut() else {
            return Err(reason);
        };
        reconnect.handle_closed(now, &reason);
        match reconnect.state() {
            ReconnectState::Waiting { retry, until } => Ok(ClientEvent::Reconnecting {
                retry: *retry,
                at: *until,
                reason,
            }),
            _ => Err(reason),
        }
    }

    /// One packet, one WebSocket message. A send the browser refuses ends the connection.
    fn send(&mut self, now: Instant, packet: &[u8]) {
        let Some(transport) = self.transport.as_ref() else {
            return;
        };
        if let Err(error) = transport.send(packet) {
            self.session.handle_transport_closed(now, error.to_string());
        }
    }

    /// Opens a WebSocket for the session. A URL the browser refuses now (it took it at
    /// `connect`) is a closed transport with the browser's reason.
    pub(super) fn open(&mut self) {
        let now = now();
        self.session.handle_transport_connecting(now);
        match MqttClient::open_transport(&self.url, self.weak_self.clone()) {
            Ok(transport) => self.transport = Some(transport),
            Err(error) => self.session.handle_transport_closed(now, error.to_string()),
        }
    }

    /// Follows the earliest deadline with the one timer; both the session and the policy
    /// check `now` against their own deadlines, so an early call is harmless.
    pub(super) fn schedule(&mut self, at: Option<Instant>) {
        let weak = self.weak_self.clone();
        self.timer.follow(at, move || {
            if let Some(inner) = weak.upgrade() {
                let client = MqttClient { inner };
                if let Some(reconnect) = client.inner.borrow_mut().reconnect.as_mut() {
                    reconnect.handle_timeout(now());
                }
                client.command(|s, now| s.handle_timeout(now));
            }
        });
    }
}
