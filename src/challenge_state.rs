//! The challenge view's state: signals derived from the challenge run's events.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use challenge::{ChallengeEvent, CommandCounts, Phase};
use gloo_timers::callback::Interval;
use leptos::prelude::*;

use crate::challenge_run::{ChallengeRun, RunUpdate};
use crate::live_log::LiveLog;
use crate::log::Direction;
use crate::ui::log_update;

/// The stepper's steps, with the phase that starts each.
pub const STEPS: [(&str, &str); 6] = [
    ("Connect", "connecting"),
    ("Subscribe <user id>/UUID", "subscribing-uuid"),
    ("Log in", "logging-in"),
    ("Unique id", "awaiting-unique-id"),
    ("Commands", "awaiting-commands"),
    ("Well done my IoT!", "done"),
];

/// The `data-state` of the phase banner; `idle` before any run.
pub fn phase_slug(phase: &Option<Phase>) -> &'static str {
    match phase {
        None => "idle",
        Some(Phase::Connecting) => "connecting",
        Some(Phase::SubscribingUuid) => "subscribing-uuid",
        Some(Phase::LoggingIn) => "logging-in",
        Some(Phase::AwaitingUniqueId) => "awaiting-unique-id",
        Some(Phase::AwaitingCommands) => "awaiting-commands",
        Some(Phase::ReceivingCommands) => "receiving-commands",
        Some(Phase::Done) => "done",
        Some(Phase::Failed(_)) => "failed",
    }
}

fn step_of(phase: &Phase) -> usize {
    match phase {
        Phase::Connecting => 0,
        Phase::SubscribingUuid => 1,
        Phase::LoggingIn => 2,
        Phase::AwaitingUniqueId => 3,
        Phase::AwaitingCommands | Phase::ReceivingCommands => 4,
        Phase::Done => 6,
        Phase::Failed(_) => usize::MAX,
    }
}

/// Counters shown in the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub commands_received: CommandCounts,
    pub replies_sent: u32,
    pub replies_acknowledged: u32,
}

/// Reply latencies: command received → reply acknowledged (QoS 1/2) or sent (QoS 0).
#[derive(Default)]
struct Latency {
    awaiting_reply: VecDeque<f64>,
    awaiting_ack: HashMap<u16, f64>,
    samples: Vec<f64>,
}

/// Everything the challenge view shows, as a `Copy` context (it outlives the view, so a
/// run goes on while the user looks at another view).
#[derive(Clone, Copy)]
pub struct ChallengeState {
    pub log: LiveLog,
    pub run: StoredValue<Option<ChallengeRun>, LocalStorage>,
    pub running: RwSignal<bool>,
    pub stopped_by_user: RwSignal<bool>,
    pub phase: RwSignal<Option<Phase>>,
    pub stats: RwSignal<Counters>,
    step: RwSignal<usize>,
    step_started: RwSignal<[Option<f64>; 7]>,
    started_at: RwSignal<Option<f64>>,
    ended_at: RwSignal<Option<f64>>,
    clock: RwSignal<f64>,
    ticker: StoredValue<Option<Interval>, LocalStorage>,
    latency: StoredValue<RefCell<Latency>, LocalStorage>,
    latency_summary: RwSignal<Option<(f64, f64, usize)>>,
    first_command_at: RwSignal<Option<f64>>,
    done_at: RwSignal<Option<f64>>,
}

fn page_now() -> f64 {
    crate::client::now().as_millis() as f64
}

impl ChallengeState {
    pub fn new() -> Self {
        Self {
            log: LiveLog::new(),
            run: StoredValue::new_local(None),
            running: RwSignal::new(false),
            stopped_by_user: RwSignal::new(false),
            phase: RwSignal::new(None),
            stats: RwSignal::new(Counters::default()),
            step: RwSignal::new(0),
            step_started: RwSignal::new([None; 7]),
            started_at: RwSignal::new(None),
            ended_at: RwSignal::new(None),
            clock: RwSignal::new(0.0),
            ticker: StoredValue::new_local(None),
            latency: StoredValue::new_local(RefCell::new(Latency::default())),
            latency_summary: RwSignal::new(None),
            first_command_at: RwSignal::new(None),
            done_at: RwSignal::new(None),
        }
    }

    /// Clears the previous run and starts the elapsed-time ticker.
    pub fn reset(&self) {
        if let Some(run) = self.run.get_value() {
            run.stop();
        }
        self.log.clear();
        self.stopped_by_user.set(false);
        self.phase.set(Some(Phase::Connecting));
        self.stats.set(Counters::default());
        self.step.set(0);
        let now = page_now();
        self.step_started
            .set([Some(now), None, None, None, None, None, None]);
        self.started_at.set(Some(now));
        self.ended_at.set(None);
        self.clock.set(now);
        self.latency
            .with_value(|l| *l.borrow_mut() = Latency::default());
        self.latency_summary.set(None);
        self.first_command_at.set(None);
        self.done_at.set(None);
        let clock = self.clock;
        self.ticker.set_value(Some(Interval::new(100, move || {
            clock.try_set(page_now());
        })));
    }

    /// The run could not even start (bad URL, bad user id).
    pub fn fail_to_start(&self, reason: String) {
        self.ticker.set_value(None);
        self.running.set(false);
        self.ended_at.set(Some(page_now()));
        self.log.note(Direction::Error, reason);
        self.phase.set(None);
    }

