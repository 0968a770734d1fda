//! The bar above the live log: the filter (topic filter or text, direction, QoS), export
//! and import, and the subscriptions' colours with their aliases. It only wires: the
//! filter is `state::log_filter`, the files `state::log_export`, the colours
//! `state::log_tags`.

use leptos::prelude::*;
use mqtt_session::QoS;
use wasm_bindgen::JsCast;

use super::live_log::{ExportFormat, LiveLog};
use crate::driver::files::{download, read_picked};
use crate::state::log::Direction;
use crate::state::log_filter::{DirectionFilter, Query};
use crate::state::log_tags::{clean_alias, colour_of};

/// The filter box's rule, as its tooltip says it.
const FILTER_RULE: &str = "A topic filter when it contains + or # or / and is a valid filter \
(device/+/event, sensor/#): topics are matched as a subscription would match them. \
Anything else is text, found in the topic or the payload (case ignored). \
Notes (connection changes, errors) are shown only while no filter is set.";

/// Filter, export/import and colours for `log`.
#[component]
pub fn LogTools(
    /// The log the bar filters, exports and imports into.
    log: LiveLog,
) -> impl IntoView {
    let filter = log.filter;
    let import_result = RwSignal::new(None::<String>);
    let kind = move || filter.with(|f| Query::parse(&f.query).kind());
    let export = move |format: ExportFormat| {
        let (extension, mime) = match format {
            ExportFormat::JsonLines => ("jsonl", "application/x-ndjson"),
            ExportFormat::Csv => ("csv", "text/csv"),
        };
        let name = format!("mqtt-log-{}.{extension}", file_stamp());
        if let Err(e) = download(&name, mime, &log.export(format)) {
            log.note(Direction::Error, e);
        }
    };
    let on_import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let sentence = match read_picked(&input).await {
                None => return,
                Some(Ok((name, text))) => log.import(&text, &name),
                Some(Err(e)) => {
                    log.note(Direction::Error, e.clone());
                    e
                }
            };
            // The same file may be picked again.
            input.set_value("");
            import_result.try_set(Some(sentence));
        });
    };

    view! {
        <div class="log-tools">
            <input
                type="text"
                class="log-filter"
                data-testid="log-filter"
                spellcheck="false"
                placeholder="filter: topic (device/+/event, #) or text"
                title=FILTER_RULE
                aria-label="Filter the log"
                prop:value=move || filter.with(|f| f.query.clone())
                on:input=move |ev| filter.update(|f| f.query = event_target_value(&ev))
            />
            <span class="filter-kind" data-testid="log-filter-kind" title=FILTER_RULE>
                {kind}
            </span>
            <select
                data-testid="log-filter-direction"
                aria-label="Direction"
                prop:value=move || filter.with(|f| f.direction.as_str())
                on:change=move |ev| {
                    filter
                        .update(|f| f.direction = DirectionFilter::parse(&event_target_value(&ev)))
                }
            >
                <option value="all">"in and out"</option>
                <option value="in">"in ←"</option>
                <option value="out">"out →"</option>
            </select>
            <select
                data-testid="log-filter-qos"
                aria-label="QoS"
                prop:value=move || {
                    filter.with(|f| f.qos.map_or("any".to_string(), |q| (q as u8).to_string()))
                }
                on:change=move |ev| {
                    let qos = event_target_value(&ev).parse::<u8>().ok().and_then(QoS::from_u8);
                    filter.update(|f| f.qos = qos)
                }
            >
                <option value="any">"any QoS"</option>
                <option value="0">"QoS 0"</option>
                <option value="1">"QoS 1"</option>
                <option value="2">"QoS 2"</option>
            </select>
            <span class="grow"></span>
            <button
                type="button"
                data-testid="log-export-jsonl"
                title="Download the messages shown as JSON Lines (payloads in base64)"
                on:click=move |_| export(ExportFormat::JsonLines)
            >
                "Export JSONL"
            </button>
            <button
                type="button"
                data-testid="log-export-csv"
                title="Download the messages shown as CSV (payloads in base64, and as text when UTF-8)"
                on:click=move |_| export(ExportFormat::Csv)
            >
                "Export CSV"
            </button>
            <label class="button" title="Add the messages of a JSONL or CSV export to the log">
                "Import…"
                <input
                    type="file"
                    class="visually-hidden"
                    data-testid="log-import"
                    accept=".jsonl,.ndjson,.json,.csv,.txt"
                    on:change=on_import
                />
            </label>
        </div>
        {move || {
            import_result
                .get()
                .map(|sentence| {
                    view! {
                        <p class="hint log-import-result" data-testid="log-import-result">
                            {sentence}
                        </p>
                    }
                })
        }}
        <Legend log=log />
    }
}

/// The subscriptions' colours, each with an alias the rows show.
#[component]
fn Legend(
    /// The log whose subscriptions and aliases are shown.
    log: LiveLog,
) -> impl IntoView {
    let subscriptions = Memo::new(move |_| log.subscriptions());
    view! {
        <Show when=move || subscriptions.with(|s| !s.is_empty())>
            <details class="log-legend" data-testid="log-legend">
                <summary>"Subscription colours and aliases"</summary>
                <ul>
                    <For
                        each=move || subscriptions.get().into_iter().enumerate()
                        key=|(position, filter)| (*position, filter.clone())
                        children=move |(position, filter)| {
                            let name = filter.clone();
                            let alias = move || {
                                log.aliases.with(|a| a.get(&name).cloned().unwrap_or_default())
                            };
                            let key = filter.clone();
                            view! {
                                <li>
                                    <span class=format!(
                                        "swatch sub-{}",
                                        colour_of(position),
                                    )></span>
                                    <code>{filter.clone()}</code>
                                    <input
                                        type="text"
                                        data-testid="log-alias"
                                        data-filter=filter
                                        placeholder="alias"
                                        aria-label="Alias"
                                        prop:value=alias
                                        on:input=move |ev| {
                                            let alias = clean_alias(&event_target_value(&ev));
                                            log.aliases
                                                .update(|a| {
                                                    if alias.is_empty() {
                                                        a.remove(&key);
                                                    } else {
                                                        a.insert(key.clone(), alias);
                                                    }
                                                })
                                        }
                                    />
                                </li>
                            }
                        }
                    />
                </ul>
            </details>
        </Show>
    }
}

/// `20241202-181700` (UTC) for file names.
fn file_stamp() -> String {
    let iso = js_sys::Date::new_0().to_iso_string().as_string();
    let iso = iso.unwrap_or_default();
    iso.chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .enumerate()
        .flat_map(|(i, c)| (i == 8).then_some('-').into_iter().chain(Some(c)))
        .collect()
}
