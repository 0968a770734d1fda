//! 3 · Devices: a DeviceDescriptor retained on device/<id>/info, readings on
//! device/<id>/sensor/temperature; the consumer shows one card per device, from its
//! retained info even when the device published it before the consumer connected.

use std::rc::Rc;

use devices::{device_info_topic, device_sensor_topic, DeviceDescriptor, MessageDescriptor};
use leptos::prelude::*;
use mqtt_session::QoS;

use super::chart::Chart;
use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::ProducerForm;
use super::producer::Outgoing;
use crate::state::playground::{temperature, DeviceCards};
use crate::views::prefs::BrokerPrefs;
use crate::views::Batched;

/// Exercise 3: a device with retained info and readings; one card per device seen.
#[component]
pub fn DevicesPanel() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let device_id = RwSignal::new("browser-device-1".to_string());
    let make = move || -> Rc<dyn Fn(u32) -> Outgoing> {
        let id = device_id.get_untracked();
        Rc::new(move |i| {
            if i == 0 {
                let info = DeviceDescriptor {
                    device_id: id.clone(),
                    producer: "mqtt-playground (browser)".into(),
                    software_version: env!("CARGO_PKG_VERSION").into(),
                    device_type: "temperature-sensor".into(),
                    resources: vec!["temperature".into()],
                };
                (
                    device_info_topic(&id),
                    info.to_json().into_bytes(),
                    QoS::AtLeastOnce,
                    true,
                )
            } else {
                let reading = MessageDescriptor::new(
                    js_sys::Date::now() as u64,
                    "temperature",
                    temperature(i),
                );
                (
                    device_sensor_topic(&id, "temperature"),
                    reading.to_json().into_bytes(),
                    QoS::AtMostOnce,
                    false,
                )
            }
        })
    };
    let maker = StoredValue::new_local(make());
    Effect::new(move |_| {
        device_id.track();
        maker.set_value(make());
    });

    let endpoint = Endpoint::new();
    let cards = Batched::new(DeviceCards::default());
    let start = move || {
        cards.update(|c| *c = DeviceCards::default());
        endpoint.start(prefs, "device-consumer", move |incoming| match incoming {
            Incoming::Connected(client) => {
                endpoint.subscribe(&client, "device/+/info", QoS::AtLeastOnce);
                endpoint.subscribe(&client, "device/+/sensor/#", QoS::AtMostOnce);
            }
            Incoming::Message(m) => cards.update(|c| c.record(&m.topic, &m.payload)),
            Incoming::Session(_) => {}
        });
    };
    on_cleanup(move || endpoint.stop());
    let card_list = move || {
        cards.with(|c| {
            let cards = c.cards.iter();
            cards
                .map(|(id, card)| (id.clone(), card.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel scenario" data-testid="scenario-device">
            <h2>"3 · Devices"</h2>
            <p class="hint">
                "Device info (retained) on device/<id>/info, readings on device/<id>/sensor/temperature. "
                "The consumer subscribes to device/+/info and device/+/sensor/#."
            </p>
            <div class="pair">
                <div>
                    <label>
                        "Device id"
                        <input type="text" data-testid="producer-device-id" bind:value=device_id />
                    </label>
                    <ProducerForm
                        what=Signal::derive(move || {
                            format!(
                                "publishes device/{}/info (retained), then readings",
                                device_id.get(),
                            )
                        })
                        make=maker
                        default_count=100
                    />
                </div>
                <div class="side-card consumer">
                    <h3>"Consumer"</h3>
                    <button type="button" data-testid="consumer-start" on:click=move |_| start()>
                        "Start consumer"
                    </button>
                    <EndpointStatus endpoint=endpoint />
                    <div class="cards">
                        <For
                            each=card_list
                            key=|(id, card)| (id.clone(), card.readings, card.info.is_some())
                            children=move |(id, card)| {
                                let info = card.info_text();
                                let values: Vec<f64> = card.values.iter().copied().collect();
                                view! {
                                    <div
                                        class="device-card"
                                        data-testid="device-card"
                                        data-device=id.clone()
                                    >
                                        <div class="device-head">
                                            <b>{id.clone()}</b>
                                            <span class="hint">{info}</span>
                                        </div>
                                        <div class="device-body">
                                            <span class="big" data-testid="consumer-entry">
                                                {card
                                                    .latest
                                                    .map_or("–".to_string(), |v| format!("{v} °C"))}
                                            </span>
                                            <span class="hint">
                                                {format!("{} readings", card.readings)}
                                            </span>
                                            <Chart
                                                values=Signal::derive(move || values.clone())
                                                class="sparkline"
                                            />
                                        </div>
                                    </div>
                                }
                            }
                        />
                    </div>
                </div>
            </div>
        </section>
    }
}
