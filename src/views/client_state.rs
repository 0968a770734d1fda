//! The client view's context: the plain [`ClientModel`] in a signal, the connection, and
//! the live log. It only wires: decisions are the model's, bytes are the driver's.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use mqtt_session::{
    Event, Instant, Phase, PublishProperties, QoS, SubscribeProperties, Subscription,
};

use super::announcer::Announcer;
use super::batched::Batched;
use super::live_log::LiveLog;
use crate::driver::client::{BrokerSettings, ClientEvent, MqttClient};
use crate::driver::clock::now;
use crate::state::client::{ClientError, ClientModel};
use crate::state::log::{Body, Direction};
use crate::state::offline_queue::Queued;
use crate::state::publish_tools::PublishHistory;
use crate::state::request::Requests;
use crate::state::topic_tree::TopicTree;

/// Everything the client view shares, as a `Copy` context.
#[derive(Clone, Copy)]
pub struct ClientState {
    pub model: RwSignal<ClientModel>,
    pub log: LiveLog,
    /// The page clock, ticking while a retry is awaited (for its countdown).
    pub clock: RwSignal<Instant>,
    /// MQTT 5 requests waiting for replies, and the replies.
    pub requests: RwSignal<Requests>,
    /// The publish panel's last publishes.
    pub history: RwSignal<PublishHistory>,
    /// Every topic received (redrawn at most once per animation frame).
    pub topics: Batched<TopicTree>,
    /// The ARIA live region's summaries of incoming messages.
    pub announcer: Announcer,
    /// Tells this page's requests from another's (in correlation data).
    request_tag: StoredValue<String>,
    client: StoredValue<Option<MqttClient>, LocalStorage>,
    ticker: StoredValue<Option<Interval>, LocalStorage>,
    /// Set while a notification of `model` is queued ([`Self::notify_model_soon`]).
    model_notify_queued: StoredValue<bool>,
}

impl ClientState {
    pub fn new() -> Self {
        let model = RwSignal::new(ClientModel::new());
        // Received messages in the log take the colour of the subscription that matched.
        let filters = Memo::new(move |_| {
            model.with(|m| m.subscriptions.iter().map(|r| r.filter.clone()).collect())
        });
        Self {
            model,
            log: LiveLog::new().coloured_by(filters.into()),
            clock: RwSignal::new(Instant::from_millis(0)),
            requests: RwSignal::new(Requests::new()),
            history: RwSignal::new(PublishHistory::default()),
            topics: Batched::new(TopicTree::new()),
            announcer: Announcer::new(),
            request_tag: StoredValue::new(super::prefs::random_client_id("req")),
            client: StoredValue::new_local(None),
            ticker: StoredValue::new_local(None),
            model_notify_queued: StoredValue::new(false),
        }
    }

    /// Tells the model's readers about changes made untracked, once for all those of the
    /// current task (a microtask after it): a repeat publishes thousands of messages in one
    /// task, and each notify clones the signal's subscriber set and checks every memo — a
    /// fifth of the repeat's time when it was done per message.
    fn notify_model_soon(&self) {
        if self.model_notify_queued.get_value() {
            return;
        }
        self.model_notify_queued.set_value(true);
        let (model, queued) = (self.model, self.model_notify_queued);
        leptos::prelude::queue_microtask(move || {
            if !queued.is_disposed() {
                queued.set_value(false);
            }
            if !model.is_disposed() {
                model.notify();
            }
        });
    }

    /// The client whose session is connected, if any.
    fn connected(&self) -> Option<MqttClient> {
        self.client
            .get_value()
            .filter(|c| c.phase() == Phase::Connected)
    }

    /// Whether the broker has accepted the current connection.
    pub fn is_connected(&self) -> bool {
        self.client
            .try_get_value()
            .flatten()
            .is_some_and(|c| c.phase() == Phase::Connected)
    }

