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
                on:pointerenter=move |_| prefetch(to)
                on:focus=move |_| prefetch(to)
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
                Route::Challenge => chunked_view(Route::Challenge),
                Route::Playground => chunked_view(Route::Playground),
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
// A chunk that cannot be fetched (offline, a new deploy replaced the files) is an error
// panel with a retry, not a panic: `fallible` makes the failed load an `Err`, and the next
// attempt fetches again.

/// A view's chunk could not be fetched.
struct ChunkError;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkError
    }
}

#[cfg_attr(
    mqtt_split,
    leptos::wasm_split::wasm_split(
        challenge_view,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(preload_challenge)
    )
)]
fn challenge_chunk() -> Result<AnyView, ChunkError> {
    Ok(view! { <ChallengeView /> }.into_any())
}

#[cfg_attr(
    mqtt_split,
    leptos::wasm_split::wasm_split(
        playground_view,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(preload_playground)
    )
)]
fn playground_chunk() -> Result<AnyView, ChunkError> {
    Ok(view! { <PlaygroundView /> }.into_any())
}

/// Starts fetching `route`'s chunk (a pointer over its link, or the keyboard's focus on it),
/// so that it is usually there by the click. Nothing to do when the views are not split.
fn prefetch(route: Route) {
    #[cfg(mqtt_split)]
    leptos::task::spawn_local(async move {
        // A failure shows when the view is opened, which fetches again.
        let _ = match route {
            Route::Client => Ok(()),
            Route::Challenge => preload_challenge().await,
            Route::Playground => preload_playground().await,
        };
    });
    #[cfg(not(mqtt_split))]
    let _ = route;
}

/// Calls a chunk's function: split, it is async (it fetches the chunk first).
#[cfg(mqtt_split)]
macro_rules! call_chunk {
    ($chunk:ident) => {
        $chunk().await
    };
}
#[cfg(not(mqtt_split))]
macro_rules! call_chunk {
    ($chunk:ident) => {
        $chunk()
    };
}

async fn load_view(route: Route) -> Result<AnyView, ChunkError> {
    match route {
        Route::Client => Ok(view! { <ClientView /> }.into_any()),
        Route::Challenge => call_chunk!(challenge_chunk),
        Route::Playground => call_chunk!(playground_chunk),
    }
}

/// `route`'s view, loaded from its chunk: while it loads, a line saying so; if that fails,
/// what happened and a retry.
fn chunked_view(route: Route) -> AnyView {
    let attempt = RwSignal::new(0u32);
    // Whether the current attempt has ended (loaded or failed): until then, a line says
    // the view is loading (only seen on a slow network; split builds only).
    let settled = RwSignal::new(false);
    let view = move || {
        attempt.track();
        Suspend::new(async move {
            let loaded = load_view(route).await;
            settled.set(true);
            loaded.unwrap_or_else(|ChunkError| {
                view! {
                    <section class="panel" role="alert" data-testid="view-load-error">
                        <h2>"This view could not be loaded"</h2>
                        <p class="hint">
                            "Its code is downloaded the first time the view is opened, and that download failed: \
                             the network may be down, or the site was updated since this page was opened \
                             (reloading the page also helps). Your connections and other views are not affected."
                        </p>
                        <button
                            type="button"
                            class="primary"
                            data-testid="view-load-retry"
                            on:click=move |_| {
                                settled.set(false);
                                attempt.update(|n| *n += 1)
                            }
                        >
                            "Try again"
                        </button>
                    </section>
                }
                    .into_any()
            })
        })
    };
    view! {
        <Show when=move || !settled.get()>
            <section class="panel" aria-busy="true" data-testid="view-loading">
                <p class="hint">"Loading this view…"</p>
            </section>
        </Show>
        {view}
    }
    .into_any()
}
