//! One side of an exercise (producer or consumer): its own MQTT connection to the broker
//! in the shared settings, with a status line. Several run side by side in one page.

use leptos::prelude::*;
use mqtt_session::{CommandError, Event, LastWill, Message};

use crate::driver::client::{ClientEvent, MqttClient};
use crate::state::connection::{ConnState, Status};
use crate::views::prefs::{random_client_id, BrokerPrefs};

/// A `Copy` handle on one connection of an exercise panel.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub status: RwSignal<Status>,
    /// The last command this endpoint could not carry out, as a sentence.
    pub problem: RwSignal<Option<String>>,
    client: StoredValue<Option<MqttClient>, LocalStorage>,
}

/// What an endpoint reports to its panel besides its status.
pub enum Incoming {
    Connected(MqttClient),
    Message(Message),
    Session(Event),
}

impl Endpoint {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(Status::idle()),
            problem: RwSignal::new(None),
            client: StoredValue::new_local(None),
        }
    }

    /// Connects with the shared settings; `on` sees every message and the connection.
    pub fn start(&self, prefs: BrokerPrefs, role: &'static str, on: impl Fn(Incoming) + 'static) {
        self.start_with_will(prefs, role, None, on);
    }

    /// [`Self::start`] with a last will, which the broker publishes if this connection dies
    /// without a DISCONNECT.
    pub fn start_with_will(
        &self,
        prefs: BrokerPrefs,
        role: &'static str,
        will: Option<LastWill>,
        on: impl Fn(Incoming) + 'static,
    ) {
        self.stop();
        let this = *self;
        let mut settings = prefs.settings(random_client_id(role), 30, true);
        settings.will = will;
        self.status.set(Status::connecting(settings.url.trim()));
        self.problem.set(None);
        // Each (re)connection is `Connected` again: the panel subscribes again then.
        let on_event = move |event: ClientEvent| match event {
            ClientEvent::TransportOpen => {}
            ClientEvent::Connecting { retry } => {
                this.status.try_set(Status::retrying(retry));
            }
            ClientEvent::Reconnecting { retry, reason, .. } => {
                this.status.try_set(Status::reconnecting(retry, &reason));
            }
            ClientEvent::Ended(reason) => {
                this.client.try_set_value(None);
                this.status.try_set(Status::closed(&reason));
            }
            ClientEvent::Session(Event::Connected { session_present }) => {
                this.status.set(Status::connected(session_present));
                if let Some(client) = this.client.try_get_value().flatten() {
                    on(Incoming::Connected(client));
                }
            }
            ClientEvent::Session(Event::Message(m)) => on(Incoming::Message(m)),
            ClientEvent::Session(other) => on(Incoming::Session(other)),
        };
        match MqttClient::connect(&settings, on_event) {
            Ok(client) => self.client.set_value(Some(client)),
            Err(e) => self.status.set(Status::failed(e.to_string())),
        }
    }

    pub fn stop(&self) {
        if let Some(client) = self.client.try_get_value().flatten() {
            client.disconnect();
        }
    }

    pub fn client(&self) -> Option<MqttClient> {
        self.client.try_get_value().flatten()
    }

    /// Whether the broker has accepted the connection (reactive).
    pub fn is_connected(&self) -> bool {
        self.status.with(|s| s.state == ConnState::Connected)
    }

    /// [`Self::is_connected`], not tracked.
    pub fn is_connected_now(&self) -> bool {
        self.status
            .try_with_untracked(|s| s.state == ConnState::Connected)
            .unwrap_or(false)
    }

    /// Subscribes on `client`; a refusal is shown under the endpoint's status.
    pub fn subscribe(&self, client: &MqttClient, filter: &str, qos: mqtt_session::QoS) {
        let result = client.subscribe(filter, qos);
        self.report(&format!("subscribe to {filter}"), result);
    }

    /// Publishes on the endpoint's connection; a refusal (or no connection) is shown under
    /// its status.
    pub fn publish(&self, topic: &str, payload: Vec<u8>, qos: mqtt_session::QoS, retain: bool) {
        self.publish_with_id(topic, payload, qos, retain);
    }

    /// [`Self::publish`], returning the packet id the session gave a QoS 1/2 message, so
    /// its acknowledgement can be told from others'.
    pub fn publish_with_id(
        &self,
        topic: &str,
        payload: Vec<u8>,
        qos: mqtt_session::QoS,
        retain: bool,
    ) -> Option<u16> {
        let result = match self.client() {
            Some(client) => client.publish(topic, payload, qos, retain),
            None => Err(CommandError::NotConnected),
        };
        let pkid = result.as_ref().ok().copied().flatten();
        self.report(&format!("publish on {topic}"), result);
        pkid
    }

    /// Shows a failed command as "could not <what>: <why>".
    pub fn report<T>(&self, what: &str, result: Result<T, CommandError>) {
        if let Err(error) = result {
            self.problem
                .try_set(Some(format!("could not {what}: {error}")));
        }
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new()
    }
}

/// The status line of an endpoint, and the last command it could not carry out.
#[component]
pub fn EndpointStatus(
    /// The connection whose status is shown.
    endpoint: Endpoint,
) -> impl IntoView {
    view! {
        <p class="status small" data-state=move || endpoint.status.with(|s| s.state.as_str())>
            <span class="dot"></span>
            <span class="text">{move || endpoint.status.with(|s| s.text.clone())}</span>
        </p>
        <Show when=move || endpoint.problem.with(Option::is_some)>
            <p class="form-error small" role="alert" data-testid="endpoint-problem">
                {move || endpoint.problem.get().unwrap_or_default()}
            </p>
        </Show>
    }
}
