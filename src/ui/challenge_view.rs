//! The IoT challenge: settings, Start/Stop, the phases as a stepper, counters, timing and
//! the session's traffic. Everything shown is derived from the challenge state machine's
//! events (see [`crate::challenge_run`]).

use challenge::{ChallengeEvent, ClientConfig, Command, Phase};
use leptos::prelude::*;
use mqtt_session::QoS;

use super::{LogView, QosSelect};
use crate::challenge_run::{ChallengeRun, RunUpdate};
use crate::challenge_state::{phase_slug, ChallengeState, STEPS};
use crate::live_log::LiveLog;
use crate::log::{Body, Direction};
use crate::prefs::{random_client_id, BrokerFields, BrokerPrefs};

/// The challenge view.
#[component]
pub fn ChallengeView() -> impl IntoView {
    let prefs = expect_context::<BrokerPrefs>();
    let state = expect_context::<ChallengeState>();
    let user_id = RwSignal::new("12345".to_string());
    let qos = RwSignal::new(QoS::AtLeastOnce);
    let error = RwSignal::new(None::<String>);

    let start = move || {
        state.reset();
        let mut config = ClientConfig::new(user_id.get_untracked().trim());
        config.qos = qos.get_untracked();
        let settings = prefs.settings(random_client_id("challenge"), 30, true);
        state.log.note(
            Direction::Info,
            format!(
                "connecting to {} for user id {}",
                settings.url.trim(),
                config.user_id
            ),
        );
        match ChallengeRun::start(&settings, config, move |update| state.apply(update)) {
            Ok(run) => {
                state.run.set_value(Some(run));
                state.running.set(true);
                error.set(None);
            }
            Err(e) => {
                state.fail_to_start(e.clone());
                error.set(Some(e));
            }
        }
    };
    let stop = move || {
        state.stopped_by_user.set(true);
        if let Some(run) = state.run.get_value() {
            run.stop();
        }
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
                <form on:submit=move |ev| { ev.prevent_default(); if !state.running.get_untracked() { start() } }>
                    <BrokerFields />
                    <label>
                        <span>"User id"</span>
                        <input type="text" data-testid="challenge-user-id" spellcheck="false" bind:value=user_id />
                    </label>
                    <label>
                        <span>"QoS of every publish"</span>
                        <QosSelect value=qos testid="challenge-qos" />
                    </label>
                    <div class="actions">
                        <button type="submit" class="primary" data-testid="challenge-start"
                            disabled=move || state.running.get()>"Start"</button>
                        <button type="button" data-testid="challenge-stop"
                            disabled=move || !state.running.get() on:click=move |_| stop()>"Stop"</button>
                    </div>
                </form>
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">{move || error.get().unwrap_or_default()}</p>
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
    let phase_text = move || state.phase_text();
    view! {
        <section class="panel progress">
            <p class="phase" data-testid="challenge-phase" data-state=move || state.phase.with(phase_slug)>
                {phase_text}
            </p>
            <ol class="stepper">
                {STEPS.iter().enumerate().map(|(i, (label, _))| {
                    let class = move || state.step_class(i);
                    let time = move || state.step_time(i);
                    view! { <li class=class><span class="label">{*label}</span><span class="time">{time}</span></li> }
                }).collect_view()}
            </ol>
            <dl class="figures">
                <dt>"Replies sent"</dt>
                <dd data-testid="challenge-replies">{move || state.stats.with(|s| s.replies_sent)}</dd>
                <dt>"Acknowledged"</dt>
                <dd data-testid="challenge-acks">{move || state.stats.with(|s| s.replies_acknowledged)}</dd>
                <dt>"Elapsed"</dt>
                <dd>{move || state.elapsed_text()}</dd>
                <dt>"First command → final message"</dt>
                <dd data-testid="challenge-commands-time">{move || state.commands_text()}</dd>
                <dt>"Reply latency"</dt>
                <dd data-testid="challenge-latency">{move || state.latency_text()}</dd>
            </dl>
            <table class="counts">
                <thead><tr><th>"Command"</th><th>"Reply"</th><th>"Received"</th></tr></thead>
                <tbody>
                    {Command::ALL.iter().map(|&command| view! {
                        <tr>
                            <td>{command.name()}</td>
                            <td>{command.reply()}</td>
                            <td class="num">{move || state.stats.with(|s| s.commands_received.get(command))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Turns one run update into log lines (the counters come from `ChallengeState::apply`).
pub fn log_update(log: LiveLog, update: &RunUpdate) {
    match update {
        RunUpdate::Session(mqtt_session::Event::Message(m)) => log.push(
            Direction::In,
            Body::Message {
                topic: m.topic.clone(),
                qos: m.qos,
                retain: m.retain,
                payload: m.payload.clone(),
            },
        ),
        RunUpdate::Published {
            topic,
            payload,
            qos,
        } => log.push(
            Direction::Out,
            Body::Message {
                topic: topic.clone(),
                qos: *qos,
                retain: false,
                payload: payload.clone().into_bytes().into(),
            },
        ),
        RunUpdate::Challenge(ChallengeEvent::PhaseChanged { phase, .. }) => match phase {
            Phase::Failed(failure) => log.note(Direction::Error, format!("failed: {failure}")),
            other => log.note(
                Direction::Info,
                format!("phase: {}", phase_slug(&Some(other.clone()))),
            ),
        },
        RunUpdate::Challenge(ChallengeEvent::Warning { warning, .. }) => {
            log.note(Direction::Error, format!("warning: {warning}"))
        }
        RunUpdate::Challenge(ChallengeEvent::UniqueIdReceived { unique_id, .. }) => {
            log.note(Direction::Info, format!("unique id: {unique_id}"))
        }
        _ => {}
    }
}
