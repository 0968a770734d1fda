use leptos::prelude::*;
use mqtt_session::QoS;

use super::client_state::ClientState;
use super::property_fields::is_v5;
use super::QosSelect;
use crate::state::client::SubState;
use crate::state::properties::{shared_subscription_hint, SubscribeFields};

/// Topic filter + QoS, and the list of subscriptions with what the broker granted.
#[component]
pub fn SubscriptionsPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let filter = RwSignal::new("#".to_string());
    let qos = RwSignal::new(QoS::AtMostOnce);
    let error = RwSignal::new(None::<String>);
    let options = RwSignal::new(SubscribeFields::default());
    let v5 = is_v5();

    let subscribe = move || {
        let (filter, qos) = (filter.get_untracked(), qos.get_untracked());
        let result = if v5() {
            match options.with_untracked(|o| o.to_subscription(&filter, qos)) {
                Ok((subscription, properties)) => state
                    .subscribe_with(subscription, properties)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        } else {
            state.subscribe(&filter, qos).map_err(|e| e.to_string())
        };
        error.set(result.err());
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
            <Show when=v5>
                <details class="options" data-testid="subscribe-options">
                    <summary>"MQTT 5 options"</summary>
                    <div class="fields">
                        <label class="check" title="Do not send me my own messages back">
                            <input
                                type="checkbox"
                                data-testid="subscribe-no-local"
                                prop:checked=move || options.with(|o| o.no_local)
                                on:change=move |ev| {
                                    options.update(|o| o.no_local = event_target_checked(&ev))
                                }
                            />
                            <span>"No local"</span>
                        </label>
                        <label
                            class="check"
                            title="Keep the RETAIN flag as the publisher set it, also on live messages"
                        >
                            <input
                                type="checkbox"
                                data-testid="subscribe-retain-as-published"
                                prop:checked=move || options.with(|o| o.retain_as_published)
                                on:change=move |ev| {
                                    options
                                        .update(|o| {
                                            o.retain_as_published = event_target_checked(&ev);
                                        })
                                }
                            />
                            <span>"Retain as published"</span>
                        </label>
                        <label>
                            <span>"Retained messages"</span>
                            <select
                                data-testid="subscribe-retain-handling"
                                prop:value=move || options.with(|o| o.retain_handling.to_string())
                                on:change=move |ev| {
                                    let value = event_target_value(&ev).parse().unwrap_or(0);
                                    options.update(|o| o.retain_handling = value)
                                }
                            >
                                <option value="0">"send at every subscribe"</option>
                                <option value="1">"send if the subscription is new"</option>
                                <option value="2">"do not send"</option>
                            </select>
                        </label>
                        <label>
                            <span>"Subscription identifier"</span>
                            <input
                                type="text"
                                data-testid="subscribe-identifier"
                                placeholder="1–268435455, comes back on matches"
                                prop:value=move || options.with(|o| o.identifier.clone())
                                on:input=move |ev| {
                                    options.update(|o| o.identifier = event_target_value(&ev))
                                }
                            />
                        </label>
                    </div>
                </details>
            </Show>
            {move || {
                filter
                    .with(|f| shared_subscription_hint(f))
                    .map(|hint| {
                        view! {
                            <p class="hint" data-testid="shared-hint">
                                {hint}
                            </p>
                        }
                    })
            }}
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
                            SubState::Refused(code) => {
                                (format!("refused: {}", code.name()), "badge refused")
                            }
                        };
                        let title = match row.state {
                            SubState::Refused(code) => code.to_string(),
                            _ => String::new(),
                        };
                        let filter = row.filter.clone();
                        view! {
                            <li data-testid="subscription" data-state=class>
                                <code class="filter">{row.filter.clone()}</code>
                                <span class=class title=title>
                                    {badge}
                                </span>
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
