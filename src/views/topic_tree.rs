//! The topic tree panel of the client view: the [`TopicTree`] that `ClientState` feeds
//! from every received message, drawn as a windowed list (only the rows in view exist in
//! the DOM) and redrawn at most once per animation frame (a [`Batched`] cell), and the
//! selected topic's recent values, chart and "clear retained". Broker data goes into text
//! nodes and attributes only.

use gloo_timers::callback::Interval;
use leptos::html::Div;
use leptos::prelude::*;
use mqtt_session::{Instant, QoS};
use wasm_bindgen::JsCast;

use super::batched::Batched;
use super::client_state::ClientState;
use crate::driver::clock::now;
use crate::state::topic_tree::{
    NodeId, Row, Sample, TopicTree, CHART_HEIGHT, CHART_WIDTH, HISTORY, MAX_NODES, PREVIEW_BYTES,
    RATE_WINDOW_SECS,
};

/// Height of one row in CSS pixels; `style/main.css` uses the same (`--row`).
const ROW_HEIGHT: f64 = 24.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 10;

/// The rows in view: how many rows the tree has, the first one drawn, and the drawn ones.
#[derive(Debug, Clone, PartialEq, Default)]
struct Window {
    len: usize,
    first: usize,
    rows: Vec<Row>,
}

/// `HH:MM:SS.mmm`, local time, of an instant of the page's clock.
fn clock_time(at: Instant) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.time_origin());
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        origin + at.as_millis() as f64,
    ));
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        d.get_milliseconds()
    )
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Moves the focus to the row before or after `row` (arrow keys).
fn focus_sibling(row: &web_sys::Element, next: bool) {
    let sibling = if next {
        row.next_element_sibling()
    } else {
        row.previous_element_sibling()
    };
    if let Some(el) = sibling.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus(); // an element that cannot take focus: nothing to do
    }
}

/// The topic tree: fold and unfold levels, select a topic for its history.
#[component]
pub fn TopicTreePanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let topics = state.topics;
    let scroller = NodeRef::<Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(260.0_f64);
    let selected = RwSignal::new(None::<String>);
    let open = RwSignal::new(true);
    // Rates decay while nothing arrives: recompute them once a second.
    let tick = RwSignal::new(0_u64);
    StoredValue::new_local(Interval::new(1_000, move || {
        tick.try_update(|t| *t += 1);
    }));

    let window = Memo::new(move |_| {
        tick.track();
        let now = now();
        let shown = (viewport.get() / ROW_HEIGHT).ceil() as usize + 1;
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        topics.with(|t| {
            let ids = t.visible();
            let rows = ids
                .iter()
                .skip(first)
                .take(shown + 2 * OVERSCAN)
                .filter_map(|id| t.row(*id, now))
                .collect();
            Window {
                len: ids.len(),
                first,
                rows,
            }
        })
    });
    let counters = move || {
        topics.with(|t| {
            let hidden = t.not_shown();
            let mut text = format!(
                "{} topics · {} messages",
                thousands(t.topics() as u64),
                thousands(t.messages())
            );
            if hidden.topics > 0 {
                text.push_str(&format!(
                    " · {}{} topics not shown (tree full)",
                    thousands(hidden.topics as u64),
                    if hidden.at_least { "+" } else { "" }
                ));
            }
            text
        })
    };
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            scroll_top.set(f64::from(el.scroll_top()));
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
        }
    };
    let clear = move |_| {
        topics.update(TopicTree::clear);
        selected.set(None);
    };

    view! {
        <section class="panel topics-panel" data-testid="topic-tree">
            <header class="topics-head">
                <h2>"Topics"</h2>
                <span class="counters" data-testid="topic-counters">
                    {counters}
                </span>
                <span class="grow"></span>
                <Show when=move || open.get()>
                    <button
                        type="button"
                        data-testid="topic-fold-all"
                        on:click=move |_| topics.update(|t| t.fold_all(true))
                    >
                        "Fold all"
                    </button>
                    <button
                        type="button"
                        data-testid="topic-unfold-all"
                        on:click=move |_| topics.update(|t| t.fold_all(false))
                    >
                        "Unfold all"
                    </button>
                    <button type="button" data-testid="topic-tree-clear" on:click=clear>
                        "Clear"
                    </button>
                </Show>
                <button
                    type="button"
                    data-testid="topic-tree-open"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { "Hide" } else { "Show" }}
                </button>
            </header>
            <Show when=move || open.get()>
                <div class="topics-body">
                    <div
                        class="tree-scroll"
                        role="tree"
                        aria-label="Topics received"
                        node_ref=scroller
                        on:scroll=on_scroll
                    >
                        <div
                            class="tree-spacer"
                            style:height=move || {
                                format!("{}px", window.with(|w| w.len) as f64 * ROW_HEIGHT)
                            }
                        >
                            <div
                                class="tree-window"
                                style:transform=move || {
                                    format!(
                                        "translateY({}px)",
                                        window.with(|w| w.first) as f64 * ROW_HEIGHT,
                                    )
                                }
                            >
                                <For
                                    each=move || {
                                        window
                                            .with(|w| w.rows.iter().map(|r| r.id).collect::<Vec<_>>())
                                    }
                                    key=|id| *id
                                    children=move |id| {
                                        view! { <TopicRow id window topics selected /> }
                                    }
                                />
                            </div>
                        </div>
                        <Show when=move || window.with(|w| w.len == 0)>
                            <p class="hint empty">
                                "Topics of the messages you receive appear here."
                            </p>
                        </Show>
                    </div>
                    <TopicDetailView topics selected tick />
                </div>
                <p class="hint topics-caps">
                    {format!(
                        "Keeps up to {} topic levels and the last {HISTORY} values of each topic (first {PREVIEW_BYTES} bytes); rates are over {RATE_WINDOW_SECS} s. Retained: received with RETAIN=1, which a broker sets only for a new subscription.",
                        thousands(MAX_NODES as u64),
                    )}
                </p>
            </Show>
        </section>
    }
}

