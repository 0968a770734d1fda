//! The client view's state: signals for what the page shows, and the one function that
//! turns client events into updates of them.

use leptos::prelude::*;
use mqtt_session::{CloseReason, Direction as Wire, Event, QoS, SubscribeResult};

use crate::client::{BrokerSettings, ClientEvent, MqttClient};
use crate::live_log::LiveLog;
use crate::log::{Body, Direction};

/// The `data-state` of the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Idle,
    Connecting,
    Connected,
    Failed,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Idle => "idle",
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Failed => "failed",
        }
    }
}

/// The status line: a state and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: ConnState,
    pub text: String,
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    Pending,
    Granted(QoS),
    Refused,
}

/// One row of the subscription list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub filter: String,
    pub qos: QoS,
    pub state: SubState,
}

/// Everything the client view shares, as a `Copy` context.
#[derive(Clone, Copy)]
pub struct ClientState {
    pub status: RwSignal<Status>,
    pub client: StoredValue<Option<MqttClient>, LocalStorage>,
    pub subscriptions: RwSignal<Vec<SubscriptionRow>>,
    pub log: LiveLog,
    pub trace_control: RwSignal<bool>,
}

impl ClientState {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(Status {
                state: ConnState::Idle,
                text: "not connected".into(),
            }),
            client: StoredValue::new_local(None),
            subscriptions: RwSignal::new(Vec::new()),
            log: LiveLog::new(),
            trace_control: RwSignal::new(false),
        }
    }

    fn set_status(&self, state: ConnState, text: impl Into<String>) {
        self.status.set(Status {
            state,
            text: text.into(),
        });
    }

    /// The connected client, if any.
    pub fn client(&self) -> Option<MqttClient> {
        self.client.get_value()
    }

    /// Opens a connection with these settings, replacing any previous one.
    pub fn connect(&self, settings: BrokerSettings) {
        if let Some(old) = self.client.get_value() {
            old.disconnect();
        }
        let this = *self;
        let url = settings.url.trim().to_string();
        match MqttClient::connect(&settings, move |event| this.on_event(event)) {
            Ok(client) => {
                client.set_trace_control_packets(self.trace_control.get_untracked());
                self.client.set_value(Some(client));
                self.set_status(ConnState::Connecting, format!("connecting to {url}…"));
                self.log.note(
                    Direction::Info,
                    format!("connecting to {url} as '{}'", settings.client_id.trim()),
                );
            }
            Err(error) => {
                self.set_status(ConnState::Failed, error.to_string());
                self.log.note(Direction::Error, error.to_string());
            }
        }
    }

    /// Shows or hides control packets in the log, for the current and later connections.
    pub fn set_trace(&self, on: bool) {
        self.trace_control.set(on);
        if let Some(client) = self.client() {
            client.set_trace_control_packets(on);
        }
    }

    /// Disconnects cleanly.
    pub fn disconnect(&self) {
        if let Some(client) = self.client.get_value() {
            client.disconnect();
        }
    }

    /// Applies one client event to the page's state.
    pub fn on_event(&self, event: ClientEvent) {
        match event {
            ClientEvent::TransportOpen => {
                self.set_status(
                    ConnState::Connecting,
                    "WebSocket open, waiting for the broker's CONNACK…",
                );
            }
            ClientEvent::Session(event) => self.on_session_event(event),
        }
    }

    fn on_session_event(&self, event: Event) {
        match event {
            Event::Connected { session_present } => {
                let resumed = if session_present {
                    " (session resumed)"
                } else {
                    ""
                };
                self.set_status(ConnState::Connected, format!("connected{resumed}"));
                self.log
                    .note(Direction::Info, format!("connected{resumed}"));
                self.resubscribe();
            }
            Event::Message(m) => self.log.push(
                Direction::In,
                Body::Message {
                    topic: m.topic,
                    qos: m.qos,
                    retain: m.retain,
                    payload: m.payload,
                },
            ),
            Event::Delivered { .. } => {}
            Event::Subscribed { results, .. } => self.on_subscribed(results),
            Event::Unsubscribed { filters, .. } => {
                self.subscriptions
                    .update(|rows| rows.retain(|r| !filters.contains(&r.filter)));
                self.log.note(
                    Direction::Info,
                    format!("unsubscribed from {}", filters.join(", ")),
                );
            }
            Event::Control { direction, packet } => {
                if self.trace_control.get_untracked() {
                    let arrow = if direction == Wire::Sent {
                        "→"
                    } else {
                        "←"
                    };
                    self.log.note(Direction::Info, format!("{arrow} {packet}"));
                }
            }
            Event::Warning(text) => self.log.note(Direction::Error, text),
            Event::Closed(reason) => {
                self.client.set_value(None);
                self.subscriptions
                    .update(|rows| rows.iter_mut().for_each(|r| r.state = SubState::Pending));
                if reason == CloseReason::ClientDisconnect {
                    self.set_status(ConnState::Idle, "disconnected");
                    self.log.note(Direction::Info, "disconnected");
                } else {
                    self.set_status(ConnState::Failed, reason.to_string());
                    self.log.note(Direction::Error, reason.to_string());
                }
            }
        }
    }

    fn on_subscribed(&self, results: Vec<(String, SubscribeResult)>) {
        for (filter, result) in results {
            let state = match result {
                SubscribeResult::Granted(qos) => {
                    self.log.note(
                        Direction::Info,
                        format!("subscribed to '{filter}' (granted QoS {})", qos as u8),
                    );
                    SubState::Granted(qos)
                }
                SubscribeResult::Refused => {
                    self.log.note(
                        Direction::Error,
                        format!("the broker refused the subscription to '{filter}' (SUBACK 0x80): not allowed for this user?"),
                    );
                    SubState::Refused
                }
            };
            self.subscriptions.update(|rows| {
                if let Some(row) = rows.iter_mut().find(|r| r.filter == filter) {
                    row.state = state;
                }
            });
        }
    }

    /// Adds a subscription to the list and sends it if connected.
    pub fn subscribe(&self, filter: String, qos: QoS) -> Result<(), String> {
        let filter = filter.trim().to_string();
        if let Some(client) = self.client() {
            if client.phase() == mqtt_session::Phase::Connected {
                client.subscribe(&filter, qos).map_err(|e| e.to_string())?;
            }
        } else {
            mqtt_session::topic::validate_topic_filter(&filter).map_err(|e| e.to_string())?;
        }
        self.subscriptions.update(|rows| {
            rows.retain(|r| r.filter != filter);
            rows.push(SubscriptionRow {
                filter,
                qos,
                state: SubState::Pending,
            });
        });
        Ok(())
    }

    /// Removes a subscription: UNSUBSCRIBE when connected, else just from the list.
    pub fn unsubscribe(&self, filter: &str) {
        let connected = self
            .client()
            .filter(|c| c.phase() == mqtt_session::Phase::Connected);
        match connected.map(|c| c.unsubscribe(filter)) {
            Some(Ok(_)) => {} // removed on UNSUBACK
            Some(Err(e)) => self.log.note(Direction::Error, e.to_string()),
            None => self
                .subscriptions
                .update(|rows| rows.retain(|r| r.filter != filter)),
        }
    }

    fn resubscribe(&self) {
        let Some(client) = self.client() else { return };
        for row in self.subscriptions.get_untracked() {
            if let Err(e) = client.subscribe(&row.filter, row.qos) {
                self.log.note(
                    Direction::Error,
                    format!("could not subscribe to '{}': {e}", row.filter),
                );
            }
        }
    }

    /// Publishes and logs what was sent.
    pub fn publish(
        &self,
        topic: &str,
        payload: Vec<u8>,
        qos: QoS,
        retain: bool,
    ) -> Result<(), String> {
        let client = self
            .client()
            .ok_or("not connected: connect to a broker first")?;
        let payload = bytes::Bytes::from(payload);
        client
            .publish(topic, payload.clone(), qos, retain)
            .map_err(|e| e.to_string())?;
        self.log.push(
            Direction::Out,
            Body::Message {
                topic: topic.to_string(),
                qos,
                retain,
                payload,
            },
        );
        Ok(())
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}
