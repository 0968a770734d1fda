//! 5 · Smart object: a device with resources (temperature, humidity, light, brightness)
//! publishing telemetry (not retained) and events (retained) and obeying actions. It can run
//! in this page (the same `devices::SmartObject` the lab simulates); the consumer side
//! watches any device and drives it with controls that publish actions.

use std::cell::RefCell;
use std::rc::Rc;

use devices::{action_topic, Action as DeviceAction, SmartObject, Switch};
use leptos::prelude::*;
use mqtt_session::QoS;

use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use crate::driver::clock::now;
use crate::driver::deadline::DeadlineTimer;
use crate::state::playground::WatchedDevice;
use crate::views::prefs::BrokerPrefs;
use crate::views::Batched;

/// The device running in this page, and its telemetry timer.
struct Running {
    device: SmartObject,
    timer: DeadlineTimer,
}

/// Publishes what the device produced, on the device side's connection.
fn publish_all(endpoint: Endpoint, publishes: Vec<devices::Publish>) {
    for p in publishes {
        endpoint.publish(&p.topic, p.payload, p.qos, p.retain);
    }
}

/// Follows the device's telemetry deadline.
fn schedule(slot: Rc<RefCell<Option<Running>>>, endpoint: Endpoint) {
    let mut running = slot.borrow_mut();
    let Some(running) = running.as_mut() else {
        return;
    };
    let deadline = running.device.poll_timeout();
    let again = slot.clone();
    running.timer.follow(deadline, move || {
        let publishes = match again.borrow_mut().as_mut() {
            Some(running) => running.device.handle_timeout(now()),
            None => return,
        };
        publish_all(endpoint, publishes);
        schedule(again, endpoint);
    });
}

