//! The page: a header and the client view.

use leptos::prelude::*;

use crate::state::ClientState;
use crate::ui::{ConnectPanel, LogView, PublishPanel, SubscriptionsPanel};

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    provide_context(ClientState::new());
    view! {
        <header class="topbar">
            <span class="brand">"mqtt"<b>"playground"</b></span>
            <nav>
                <a class="active" href="#client" data-testid="nav-client">"Client"</a>
            </nav>
            <span class="grow"></span>
            <a class="muted" href="https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html"
                target="_blank" rel="noopener">"MQTT 3.1.1 spec"</a>
        </header>
        <main class="layout">
            <div class="side">
                <ConnectPanel />
                <SubscriptionsPanel />
                <PublishPanel />
            </div>
            <LogView />
        </main>
    }
}
