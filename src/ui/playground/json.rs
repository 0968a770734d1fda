//! 2 · JSON: MessageDescriptor readings; the consumer decodes each message and shows the
//! fields, or an error row with the raw bytes when a payload is not a reading.

use std::collections::VecDeque;
use std::rc::Rc;

use devices::MessageDescriptor;
use leptos::prelude::*;
use mqtt_session::QoS;

use super::batched::Batched;
use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::{ProducerForm, SHOWN_ENTRIES};
use super::producer::Outgoing;
use super::simple::temperature;
use crate::log::PayloadView;
use crate::prefs::BrokerPrefs;

/// A payload that is not a reading, for the "malformed" button.
const MALFORMED: &[u8] = b"{\"timestamp\": \"yesterday\", \"type\": \"temperature\", \"value\": }";

#[derive(Clone, PartialEq)]
enum Row {
    Reading {
        n: u64,
        topic: String,
        reading: MessageDescriptor,
    },
    Error {
        n: u64,
        topic: String,
        error: String,
        raw: String,
    },
}

#[derive(Default)]
struct Decoded {
    ok: u64,
    errors: u64,
    rows: VecDeque<Row>,
}

fn clock(unix_ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
    String::from(d.to_iso_string())
}

#[component]
pub fn JsonPanel() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let make: Rc<dyn Fn(u32) -> Outgoing> = Rc::new(|i| {
        let reading =
            MessageDescriptor::new(js_sys::Date::now() as u64, "temperature", temperature(i));
        (
            "sensor/temperature".to_string(),
            reading.to_json().into_bytes(),
            QoS::AtMostOnce,
            false,
        )
    });
    let endpoint = Endpoint::new();
    let filter = RwSignal::new("#".to_string());
    let decoded = Batched::new(Decoded::default());
    let start = move || {
        decoded.update(|d| *d = Decoded::default());
        let filter = filter.get_untracked();
        endpoint.start(prefs, "json-consumer", move |incoming| match incoming {
            Incoming::Connected(client) => {
                let _ = client.subscribe(&filter, QoS::AtMostOnce);
            }
            Incoming::Message(m) => decoded.update(|d| {
                let n = d.ok + d.errors + 1;
                let row = match MessageDescriptor::from_json(&m.payload) {
                    Ok(reading) => {
                        d.ok += 1;
                        Row::Reading {
                            n,
                            topic: m.topic,
                            reading,
                        }
                    }
                    Err(e) => {
                        d.errors += 1;
                        let raw = PayloadView::of(&m.payload, 300).text().to_string();
                        Row::Error {
                            n,
                            topic: m.topic,
                            error: e.to_string(),
                            raw,
                        }
                    }
                };
                if d.rows.len() == SHOWN_ENTRIES {
                    d.rows.pop_back();
                }
                d.rows.push_front(row);
            }),
            Incoming::Session(_) => {}
        });
    };
    let send_malformed = move || {
        if let Some(client) = endpoint.client() {
            let _ = client.publish(
                "sensor/temperature",
                MALFORMED.to_vec(),
                QoS::AtMostOnce,
                false,
            );
        }
    };
    on_cleanup(move || endpoint.stop());
    view! {
        <section class="panel scenario" data-testid="scenario-json">
            <h2>"2 · JSON producer & consumer"</h2>
            <p class="hint">
                "Readings as JSON: "<code>"{\"timestamp\":<Unix ms>,\"type\":\"temperature\",\"value\":21.5}"</code>
                ". Anything that is not a reading is shown as an error with its raw bytes, never dropped."
            </p>
            <div class="pair">
                <ProducerForm what=Signal::derive(|| "publishes JSON readings to sensor/temperature".to_string())
                    make=StoredValue::new_local(make) />
                <div class="side-card consumer">
                    <h3>"Consumer"</h3>
                    <div class="row">
                        <input type="text" class="grow" data-testid="consumer-filter" bind:value=filter />
                        <button type="button" data-testid="consumer-start" on:click=move |_| start()>"Start consumer"</button>
                    </div>
                    <EndpointStatus endpoint=endpoint />
                    <p class="hint">
                        {move || decoded.with(|d| format!("{} readings decoded, {} errors", d.ok, d.errors))}
                        " "
                        <button type="button" class="link" data-testid="action-malformed"
                            disabled=move || endpoint.state.get() != crate::state::ConnState::Connected
                            on:click=move |_| send_malformed()>
                            "publish a malformed payload"
                        </button>
                    </p>
                    <ul class="entries">
                        <For each=move || decoded.with(|d| d.rows.iter().cloned().collect::<Vec<_>>())
                            key=|row| match row { Row::Reading { n, .. } | Row::Error { n, .. } => *n }
                            children=|row| match row {
                                Row::Reading { topic, reading, .. } => view! {
                                    <li data-testid="consumer-entry" data-state="ok">
                                        <code>{topic}</code>" "
                                        <span>{format!("{} · {} · {}", clock(reading.timestamp), reading.r#type, reading.value)}</span>
                                    </li>
                                }.into_any(),
                                Row::Error { topic, error, raw, .. } => view! {
                                    <li data-testid="consumer-entry" data-state="error" class="error">
                                        <code>{topic}</code>" "<span>{format!("not a reading: {error}")}</span>
                                        <pre>{raw}</pre>
                                    </li>
                                }.into_any(),
                            } />
                    </ul>
                </div>
            </div>
        </section>
    }
}
