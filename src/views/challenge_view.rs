//! The IoT challenge: settings, Start/Stop, the phases as a stepper, counters, timing and
//! the session's traffic. Everything shown is derived from the challenge state machine's
//! events by [`ChallengeModel`](crate::state::challenge::ChallengeModel).

use challenge::{ClientConfig, Command};
use leptos::prelude::*;
use mqtt_session::QoS;

use super::challenge_state::ChallengeState;
use super::prefs::{BrokerFields, BrokerPrefs};
use super::{LogView, QosSelect};
use crate::state::challenge::{client_id, connection_slug, phase_slug, STEPS};

/// The challenge view.
#[component]
pub fn ChallengeView() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let state = expect_context::<ChallengeState>();
    let user_id = RwSignal::new("12345".to_string());
    let qos = RwSignal::new(QoS::AtLeastOnce);
    let error = RwSignal::new(None::<String>);

    let running = move || state.model.with(|m| m.is_running());
    let start = move || {
        let mut config = ClientConfig::new(user_id.get_untracked().trim());
        config.qos = qos.get_untracked();
        // The run lives through dropped connections: one client id for all of the run's
        // connections and clean session 0, so the broker keeps its subscriptions and the
        // messages sent while it is away, and the session resends what was in flight.
        config.survive_drops = true;
        let suffix = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        let id = client_id(&config.user_id, suffix);
        let settings = prefs.settings(id, 30, false);
        let result = state.start(&settings, config);
        error.set(result.err().map(|e| e.to_string()));
    };

    view! {
        <div class="side">
            <section class="panel connect">
                <h2>"Challenge"</h2>
                <p class="hint intro">
                    "Log in with a user id, receive a unique id, answer every command "
                    "(CMD1 Apple, CMD2 Cat, CMD3 Dog, CMD4 Rat, CMD5 Boy, CMD6 Girl, CMD7 Toy) "
                    "until the broker says “Well done my IoT!”."
                </p>
                <form on:submit=move |ev| {
                    ev.prevent_default();
                    if !state.model.with_untracked(|m| m.is_running()) {
                        start()
                    }
                }>
                    <BrokerFields />
                    <label>
                        <span>"User id"</span>
                        <input
                            type="text"
                            data-testid="challenge-user-id"
                            spellcheck="false"
                            bind:value=user_id
                        />
                    </label>
                    <label>
                        <span>"QoS of every publish"</span>
                        <QosSelect value=qos testid="challenge-qos" />
                    </label>
                    <div class="actions">
                        <button
                            type="submit"
                            class="primary"
                            data-testid="challenge-start"
                            disabled=running
                        >
                            "Start"
                        </button>
                        <button
                            type="button"
                            data-testid="challenge-stop"
                            disabled=move || !running()
                            on:click=move |_| state.stop()
                        >
                            "Stop"
                        </button>
                    </div>
                </form>
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
            </section>
            <Progress />
        </div>
        <LogView log=state.log title="Challenge traffic" />
    }
}

/// Phase banner, stepper, counters and timing.
#[component]
fn Progress() -> impl IntoView {
    let state = expect_context::<ChallengeState>();
    let model = state.model;
    view! {
        <section class="panel progress">
            <p
                class="phase"
                data-testid="challenge-phase"
                data-state=move || model.with(|m| phase_slug(m.phase()))
            >
                {move || model.with(|m| m.phase_text())}
            </p>
            <p
                class="connection"
                data-testid="challenge-connection"
                data-state=move || model.with(|m| connection_slug(m.connection()))
            >
                {move || model.with(|m| m.connection_text(state.clock.get()))}
            </p>
            <ol class="stepper">
                {STEPS
                    .iter()
                    .enumerate()
                    .map(|(i, label)| {
                        let class = move || model.with(|m| m.step_class(i));
                        let time = move || model.with(|m| m.step_time(i));
                        view! {
                            <li class=class>
                                <span class="label">{*label}</span>
                                <span class="time">{time}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <dl class="figures">
                <dt>"Replies sent"</dt>
                <dd data-testid="challenge-replies">
                    {move || model.with(|m| m.stats.replies_sent)}
                </dd>
                <dt>"Acknowledged"</dt>
                <dd data-testid="challenge-acks">
                    {move || model.with(|m| m.stats.replies_acknowledged)}
                </dd>
                <dt>"Elapsed"</dt>
                <dd>{move || model.with(|m| m.elapsed_text(state.clock.get()))}</dd>
                <dt>"First command → final message"</dt>
                <dd data-testid="challenge-commands-time">
                    {move || model.with(|m| m.commands_text())}
                </dd>
                <dt>"Reply latency"</dt>
                <dd data-testid="challenge-latency">{move || model.with(|m| m.latency_text())}</dd>
            </dl>
            <table class="counts">
                <thead>
                    <tr>
                        <th>"Command"</th>
                        <th>"Reply"</th>
                        <th>"Received"</th>
                    </tr>
                </thead>
                <tbody>
                    {Command::ALL
                        .iter()
                        .map(|&command| {
                            view! {
                                <tr>
                                    <td>{command.name()}</td>
                                    <td>{command.reply()}</td>
                                    <td class="num">
                                        {move || {
                                            model.with(|m| m.stats.commands_received.get(command))
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
