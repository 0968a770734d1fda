//! 4 · Authorized: the producer writes to /iot/user/<user>/sensor/temperature, the consumer
//! reads /iot/user/<user>/#, and a probe checks whether the broker keeps other users out.

use std::cell::RefCell;
use std::rc::Rc;

use devices::{auth_filter, auth_sensor_topic};
use leptos::prelude::*;
use mqtt_session::{Event, QoS};

use super::endpoint::{Endpoint, EndpointStatus, Incoming};
use super::parts::{NumericConsumer, ProducerForm};
use super::producer::Outgoing;
use crate::state::playground::{plain_number, temperature, Probe, ProbeStep};
use crate::views::prefs::BrokerPrefs;

/// Exercise 4: producer and consumer in the user's own namespace, and the access probe.
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
        let protocol = prefs.protocol.get_untracked();
        let state = match Probe::new(&user.get_untracked(), &other.get_untracked(), protocol) {
            Ok(state) => state,
            Err(e) => return verdict.set(Some(e.to_string())),
        };
        verdict.set(Some("probing…".into()));
        let filters = state.filters().map(str::to_string);
        let state = Rc::new(RefCell::new(state));
        probe.start(prefs, "probe", move |incoming| {
            let step = match incoming {
                Incoming::Connected(client) => {
                    for filter in &filters {
                        probe.subscribe(&client, filter, QoS::AtLeastOnce);
                    }
                    None
                }
                Incoming::Session(Event::Subscribed { results, .. }) => {
                    state.borrow_mut().on_subscribed(&results)
                }
                Incoming::Message(m) => state.borrow_mut().on_message(&m.topic),
                // The broker's answers to the probe's publishes (MQTT 5 says why it refused).
                Incoming::Session(Event::Delivered { pkid, .. }) => {
                    state.borrow_mut().on_delivered(pkid)
                }
                Incoming::Session(Event::PublishOutcome(outcome)) => {
                    state.borrow_mut().on_publish_outcome(
                        outcome.pkid,
                        outcome.reason,
                        outcome.reason_string.as_deref(),
                    )
                }
                Incoming::Session(_) => None,
            };
            match step {
                Some(ProbeStep::Publish(publishes)) => {
                    for (topic, payload) in publishes {
                        let pkid = probe.publish_with_id(&topic, payload, QoS::AtLeastOnce, false);
                        state.borrow_mut().on_published(&topic, pkid);
                    }
                }
                Some(ProbeStep::Verdict(text)) => {
                    verdict.set(Some(text));
                    probe.stop();
                }
                None => {}
            }
        });
    };
    on_cleanup(move || probe.stop());

    view! {
        <section class="panel scenario" data-testid="scenario-auth">
            <h2>"4 · Authorized producer & consumer"</h2>
            <p class="hint">
                "Logs in with the user name and password above. Each user has a namespace: "
                <code>
                    {move || {
                        format!(
                            "/iot/user/{}/#",
                            if user.get().is_empty() { "<user name>".into() } else { user.get() },
                        )
                    }}
                </code> ". Bad credentials are refused at connect."
            </p>
            <Show
                when=move || !user.get().is_empty()
                fallback=|| {
                    view! {
                        <p class="form-error">
                            "Enter a user name (and password) in the broker settings first: the namespace is named after it."
                        </p>
                    }
                }
            >
                <div class="pair">
                    <ProducerForm
                        what=Signal::derive(move || {
                            format!("publishes numbers to {}", auth_sensor_topic(&user.get()))
                        })
                        make=maker
                    />
                    <NumericConsumer
                        filter=Signal::derive(move || auth_filter(&user.get()))
                        value_of=plain_number
                    />
                </div>
            </Show>
            <div class="probe row">
                <span>"Try another user's namespace:"</span>
                <input type="text" data-testid="probe-user" bind:value=other />
                <button type="button" data-testid="action-probe" on:click=move |_| run_probe()>
                    "Probe"
                </button>
                <EndpointStatus endpoint=probe />
            </div>
            <Show when=move || verdict.get().is_some()>
                <p class="verdict" data-testid="probe-verdict">
                    {move || verdict.get().unwrap_or_default()}
                </p>
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
