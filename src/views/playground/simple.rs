//! 1 · Simple: numeric readings on sensor/temperature at QoS 0; the consumer takes `#`.

use std::rc::Rc;

use leptos::prelude::*;
use mqtt_session::QoS;

use super::parts::{NumericConsumer, ProducerForm};
use super::producer::Outgoing;
use crate::state::playground::{plain_number, temperature};

/// Exercise 1: plain numbers on sensor/temperature, consumed from `#`.
#[component]
pub fn SimplePanel() -> impl IntoView {
    let make: Rc<dyn Fn(u32) -> Outgoing> = Rc::new(|i| {
        (
            "sensor/temperature".to_string(),
            temperature(i).to_string().into_bytes(),
            QoS::AtMostOnce,
            false,
        )
    });
    view! {
        <section class="panel scenario" data-testid="scenario-simple">
            <h2>"1 · Simple producer & consumer"</h2>
            <p class="hint">
                "Numbers on sensor/temperature, QoS 0, not retained. The consumer subscribes to # (everything)."
            </p>
            <div class="pair">
                <ProducerForm
                    what=Signal::derive(|| {
                        "publishes plain numbers to sensor/temperature".to_string()
                    })
                    make=StoredValue::new_local(make)
                />
                <NumericConsumer filter=Signal::derive(|| "#".to_string()) value_of=plain_number />
            </div>
        </section>
    }
}