/// One row of the tree. Keyed by node id: its element stays while its contents change, so
/// a busy topic's row stays clickable.
#[component]
fn TopicRow(
    /// The node drawn.
    id: NodeId,
    /// The rows in view, where this row's data is.
    window: Memo<Window>,
    /// The tree, to fold and unfold.
    topics: Batched<TopicTree>,
    /// The selected topic.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let row = Memo::new(move |_| window.with(|w| w.rows.iter().find(|r| r.id == id).cloned()));
    let get = move |f: fn(&Row) -> String| row.with(|r| r.as_ref().map(f).unwrap_or_default());
    let has_children = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.has_children)));
    let folded = move || row.with(|r| r.as_ref().is_some_and(|r| r.folded));
    let retained = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.retained)));
    let topic = move || get(|r| r.topic.clone());
    let is_selected = move || selected.with(|s| s.as_deref() == Some(topic().as_str()));
    let toggle = move || topics.update(|t| t.toggle(id));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let row_el = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        match ev.key().as_str() {
            "Enter" | " " => selected.set(Some(topic())),
            "ArrowRight" if has_children.get_untracked() && folded() => toggle(),
            "ArrowLeft" if has_children.get_untracked() && !folded() => toggle(),
            "ArrowDown" => row_el.iter().for_each(|r| focus_sibling(r, true)),
            "ArrowUp" => row_el.iter().for_each(|r| focus_sibling(r, false)),
            _ => return,
        }
        ev.prevent_default();
    };
    view! {
        <div
            class="topic-node"
            class:selected=is_selected
            data-testid="topic-node"
            data-topic=topic
            role="treeitem"
            attr:aria-level=move || row.with(|r| r.as_ref().map_or(1, |r| r.depth + 1))
            aria-expanded=move || has_children.get().then(|| (!folded()).to_string())
            aria-selected=move || is_selected().to_string()
            tabindex="0"
            style:padding-left=move || {
                format!("{}px", 6 + 16 * row.with(|r| r.as_ref().map_or(0, |r| r.depth)))
            }
            on:click=move |_| selected.set(Some(topic()))
            on:keydown=on_key
        >
            <Show
                when=move || has_children.get()
                fallback=|| view! { <span class="toggle" aria-hidden="true"></span> }
            >
                <button
                    type="button"
                    class="toggle"
                    data-testid="topic-node-toggle"
                    tabindex="-1"
                    aria-label=move || if folded() { "unfold" } else { "fold" }
                    on:click=move |ev| {
                        ev.stop_propagation();
                        toggle();
                    }
                >
                    {move || if folded() { "▸" } else { "▾" }}
                </button>
            </Show>
            <span class="name">{move || get(|r| r.label.clone())}</span>
            <Show when=move || retained.get()>
                <span
                    class="badge retained"
                    data-testid="topic-retained"
                    title="the broker holds a retained message for this topic"
                >
                    "retained"
                </span>
            </Show>
            <span class="value" class:hex=move || row.with(|r| r.as_ref().is_some_and(|r| r.hex))>
                {move || get(|r| r.value.clone().unwrap_or_default())}
            </span>
            <span class="meta">{move || get(Row::meta)}</span>
        </div>
    }
}

