//! Building blocks shared by the exercises: the producer form and the numeric consumer.

use leptos::prelude::*;
use mqtt_session::QoS;

use super::chart::Chart;
use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::producer::{Outgoing, Producer};
use crate::state::playground::{describe_suback, parse_count, parse_rate, Production, Readings};
use crate::views::prefs::BrokerPrefs;
use crate::views::Batched;

/// The producer side: count, rate, Start/Stop, progress. `make(i)` builds message `i`.
#[component]
pub fn ProducerForm(
    /// What the producer publishes, in words.
    what: Signal<String>,
    /// Builds message `i` (called when Start is pressed, then per message).
    make: StoredValue<std::rc::Rc<dyn Fn(u32) -> Outgoing>, LocalStorage>,
    /// Messages to publish by default.
    #[prop(default = 1000)]
    default_count: u32,
) -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let endpoint = Endpoint::new();
    let producer = Producer::new();
    let progress = producer.progress;
    let count = RwSignal::new(default_count.to_string());
    let rate = RwSignal::new("0".to_string());
    let start = move || {
        let n = parse_count(&count.get_untracked(), default_count);
        let per_second = parse_rate(&rate.get_untracked());
        // Started once, on the first CONNACK: the run itself waits through reconnects.
        let started = std::cell::Cell::new(false);
        endpoint.start(prefs, "producer", move |incoming| {
            if let Incoming::Connected(client) = incoming {
                if !started.replace(true) {
                    let make = make.get_value();
                    producer.run(client, n, per_second, move |i| make(i));
                }
            }
        });
    };
    on_cleanup(move || {
        producer.stop();
        endpoint.stop();
    });
    view! {
        <div class="side-card producer">
            <h3>"Producer"</h3>
            <p class="hint">{move || what.get()}</p>
            <div class="row">
                <label>
                    "Messages"
                    <input type="number" min="1" data-testid="producer-count" bind:value=count />
                </label>
                <label title="messages per second; 0 = as fast as the connection takes them">
                    "Rate (msg/s, 0 = max)"
                    <input type="number" min="0" data-testid="producer-rate" bind:value=rate />
                </label>
            </div>
            <div class="row">
                <button
                    type="button"
                    class="primary"
                    data-testid="producer-start"
                    disabled=move || progress.with(|p| p.running)
                    on:click=move |_| start()
                >
                    "Start producer"
                </button>
                <button
                    type="button"
                    data-testid="producer-stop"
                    disabled=move || !progress.with(|p| p.running)
                    on:click=move |_| producer.stop()
                >
                    "Stop"
                </button>
            </div>
            <p class="progress-text" data-testid="producer-progress">
                {move || progress.with(|p| p.text(parse_count(&count.get(), default_count)))}
            </p>
            <Show when=move || progress.with(|p| p.error.is_some())>
                <p class="form-error">{move || progress.with(Production::error_text)}</p>
            </Show>
            <EndpointStatus endpoint=endpoint />
        </div>
    }
}

/// A consumer that subscribes to `filter`, shows count, latest value, a chart and the last
/// entries; `value_of` extracts a number from a payload.
#[component]
pub fn NumericConsumer(
    /// The filter to subscribe to.
    filter: Signal<String>,
    /// Reads a number from a payload (plain text number, or a JSON reading).
    value_of: fn(&[u8]) -> Option<f64>,
) -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let endpoint = Endpoint::new();
    let readings = Batched::new(Readings::default());
    let subscribed = RwSignal::new(None::<String>);
    let start = move || {
        readings.update(|r| *r = Readings::default());
        let filter = filter.get_untracked();
        endpoint.start(prefs, "consumer", move |incoming| match incoming {
            Incoming::Connected(client) => endpoint.subscribe(&client, &filter, QoS::AtMostOnce),
            Incoming::Session(mqtt_session::Event::Subscribed { results, .. }) => {
                subscribed.set(Some(describe_suback(&results)));
            }
            Incoming::Message(m) => {
                readings.update(|r| r.record(&m.topic, &m.payload, value_of(&m.payload)))
            }
            Incoming::Session(_) => {}
        });
    };
    on_cleanup(move || endpoint.stop());
    let values =
        Signal::derive(move || readings.with(|r| r.values.iter().copied().collect::<Vec<_>>()));
    let entries = Memo::new(move |_| {
        readings.with(|r| {
            r.entries
                .iter()
                .map(|(_, topic, text)| (topic.clone(), text.clone()))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="side-card consumer">
            <h3>"Consumer"</h3>
            <p class="hint">"Subscribes to "<code>{move || filter.get()}</code></p>
            <button type="button" data-testid="consumer-start" on:click=move |_| start()>
                "Start consumer"
            </button>
            <EndpointStatus endpoint=endpoint />
            <Show when=move || subscribed.get().is_some()>
                <p class="hint">{move || subscribed.get().unwrap_or_default()}</p>
            </Show>
            <dl class="figures">
                <dt>"Received"</dt>
                <dd data-testid="consumer-count">{move || readings.with(|r| r.count)}</dd>
                <dt>"Latest value"</dt>
                <dd data-testid="consumer-latest">
                    {move || readings.with(Readings::latest_text)}
                </dd>
            </dl>
            <Chart values=values />
            <ul class="entries">
                // One element per position, its text following the entry there: no item
                // view is created and dropped per message (each left ~90 bytes of wasm
                // memory behind, docs/bench.md).
                <For
                    each=move || 0..entries.with(Vec::len)
                    key=|position| *position
                    children=move |position| {
                        let part = move |pick: fn(&(String, String)) -> &String| {
                            move || entries.with(|e| e.get(position).map(pick).cloned())
                        };
                        view! {
                            <li data-testid="consumer-entry">
                                <code>{part(|e| &e.0)}</code>
                                " "
                                <span>{part(|e| &e.1)}</span>
                            </li>
                        }
                    }
                />
            </ul>
        </div>
    }
}
