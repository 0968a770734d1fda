use leptos::prelude::*;
use mqtt_session::{PublishProperties, QoS};

use super::client_state::ClientState;
use super::property_fields::{is_v5, message_fields, PUBLISH_IDS};
use super::QosSelect;
use crate::state::client::PublishState;
use crate::state::properties::MessageFields;

/// Topic, payload, QoS and retain; publishes on submit (Ctrl+Enter in the payload).
#[component]
pub fn PublishPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let topic = RwSignal::new("sensor/temperature".to_string());
    let payload = RwSignal::new("21.5".to_string());
    let qos = RwSignal::new(QoS::AtMostOnce);
    let retain = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let fields = RwSignal::new(MessageFields::default());
    let v5 = is_v5();

    let publish = move || {
        let properties = if v5() {
            match fields.with_untracked(MessageFields::to_properties) {
                Ok(properties) => properties,
                Err(e) => return error.set(Some(e.to_string())),
            }
        } else {
            PublishProperties::default()
        };
        let result = state.publish_with(
            topic.get_untracked().trim(),
            payload.get_untracked().into_bytes(),
            qos.get_untracked(),
            retain.get_untracked(),
            properties,
        );
        error.set(result.err().map(|e| e.to_string()));
    };
    let outcome = move || state.model.with(|m| m.last_publish.clone());

    view! {
        <section class="panel publish">
            <h2>"Publish"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                publish()
            }>
                <input
                    type="text"
                    data-testid="publish-topic"
                    spellcheck="false"
                    placeholder="topic"
                    bind:value=topic
                />
                <textarea
                    data-testid="publish-payload"
                    rows="3"
                    spellcheck="false"
                    placeholder="payload"
                    prop:value=move || payload.get()
                    on:input=move |ev| payload.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            publish();
                        }
                    }
                ></textarea>
                <Show when=v5>
                    <details class="options" data-testid="publish-properties">
                        <summary>"MQTT 5 properties"</summary>
                        {message_fields(fields, PUBLISH_IDS)}
                    </details>
                </Show>
                <div class="row">
                    <QosSelect value=qos testid="publish-qos" />
                    <label class="check">
                        <input type="checkbox" data-testid="publish-retain" bind:checked=retain />
                        <span>"Retain"</span>
                    </label>
                    <span class="grow"></span>
                    <button type="submit" class="primary" data-testid="publish-button">
                        "Publish"
                    </button>
                </div>
            </form>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            {move || {
                outcome()
                    .map(|last| {
                        let state = match last.state {
                            PublishState::SentAtMostOnce => "sent",
                            PublishState::Awaiting => "awaiting",
                            PublishState::Delivered(_) => "delivered",
                            PublishState::Refused(_) => "refused",
                            PublishState::Queued => "queued",
                        };
                        view! {
                            <p
                                class=format!("publish-outcome {state}")
                                data-testid="publish-outcome"
                                data-state=state
                                role="status"
                            >
                                {last.text()}
                            </p>
                        }
                    })
            }}
            <Show when=move || state.model.with(|m| !m.abandoned.is_empty())>
                <div class="row abandoned form-error" role="alert">
                    <span class="grow">
                        <b data-testid="abandoned-count">
                            {move || state.model.with(|m| m.abandoned.len())}
                        </b>
                        " messages were abandoned: the broker kept no session for them (see the log)."
                    </span>
                    <button
                        type="button"
                        data-testid="abandoned-resend"
                        on:click=move |_| state.resend_abandoned()
                    >
                        "Send again"
                    </button>
                    <button
                        type="button"
                        data-testid="abandoned-dismiss"
                        on:click=move |_| state.dismiss_abandoned()
                    >
                        "Dismiss"
                    </button>
                </div>
            </Show>
            <div
                class="row queue hint"
                title="Messages published while the connection is down wait here and go out when it is back (at most 1,000 messages or 1 MiB)."
            >
                <span class="grow">
                    "Offline queue: "
                    <b data-testid="offline-queue-count">
                        {move || state.model.with(|m| m.queue.len())}
                    </b>
                </span>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="offline-queue-qos0"
                        prop:checked=move || state.model.with(|m| m.queue.at_most_once_too)
                        on:change=move |ev| state.set_queue_at_most_once(event_target_checked(&ev))
                    />
                    <span>"queue QoS 0 too"</span>
                </label>
                <button
                    type="button"
                    data-testid="offline-queue-drop"
                    disabled=move || state.model.with(|m| m.queue.is_empty())
                    on:click=move |_| state.drop_queue()
                >
                    "Drop"
                </button>
            </div>
        </section>
    }
}