/// The selected topic: figures, its retained message and "clear retained", a chart of its
/// numbers, and its recent values.
#[component]
fn TopicDetailView(
    /// The tree.
    topics: Batched<TopicTree>,
    /// The selected topic.
    selected: RwSignal<Option<String>>,
    /// Ticks once a second, so the rate decays.
    tick: RwSignal<u64>,
) -> impl IntoView {
    let state = expect_context::<ClientState>();
    let error = RwSignal::new(None::<String>);
    let detail = Memo::new(move |_| {
        tick.track();
        let topic = selected.get()?;
        topics.with(|t| t.detail(&topic, now()))
    });
    // Apart from the rest, so the button is not redrawn (and a click lost) as values arrive.
    let retained = Memo::new(move |_| detail.with(|d| d.as_ref().and_then(|d| d.retained.clone())));
    let has_retained = Memo::new(move |_| retained.with(Option::is_some));
    let clear_retained = move |_| {
        let Some(topic) = selected.get_untracked() else {
            return;
        };
        // An empty retained message removes the broker's retained message [MQTT-3.3.1-10].
        match state.publish(&topic, Vec::new(), QoS::AtLeastOnce, true) {
            Ok(()) => {
                topics.update(|t| t.retained_cleared(&topic));
                error.set(None);
            }
            Err(e) => error.set(Some(format!("could not clear the retained message: {e}"))),
        }
    };
    let history_item = |s: Sample| {
        view! {
            <li>
                <span class="time">{clock_time(s.at)}</span>
                <span class="value" class:hex=s.hex>
                    {s.one_line()}
                </span>
                {s.retained.then(|| view! { <span class="badge">"R"</span> })}
            </li>
        }
    };
    view! {
        <div class="topic-detail" data-testid="topic-detail" aria-live="off">
            <Show
                when=move || selected.with(Option::is_some)
                fallback=|| view! { <p class="hint">"Select a topic to see its recent values."</p> }
            >
                <div class="detail-head">
                    <span class="topic-title" data-testid="topic-detail-topic">
                        {move || selected.get().unwrap_or_default()}
                    </span>
                    <button
                        type="button"
                        class="icon"
                        title="Close"
                        aria-label="Close"
                        on:click=move |_| selected.set(None)
                    >
                        "×"
                    </button>
                </div>
                <Show
                    when=move || detail.with(Option::is_some)
                    fallback=|| view! { <p class="hint">"No message on this level itself."</p> }
                >
                    <p class="topic-figures">
                        {move || {
                            detail
                                .with(|d| {
                                    d.as_ref()
                                        .map(|d| {
                                            let rate = if d.rate.is_empty() {
                                                format!("none in the last {RATE_WINDOW_SECS} s")
                                            } else {
                                                d.rate.clone()
                                            };
                                            let plural = if d.count == 1 { "" } else { "s" };
                                            format!("{} message{plural} · {rate}", thousands(d.count))
                                        })
                                })
                                .unwrap_or_default()
                        }}
                    </p>
                    <Show
                        when=move || has_retained.get()
                        fallback=|| view! { <p class="hint">"No retained message seen."</p> }
                    >
                        <p class="retained-line row">
                            <span class="badge retained">"retained"</span>
                            <span class="value grow">
                                {move || retained.with(|r| r.as_ref().map(Sample::one_line))}
                            </span>
                            <button
                                type="button"
                                data-testid="clear-retained"
                                title="Publish an empty retained message: the broker then forgets the retained one"
                                on:click=clear_retained
                            >
                                "Clear retained"
                            </button>
                        </p>
                    </Show>
                    {move || {
                        detail
                            .with(|d| d.as_ref().and_then(|d| d.chart.clone()))
                            .map(|chart| {
                                let label = format!(
                                    "the last {} numbers, from {} to {}, last {}",
                                    chart.values,
                                    chart.min,
                                    chart.max,
                                    chart.last,
                                );
                                view! {
                                    <svg
                                        class="chart topic-chart"
                                        data-testid="topic-chart"
                                        viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                                        preserveAspectRatio="none"
                                        role="img"
                                        aria-label=label.clone()
                                    >
                                        <polyline
                                            fill="none"
                                            stroke="currentColor"
                                            stroke-width="1.5"
                                            vector-effect="non-scaling-stroke"
                                            points=chart.points
                                        />
                                    </svg>
                                    <p class="hint chart-range">
                                        {format!(
                                            "min {} · max {} · last {}",
                                            chart.min,
                                            chart.max,
                                            chart.last,
                                        )}
                                    </p>
                                }
                            })
                    }}
                    <ol class="topic-history" data-testid="topic-history">
                        {move || {
                            detail
                                .with(|d| d.as_ref().map(|d| d.history.clone()).unwrap_or_default())
                                .into_iter()
                                .map(history_item)
                                .collect_view()
                        }}
                    </ol>
                </Show>
                <Show when=move || error.with(Option::is_some)>
                    <p class="form-error" data-testid="topic-error">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
            </Show>
        </div>
    }
}
