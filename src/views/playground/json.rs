//! 2 · JSON: MessageDescriptor readings; the consumer decodes each message and shows the
//! fields, or an error row with the raw bytes when a payload is not a reading.

use std::rc::Rc;

use devices::MessageDescriptor;
use leptos::prelude::*;
use mqtt_session::QoS;

use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::ProducerForm;
use super::producer::Outgoing;
use crate::state::playground::{temperature, Decoded, DecodedRow};
use crate::views::prefs::BrokerPrefs;
use crate::views::Batched;

/// A payload that is not a reading, for the "malformed" button.
const MALFORMED: &[u8] = b"{\"timestamp\": \"yesterday\", \"type\": \"temperature\", \"value\": }";

fn clock(unix_ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
    String::from(d.to_iso_string())
}

/// Exercise 2: JSON readings, decoded or shown as an error row with their raw bytes.
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
            Incoming::Connected(client) => endpoint.subscribe(&client, &filter, QoS::AtMostOnce),
            Incoming::Message(m) => decoded.update(|d| d.record(m.topic, &m.payload)),
            Incoming::Session(_) => {}
        });
    };
    let send_malformed = move || {
        endpoint.publish(
            "sensor/temperature",
            MALFORMED.to_vec(),
            QoS::AtMostOnce,
            false,
        )
    };
    on_cleanup(move || endpoint.stop());
    view! {
        <section class="panel scenario" data-testid="scenario-json">
            <h2>"2 · JSON producer & consumer"</h2>
            <p class="hint">
                "Readings as JSON: "
                <code>"{\"timestamp\":<Unix ms>,\"type\":\"temperature\",\"value\":21.5}"</code>
                ". Anything that is not a reading is shown as an error with its raw bytes, never dropped."
            </p>
            <div class="pair">
                <ProducerForm
                    what=Signal::derive(|| {
                        "publishes JSON readings to sensor/temperature".to_string()
                    })
                    make=StoredValue::new_local(make)
                />
                <div class="side-card consumer">
                    <h3>"Consumer"</h3>
                    <div class="row">
                        <input
                            type="text"
                            class="grow"
                            data-testid="consumer-filter"
                            bind:value=filter
                        />
                        <button
                            type="button"
                            data-testid="consumer-start"
                            on:click=move |_| start()
                        >
                            "Start consumer"
                        </button>
                    </div>
                    <EndpointStatus endpoint=endpoint />
                    <p class="hint">
                        {move || decoded.with(Decoded::summary)} " "
                        <button
                            type="button"
                            class="link"
                            data-testid="action-malformed"
                            disabled=move || !endpoint.is_connected()
                            on:click=move |_| send_malformed()
                        >
                            "publish a malformed payload"
                        </button>
                    </p>
                    <ul class="entries">
                        <For
                            each=move || {
                                decoded.with(|d| d.rows.iter().cloned().collect::<Vec<_>>())
                            }
                            key=DecodedRow::n
                            children=|row| match row {
                                DecodedRow::Reading { topic, reading, .. } => {
                                    view! {
                                        <li data-testid="consumer-entry" data-state="ok">
                                            <code>{topic}</code>
                                            " "
                                            <span>
                                                {format!(
                                                    "{} · {} · {}",
                                                    clock(reading.timestamp),
                                                    reading.r#type,
                                                    reading.value,
                                                )}
                                            </span>
                                        </li>
                                    }
                                        .into_any()
                                }
                                DecodedRow::Error { topic, error, raw, .. } => {
                                    view! {
                                        <li
                                            data-testid="consumer-entry"
                                            data-state="error"
                                            class="error"
                                        >
                                            <code>{topic}</code>
                                            " "
                                            <span>{format!("not a reading: {error}")}</span>
                                            <pre>{raw}</pre>
                                        </li>
                                    }
                                        .into_any()
                                }
                            }
                        />
                    </ul>
                </div>
            </div>
        </section>
    }
}
