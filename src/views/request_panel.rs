//! MQTT 5 request/response: publish a request with a response topic and correlation data,
//! subscribe to the response topic, and show each reply with its round-trip time.

use leptos::prelude::*;
use mqtt_session::QoS;

use super::client_state::ClientState;
use super::prefs::random_client_id;
use super::property_fields::is_v5;

#[component]
pub fn RequestPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let v5 = is_v5();
    let topic = RwSignal::new("playground-test/service/echo".to_string());
    let response_topic = RwSignal::new(format!("playground-test/reply/{}", random_client_id("rr")));
    let payload = RwSignal::new("ping".to_string());
    let error = RwSignal::new(None::<String>);
    let send = move || {
        let result = state.send_request(
            topic.get_untracked().trim(),
            response_topic.get_untracked().trim(),
            payload.get_untracked().into_bytes(),
            QoS::AtLeastOnce,
        );
        error.set(result.err().map(|e| e.to_string()));
    };
    let requests = state.requests;
    view! {
        <section class="panel request">
            <h2>"Request / response"</h2>
            <Show
                when=v5
                fallback=|| {
                    view! {
                        <p class="hint">
                            "Needs MQTT 5 (response topic and correlation data): choose version 5 in the broker settings."
                        </p>
                    }
                }
            >
                <form on:submit=move |ev| {
                    ev.prevent_default();
                    send()
                }>
                    <input
                        type="text"
                        data-testid="request-topic"
                        spellcheck="false"
                        placeholder="request topic"
                        bind:value=topic
                    />
                    <input
                        type="text"
                        data-testid="request-response-topic"
                        spellcheck="false"
                        placeholder="response topic (subscribed for you)"
                        bind:value=response_topic
                    />
                    <div class="row">
                        <input
                            type="text"
                            class="grow"
                            data-testid="request-payload"
                            spellcheck="false"
                            placeholder="request payload"
                            bind:value=payload
                        />
                        <button type="submit" data-testid="request-send">
                            "Send request"
                        </button>
                    </div>
                </form>
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
                <p class="hint" data-testid="request-waiting">
                    {move || {
                        requests
                            .with(|r| {
                                let mut text = format!("{} waiting for a reply", r.waiting());
                                if r.given_up > 0 {
                                    text.push_str(&format!(" · {} given up", r.given_up));
                                }
                                text
                            })
                    }}
                </p>
                <ul class="sub-list" data-testid="request-result">
                    {move || {
                        requests
                            .with(|r| {
                                r.results
                                    .iter()
                                    .rev()
                                    .map(|trip| {
                                        let text = format!(
                                            "{} → {}: '{}'",
                                            trip.request_topic,
                                            trip.response_topic,
                                            trip.reply,
                                        );
                                        view! {
                                            <li
                                                data-testid="request-reply"
                                                data-rtt-ms=trip.rtt_ms.to_string()
                                                data-correlation=trip.correlation.clone()
                                            >
                                                <span class="filter">{text}</span>
                                                <span class="badge granted">
                                                    {format!("{} ms", trip.rtt_ms)}
                                                </span>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            })
                    }}
                </ul>
            </Show>
        </section>
    }
}