    /// Applies one update of the run.
    pub fn apply(&self, update: RunUpdate) {
        log_update(self.log, &update);
        let RunUpdate::Challenge(event) = update else {
            return;
        };
        match event {
            ChallengeEvent::PhaseChanged { at, phase } => {
                let at = at.as_millis() as f64;
                let step = step_of(&phase);
                if step != usize::MAX {
                    self.step_started.update(|s| {
                        for slot in s
                            .iter_mut()
                            .take(step.min(6) + 1)
                            .skip(self.step.get_untracked() + 1)
                        {
                            slot.get_or_insert(at);
                        }
                    });
                    self.step.set(step);
                }
                if phase == Phase::Done {
                    self.done_at.set(Some(at));
                }
                if phase.is_over() {
                    self.running.set(false);
                    self.ended_at.set(Some(at));
                    self.ticker.set_value(None);
                }
                self.phase.set(Some(phase));
            }
            ChallengeEvent::CommandReceived { at, command } => {
                if self.first_command_at.get_untracked().is_none() {
                    self.first_command_at.set(Some(at.as_millis() as f64));
                }
                self.stats.update(|s| s.commands_received.add(command));
                self.latency.with_value(|l| {
                    l.borrow_mut()
                        .awaiting_reply
                        .push_back(at.as_millis() as f64)
                });
            }
            ChallengeEvent::ReplySent { at, pkid, .. } => {
                self.stats.update(|s| s.replies_sent += 1);
                self.latency.with_value(|l| {
                    let mut l = l.borrow_mut();
                    if let Some(received) = l.awaiting_reply.pop_front() {
                        match pkid {
                            Some(pkid) => {
                                l.awaiting_ack.insert(pkid, received);
                            }
                            None => l.samples.push(at.as_millis() as f64 - received),
                        }
                    }
                });
                self.summarize_latency();
            }
            ChallengeEvent::ReplyAcknowledged { at, pkid, .. } => {
                self.stats.update(|s| s.replies_acknowledged += 1);
                self.latency.with_value(|l| {
                    let mut l = l.borrow_mut();
                    if let Some(received) = l.awaiting_ack.remove(&pkid) {
                        l.samples.push(at.as_millis() as f64 - received);
                    }
                });
                self.summarize_latency();
            }
            _ => {}
        }
    }

    fn summarize_latency(&self) {
        let summary = self.latency.with_value(|l| {
            let mut samples = l.borrow().samples.clone();
            if samples.is_empty() {
                return None;
            }
            samples.sort_by(f64::total_cmp);
            let median = samples[samples.len() / 2];
            let worst = samples[samples.len() - 1];
            Some((median, worst, samples.len()))
        });
        self.latency_summary.set(summary);
    }

    /// The banner's sentence.
    pub fn phase_text(&self) -> String {
        self.phase.with(|phase| match phase {
            None => "Not started. Enter a user id and press Start.".to_string(),
            Some(Phase::Failed(_)) if self.stopped_by_user.get() => "Stopped.".to_string(),
            Some(Phase::Failed(failure)) => format!("Failed: {failure}"),
            Some(Phase::Done) => format!(
                "Done: “Well done my IoT!” after {} commands.",
                self.stats.with(|s| s.commands_received.total())
            ),
            Some(Phase::Connecting) => "Connecting to the broker…".to_string(),
            Some(Phase::SubscribingUuid) => {
                "Subscribing to <user id>/UUID before logging in…".to_string()
            }
            Some(Phase::LoggingIn) => "Publishing the user id on 'login'…".to_string(),
            Some(Phase::AwaitingUniqueId) => "Waiting for the unique id…".to_string(),
            Some(Phase::AwaitingCommands) => {
                "Unique id received; commands start in about 3 s…".to_string()
            }
            Some(Phase::ReceivingCommands) => "Answering commands…".to_string(),
        })
    }

    /// `done`, `active`, `failed` or `todo` for step `i`.
    pub fn step_class(&self, i: usize) -> &'static str {
        let current = self.step.get();
        let failed = self.phase.with(|p| matches!(p, Some(Phase::Failed(_))));
        let started = self.phase.with(Option::is_some);
        match i.cmp(&current) {
            _ if !started => "todo",
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal if failed => "failed",
            std::cmp::Ordering::Equal if i == STEPS.len() - 1 => "done",
            std::cmp::Ordering::Equal => "active",
            std::cmp::Ordering::Greater if current >= STEPS.len() => "done",
            std::cmp::Ordering::Greater => "todo",
        }
    }

    /// When step `i` started, relative to Start.
    pub fn step_time(&self, i: usize) -> String {
        let start = self.started_at.get();
        let at = self.step_started.with(|s| s.get(i).copied().flatten());
        match (start, at) {
            (Some(start), Some(at)) => format!("+{:.2} s", (at - start) / 1000.0),
            _ => String::new(),
        }
    }

    pub fn elapsed_text(&self) -> String {
        match self.started_at.get() {
            None => "–".to_string(),
            Some(start) => {
                let end = self.ended_at.get().unwrap_or_else(|| self.clock.get());
                format!("{:.1} s", (end - start).max(0.0) / 1000.0)
            }
        }
    }

    /// From the first command to the final message: how fast the commands were answered.
    pub fn commands_text(&self) -> String {
        match (self.first_command_at.get(), self.done_at.get()) {
            (Some(first), Some(done)) => format!("{:.0} ms", done - first),
            (Some(_), None) => "…".to_string(),
            _ => "–".to_string(),
        }
    }

    pub fn latency_text(&self) -> String {
        match self.latency_summary.get() {
            None => "–".to_string(),
            Some((median, worst, n)) => {
                format!("median {median:.0} ms · worst {worst:.0} ms ({n} replies)")
            }
        }
    }
}

impl Default for ChallengeState {
    fn default() -> Self {
        Self::new()
    }
}
