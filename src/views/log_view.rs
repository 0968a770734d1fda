//! The live log: a windowed list. Only the rows in view (plus a margin) exist in the
//! DOM, so 10,000 entries cost as much to render as 50; the window is recomputed at most
//! once per animation frame (see [`LiveLog`]). Broker data goes into text nodes
//! only.

use leptos::html::Div;
use leptos::prelude::*;

use super::live_log::LiveLog;
use crate::state::log::{property_lines, Body, Direction, LogEntry, PayloadView};

/// Height of one row in CSS pixels; `style/main.css` uses the same number.
const ROW_HEIGHT: f64 = 24.0;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;
/// Bytes of payload shown in a row; the detail pane shows more.
const ROW_PREVIEW: usize = 300;
/// Bytes of payload shown in the detail pane.
const DETAIL_LIMIT: usize = 64 * 1024;

/// One rendered row.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: u64,
    time: String,
    direction: Direction,
    topic: String,
    meta: String,
    text: String,
    hex: bool,
}

impl Row {
    fn of(entry: &LogEntry) -> Self {
        let (topic, meta, view) = match &entry.body {
            Body::Message {
                topic,
                qos,
                retain,
                payload,
                properties,
            } => {
                let meta = format!(
                    "Q{}{}{}",
                    *qos as u8,
                    if *retain { " R" } else { "" },
                    if properties.is_some() { " P" } else { "" }
                );
                (topic.clone(), meta, PayloadView::of(payload, ROW_PREVIEW))
            }
            Body::Note(text) => (
                String::new(),
                String::new(),
                PayloadView::Text(text.clone()),
            ),
        };
        Row {
            id: entry.id,
            time: clock_time(entry.at_ms),
            direction: entry.direction,
            topic,
            meta,
            hex: view.is_hex(),
            text: view.text().replace(['\n', '\r'], "⏎"),
        }
    }
}

/// `HH:MM:SS.mmm` in the browser's local time zone.
fn clock_time(at_ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms));
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        d.get_milliseconds()
    )
}

/// `12345678` → `12,345,678`.
fn group(n: u64) -> String {
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

fn direction_label(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::In => ("in", "←"),
        Direction::Out => ("out", "→"),
        Direction::Info => ("info", "•"),
        Direction::Error => ("error", "!"),
    }
}

