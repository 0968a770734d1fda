//! Form fields for MQTT 5 properties and the last will, each bound to one field of a
//! plain struct from `state::properties` held in a signal; and the connection info panel.

use leptos::prelude::*;
use mqtt_session::ProtocolVersion;

use super::client_state::ClientState;
use super::prefs::BrokerPrefs;
use crate::state::connection::connection_info_rows;
use crate::state::properties::{ConnectFields, MessageFields, WillFields};

/// A labelled one-line text input bound to one field of `form`.
fn text_field<T: Send + Sync + 'static>(
    form: RwSignal<T>,
    label: &'static str,
    testid: &'static str,
    placeholder: &'static str,
    get: fn(&T) -> &String,
    set: fn(&mut T) -> &mut String,
) -> impl IntoView {
    view! {
        <label>
            <span>{label}</span>
            <input
                type="text"
                data-testid=testid
                spellcheck="false"
                placeholder=placeholder
                prop:value=move || form.with(|f| get(f).clone())
                on:input=move |ev| form.update(|f| *set(f) = event_target_value(&ev))
            />
        </label>
    }
}

/// A labelled multi-line input of `name=value` lines bound to one field of `form`.
fn user_properties_field<T: Send + Sync + 'static>(
    form: RwSignal<T>,
    testid: &'static str,
    get: fn(&T) -> &String,
    set: fn(&mut T) -> &mut String,
) -> impl IntoView {
    view! {
        <label class="wide">
            <span>"User properties"</span>
            <textarea
                rows="2"
                data-testid=testid
                spellcheck="false"
                placeholder="name=value, one per line"
                prop:value=move || form.with(|f| get(f).clone())
                on:input=move |ev| form.update(|f| *set(f) = event_target_value(&ev))
            ></textarea>
        </label>
    }
}

/// A checkbox bound to one field of `form`.
fn check_field<T: Send + Sync + 'static>(
    form: RwSignal<T>,
    label: &'static str,
    testid: &'static str,
    title: &'static str,
    get: fn(&T) -> bool,
    set: fn(&mut T) -> &mut bool,
) -> impl IntoView {
    view! {
        <label class="check" title=title>
            <input
                type="checkbox"
                data-testid=testid
                prop:checked=move || form.with(get)
                on:change=move |ev| form.update(|f| *set(f) = event_target_checked(&ev))
            />
            <span>{label}</span>
        </label>
    }
}

/// The properties of a message (publish panel, `prefix` = "publish"; last will,
/// `prefix` = "connect-will").
pub fn message_fields(form: RwSignal<MessageFields>, ids: MessageFieldIds) -> impl IntoView {
    view! {
        <div class="fields">
            {text_field(
                form,
                "Content type",
                ids.content_type,
                "e.g. application/json",
                |f| &f.content_type,
                |f| &mut f.content_type,
            )}
            {text_field(
                form,
                "Response topic",
                ids.response_topic,
                "where a reply should go",
                |f| &f.response_topic,
                |f| &mut f.response_topic,
            )}
            {text_field(
                form,
                "Correlation data",
                ids.correlation_data,
                "pairs a reply with its request",
                |f| &f.correlation_data,
                |f| &mut f.correlation_data,
            )}
            {text_field(
                form,
                "Message expiry (s)",
                ids.message_expiry,
                "kept for late subscribers",
                |f| &f.message_expiry,
                |f| &mut f.message_expiry,
            )}
            {check_field(
                form,
                "Payload is UTF-8 text",
                ids.utf8,
                "Payload format indicator 1: receivers may check the payload is valid UTF-8",
                |f| f.utf8,
                |f| &mut f.utf8,
            )}
            {user_properties_field(
                form,
                ids.user_properties,
                |f| &f.user_properties,
                |f| &mut f.user_properties,
            )}
        </div>
    }
}

/// The `data-testid`s of one set of message fields.
#[derive(Clone, Copy)]
pub struct MessageFieldIds {
    pub content_type: &'static str,
    pub response_topic: &'static str,
    pub correlation_data: &'static str,
    pub message_expiry: &'static str,
    pub utf8: &'static str,
    pub user_properties: &'static str,
}

pub const PUBLISH_IDS: MessageFieldIds = MessageFieldIds {
    content_type: "publish-content-type",
    response_topic: "publish-response-topic",
    correlation_data: "publish-correlation-data",
    message_expiry: "publish-message-expiry",
    utf8: "publish-payload-utf8",
    user_properties: "publish-user-properties",
};

const WILL_IDS: MessageFieldIds = MessageFieldIds {
    content_type: "connect-will-content-type",
    response_topic: "connect-will-response-topic",
    correlation_data: "connect-will-correlation-data",
    message_expiry: "connect-will-expiry",
    utf8: "connect-will-utf8",
    user_properties: "connect-will-user-properties",
};

