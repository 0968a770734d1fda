//! The page: a header with the views' navigation, and the current view. Views are chosen
//! by the URL's fragment (`#client`, `#challenge`), so each has a link of its own. Their
//! state lives in contexts provided here, so a connection or a challenge run goes on while
//! another view is shown.

use leptos::prelude::*;

use crate::views::{
    BrokerPrefs, ChallengeState, ChallengeView, ClientState, ConnectPanel, LiveRegion, LogView,
    PlaygroundView, PublishPanel, RequestPanel, Shortcuts, SubscriptionsPanel, ThemeToggle,
    TopicTreePanel,
};

/// The views of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Client,
    Challenge,
    Playground,
}

impl Route {
    /// The view named by the page's URL fragment.
    pub fn from_hash() -> Self {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        match hash.as_str() {
            "#challenge" => Route::Challenge,
            "#playground" => Route::Playground,
            _ => Route::Client,
        }
    }
}

/// The whole application: the view named by the URL fragment, following its changes.
#[component]
pub fn App() -> impl IntoView {
    let share = crate::views::share_in_location();
    view! { <Shell start=Route::from_hash() follow_hash=true share=share /> }
}

/// The application starting at `start`. With `follow_hash`, the view follows the URL
/// fragment (back/forward, typed links); without, only the navigation links switch it, so
/// several shells can live in one page (the browser tests run concurrently in one page).
#[component]
pub fn Shell(
    /// The view shown first.
    start: Route,
    /// Whether `hashchange` events switch the view (and open a share link typed into the
    /// address bar).
    follow_hash: bool,
    /// A share link's setup (the `share` of `#client?share=…`) to open at start: the client
    /// view's form is filled, its subscriptions added, and it connects.
    #[prop(default = None)]
    share: Option<String>,
) -> impl IntoView {
    let prefs = BrokerPrefs::new();
    provide_context(prefs);
    let client = ClientState::new();
    provide_context(client);
    provide_context(ChallengeState::new());
    if let Some(share) = share {
        crate::views::open_share(&share, client, prefs);
    }
    let route = RwSignal::new(start);
    if follow_hash {
        let listener = window_event_listener(leptos::ev::hashchange, move |_| {
            route.set(Route::from_hash());
            if let Some(share) = crate::views::share_in_location() {
                crate::views::open_share(&share, client, prefs);
            }
        });
        on_cleanup(move || listener.remove());
    }
    let link = move |to: Route, href: &'static str, testid: &'static str, label: &'static str| {
        view! {
            <a
                href=href
                data-testid=testid
                class:active=move || route.get() == to
                on:click=move |_| route.set(to)
            >
                {label}
            </a>
        }
    };
    let v5 = move || prefs.protocol.get() == mqtt_session::ProtocolVersion::V5;
    view! {
        <header class="topbar">
            <span class="brand">"mqtt"<b>"playground"</b></span>
            <nav>
                {link(Route::Client, "#client", "nav-client", "Client")}
                {link(Route::Challenge, "#challenge", "nav-challenge", "Challenge")}
                {link(Route::Playground, "#playground", "nav-playground", "Playground")}
            </nav>
            <span class="grow"></span>
            <LiveRegion />
            <ThemeToggle />
            <Shortcuts />
            <a
                class="muted"
                href=move || {
                    if v5() {
                        "https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html"
                    } else {
                        "https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html"
                    }
                }
                target="_blank"
                rel="noopener"
            >
                {move || if v5() { "MQTT 5 spec" } else { "MQTT 3.1.1 spec" }}
            </a>
        </header>
        <main class="layout">
            {move || match route.get() {
                Route::Client => view! { <ClientView /> }.into_any(),
                Route::Challenge => Suspend::new(challenge_chunk()).into_any(),
                Route::Playground => Suspend::new(playground_chunk()).into_any(),
            }}
        </main>
    }
}

/// The general-purpose client: connect, subscribe, publish, watch the log.
#[component]
fn ClientView() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let model = state.model;
    let trace = (
        Signal::derive(move || model.with(|m| m.trace_control)),
        Callback::new(move |on| state.set_trace(on)),
    );
    view! {
        <div class="side">
            <ConnectPanel />
            <SubscriptionsPanel />
            <PublishPanel />
            <RequestPanel />
        </div>
        <div class="main-col">
            <TopicTreePanel />
            <LogView log=state.log trace=trace />
        </div>
    }
}

// The Challenge and Playground views are split off the page's wasm in release builds
// (`cargo xtask dist`, `cfg(mqtt_split)`): their code is a chunk of its own, fetched the
// first time the view is shown, so a page opened on the Client view does not download it
// (ARCHITECTURE.md, "Size"). Elsewhere (`trunk serve`, the browser tests) they are plain
// functions and `Suspend` renders them at once. Their state (e.g. a running challenge)
// lives in contexts provided by the shell, in the main module, so nothing is lost by
// leaving a view; `Suspend` keeps the reactive owner, so the chunk's views see them.

#[cfg_attr(mqtt_split, leptos::lazy)]
async fn challenge_chunk() -> AnyView {
    view! { <ChallengeView /> }.into_any()
}

#[cfg_attr(mqtt_split, leptos::lazy)]
async fn playground_chunk() -> AnyView {
    view! { <PlaygroundView /> }.into_any()
}
