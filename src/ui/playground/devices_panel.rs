//! 3 · Devices: a DeviceDescriptor retained on device/<id>/info, readings on
//! device/<id>/sensor/temperature; the consumer shows one card per device, from its
//! retained info even when the device published it before the consumer connected.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use devices::{device_info_topic, device_sensor_topic, DeviceDescriptor, MessageDescriptor};
use leptos::prelude::*;
use mqtt_session::QoS;

use super::batched::Batched;
use super::chart::Chart;
use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::{ProducerForm, CHART_POINTS};
use super::producer::Outgoing;
use super::simple::temperature;
use crate::prefs::BrokerPrefs;

/// What the consumer knows about one device.
#[derive(Clone, Default, PartialEq)]
struct Card {
    info: Option<Result<DeviceDescriptor, String>>,
    latest: Option<f64>,
    readings: u64,
    values: VecDeque<f64>,
}

/// The device id in `device/<id>/...`.
fn device_of(topic: &str) -> Option<&str> {
    topic
        .strip_prefix("device/")?
        .split('/')
        .next()
        .filter(|id| !id.is_empty())
}

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
    let cards = Batched::new(BTreeMap::<String, Card>::new());
    let start = move || {
        cards.update(BTreeMap::clear);
        endpoint.start(prefs, "device-consumer", move |incoming| match incoming {
            Incoming::Connected(client) => {
                let _ = client.subscribe("device/+/info", QoS::AtLeastOnce);
                let _ = client.subscribe("device/+/sensor/#", QoS::AtMostOnce);
            }
            Incoming::Message(m) => {
                let Some(id) = device_of(&m.topic) else {
                    return;
                };
                let id = id.to_string();
                cards.update(|cards| {
                    let card = cards.entry(id).or_default();
                    if m.topic.ends_with("/info") {
                        card.info = Some(
                            DeviceDescriptor::from_json(&m.payload).map_err(|e| e.to_string()),
                        );
                    } else if let Ok(reading) = MessageDescriptor::from_json(&m.payload) {
                        card.latest = Some(reading.value);
                        card.readings += 1;
                        if card.values.len() == CHART_POINTS {
                            card.values.pop_front();
                        }
                        card.values.push_back(reading.value);
                    }
                });
            }
            Incoming::Session(_) => {}
        });
    };
    on_cleanup(move || endpoint.stop());
    view! {
        <section class="panel scenario" data-testid="scenario-device">
            <h2>"3 · Devices"</h2>
            <p class="hint">
                "Device info (retained) on device/<id>/info, readings on device/<id>/sensor/temperature. "
                "The consumer subscribes to device/+/info and device/+/sensor/#."
            </p>
            <div class="pair">
                <div>
                    <label>"Device id"<input type="text" data-testid="producer-device-id" bind:value=device_id /></label>
                    <ProducerForm what=Signal::derive(move || format!("publishes device/{}/info (retained), then readings", device_id.get()))
                        make=maker default_count=100 />
                </div>
                <div class="side-card consumer">
                    <h3>"Consumer"</h3>
                    <button type="button" data-testid="consumer-start" on:click=move |_| start()>"Start consumer"</button>
                    <EndpointStatus endpoint=endpoint />
                    <div class="cards">
                        <For each=move || cards.with(|c| c.iter().map(|(id, card)| (id.clone(), card.clone())).collect::<Vec<_>>())
                            key=|(id, card)| (id.clone(), card.readings, card.info.is_some())
                            children=move |(id, card)| {
                                let info = match &card.info {
                                    Some(Ok(d)) => format!("{} · {} · v{}", d.device_type, d.producer, d.software_version),
                                    Some(Err(e)) => format!("info not readable: {e}"),
                                    None => "no info (yet)".to_string(),
                                };
                                let values: Vec<f64> = card.values.iter().copied().collect();
                                view! {
                                    <div class="device-card" data-testid="device-card" data-device=id.clone()>
                                        <div class="device-head"><b>{id.clone()}</b><span class="hint">{info}</span></div>
                                        <div class="device-body">
                                            <span class="big" data-testid="consumer-entry">
                                                {card.latest.map_or("–".to_string(), |v| format!("{v} °C"))}
                                            </span>
                                            <span class="hint">{format!("{} readings", card.readings)}</span>
                                            <Chart values=Signal::derive(move || values.clone()) class="sparkline" />
                                        </div>
                                    </div>
                                }
                            } />
                    </div>
                </div>
            </div>
        </section>
    }
}
