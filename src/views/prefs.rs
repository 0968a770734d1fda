//! Broker settings shared by every view, so a URL typed once serves the client view and
//! the challenge alike, and the client view's connection form, so it survives switching
//! views. Profiles save and load all of it but the password, which lives only in memory
//! (and in `sessionStorage` when the user asks a profile to remember it in this tab).

use leptos::prelude::*;
use mqtt_session::ProtocolVersion;

use crate::driver::client::BrokerSettings;
use crate::state::broker_url::{self, PageOrigin};
use crate::state::connect_form::ConnectForm;
use crate::state::properties::{ConnectFields, MessageFields, WillFields};

/// The broker URL and credentials, and the client view's connection form, as a `Copy`
/// context.
#[derive(Clone, Copy)]
pub struct BrokerPrefs {
    pub url: RwSignal<String>,
    pub username: RwSignal<String>,
    pub password: RwSignal<String>,
    /// MQTT 3.1.1 or 5, for every view.
    pub protocol: RwSignal<ProtocolVersion>,
    /// The client view's client id.
    pub client_id: RwSignal<String>,
    /// The client view's keepalive, seconds as typed.
    pub keep_alive: RwSignal<String>,
    pub clean_session: RwSignal<bool>,
    /// The client view's MQTT 5 CONNECT properties.
    pub connect: RwSignal<ConnectFields>,
    /// The client view's last will; its message properties are in `will_message`.
    pub will: RwSignal<WillFields>,
    pub will_message: RwSignal<MessageFields>,
}

impl BrokerPrefs {
    pub fn new() -> Self {
        let defaults = ConnectForm::default();
        Self {
            url: RwSignal::new(default_broker_url()),
            username: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            protocol: RwSignal::new(defaults.protocol),
            client_id: RwSignal::new(random_client_id("playground")),
            keep_alive: RwSignal::new(defaults.keep_alive),
            clean_session: RwSignal::new(defaults.clean_session),
            connect: RwSignal::new(defaults.connect),
            will: RwSignal::new(defaults.will),
            will_message: RwSignal::new(MessageFields::default()),
        }
    }

    /// The connection form as it stands (no password).
    pub fn form(&self) -> ConnectForm {
        let mut will = self.will.get_untracked();
        will.message = self.will_message.get_untracked();
        ConnectForm {
            url: self.url.get_untracked(),
            username: self.username.get_untracked(),
            protocol: self.protocol.get_untracked(),
            client_id: self.client_id.get_untracked(),
            keep_alive: self.keep_alive.get_untracked(),
            clean_session: self.clean_session.get_untracked(),
            connect: self.connect.get_untracked(),
            will,
        }
    }

    /// Fills the form from `form` (a profile, a share link). An empty client id keeps the
    /// current one; `password` replaces the password field (`None` empties it, so a password
    /// typed for one broker never goes to another).
    pub fn apply(&self, form: &ConnectForm, password: Option<String>) {
        self.url.set(form.url.clone());
        self.username.set(form.username.clone());
        self.password.set(password.unwrap_or_default());
        self.protocol.set(form.protocol);
        if !form.client_id.trim().is_empty() {
            self.client_id.set(form.client_id.clone());
        }
        self.keep_alive.set(form.keep_alive.clone());
        self.clean_session.set(form.clean_session);
        self.connect.set(form.connect.clone());
        self.will.set(form.will.clone());
        self.will_message.set(form.will.message.clone());
    }

    /// Settings for a new connection with this client id and keepalive, reconnecting by
    /// itself after a drop.
    pub fn settings(
        &self,
        client_id: String,
        keep_alive_secs: u16,
        clean_session: bool,
    ) -> BrokerSettings {
        BrokerSettings {
            username: self.username.get_untracked(),
            password: self.password.get_untracked(),
            keep_alive_secs,
            clean_session,
            protocol: self.protocol.get_untracked(),
            ..BrokerSettings::new(self.url.get_untracked(), client_id)
        }
    }
}

impl Default for BrokerPrefs {
    fn default() -> Self {
        Self::new()
    }
}

/// The broker URL the page starts with (see [`crate::state::broker_url`]).
pub fn default_broker_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let hostname = location.as_ref().and_then(|l| l.hostname().ok());
    let port = location
        .as_ref()
        .and_then(|l| l.port().ok())
        .unwrap_or_default();
    let origin = hostname.as_deref().map(|hostname| PageOrigin {
        https: crate::driver::transport::page_is_https(),
        hostname,
        port: &port,
    });
    broker_url::default_broker_url(origin, cfg!(debug_assertions))
}

/// A client id unlikely to collide with another tab's: brokers drop the older of two
/// connections with the same id. Letters, digits and '-' only (some brokers refuse '/').
pub fn random_client_id(prefix: &str) -> String {
    let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("{prefix}-{n:08x}")
}

/// URL, user name and password inputs bound to the shared [`BrokerPrefs`].
#[component]
pub fn BrokerFields() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    view! {
        <label class="wide">
            <span>"WebSocket URL"</span>
            <input
                type="text"
                data-testid="connect-url"
                spellcheck="false"
                placeholder="ws://localhost:9001/mqtt"
                bind:value=prefs.url
            />
        </label>
        <label>
            <span>"MQTT version"</span>
            <select
                data-testid="connect-protocol"
                title="MQTT 5 adds reason codes (why a publish or subscription was refused), message properties, subscription options and request/response. The lab's embedded broker speaks 3.1.1 only."
                on:change=move |ev| {
                    let version = if event_target_value(&ev) == "5" {
                        ProtocolVersion::V5
                    } else {
                        ProtocolVersion::V311
                    };
                    prefs.protocol.set(version);
                }
                prop:value=move || prefs.protocol.get().to_string()
            >
                <option value="3.1.1">"3.1.1"</option>
                <option value="5">"5"</option>
            </select>
        </label>
        <Show when=move || {
            prefs.protocol.get() == ProtocolVersion::V5
                && prefs.url.with(|u| *u == default_broker_url())
        }>
            <p class="hint wide" data-testid="protocol-hint">
                "The lab's embedded broker (this page's default URL) speaks MQTT 3.1.1 only: choose 3.1.1 for it, or point the URL at a broker that speaks 5 (mosquitto 2, EMQX, HiveMQ…)."
            </p>
        </Show>
        <label>
            <span>"User name"</span>
            <input
                type="text"
                data-testid="connect-username"
                autocomplete="username"
                bind:value=prefs.username
            />
        </label>
        <label>
            <span>"Password"</span>
            <input
                type="password"
                data-testid="connect-password"
                autocomplete="current-password"
                bind:value=prefs.password
            />
        </label>
    }
}
