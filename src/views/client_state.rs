//! The client view's context: the plain [`ClientModel`] in a signal, the connection, and
//! the live log. It only wires: decisions are the model's, bytes are the driver's.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use mqtt_session::{Instant, Phase, QoS};

use super::live_log::LiveLog;
use crate::driver::client::{BrokerSettings, ClientEvent, MqttClient};
use crate::driver::clock::now;
use crate::state::client::{ClientError, ClientModel};
use crate::state::log::{Body, Direction};
use crate::state::offline_queue::Queued;

/// Everything the client view shares, as a `Copy` context.
#[derive(Clone, Copy)]
pub struct ClientState {
    pub model: RwSignal<ClientModel>,
    pub log: LiveLog,
    /// The page clock, ticking while a retry is awaited (for its countdown).
    pub clock: RwSignal<Instant>,
    client: StoredValue<Option<MqttClient>, LocalStorage>,
    ticker: StoredValue<Option<Interval>, LocalStorage>,
}

impl ClientState {
    pub fn new() -> Self {
        Self {
            model: RwSignal::new(ClientModel::new()),
            log: LiveLog::new(),
            clock: RwSignal::new(Instant::from_millis(0)),
            client: StoredValue::new_local(None),
            ticker: StoredValue::new_local(None),
        }
    }

    /// The client whose session is connected, if any.
    fn connected(&self) -> Option<MqttClient> {
        self.client
            .get_value()
            .filter(|c| c.phase() == Phase::Connected)
    }

    /// Opens a connection with these settings, replacing any previous one.
    pub fn connect(&self, settings: BrokerSettings) {
        if let Some(old) = self.client.get_value() {
            old.disconnect();
        }
        let this = *self;
        match MqttClient::connect(&settings, move |event| this.on_event(event)) {
            Ok(client) => {
                client.set_trace_control_packets(self.model.with_untracked(|m| m.trace_control));
                self.client.set_value(Some(client));
                let mut log = self.log;
                self.model.update(|m| {
                    m.connecting(settings.url.trim(), settings.client_id.trim(), &mut log)
                });
            }
            Err(error) => self.failed_to_start(&error.to_string()),
        }
    }

    /// Shows why nothing was started (an invalid form, a bad URL).
    pub fn failed_to_start(&self, error: &str) {
        let mut log = self.log;
        self.model.update(|m| m.failed_to_start(error, &mut log));
    }

    /// Shows or hides control packets in the log, for the current and later connections.
    pub fn set_trace(&self, on: bool) {
        self.model.update(|m| m.trace_control = on);
        if let Some(client) = self.client.get_value() {
            client.set_trace_control_packets(on);
        }
    }

    /// Disconnects cleanly.
    pub fn disconnect(&self) {
        if let Some(client) = self.client.get_value() {
            client.disconnect();
        }
    }

    /// Applies one client event: the model decides, this carries out its reaction. A
    /// message changes no signal (the log batches its own re-render per frame).
    fn on_event(&self, event: ClientEvent) {
        let mut log = self.log;
        let Some(reaction) = self
            .model
            .try_update_untracked(|m| m.on_event(event, &mut log))
        else {
            return; // the page is being torn down
        };
        if reaction.changed {
            self.model.notify();
        }
        if reaction.closed {
            self.client.set_value(None);
        }
        self.follow_retry();
        if let Some(client) = self.connected() {
            for (filter, qos) in reaction.restore {
                if let Err(e) = client.subscribe(&filter, qos) {
                    self.log.note(
                        Direction::Error,
                        format!("could not subscribe to '{filter}' again: {e}"),
                    );
                }
            }
            for message in reaction.flush {
                if let Err(e) = self.send(&client, message) {
                    self.log.note(Direction::Error, e.to_string());
                }
            }
        }
    }

    /// Ticks the clock while a retry is awaited, so its countdown moves.
    fn follow_retry(&self) {
        let waiting = self.model.with_untracked(|m| m.retry_at.is_some());
        if !waiting {
            self.ticker.try_set_value(None);
            return;
        }
        self.clock.try_set(now());
        if self.ticker.with_value(Option::is_none) {
            let clock = self.clock;
            self.ticker.set_value(Some(Interval::new(250, move || {
                clock.try_set(now());
            })));
        }
    }

    /// Retries now instead of waiting (the "Reconnect now" button).
    pub fn reconnect_now(&self) {
        if let Some(client) = self.client.get_value() {
            client.reconnect_now();
        }
    }

    /// Publishes again what the session abandoned (queued if the connection is down).
    pub fn resend_abandoned(&self) {
        let messages = self
            .model
            .try_update(|m| std::mem::take(&mut m.abandoned))
            .unwrap_or_default();
        for Queued {
            topic,
            payload,
            qos,
            retain,
        } in messages
        {
            if let Err(e) = self.publish(&topic, payload.to_vec(), qos, retain) {
                self.log.note(
                    Direction::Error,
                    format!("could not send '{topic}' again: {e}"),
                );
            }
        }
    }

    /// Forgets the abandoned messages without sending them.
    pub fn dismiss_abandoned(&self) {
        self.model.update(|m| m.abandoned.clear());
    }

    /// Forgets the messages queued while offline.
    pub fn drop_queue(&self) {
        let dropped = self.model.try_update(|m| m.queue.take().len()).unwrap_or(0);
        self.log.note(
            Direction::Info,
            format!("dropped {dropped} messages queued while offline"),
        );
    }

    /// Whether QoS 0 publishes are queued while offline too.
    pub fn set_queue_at_most_once(&self, on: bool) {
        self.model.update(|m| m.queue.at_most_once_too = on);
    }

    /// Adds a subscription to the list and sends it if connected.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), ClientError> {
        let filter = ClientModel::check_filter(filter)?;
        if let Some(client) = self.connected() {
            client.subscribe(&filter, qos)?;
        }
        self.model.update(|m| m.add_subscription(filter, qos));
        Ok(())
    }

    /// Removes a subscription: UNSUBSCRIBE when connected (the row goes on UNSUBACK), else
    /// just from the list.
    pub fn unsubscribe(&self, filter: &str) -> Result<(), ClientError> {
        match self.connected() {
            Some(client) => client.unsubscribe(filter).map(drop).map_err(Into::into),
            None => {
                self.model.update(|m| m.remove_subscription(filter));
                Ok(())
            }
        }
    }

    /// Publishes and logs what was sent. While the connection is down (connecting or
    /// reconnecting) the message waits in the offline queue instead.
    pub fn publish(
        &self,
        topic: &str,
        payload: Vec<u8>,
        qos: QoS,
        retain: bool,
    ) -> Result<(), ClientError> {
        let client = self.client.get_value().ok_or(ClientError::NotConnected)?;
        let message = Queued {
            topic: topic.to_string(),
            payload: payload.into(),
            qos,
            retain,
        };
        if client.phase() == Phase::Connected {
            return self.send(&client, message);
        }
        mqtt_session::topic::validate_topic_name(topic)
            .map_err(mqtt_session::CommandError::InvalidTopic)?;
        let place = self
            .model
            .try_update(|m| m.queue_publish(message))
            .ok_or(ClientError::NotConnected)??;
        self.log.note(
            Direction::Info,
            format!("not connected: '{topic}' queued ({place} in the offline queue)"),
        );
        Ok(())
    }

    fn send(&self, client: &MqttClient, message: Queued) -> Result<(), ClientError> {
        let Queued {
            topic,
            payload,
            qos,
            retain,
        } = message;
        client.publish(&topic, payload.clone(), qos, retain)?;
        self.log.push(
            Direction::Out,
            Body::Message {
                topic,
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