    /// Bytes the connection's socket has not sent yet (0 without a connection): a sender
    /// that outruns the socket waits while this is high.
    pub fn buffered_amount(&self) -> u32 {
        self.client
            .try_get_value()
            .flatten()
            .map_or(0, |c| c.buffered_amount())
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
                    m.protocol = settings.protocol;
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
        let connected = matches!(event, ClientEvent::Session(Event::Connected { .. }));
        if let ClientEvent::Session(Event::Message(m)) = &event {
            // Like the log, the tree records every message now and redraws once per frame.
            let at = now();
            self.topics
                .update(|t| t.on_message(&m.topic, &m.payload, m.retain, at));
            self.announcer.message(&m.topic);
        }
        if let ClientEvent::Session(Event::Message(m)) = &event {
            if m.properties.correlation_data.is_some() {
                let paired = self.requests.try_update_untracked(|r| {
                    r.on_message(&m.topic, &m.payload, &m.properties, now())
                        .is_some()
                });
                if paired == Some(true) {
                    self.requests.notify();
                }
            }
        }
        let Some(reaction) = self
            .model
            .try_update_untracked(|m| m.on_event(event, &mut log))
        else {
            return; // the page is being torn down
        };
        if connected {
            let client = self.client.get_value();
            let info = client.as_ref().and_then(MqttClient::connection_info);
            let in_worker = client.as_ref().map(MqttClient::socket_in_worker);
            self.model.update_untracked(|m| {
                m.info = info;
                m.socket_in_worker = in_worker;
            });
        }
        if reaction.changed || connected {
            self.model.notify();
        }
        if reaction.closed {
            self.client.set_value(None);
        }
        self.follow_retry();
        if let Some(client) = self.connected() {
            for (subscription, properties) in reaction.restore {
                let filter = subscription.filter.clone();
                if let Err(e) = client.subscribe_with(subscription, properties) {
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
            properties,
        } in messages
        {
            if let Err(e) = self.publish_with(&topic, payload.to_vec(), qos, retain, properties) {
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
        self.subscribe_with(
            Subscription::new(filter, qos),
            SubscribeProperties::default(),
        )
    }

    /// Adds a subscription with MQTT 5 options to the list and sends it if connected.
    pub fn subscribe_with(
        &self,
        mut options: Subscription,
        properties: SubscribeProperties,
    ) -> Result<(), ClientError> {
        options.filter = ClientModel::check_filter(&options.filter)?;
        if let Some(client) = self.connected() {
            client.subscribe_with(options.clone(), properties.clone())?;
        }
        self.model
            .update(|m| m.add_subscription_with(options, properties));
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
        self.publish_with(topic, payload, qos, retain, PublishProperties::default())
    }

    /// [`Self::publish`] with MQTT 5 properties.
    pub fn publish_with(
        &self,
        topic: &str,
        payload: Vec<u8>,
        qos: QoS,
        retain: bool,
        properties: PublishProperties,
    ) -> Result<(), ClientError> {
        let client = self.client.get_value().ok_or(ClientError::NotConnected)?;
        let message = Queued {
            topic: topic.to_string(),
            payload: payload.into(),
            qos,
            retain,
            properties,
        };
        if client.phase() == Phase::Connected {
            let pkid = self.send(&client, message)?;
            self.model
                .update_untracked(|m| m.published(topic, pkid, false));
            self.notify_model_soon();
            return Ok(());
        }
        mqtt_session::topic::validate_topic_name(topic)
            .map_err(mqtt_session::CommandError::InvalidTopic)?;
        let place = self
            .model
            .try_update(|m| m.queue_publish(message))
            .ok_or(ClientError::NotConnected)??;
        self.model.update(|m| m.published(topic, None, true));
        self.log.note(
            Direction::Info,
            format!("not connected: '{topic}' queued ({place} in the offline queue)"),
        );
        Ok(())
    }

    /// Sends an MQTT 5 request: subscribes to the response topic first (if the list does not
    /// have it), then publishes with the response topic and fresh correlation data.
    pub fn send_request(
        &self,
        topic: &str,
        response_topic: &str,
        payload: Vec<u8>,
        qos: QoS,
    ) -> Result<(), ClientError> {
        self.connected().ok_or(ClientError::NotConnected)?;
        mqtt_session::topic::validate_topic_name(response_topic)
            .map_err(mqtt_session::CommandError::InvalidTopic)?;
        let listed = self
            .model
            .with_untracked(|m| m.subscriptions.iter().any(|r| r.filter == response_topic));
        if !listed {
            self.subscribe(response_topic, QoS::AtLeastOnce)?;
        }
        let tag = self.request_tag.get_value();
        let correlation = self
            .requests
            .try_update(|r| r.next_correlation(&tag))
            .unwrap_or_default();
        let properties = Requests::request_properties(response_topic, &correlation);
        self.publish_with(topic, payload, qos, false, properties)?;
        self.requests.update(|r| r.sent(&correlation, topic, now()));
        Ok(())
    }

    /// Publishes and logs one message; its packet id (QoS 1/2).
    fn send(&self, client: &MqttClient, message: Queued) -> Result<Option<u16>, ClientError> {
        let Queued {
            topic,
            payload,
            qos,
            retain,
            properties,
        } = message;
        let logged = (!properties.is_empty()).then(|| Box::new(properties.clone()));
        let pkid = client.publish_with(&topic, payload.clone(), qos, retain, properties)?;
        self.model.update_untracked(|m| m.track(&topic, pkid));
        self.log.push(
            Direction::Out,
            Body::Message {
                topic,
                qos,
                retain,
                payload,
                properties: logged,
            },
        );
        Ok(pkid)
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}
