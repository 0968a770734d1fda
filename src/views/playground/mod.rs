//! The Playground: the seed's five producer/consumer exercises side by side in one page,
//! each side with its own connection to the broker in the shared settings.

mod auth;
mod chart;
mod devices_panel;
mod endpoint;
mod json;
mod parts;
pub(crate) mod producer;
mod simple;
mod smart;

use leptos::prelude::*;

use crate::views::prefs::BrokerFields;

/// The playground view.
#[component]
pub fn PlaygroundView() -> impl IntoView {
    view! {
        <div class="side">
            <section class="panel connect">
                <h2>"Playground"</h2>
                <p class="hint intro">
                    "The five exercises of the MQTT playground. Each producer and consumer opens its own "
                    "connection to this broker, so you can watch both ends at once (or open a second tab)."
                </p>
                <form on:submit=|ev| ev.prevent_default()>
                    <BrokerFields />
                </form>
            </section>
        </div>
        <div class="scenarios">
            <simple::SimplePanel />
            <json::JsonPanel />
            <devices_panel::DevicesPanel />
            <auth::AuthPanel />
            <smart::SmartPanel />
        </div>
    }
}
