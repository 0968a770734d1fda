//! The live log: a windowed list. Only the rows in view (plus a margin) exist in the
//! DOM, so 10,000 entries cost as much to render as 50; the window is recomputed at most
//! once per animation frame (see [`LiveLog`]). Broker data goes into text nodes
//! only.
//!
//! With a filter set, the rows are those of a [`MatchIndex`] brought up to date once per
//! frame (only the entries pushed since are tested). Paused, the rows stay where they are
//! while the log goes on storing and counting; the pause button counts what is new.

use std::collections::BTreeMap;

use leptos::html::Div;
use leptos::prelude::*;

use super::live_log::LiveLog;
use super::log_detail::Detail;
use super::log_tools::LogTools;
use crate::state::log::{Body, Direction, LogEntry, MessageLog, PayloadView};
use crate::state::log_filter::{LogFilter, MatchIndex};
use crate::state::log_tags::{tag_of, Tag};

/// Height of one row in CSS pixels; `style/main.css` uses the same number.
const ROW_HEIGHT: f64 = 24.0;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;
/// Bytes of payload shown in a row; the detail pane shows more.
const ROW_PREVIEW: usize = 300;

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
    /// The colour and alias of the subscription that brought it (received messages).
    tag: Option<Tag>,
}

impl Row {
    fn of(entry: &LogEntry, filters: &[String], aliases: &BTreeMap<String, String>) -> Self {
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
        let tag = match entry.direction {
            Direction::In if !topic.is_empty() => tag_of(&topic, filters, aliases),
            _ => None,
        };
        Row {
            id: entry.id,
            time: clock_time(entry.at_ms),
            direction: entry.direction,
            topic,
            meta,
            hex: view.is_hex(),
            text: view.text().replace(['\n', '\r'], "⏎"),
            tag,
        }
    }
}

/// The rows in view, where the first of them sits, and how many rows there are in all.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    first: usize,
    total: usize,
    rows: Vec<Row>,
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