/// Exercise 5: a smart object running in the page, and a controller for any device.
#[component]
pub fn SmartPanel() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    // The producer: a smart object in this page.
    let own_id = RwSignal::new("browser-lamp".to_string());
    let device_side = Endpoint::new();
    let slot: StoredValue<Rc<RefCell<Option<Running>>>, LocalStorage> =
        StoredValue::new_local(Rc::new(RefCell::new(None)));
    let run_device = move || {
        let id = own_id.get_untracked().trim().to_string();
        let slot = slot.get_value();
        slot.borrow_mut().take();
        let action = action_topic(&id);
        device_side.start(prefs, "smart-object", move |incoming| match incoming {
            Incoming::Connected(client) => {
                let seed = (js_sys::Math::random() * 1e15) as u64;
                let mut device =
                    SmartObject::new(id.clone(), seed, std::time::Duration::from_secs(2))
                        .with_unix_origin(js_sys::Date::now() as u64);
                let first = device.start(now());
                *slot.borrow_mut() = Some(Running {
                    device,
                    timer: DeadlineTimer::new(),
                });
                device_side.subscribe(&client, &action, QoS::AtLeastOnce);
                publish_all(device_side, first);
                schedule(slot.clone(), device_side);
            }
            Incoming::Message(m) if m.topic == action => {
                let publishes = match slot.borrow_mut().as_mut() {
                    Some(running) => running.device.handle_action(now(), &m.payload),
                    None => return,
                };
                publish_all(device_side, publishes);
            }
            _ => {}
        });
    };
    let stop_device = move || {
        slot.get_value().borrow_mut().take();
        device_side.stop();
    };

    // The consumer: watch a device and drive it.
    let target = RwSignal::new("lab-device-1".to_string());
    let watcher = Endpoint::new();
    let watched = Batched::new(WatchedDevice::default());
    let watch = move || {
        watched.update(|w| *w = WatchedDevice::default());
        let id = target.get_untracked().trim().to_string();
        watcher.start(prefs, "smart-consumer", move |incoming| match incoming {
            Incoming::Connected(client) => {
                watcher.subscribe(&client, &format!("device/{id}/#"), QoS::AtLeastOnce)
            }
            Incoming::Message(m) => watched.update(|w| w.record(&m.topic, &m.payload)),
            Incoming::Session(_) => {}
        });
    };
    let act = move |action: DeviceAction| {
        let topic = action_topic(target.get_untracked().trim());
        watcher.publish(
            &topic,
            action.to_json().into_bytes(),
            QoS::AtLeastOnce,
            false,
        );
    };
    let brightness = RwSignal::new("80".to_string());
    on_cleanup(move || {
        stop_device();
        watcher.stop();
    });
    // Reads the signal, so the controls follow the connection.
    let connected = move || watcher.is_connected();
    let telemetry = move || {
        watched.with(|w| {
            let readings = w.telemetry.iter();
            readings.map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()
        })
    };

    view! {
        <section class="panel scenario" data-testid="scenario-smart">
            <h2>"5 · Smart object"</h2>
            <p class="hint">
                "Telemetry on device/<id>/telemetry/<resource> (not retained), events on device/<id>/event "
                "(retained), actions on device/<id>/action, e.g. "
                <code>"{\"action\":\"light\",\"value\":\"on\"}"</code>"."
            </p>
            <div class="pair">
                <div class="side-card producer">
                    <h3>"Device (runs in this page)"</h3>
                    <label>
                        "Device id"
                        <input type="text" data-testid="producer-device-id" bind:value=own_id />
                    </label>
                    <div class="row">
                        <button
                            type="button"
                            class="primary"
                            data-testid="producer-start"
                            on:click=move |_| run_device()
                        >
                            "Start device"
                        </button>
                        <button type="button" on:click=move |_| stop_device()>
                            "Stop"
                        </button>
                    </div>
                    <EndpointStatus endpoint=device_side />
                    <p class="hint">"The lab also runs lab-device-1… with the same code."</p>
                </div>
                <div class="side-card consumer">
                    <h3>"Controller"</h3>
                    <div class="row">
                        <input
                            type="text"
                            class="grow"
                            data-testid="consumer-device-id"
                            bind:value=target
                        />
                        <button
                            type="button"
                            data-testid="consumer-start"
                            on:click=move |_| watch()
                        >
                            "Watch"
                        </button>
                    </div>
                    <EndpointStatus endpoint=watcher />
                    <div class="device-card" data-testid="device-card">
                        <div class="device-head">
                            <b>{move || target.get()}</b>
                            <span class="hint">
                                {move || {
                                    watched
                                        .with(|w| {
                                            w.info.clone().unwrap_or_else(|| "no info yet".into())
                                        })
                                }}
                            </span>
                        </div>
                        <dl class="figures">
                            {move || {
                                telemetry()
                                    .into_iter()
                                    .map(|(resource, value)| {
                                        view! {
                                            <dt>{resource}</dt>
                                            <dd data-testid="consumer-entry">{format!("{value}")}</dd>
                                        }
                                    })
                                    .collect_view()
                            }} <dt>"latest event"</dt>
                            <dd data-testid="smart-event">
                                {move || {
                                    watched
                                        .with(|w| w.event.clone().unwrap_or_else(|| "–".into()))
                                }}
                            </dd>
                        </dl>
                        <div class="row controls">
                            <button
                                type="button"
                                data-testid="action-light-on"
                                disabled=move || !connected()
                                on:click=move |_| act(DeviceAction::Light(Switch::On))
                            >
                                "Light on"
                            </button>
                            <button
                                type="button"
                                data-testid="action-light-off"
                                disabled=move || !connected()
                                on:click=move |_| act(DeviceAction::Light(Switch::Off))
                            >
                                "Light off"
                            </button>
                            <button
                                type="button"
                                data-testid="action-light-toggle"
                                disabled=move || !connected()
                                on:click=move |_| act(DeviceAction::Light(Switch::Toggle))
                            >
                                "Toggle"
                            </button>
                            <button
                                type="button"
                                data-testid="action-reset"
                                disabled=move || !connected()
                                on:click=move |_| act(DeviceAction::Reset)
                            >
                                "Reset"
                            </button>
                        </div>
                        <label class="row">
                            "Brightness"
                            <input
                                type="range"
                                min="0"
                                max="100"
                                data-testid="action-brightness"
                                bind:value=brightness
                                disabled=move || !connected()
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).parse::<u8>() {
                                        act(DeviceAction::Brightness(v))
                                    }
                                }
                            />
                        </label>
                    </div>
                </div>
            </div>
        </section>
    }
}
