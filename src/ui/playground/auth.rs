//! 4 · Authorized: the producer writes to /iot/user/<user>/sensor/temperature, the consumer
//! reads /iot/user/<user>/#, and a probe checks whether the broker keeps other users out.

use std::cell::Cell;
use std::rc::Rc;

use devices::{auth_filter, auth_sensor_topic};
use leptos::prelude::*;
use mqtt_session::{Event, QoS, SubscribeResult};

use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::{plain_number, NumericConsumer, ProducerForm};
use super::producer::Outgoing;
use super::simple::temperature;
use crate::prefs::BrokerPrefs;

#[component]
pub fn AuthPanel() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let user = Signal::derive(move || prefs.username.get().trim().to_string());
    let maker = StoredValue::new_local(make_for(String::new()));
    Effect::new(move |_| maker.set_value(make_for(user.get())));
    let other = RwSignal::new("someone-else".to_string());
    let probe = Endpoint::new();
    let verdict = RwSignal::new(None::<String>);

    let run_probe = move || {
        let me = user.get_untracked();
        let other = other.get_untracked().trim().to_string();
        if me.is_empty() || other.is_empty() || other == me {
            verdict.set(Some(
                "Enter your user name in the broker settings and another user's name here.".into(),
            ));
            return;
        }
        verdict.set(Some("probing…".into()));
        let suback = Rc::new(Cell::new(None::<SubscribeResult>));
        let leaked = Rc::new(Cell::new(false));
        let marker = format!("{}/probe-marker", auth_filter(&me).trim_end_matches("/#"));
        let intruder_topic = auth_sensor_topic(&other);
        let client_slot = probe;
        probe.start(prefs, "probe", move |incoming| match incoming {
            Incoming::Connected(client) => {
                let _ = client.subscribe(&auth_filter(&other), QoS::AtLeastOnce);
                let _ = client.subscribe(&auth_filter(&me), QoS::AtLeastOnce);
            }
            Incoming::Session(Event::Subscribed { results, .. }) => {
                if results[0].0 == auth_filter(&other) {
                    suback.set(Some(results[0].1));
                    return;
                }
                // Both subscriptions are answered: write into the other namespace, then a
                // marker into ours. The broker acknowledges both (3.1.1 has no negative ack).
                if let Some(client) = client_slot.client() {
                    let _ = client.publish(&intruder_topic, b"probe".to_vec(), QoS::AtLeastOnce, false);
                    let _ = client.publish(&marker, b"marker".to_vec(), QoS::AtLeastOnce, false);
                }
            }
            Incoming::Message(m) if m.topic == intruder_topic => leaked.set(true),
            Incoming::Message(m) if m.topic == marker => {
                let sub = match suback.get() {
                    Some(SubscribeResult::Refused) => "was refused (SUBACK 0x80)",
                    Some(SubscribeResult::Granted(_)) => "was granted by the broker",
                    None => "got no answer",
                };
                verdict.set(Some(if leaked.get() {
                    format!(
                        "Not enforced: the subscription to {} {sub}, and the message published into it \
                         arrived. This broker has no per-user access rules (the lab's embedded broker has \
                         none; use the shipped mosquitto config for real namespaces).",
                        auth_filter(&other)
                    )
                } else {
                    format!(
                        "Enforced: the subscription to {} {sub}, and the message published into it never \
                         arrived, although the broker acknowledged it: MQTT 3.1.1 has no negative \
                         acknowledgement, so a refused publish is silent.",
                        auth_filter(&other)
                    )
                }));
                client_slot.stop();
            }
            _ => {}
        });
    };
    on_cleanup(move || probe.stop());

    view! {
        <section class="panel scenario" data-testid="scenario-auth">
            <h2>"4 · Authorized producer & consumer"</h2>
            <p class="hint">
                "Logs in with the user name and password above. Each user has a namespace: "
                <code>{move || format!("/iot/user/{}/#", if user.get().is_empty() { "<user name>".into() } else { user.get() })}</code>
                ". Bad credentials are refused at connect."
            </p>
            <Show
                when=move || !user.get().is_empty()
                fallback=|| view! {
                    <p class="form-error">"Enter a user name (and password) in the broker settings first: the namespace is named after it."</p>
                }
            >
                <div class="pair">
                    <ProducerForm what=Signal::derive(move || format!("publishes numbers to {}", auth_sensor_topic(&user.get())))
                        make=maker />
                    <NumericConsumer filter=Signal::derive(move || auth_filter(&user.get())) value_of=plain_number />
                </div>
            </Show>
            <div class="probe row">
                <span>"Try another user's namespace:"</span>
                <input type="text" data-testid="probe-user" bind:value=other />
                <button type="button" data-testid="action-probe" on:click=move |_| run_probe()>"Probe"</button>
                <EndpointStatus endpoint=probe />
            </div>
            <Show when=move || verdict.get().is_some()>
                <p class="verdict" data-testid="probe-verdict">{move || verdict.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}

fn make_for(user: String) -> Rc<dyn Fn(u32) -> Outgoing> {
    let topic = auth_sensor_topic(&user);
    Rc::new(move |i| {
        (
            topic.clone(),
            temperature(i).to_string().into_bytes(),
            QoS::AtMostOnce,
            false,
        )
    })
}
