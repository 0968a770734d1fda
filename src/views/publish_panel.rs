//! The client view's publish panel: topic, payload, QoS, retain and MQTT 5 properties;
//! clear a retained message; repeat, history and snippets (`publish_tools`).

use leptos::prelude::*;
use mqtt_session::{PublishProperties, QoS};

use super::client_state::ClientState;
use super::property_fields::{is_v5, message_fields, PUBLISH_IDS};
use super::publish_tools::{HistoryList, RepeatControls, SnippetsView};
use super::QosSelect;
use crate::state::client::PublishState;
use crate::state::properties::MessageFields;
use crate::state::publish_tools::Draft;

/// The publish form's fields, as a `Copy` handle for the panel's tools.
#[derive(Clone, Copy)]
pub struct PublishForm {
    pub topic: RwSignal<String>,
    pub payload: RwSignal<String>,
    pub qos: RwSignal<QoS>,
    pub retain: RwSignal<bool>,
    pub properties: RwSignal<MessageFields>,
}

impl PublishForm {
    fn new() -> Self {
        Self {
            topic: RwSignal::new("sensor/temperature".to_string()),
            payload: RwSignal::new("21.5".to_string()),
            qos: RwSignal::new(QoS::AtMostOnce),
            retain: RwSignal::new(false),
            properties: RwSignal::new(MessageFields::default()),
        }
    }

    /// The form as it stands.
    pub fn draft(&self) -> Draft {
        Draft {
            topic: self.topic.get_untracked().trim().to_string(),
            payload: self.payload.get_untracked(),
            qos: self.qos.get_untracked(),
            retain: self.retain.get_untracked(),
            properties: self.properties.get_untracked(),
        }
    }

    /// Refills the form (a history line, a snippet).
    pub fn fill(&self, draft: &Draft) {
        self.topic.set(draft.topic.clone());
        self.payload.set(draft.payload.clone());
        self.qos.set(draft.qos);
        self.retain.set(draft.retain);
        self.properties.set(draft.properties.clone());
    }
}

/// Publishes `draft` from the client view (its properties only under MQTT 5) and adds it
/// to the history; the error as a sentence.
pub fn publish_draft(state: ClientState, draft: &Draft, v5: bool) -> Result<(), String> {
    publish_draft_quietly(state, draft, v5)?;
    notify_history(state);
    Ok(())
}

/// [`publish_draft`] for a run of many: the history records the publish without telling its
/// views, which the run does at each turn it gives the page ([`notify_history`]). Telling
/// them per message cost a repeat ~20 % of its rate (a notify clones the signal's
/// subscriber set and checks each memo).
pub fn publish_draft_quietly(state: ClientState, draft: &Draft, v5: bool) -> Result<(), String> {
    let properties = if v5 {
        draft
            .properties
            .to_properties()
            .map_err(|e| e.to_string())?
    } else {
        PublishProperties::default()
    };
    state
        .publish_with(
            &draft.topic,
            draft.payload.clone().into_bytes(),
            draft.qos,
            draft.retain,
            properties,
        )
        .map_err(|e| e.to_string())?;
    state.history.try_update_untracked(|h| h.record(draft));
    Ok(())
}

/// Lets the history's views catch up with what [`publish_draft_quietly`] recorded.
pub fn notify_history(state: ClientState) {
    state.history.notify();
}

/// Topic, payload, QoS and retain; publishes on submit (Ctrl+Enter in the payload).
#[component]
pub fn PublishPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let form = PublishForm::new();
    let PublishForm {
        topic,
        payload,
        qos,
        retain,
        properties: fields,
    } = form;
    let error = RwSignal::new(None::<String>);
    let v5 = is_v5();

    let publish = move || {
        let result = publish_draft(state, &form.draft(), v5());
        error.set(result.err());
    };
    // An empty retained message removes the topic's retained message [MQTT-3.3.1-10].
    let clear_retained = move || {
        let draft = Draft {
            payload: String::new(),
            retain: true,
            properties: MessageFields::default(),
            ..form.draft()
        };
        let result = if draft.topic.is_empty() {
            Err("type the topic whose retained message should go".to_string())
        } else {
            publish_draft(state, &draft, v5())
        };
        error.set(result.err());
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
                <div class="row">
                    <span class="grow"></span>
                    <button
                        type="button"
                        class="link"
                        data-testid="publish-clear-retained"
                        title="Publishes an empty retained message to this topic: the broker forgets the one it kept"
                        on:click=move |_| clear_retained()
                    >
                        "Clear this topic's retained message"
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
            <RepeatControls form=form error=error />
            <HistoryList form=form />
            <SnippetsView form=form />
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
