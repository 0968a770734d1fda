//! 5 · Smart object: a device with resources (temperature, humidity, light, brightness)
//! publishing telemetry (not retained) and events (retained) and obeying actions. It can run
//! in this page (the same `devices::SmartObject` the lab simulates), connected with its last
//! will (a retained `offline` status the broker publishes if the page's connection dies) and
//! announcing itself `online` (retained) at start. The controller finds the devices present
//! from their retained info and events and their telemetry, shows whether each is online,
//! and drives the chosen one with controls that publish actions.

use std::cell::RefCell;
use std::rc::Rc;

use devices::{action_topic, Action as DeviceAction, SmartObject, Switch};
use leptos::prelude::*;
use mqtt_session::{LastWill, QoS};

use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use crate::driver::clock::now;
use crate::driver::deadline::DeadlineTimer;
use crate::state::playground::{DeviceDirectory, Presence, WatchedDevice};
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

/// Why `id` cannot name a device: it is one topic level of `device/<id>/...`.
fn device_id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("give the device an id first".into())
    } else if id.contains(['/', '+', '#']) {
        Some(format!(
            "device id '{id}' cannot be one topic level: it must not contain '/', '+' or '#'"
        ))
    } else {
        None
    }
}

/// Exercise 5: a smart object running in the page, and a controller for any device.
#[component]
pub fn SmartPanel() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    // The producer: a smart object in this page.
    let own_id = RwSignal::new("browser-lamp".to_string());
    // The id of the device this page runs (or ran last: the controller stays on it after
    // a stop, to show it offline).
    let own_device = RwSignal::new(None::<String>);
    let device_side = Endpoint::new();
    let slot: StoredValue<Rc<RefCell<Option<Running>>>, LocalStorage> =
        StoredValue::new_local(Rc::new(RefCell::new(None)));
    // A clean stop: the device says it goes offline itself, since the broker discards the
    // will of a client that disconnects [MQTT-3.1.2-10].
    let stop_device = move || {
        let Some(slot) = slot.try_get_value() else {
            return;
        };
        let running = slot.borrow_mut().take();
        if let Some(running) = running {
            if device_side.is_connected_now() {
                publish_all(device_side, vec![running.device.last_will()]);
            }
        }
        device_side.stop();
    };
    let run_device = move || {
        let id = own_id.get_untracked().trim().to_string();
        if let Some(problem) = device_id_problem(&id) {
            return device_side.problem.set(Some(problem));
        }
        stop_device();
        let seed = (js_sys::Math::random() * 1e15) as u64;
        // Timestamps are Unix time: the wall clock at the page clock's zero.
        let origin = (js_sys::Date::now() as u64).saturating_sub(now().as_millis());
        let device = SmartObject::new(id.clone(), seed, std::time::Duration::from_secs(2))
            .with_unix_origin(origin);
        let will = device.last_will();
        let will = LastWill {
            topic: will.topic,
            payload: will.payload.into(),
            qos: will.qos,
            retain: will.retain,
            properties: Default::default(),
        };
        let slot = slot.get_value();
        *slot.borrow_mut() = Some(Running {
            device,
            timer: DeadlineTimer::new(),
        });
        own_device.set(Some(id.clone()));
        let action = action_topic(&id);
        device_side.start_with_will(prefs, "smart-object", Some(will), move |incoming| {
            match incoming {
                // Again after each reconnection: the broker may have published the will.
                Incoming::Connected(client) => {
                    let first = match slot.borrow_mut().as_mut() {
                        Some(running) => running.device.start(now()),
                        None => return,
                    };
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
            }
        });
    };

    // The consumer: find the devices present, watch one and drive it.
    let chosen = RwSignal::new(None::<String>);
    let watcher = Endpoint::new();
    let directory = Batched::new(DeviceDirectory::default());
    let watch = move || {
        directory.update(|d| *d = DeviceDirectory::default());
        watcher.start(prefs, "smart-consumer", move |incoming| match incoming {
            Incoming::Connected(client) => {
                watcher.subscribe(&client, "device/+/info", QoS::AtLeastOnce);
                watcher.subscribe(&client, "device/+/event", QoS::AtLeastOnce);
                watcher.subscribe(&client, "device/+/telemetry/#", QoS::AtMostOnce);
            }
            Incoming::Message(m) => directory.update(|d| d.record(&m.topic, &m.payload)),
            Incoming::Session(_) => {}
        });
    };
    let target = move || {
        let (chosen, own) = (chosen.get(), own_device.get());
        directory.with(|d| d.target(chosen.as_deref(), own.as_deref()))
    };
    let watched = move || {
        let id = target()?;
        directory.with(|d| d.devices.get(&id).cloned())
    };
    let options = move || {
        let own = own_device.get();
        directory.with(|d| {
            let mut ids: Vec<(String, Presence)> = d
                .devices
                .iter()
                .map(|(id, w)| (id.clone(), w.presence))
                .collect();
            if let Some(own) = own.filter(|own| !d.devices.contains_key(own)) {
                ids.insert(0, (own, Presence::Unknown));
            }
            ids
        })
    };
    let act = move |action: DeviceAction| {
        let Some(id) = target() else {
            return watcher.problem.set(Some(
                "no device to act on: start one or wait for one".into(),
            ));
        };
        watcher.publish(
            &action_topic(&id),
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
        watched()
            .map(|w: WatchedDevice| w.telemetry.into_iter().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let presence = move || watched().map_or(Presence::Unknown, |w| w.presence);

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
                        <button
                            type="button"
                            data-testid="producer-stop"
                            on:click=move |_| stop_device()
                        >
                            "Stop"
                        </button>
                    </div>
                    <EndpointStatus endpoint=device_side />
                    <p class="hint">
                        "It connects with a last will: if this page's connection dies, the broker publishes its retained status 'offline'. The lab runs lab-device-1… with the same code."
                    </p>
                </div>
                <div class="side-card consumer">
                    <h3>"Controller"</h3>
                    <div class="row">
                        <button
                            type="button"
                            data-testid="consumer-start"
                            title="Connect and find the devices on this broker (their retained info and status, and their telemetry)"
                            on:click=move |_| watch()
                        >
                            "Find devices"
                        </button>
                        <select
                            class="grow"
                            data-testid="consumer-device"
                            title="The device the controls act on"
                            on:change=move |ev| chosen.set(Some(event_target_value(&ev)))
                        >
                            <For
                                each=options
                                key=|option| option.clone()
                                children=move |(id, presence)| {
                                    let label = match presence {
                                        Presence::Unknown => id.clone(),
                                        known => format!("{id} ({})", known.as_str()),
                                    };
                                    let this = id.clone();
                                    view! {
                                        <option
                                            value=id
                                            prop:selected=move || {
                                                target().as_deref() == Some(this.as_str())
                                            }
                                        >
                                            {label}
                                        </option>
                                    }
                                }
                            />
                        </select>
                    </div>
                    <EndpointStatus endpoint=watcher />
                    <div class="device-card" data-testid="device-card" data-device=target>
                        <div class="device-head">
                            <b>{move || target().unwrap_or_else(|| "no device yet".into())}</b>
                            <span
                                class=move || format!("badge presence {}", presence().as_str())
                                data-testid="device-presence"
                                data-state=move || presence().as_str()
                                title="From the device's retained status event: online at its start, offline from its last will or a clean stop"
                            >
                                {move || presence().as_str()}
                            </span>
                            <span class="hint">
                                {move || {
                                    watched()
                                        .and_then(|w| w.info)
                                        .unwrap_or_else(|| "no info yet".into())
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
                                    watched().and_then(|w| w.event).unwrap_or_else(|| "–".into())
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
