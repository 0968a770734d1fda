use leptos::prelude::*;
use mqtt_session::QoS;

/// Parses a `<select>` value "0", "1" or "2".
pub fn qos_from_str(value: &str) -> QoS {
    match value {
        "2" => QoS::ExactlyOnce,
        "1" => QoS::AtLeastOnce,
        _ => QoS::AtMostOnce,
    }
}

/// A QoS `<select>` with values 0, 1, 2 bound to `value`.
#[component]
pub fn QosSelect(
    /// The selected QoS.
    value: RwSignal<QoS>,
    /// The `data-testid` of the select.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <select
            class="qos"
            data-testid=testid
            title="Quality of service: 0 at most once, 1 at least once, 2 exactly once"
            prop:value=move || (value.get() as u8).to_string()
            on:change=move |ev| value.set(qos_from_str(&event_target_value(&ev)))
        >
            <option value="0">"QoS 0"</option>
            <option value="1">"QoS 1"</option>
            <option value="2">"QoS 2"</option>
        </select>
    }
}
