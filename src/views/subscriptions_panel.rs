use leptos::prelude::*;
use mqtt_session::QoS;

use super::client_state::ClientState;
use super::QosSelect;
use crate::state::client::SubState;

/// Topic filter + QoS, and the list of subscriptions with what the broker granted.
#[component]
pub fn SubscriptionsPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let filter = RwSignal::new("#".to_string());
    let qos = RwSignal::new(QoS::AtMostOnce);
    let error = RwSignal::new(None::<String>);

    let subscribe = move || {
        let result = state.subscribe(&filter.get_untracked(), qos.get_untracked());
        error.set(result.err().map(|e| e.to_string()));
    };

    view! {
        <section class="panel subscriptions">
            <h2>"Subscriptions"</h2>
            <form
                class="row"
                on:submit=move |ev| {
                    ev.prevent_default();
                    subscribe()
                }
            >
                <input
                    type="text"
                    class="grow"
                    data-testid="subscribe-topic"
                    spellcheck="false"
                    placeholder="topic filter, e.g. sensor/+/temperature or #"
                    bind:value=filter
                />
                <QosSelect value=qos testid="subscribe-qos" />
                <button type="submit" data-testid="subscribe-button">
                    "Subscribe"
                </button>
            </form>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <ul class="sub-list" data-testid="subscription-list">
                <For
                    each=move || state.model.with(|m| m.subscriptions.clone())
                    key=|row| format!("{}\u{0}{:?}", row.filter, row.state)
                    children=move |row| {
                        let (badge, class) = match row.state {
                            SubState::Pending => ("pending".to_string(), "badge pending"),
                            SubState::Granted(q) => (format!("QoS {}", q as u8), "badge granted"),
                            SubState::Refused => ("refused".to_string(), "badge refused"),
                        };
                        let filter = row.filter.clone();
                        view! {
                            <li data-testid="subscription" data-state=class>
                                <code class="filter">{row.filter.clone()}</code>
                                <span class=class>{badge}</span>
                                <button
                                    type="button"
                                    class="icon"
                                    title="Unsubscribe"
                                    data-testid="unsubscribe-button"
                                    on:click=move |_| {
                                        error
                                            .set(
                                                state.unsubscribe(&filter).err().map(|e| e.to_string()),
                                            )
                                    }
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || state.model.with(|m| m.subscriptions.is_empty())>
                <p class="hint">
                    "No subscriptions yet. '#' receives everything the broker lets you see."
                </p>
            </Show>
        </section>
    }
}
