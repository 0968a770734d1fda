//! The selected log entry in full: topic, flags, size, MQTT 5 properties, and the
//! payload as text, pretty JSON, a hex dump or base64 (`state::payload`), capped with a
//! "show all". It re-renders when the selection changes or the entry leaves the log, not
//! with every frame of new messages (a select rebuilt 60 times a second cannot be used).

use leptos::prelude::*;

use super::live_log::LiveLog;
use crate::state::log::{property_lines, Body};
use crate::state::payload::{render, PayloadKind, RENDER_LIMIT};

/// The selected entry, with a close button.
#[component]
pub fn Detail(
    /// The log the entry belongs to.
    log: LiveLog,
    /// Id of the selected log entry.
    selected: RwSignal<Option<u64>>,
) -> impl IntoView {
    // (id, still kept): changes with the selection and when the entry leaves the log.
    let current = Memo::new(move |_| {
        let id = selected.get()?;
        Some((id, log.with(|l| l.by_id(id).is_some())))
    });
    view! {
        <Show when=move || current.get().is_some()>
            <div class="detail" data-testid="log-detail">
                {move || match current.get() {
                    Some((id, true)) => {
                        log.with_untracked(|l| l.by_id(id).cloned())
                            .map(|entry| entry_view(entry.body, selected).into_any())
                    }
                    _ => {
                        Some(
                            view! { <p class="hint">"This entry has left the log."</p> }.into_any(),
                        )
                    }
                }}
            </div>
        </Show>
    }
}

fn entry_view(body: Body, selected: RwSignal<Option<u64>>) -> impl IntoView {
    let close = move || {
        view! {
            <button type="button" class="icon" title="Close" on:click=move |_| selected.set(None)>
                "×"
            </button>
        }
    };
    let (topic, qos, retain, payload, properties) = match body {
        Body::Message {
            topic,
            qos,
            retain,
            payload,
            properties,
        } => (topic, qos, retain, payload, properties),
        Body::Note(text) => {
            return view! {
                <div class="detail-head">
                    <span></span>
                    {close()}
                </div>
                <pre class="detail-payload">{text}</pre>
            }
            .into_any();
        }
    };
    let head = format!(
        "{topic} · QoS {} · {}{} bytes",
        qos as u8,
        if retain { "retained · " } else { "" },
        payload.len(),
    );
    let utf8 = std::str::from_utf8(&payload).is_ok();
    let properties = properties
        .as_deref()
        .map(property_lines)
        .unwrap_or_default();
    let has_properties = !properties.is_empty();
    let kind = RwSignal::new(PayloadKind::default_for(&payload));
    let limit = RwSignal::new(RENDER_LIMIT);
    let size = payload.len();
    let rendered = Memo::new(move |_| render(&payload, kind.get(), limit.get()));
    view! {
        <div class="detail-head">
            <span>{head}</span>
            <span class="hint">{if utf8 { "" } else { "not UTF-8" }}</span>
            <select
                data-testid="payload-view"
                title="How the payload is shown; every view is made from the bytes received"
                prop:value=move || kind.get().as_str()
                on:change=move |ev| {
                    if let Some(k) = PayloadKind::parse(&event_target_value(&ev)) {
                        kind.set(k);
                    }
                }
            >
                {PayloadKind::ALL
                    .into_iter()
                    .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
                    .collect_view()}
            </select>
            {close()}
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
        {move || {
            rendered
                .with(|r| r.remark.clone())
                .map(|remark| {
                    view! {
                        <p class="hint payload-remark" data-testid="payload-remark">
                            {remark}
                        </p>
                    }
                })
        }}
        <pre class="detail-payload" data-testid="payload-text">
            {move || rendered.with(|r| r.text.clone())}
        </pre>
        <Show when=move || rendered.with(|r| r.truncated)>
            <p class="hint payload-capped">
                {format!("Showing the first {} KiB. ", RENDER_LIMIT / 1024)}
                <button
                    type="button"
                    data-testid="payload-show-all"
                    on:click=move |_| limit.set(usize::MAX)
                >
                    {format!("Show all ({} KiB)", size.div_ceil(1024))}
                </button>
            </p>
        </Show>
    }
    .into_any()
}