/// The log panel: counters, controls, the windowed list and the selected entry.
#[component]
pub fn LogView(
    /// The log to show.
    log: LiveLog,
    /// A "Control packets" checkbox: its state, and what to call when it changes.
    #[prop(optional)]
    trace: Option<(Signal<bool>, Callback<bool>)>,
    /// The panel's title.
    #[prop(default = "Live log")]
    title: &'static str,
) -> impl IntoView {
    let scroller = NodeRef::<Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let follow = RwSignal::new(true);
    let selected = RwSignal::new(None::<u64>);

    let len = Memo::new(move |_| log.with(|l| l.len()));
    let window = Memo::new(move |_| {
        let visible = (viewport.get() / ROW_HEIGHT).ceil() as usize + 1;
        log.with(|l| {
            let first = if follow.get() {
                l.len().saturating_sub(visible)
            } else {
                ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN)
            };
            let last = first + visible + 2 * OVERSCAN;
            (first, l.range(first, last).map(Row::of).collect::<Vec<_>>())
        })
    });

    // Following the tail means keeping the scroll position at the bottom: that touches
    // the DOM, so it is an effect.
    Effect::new(move |_| {
        len.track();
        if follow.get_untracked() {
            if let Some(el) = scroller.get() {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });

    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            let top = f64::from(el.scroll_top());
            let height = f64::from(el.client_height());
            scroll_top.set(top);
            viewport.set(height.max(ROW_HEIGHT));
            follow.set(top + height >= f64::from(el.scroll_height()) - ROW_HEIGHT);
        }
    };

    let stats = move || log.stats();
    view! {
        <section class="panel log-panel">
            <header class="log-head">
                <h2>{title}</h2>
                <span class="counters" data-testid="log-counters">
                    {move || {
                        let s = stats();
                        let dropped = if s.dropped > 0 {
                            format!(" · {} dropped (oldest first)", group(s.dropped))
                        } else {
                            String::new()
                        };
                        format!(
                            "{} in · {} out · {} of {} kept{dropped}",
                            group(s.received),
                            group(s.sent),
                            group(s.kept as u64),
                            group(s.capacity as u64),
                        )
                    }}
                </span>
                <span class="grow"></span>
                {trace
                    .map(|(on, set)| {
                        view! {
                            <label
                                class="check"
                                title="Also show PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, PINGREQ…"
                            >
                                <input
                                    type="checkbox"
                                    data-testid="log-trace"
                                    prop:checked=move || on.get()
                                    on:change=move |ev| set.run(event_target_checked(&ev))
                                />
                                <span>"Control packets"</span>
                            </label>
                        }
                    })}
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="log-follow"
                        prop:checked=move || follow.get()
                        on:change=move |ev| follow.set(event_target_checked(&ev))
                    />
                    <span>"Follow"</span>
                </label>
                <button
                    type="button"
                    data-testid="log-clear"
                    on:click=move |_| {
                        log.clear();
                        selected.set(None)
                    }
                >
                    "Clear"
                </button>
            </header>
            <div class="log-scroll" data-testid="log" node_ref=scroller on:scroll=on_scroll>
                <div
                    class="log-spacer"
                    style:height=move || format!("{}px", len.get() as f64 * ROW_HEIGHT)
                >
                    <div
                        class="log-window"
                        style:transform=move || {
                            format!("translateY({}px)", window.with(|w| w.0) as f64 * ROW_HEIGHT)
                        }
                    >
                        <For
                            each=move || window.get().1
                            key=|row| row.id
                            children=move |row| {
                                let (class, arrow) = direction_label(row.direction);
                                let id = row.id;
                                view! {
                                    <div
                                        class=format!("log-row {class}")
                                        data-testid="log-entry"
                                        class:selected=move || selected.get() == Some(id)
                                        on:click=move |_| selected.set(Some(id))
                                    >
                                        <span class="time">{row.time}</span>
                                        <span class="dir" title=class>
                                            {arrow}
                                        </span>
                                        <span class="topic">{row.topic}</span>
                                        <span class="meta">{row.meta}</span>
                                        <span class="payload" class:hex=row.hex>
                                            {row.text}
                                        </span>
                                    </div>
                                }
                            }
                        />
                    </div>
                </div>
                <Show when=move || len.get() == 0>
                    <p class="hint empty">"Messages you send and receive appear here."</p>
                </Show>
            </div>
            <Detail log=log selected=selected />
        </section>
    }
}

/// The selected entry in full: topic, flags, size, and the payload as text or hex.
#[component]
fn Detail(
    /// The log the entry belongs to.
    log: LiveLog,
    /// Id of the selected log entry.
    selected: RwSignal<Option<u64>>,
) -> impl IntoView {
    let detail = move || {
        let id = selected.get()?;
        log.with(|l| l.by_id(id).cloned())
    };
    view! {
        <Show when=move || selected.get().is_some()>
            <div class="detail" data-testid="log-detail">
                {move || match detail() {
                    None => view! { <p class="hint">"This entry has left the log."</p> }.into_any(),
                    Some(entry) => {
                        let (head, view, properties) = match &entry.body {
                            Body::Message { topic, qos, retain, payload, properties } => {
                                (
                                    format!(
                                        "{topic} · QoS {} · {}{} bytes",
                                        *qos as u8,
                                        if *retain { "retained · " } else { "" },
                                        payload.len(),
                                    ),
                                    PayloadView::of(payload, DETAIL_LIMIT),
                                    properties.as_deref().map(property_lines).unwrap_or_default(),
                                )
                            }
                            Body::Note(text) => {
                                (String::new(), PayloadView::Text(text.clone()), Vec::new())
                            }
                        };
                        let has_properties = !properties.is_empty();
                        let label = if view.is_hex() { "not UTF-8, shown as hex" } else { "" };
                        view! {
                            <div class="detail-head">
                                <span>{head}</span>
                                <span class="hint">{label}</span>
                                <button
                                    type="button"
                                    class="icon"
                                    title="Close"
                                    on:click=move |_| selected.set(None)
                                >
                                    "×"
                                </button>
                            </div>
                            <Show when=move || has_properties>
                                <dl class="properties" data-testid="log-detail-properties">
                                    {properties
                                        .iter()
                                        .map(|(name, value)| {
                                            view! {
                                                <div data-testid="log-property" data-name=*name>
                                                    <dt>{*name}</dt>
                                                    <dd>{value.clone()}</dd>
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                </dl>
                            </Show>
                            <pre class="detail-payload">{view.text().to_string()}</pre>
                        }
                            .into_any()
                    }
                }}
            </div>
        </Show>
    }
}
