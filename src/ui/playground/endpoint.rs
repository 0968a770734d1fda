//! One side of an exercise (producer or consumer): its own MQTT connection to the broker
//! in the shared settings, with a status line. Several run side by side in one page.

use leptos::prelude::*;
use mqtt_session::{Event, Message};

use crate::client::{ClientEvent, MqttClient};
use crate::prefs::{random_client_id, BrokerPrefs};
use crate::state::ConnState;

/// A `Copy` handle on one connection of an exercise panel.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub state: RwSignal<ConnState>,
    pub status: RwSignal<String>,
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
            state: RwSignal::new(ConnState::Idle),
            status: RwSignal::new("not connected".into()),
            client: StoredValue::new_local(None),
        }
    }

    /// Connects with the shared settings; `on` sees every message and the connection.
    pub fn start(&self, prefs: BrokerPrefs, role: &'static str, on: impl Fn(Incoming) + 'static) {
        self.stop();
        let this = *self;
        let settings = prefs.settings(random_client_id(role), 30, true);
        self.state.set(ConnState::Connecting);
        self.status
            .set(format!("connecting to {}…", settings.url.trim()));
        let on_event = move |event: ClientEvent| match event {
            ClientEvent::TransportOpen => {}
            ClientEvent::Session(Event::Connected { .. }) => {
                this.state.set(ConnState::Connected);
                this.status.set("connected".into());
                if let Some(client) = this.client.try_get_value().flatten() {
                    on(Incoming::Connected(client));
                }
            }
            ClientEvent::Session(Event::Message(m)) => on(Incoming::Message(m)),
            ClientEvent::Session(Event::Closed(reason)) => {
                this.client.try_set_value(None);
                let failed = reason != mqtt_session::CloseReason::ClientDisconnect;
                this.state.set(if failed {
                    ConnState::Failed
                } else {
                    ConnState::Idle
                });
                this.status.set(if failed {
                    reason.to_string()
                } else {
                    "disconnected".into()
                });
            }
            ClientEvent::Session(other) => on(Incoming::Session(other)),
        };
        match MqttClient::connect(&settings, on_event) {
            Ok(client) => self.client.set_value(Some(client)),
            Err(e) => {
                self.state.set(ConnState::Failed);
                self.status.set(e.to_string());
            }
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
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new()
    }
}

/// The status line of an endpoint.
#[component]
pub fn EndpointStatus(endpoint: Endpoint) -> impl IntoView {
    view! {
        <p class="status small" data-state=move || endpoint.state.get().as_str()>
            <span class="dot"></span>
            <span class="text">{move || endpoint.status.get()}</span>
        </p>
    }
}
