//! The client view's connection panel: broker URL, credentials and session options bound
//! to the shared [`BrokerPrefs`]; connect and disconnect; the status line. Profiles and the
//! share link sit in a panel of their own right below.

use leptos::prelude::*;
use mqtt_session::ProtocolVersion;

use super::client_state::ClientState;
use super::prefs::{BrokerFields, BrokerPrefs};
use super::profiles_panel::ProfilesPanel;
use super::property_fields::{ConnectV5Fields, ConnectionInfoView, WillFieldsView};
use crate::state::client::parse_keep_alive;
use crate::state::connection::ConnState;
use crate::state::properties::ConnectFields;

/// Connects the client view with the form in `prefs` (password included); a form that does
/// not parse is shown in the status line instead.
pub fn connect_with_form(state: ClientState, prefs: BrokerPrefs) {
    let form = prefs.form();
    let keep_alive_secs = match parse_keep_alive(&form.keep_alive) {
        Ok(secs) => secs,
        Err(e) => return state.failed_to_start(&e.to_string()),
    };
    let mut settings = prefs.settings(form.client_id, keep_alive_secs, form.clean_session);
    let v5 = settings.protocol == ProtocolVersion::V5;
    if v5 {
        match form.connect.to_properties() {
            Ok(properties) => settings.properties = properties,
            Err(e) => return state.failed_to_start(&e.to_string()),
        }
    }
    match form.will.to_will(v5) {
        Ok(will) => settings.will = will,
        Err(e) => return state.failed_to_start(&e.to_string()),
    }
    state.connect(settings);
}

/// Broker URL, credentials and session options; connect and disconnect; the status line.
#[component]
pub fn ConnectPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let prefs = expect_context::<BrokerPrefs>();
    let v5_fields: RwSignal<ConnectFields> = prefs.connect;

    let model = state.model;
    let busy = move || model.with(|m| m.status.state.is_busy());
    let reconnecting = move || model.with(|m| m.status.state == ConnState::Reconnecting);
    let connect = move || connect_with_form(state, prefs);

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
                        bind:value=prefs.client_id
                    />
                </label>
                <label>
                    <span>"Keepalive (s)"</span>
                    <input
                        type="number"
                        min="0"
                        max="65535"
                        data-testid="connect-keepalive"
                        bind:value=prefs.keep_alive
                    />
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="connect-clean-session"
                        bind:checked=prefs.clean_session
                    />
                    <span>"Clean session"</span>
                </label>
                <ConnectV5Fields form=v5_fields />
                <WillFieldsView form=prefs.will message=prefs.will_message />
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
                data-socket=move || {
                    model
                        .with(|m| match m.socket_in_worker {
                            Some(true) => "worker",
                            Some(false) => "page",
                            None => "",
                        })
                }
                title=move || {
                    model
                        .with(|m| match m.socket_in_worker {
                            Some(true) => {
                                "The WebSocket runs in a worker: this page's thread only decodes and draws"
                            }
                            Some(false) => "The WebSocket runs on this page's thread",
                            None => "",
                        })
                }
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
        <ProfilesPanel />
    }
}
