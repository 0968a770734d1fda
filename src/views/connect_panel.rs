use leptos::prelude::*;
use mqtt_session::ProtocolVersion;

use super::client_state::ClientState;
use super::prefs::{random_client_id, BrokerFields, BrokerPrefs};
use super::property_fields::{ConnectV5Fields, ConnectionInfoView, WillFieldsView};
use crate::state::client::parse_keep_alive;
use crate::state::connection::ConnState;
use crate::state::properties::{ConnectFields, WillFields};

/// Broker URL, credentials and session options; connect and disconnect; the status line.
#[component]
pub fn ConnectPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let prefs = expect_context::<BrokerPrefs>();
    let client_id = RwSignal::new(random_client_id("playground"));
    let keep_alive = RwSignal::new("60".to_string());
    let clean_session = RwSignal::new(true);
    let v5_fields = RwSignal::new(ConnectFields::default());
    let will_fields = RwSignal::new(WillFields::default());

    let model = state.model;
    let busy = move || model.with(|m| m.status.state.is_busy());
    let reconnecting = move || model.with(|m| m.status.state == ConnState::Reconnecting);
    let connect = move || {
        let keep_alive_secs = match parse_keep_alive(&keep_alive.get_untracked()) {
            Ok(secs) => secs,
            Err(e) => return state.failed_to_start(&e.to_string()),
        };
        let mut settings = prefs.settings(
            client_id.get_untracked(),
            keep_alive_secs,
            clean_session.get_untracked(),
        );
        let v5 = settings.protocol == ProtocolVersion::V5;
        if v5 {
            match v5_fields.with_untracked(ConnectFields::to_properties) {
                Ok(properties) => settings.properties = properties,
                Err(e) => return state.failed_to_start(&e.to_string()),
            }
        }
        match will_fields.with_untracked(|w| w.to_will(v5)) {
            Ok(will) => settings.will = will,
            Err(e) => return state.failed_to_start(&e.to_string()),
        }
        state.connect(settings);
    };

    view! {
        <section class="panel connect">
            <h2>"Broker"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if !busy() {
                    connect()
                }
            }>
                <BrokerFields />
                <label>
                    <span>"Client id"</span>
                    <input
                        type="text"
                        data-testid="connect-client-id"
                        spellcheck="false"
                        bind:value=client_id
                    />
                </label>
                <label>
                    <span>"Keepalive (s)"</span>
                    <input
                        type="number"
                        min="0"
                        max="65535"
                        data-testid="connect-keepalive"
                        bind:value=keep_alive
                    />
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="connect-clean-session"
                        bind:checked=clean_session
                    />
                    <span>"Clean session"</span>
                </label>
                <ConnectV5Fields form=v5_fields />
                <WillFieldsView form=will_fields />
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="connect-button"
                        disabled=busy
                    >
                        "Connect"
                    </button>
                    <button
                        type="button"
                        data-testid="disconnect-button"
                        disabled=move || !busy()
                        on:click=move |_| state.disconnect()
                    >
                        {move || if reconnecting() { "Stop" } else { "Disconnect" }}
                    </button>
                </div>
            </form>
            <p
                class="status"
                data-testid="connection-status"
                data-state=move || model.with(|m| m.status.state.as_str())
            >
                <span class="dot"></span>
                <span class="text">{move || model.with(|m| m.status.text.clone())}</span>
            </p>
            <ConnectionInfoView />
            <Show when=reconnecting>
                <p class="reconnect row">
                    <span class="grow" data-testid="reconnect-countdown">
                        {move || {
                            let now = state.clock.get();
                            model
                                .with(|m| m.retry_in_secs(now))
                                .map_or(
                                    "trying now…".to_string(),
                                    |s| format!("next try in {s} s"),
                                )
                        }}
                    </span>
                    <button
                        type="button"
                        data-testid="reconnect-now"
                        on:click=move |_| state.reconnect_now()
                    >
                        "Reconnect now"
                    </button>
                </p>
            </Show>
        </section>
    }
}
