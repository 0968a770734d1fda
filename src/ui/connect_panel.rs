use leptos::prelude::*;

use crate::client::BrokerSettings;
use crate::state::{ClientState, ConnState};

/// The page's own origin with `/mqtt`, ws or wss to match the page: where `trunk serve`
/// (or a reverse proxy next to a hosted `dist/`) forwards to the broker.
pub fn default_broker_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => {
            let scheme = if crate::transport::page_is_https() {
                "wss"
            } else {
                "ws"
            };
            format!("{scheme}://{host}/mqtt")
        }
        None => "ws://localhost:9001/mqtt".to_string(),
    }
}

/// A client id unlikely to collide with another tab's: brokers drop the older of two
/// connections with the same id.
pub fn random_client_id() -> String {
    let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("playground-{n:08x}")
}

/// Broker URL, credentials and session options; connect and disconnect; the status line.
#[component]
pub fn ConnectPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let url = RwSignal::new(default_broker_url());
    let client_id = RwSignal::new(random_client_id());
    let username = RwSignal::new(String::new());
    // Never persisted anywhere: lives only in this signal.
    let password = RwSignal::new(String::new());
    let keep_alive = RwSignal::new("60".to_string());
    let clean_session = RwSignal::new(true);

    let busy = move || {
        matches!(
            state.status.get().state,
            ConnState::Connecting | ConnState::Connected
        )
    };
    let connect = move || {
        let keep_alive_secs = match keep_alive.get_untracked().trim().parse::<u16>() {
            Ok(secs) => secs,
            Err(_) => {
                state.status.set(crate::state::Status {
                    state: ConnState::Failed,
                    text: "keepalive must be a whole number of seconds from 0 to 65535".into(),
                });
                return;
            }
        };
        state.connect(BrokerSettings {
            url: url.get_untracked(),
            client_id: client_id.get_untracked(),
            username: username.get_untracked(),
            password: password.get_untracked(),
            keep_alive_secs,
            clean_session: clean_session.get_untracked(),
        });
    };

    view! {
        <section class="panel connect">
            <h2>"Broker"</h2>
            <form on:submit=move |ev| { ev.prevent_default(); if !busy() { connect() } }>
                <label class="wide">
                    <span>"WebSocket URL"</span>
                    <input type="text" data-testid="connect-url" spellcheck="false"
                        placeholder="ws://localhost:9001/mqtt" bind:value=url />
                </label>
                <label>
                    <span>"Client id"</span>
                    <input type="text" data-testid="connect-client-id" spellcheck="false" bind:value=client_id />
                </label>
                <label>
                    <span>"Keepalive (s)"</span>
                    <input type="number" min="0" max="65535" data-testid="connect-keepalive" bind:value=keep_alive />
                </label>
                <label>
                    <span>"User name"</span>
                    <input type="text" data-testid="connect-username" autocomplete="username" bind:value=username />
                </label>
                <label>
                    <span>"Password"</span>
                    <input type="password" data-testid="connect-password" autocomplete="current-password"
                        bind:value=password />
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="connect-clean-session" bind:checked=clean_session />
                    <span>"Clean session"</span>
                </label>
                <div class="actions">
                    <button type="submit" class="primary" data-testid="connect-button" disabled=busy>
                        "Connect"
                    </button>
                    <button type="button" data-testid="disconnect-button"
                        disabled=move || !busy() on:click=move |_| state.disconnect()>
                        "Disconnect"
                    </button>
                </div>
            </form>
            <p class="status" data-testid="connection-status"
                data-state=move || state.status.get().state.as_str()>
                <span class="dot"></span>
                <span class="text">{move || state.status.get().text}</span>
            </p>
        </section>
    }
}