/// Whether the broker settings say MQTT 5.
pub fn is_v5() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let prefs = expect_context::<BrokerPrefs>();
    move || prefs.protocol.get() == ProtocolVersion::V5
}

/// CONNECT's MQTT 5 properties, shown when the protocol is 5.
#[component]
pub fn ConnectV5Fields(form: RwSignal<ConnectFields>) -> impl IntoView {
    let v5 = is_v5();
    view! {
        <Show when=v5>
            <details class="wide options" data-testid="connect-v5-options">
                <summary>"MQTT 5 options"</summary>
                <div class="fields">
                    {text_field(
                        form,
                        "Session expiry (s)",
                        "connect-session-expiry",
                        "empty: 0 if clean, else never",
                        |f| &f.session_expiry,
                        |f| &mut f.session_expiry,
                    )}
                    {text_field(
                        form,
                        "Receive maximum",
                        "connect-receive-maximum",
                        "QoS 1/2 in flight to me (65535)",
                        |f| &f.receive_maximum,
                        |f| &mut f.receive_maximum,
                    )}
                    {text_field(
                        form,
                        "Topic alias maximum",
                        "connect-topic-alias-maximum",
                        "aliases the broker may use",
                        |f| &f.topic_alias_maximum,
                        |f| &mut f.topic_alias_maximum,
                    )}
                    {check_field(
                        form,
                        "Request problem information",
                        "connect-request-problem-info",
                        "Let the broker add reason strings to its acknowledgements",
                        |f| f.request_problem_information,
                        |f| &mut f.request_problem_information,
                    )}
                    {user_properties_field(
                        form,
                        "connect-user-properties",
                        |f| &f.user_properties,
                        |f| &mut f.user_properties,
                    )}
                </div>
            </details>
        </Show>
    }
}

/// The last will: published by the broker if this client vanishes without DISCONNECT.
#[component]
pub fn WillFieldsView(
    /// The will's topic, payload, QoS, retain and delay (its `message` is not read here).
    form: RwSignal<WillFields>,
    /// The will's MQTT 5 message properties (the shared message fields take a signal of
    /// their own).
    message: RwSignal<MessageFields>,
) -> impl IntoView {
    let v5 = is_v5();
    view! {
        <details class="wide options" data-testid="connect-will">
            <summary>"Last will"</summary>
            <div class="fields">
                {text_field(
                    form,
                    "Will topic",
                    "connect-will-topic",
                    "empty: no will",
                    |f| &f.topic,
                    |f| &mut f.topic,
                )}
                {text_field(
                    form,
                    "Will message",
                    "connect-will-payload",
                    "e.g. offline",
                    |f| &f.payload,
                    |f| &mut f.payload,
                )} <label>
                    <span>"Will QoS"</span>
                    <select
                        data-testid="connect-will-qos"
                        prop:value=move || form.with(|f| f.qos.to_string())
                        on:change=move |ev| {
                            let qos = event_target_value(&ev).parse().unwrap_or(0);
                            form.update(|f| f.qos = qos)
                        }
                    >
                        <option value="0">"0"</option>
                        <option value="1">"1"</option>
                        <option value="2">"2"</option>
                    </select>
                </label>
                {check_field(
                    form,
                    "Retain the will",
                    "connect-will-retain",
                    "Late subscribers see it too (e.g. an offline status)",
                    |f| f.retain,
                    |f| &mut f.retain,
                )}
                <Show when=v5>
                    {text_field(
                        form,
                        "Will delay (s)",
                        "connect-will-delay",
                        "wait before publishing it",
                        |f| &f.delay,
                        |f| &mut f.delay,
                    )} {message_fields(message, WILL_IDS)}
                </Show>
            </div>
        </details>
    }
}

/// What the broker said about this connection (CONNACK), while connected.
#[component]
pub fn ConnectionInfoView() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let rows = move || {
        state
            .model
            .with(|m| m.info.as_ref().map(connection_info_rows))
            .unwrap_or_default()
    };
    view! {
        <Show when=move || state.model.with(|m| m.info.is_some())>
            <details class="connection-info" data-testid="connection-info">
                <summary>"Connection (what the broker said in CONNACK)"</summary>
                <dl class="properties">
                    {move || {
                        rows()
                            .into_iter()
                            .map(|(name, value)| {
                                view! {
                                    <div data-testid="connection-info-row" data-name=name>
                                        <dt>{name}</dt>
                                        <dd>{value}</dd>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                </dl>
            </details>
        </Show>
    }
}