/// The row at `position` in the window: the element stays while the window has that
/// many rows; its text, classes and selection follow the entry that sits there.
#[component]
fn LogRow(position: usize, window: Memo<Window>, selected: RwSignal<Option<u64>>) -> impl IntoView {
    let row = Memo::new(move |_| window.with(|w| w.rows.get(position).cloned()));
    let text = move |field: fn(&Row) -> &str| {
        move || row.with(|r| r.as_ref().map(|r| field(r).to_string()).unwrap_or_default())
    };
    // One class attribute (a `class:` toggle beside a changing `class` would be overwritten).
    let class = move || {
        row.with(|r| {
            let Some(r) = r else {
                return String::new();
            };
            let (direction, _) = direction_label(r.direction);
            let colour = r
                .tag
                .as_ref()
                .map(|t| format!(" tagged sub-{}", t.colour))
                .unwrap_or_default();
            let chosen = if selected.get() == Some(r.id) {
                " selected"
            } else {
                ""
            };
            format!("log-row {direction}{colour}{chosen}")
        })
    };
    let direction = Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.direction)));
    let alias = Memo::new(move |_| {
        row.with(|r| {
            r.as_ref()
                .and_then(|r| r.tag.as_ref())
                .map(|t| t.alias.clone())
                .filter(|a| !a.is_empty())
        })
    });
    let choose = move || {
        if let Some(id) = row.with_untracked(|r| r.as_ref().map(|r| r.id)) {
            selected.set(Some(id))
        }
    };
    view! {
        <div
            class=class
            data-testid="log-entry"
            tabindex="0"
            on:click=move |_| choose()
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    choose()
                }
            }
        >
            <span class="time">{text(|r| &r.time)}</span>
            <span class="dir" title=move || direction.get().map(|d| direction_label(d).0)>
                {move || direction.get().map(|d| direction_label(d).1)}
            </span>
            {move || {
                alias
                    .get()
                    .map(|a| {
                        view! {
                            <span class="alias" data-testid="log-entry-alias">
                                {a}
                            </span>
                        }
                    })
            }}
            <span class="topic">{text(|r| &r.topic)}</span>
            <span class="meta">{text(|r| &r.meta)}</span>
            <span class="payload" class:hex=move || row.with(|r| r.as_ref().is_some_and(|r| r.hex))>
                {text(|r| &r.text)}
            </span>
        </div>
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
    // The log's next id when the view was paused.
    let paused = RwSignal::new(None::<u64>);

    let index = StoredValue::new(MatchIndex::new());
    let matcher = Memo::new(move |_| log.filter.with(LogFilter::matcher));
    // Brings the index up to date with the log (once per frame) and the filter: how many
    // entries are shown, and the log's next id (so new entries count as a change).
    let shown = Memo::new(move |_| {
        let matcher = matcher.get();
        log.with(|l| {
            index.update_value(|ix| ix.refresh(l, &matcher));
            (index.with_value(|ix| ix.len(l)), l.next_id())
        })
    });

    let window = Memo::new(move |_| {
        let visible = (viewport.get() / ROW_HEIGHT).ceil() as usize + 1;
        let paused_at = paused.get();
        let filters = log.subscriptions();
        let aliases = log.aliases.get();
        matcher.track();
        let read = |l: &MessageLog| {
            index.with_value(|ix| {
                let total = match paused_at {
                    Some(at) => ix.count_before(l, at),
                    None => ix.len(l),
                };
                let first = if follow.get() && paused_at.is_none() {
                    total.saturating_sub(visible)
                } else {
                    ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN)
                };
                let last = (first + visible + 2 * OVERSCAN).min(total);
                let rows = (first..last)
                    .filter_map(|position| ix.get(l, position))
                    .map(|entry| Row::of(entry, &filters, &aliases))
                    .collect();
                Window { first, total, rows }
            })
        };
        // Paused: the rows do not move with the log (the index still follows it).
        if paused_at.is_some() {
            shown.get_untracked();
        } else {
            shown.get();
        }
        log.with_untracked(read)
    });
    let total = Memo::new(move |_| window.with(|w| w.total));

    // Following the tail means keeping the scroll position at the bottom: that touches
    // the DOM, so it is an effect.
    Effect::new(move |_| {
        total.track();
        if follow.get_untracked() && paused.get_untracked().is_none() {
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

    // Entries the view would show that arrived since it was paused.
    let new_since_pause = move || {
        let at = paused.get()?;
        shown.get();
        Some(log.with_untracked(|l| index.with_value(|ix| ix.len(l) - ix.count_before(l, at))))
    };
    let toggle_pause = move |_| {
        if paused.get_untracked().is_some() {
            paused.set(None);
        } else {
            // The rows stay where they are now, wherever the last scroll event left them.
            if let Some(el) = scroller.get_untracked() {
                scroll_top.set(f64::from(el.scroll_top()));
            }
            paused.set(Some(log.with_untracked(MessageLog::next_id)));
        }
    };

    let counters = move || {
        let s = log.stats();
        let dropped = if s.dropped > 0 {
            format!(" · {} dropped (oldest first)", group(s.dropped))
        } else {
            String::new()
        };
        let filtered = if matcher.with(|m| m.shows_all()) {
            String::new()
        } else {
            format!(" · {} shown", group(shown.get().0 as u64))
        };
        format!(
            "{} in · {} out · {} of {} kept{dropped}{filtered}",
            group(s.received),
            group(s.sent),
            group(s.kept as u64),
            group(s.capacity as u64),
        )
    };

    view! {
        <section class="panel log-panel">
            <header class="log-head">
                <h2>{title}</h2>
                <span class="counters" data-testid="log-counters">
                    {counters}
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
                    data-testid="log-pause"
                    class:paused=move || paused.get().is_some()
                    aria-pressed=move || paused.get().is_some().to_string()
                    title="Paused, the rows stay still; messages are still stored and counted"
                    on:click=toggle_pause
                >
                    {move || match new_since_pause() {
                        None => "Pause".to_string(),
                        Some(n) => format!("Resume · {} new", group(n as u64)),
                    }}
                </button>
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
            <LogTools log=log />
            <div class="log-scroll" data-testid="log" node_ref=scroller on:scroll=on_scroll>
                <div
                    class="log-spacer"
                    style:height=move || format!("{}px", total.get() as f64 * ROW_HEIGHT)
                >
                    <div
                        class="log-window"
                        style:transform=move || {
                            format!(
                                "translateY({}px)",
                                window.with(|w| w.first) as f64 * ROW_HEIGHT,
                            )
                        }
                    >
                        // A pool of row elements, one per position in the window: a row's
                        // content follows whatever entry sits at its position, so a frame
                        // updates text instead of dropping and creating row views (which
                        // grew wasm memory by ~2 KB a frame in a flood, docs/bench.md).
                        <For
                            each=move || 0..window.with(|w| w.rows.len())
                            key=|slot| *slot
                            children=move |slot| {
                                view! { <LogRow position=slot window=window selected=selected /> }
                            }
                        />
                    </div>
                </div>
                <Show when=move || total.get() == 0>
                    <p class="hint empty">
                        {move || {
                            if matcher.with(|m| m.shows_all()) {
                                "Messages you send and receive appear here."
                            } else {
                                "No message matches the filter."
                            }
                        }}
                    </p>
                </Show>
            </div>
            <Detail log=log selected=selected />
        </section>
    }
}
