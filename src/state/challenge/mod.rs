//! The challenge view's state as plain Rust: the phase, counters, timing and reply
//! latencies of one run, and the one reducer that turns the run's updates into them and
//! into log lines. The stepper's position and whether a run is going on are derived from
//! the phase, never stored beside it.
//!
//! Times are the page clock's milliseconds (the same clock the run's events carry).
//!
//! A run lives through lost connections: the phase stays as it was while the page
//! reconnects, and the connection line (`challenge-connection`) says what is going on.

use std::collections::{HashMap, VecDeque};

use challenge::{ChallengeEvent, CommandCounts, Phase};
use mqtt_session::Event;

mod connection;
mod steps;

pub use connection::{client_id, connection_slug, Connection};
use steps::step_of;
pub use steps::{phase_slug, STEPS};

use super::log::{Body, Direction, LogSink};
use crate::driver::challenge_run::{ConnectionUpdate, RunUpdate};

/// Counters shown in the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub commands_received: CommandCounts,
    pub replies_sent: u32,
    pub replies_acknowledged: u32,
}

/// Reply latencies: command received → reply acknowledged (QoS 1/2) or sent (QoS 0).
#[derive(Debug, Clone, Default, PartialEq)]
struct Latency {
    awaiting_reply: VecDeque<f64>,
    awaiting_ack: HashMap<u16, f64>,
    /// Kept sorted, so the summary is a lookup.
    samples: Vec<f64>,
}

impl Latency {
    fn add(&mut self, sample: f64) {
        let at = self.samples.partition_point(|s| *s <= sample);
        self.samples.insert(at, sample);
    }
}

/// One challenge run as the view shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChallengeModel {
    phase: Option<Phase>,
    stopped_by_user: bool,
    pub stats: Counters,
    step_started: [Option<f64>; STEPS.len()],
    started_at: Option<f64>,
    ended_at: Option<f64>,
    latency: Latency,
    first_command_at: Option<f64>,
    done_at: Option<f64>,
    connection: Connection,
    /// Connections lost during the run (and lived through, unless it ended there).
    drops: u32,
}

impl ChallengeModel {
    pub fn new() -> Self {
        Self::default()
    }

    // ----- inputs -----

    /// A new run starts at `now`: everything of the previous one is forgotten.
    pub fn start(&mut self, now: f64) {
        *self = Self {
            phase: Some(Phase::Connecting),
            started_at: Some(now),
            connection: Connection::Connecting,
            ..Self::default()
        };
        self.step_started[0] = Some(now);
    }

    /// The run could not even start (bad URL, bad user id).
    pub fn fail_to_start(&mut self, now: f64, reason: &str, log: &mut impl LogSink) {
        self.phase = None;
        self.ended_at = Some(now);
        log.note(Direction::Error, reason);
    }

    /// The user pressed Stop: the failure that follows is shown as "Stopped.".
    pub fn stop_requested(&mut self) {
        self.stopped_by_user = true;
    }

    /// Applies one update of the run: counters and timing, and its log lines.
    pub fn apply(&mut self, update: RunUpdate, log: &mut impl LogSink) {
        match update {
            RunUpdate::Session(Event::Message(m)) => log.push(
                Direction::In,
                Body::Message {
                    topic: m.topic,
                    qos: m.qos,
                    retain: m.retain,
                    payload: m.payload,
                    properties: (!m.properties.is_empty()).then(|| Box::new(m.properties)),
                },
            ),
            RunUpdate::Session(Event::Connected { session_present }) => {
                if self.drops > 0 {
                    let kept = if session_present {
                        "the broker kept the session"
                    } else {
                        "the broker kept no session"
                    };
                    log.note(Direction::Info, format!("connected again: {kept}"));
                }
                self.connection = Connection::Connected { session_present };
            }
            RunUpdate::Session(_) => {}
            RunUpdate::Connection(update) => self.on_connection(update, log),
            RunUpdate::Published {
                topic,
                payload,
                qos,
            } => log.push(
                Direction::Out,
                Body::Message {
                    topic,
                    qos,
                    retain: false,
                    payload: payload.into_bytes().into(),
                    properties: None,
                },
            ),
            RunUpdate::Challenge(event) => self.on_challenge_event(event, log),
        }
    }

    fn on_connection(&mut self, update: ConnectionUpdate, log: &mut impl LogSink) {
        match update {
            ConnectionUpdate::Reconnecting { retry, at, reason } => {
                if !self.is_running() {
                    return; // The run is over; its client is on its way out.
                }
                if matches!(self.connection, Connection::Connected { .. }) {
                    self.drops += 1;
                    log.note(
                        Direction::Error,
                        format!("connection lost: {reason}; reconnecting, the challenge keeps its phase"),
                    );
                } else if retry > 1 {
                    log.note(
                        Direction::Error,
                        format!("retry {} failed: {reason}", retry - 1),
                    );
                }
                let at = at.as_millis() as f64;
                let reason = reason.to_string();
                self.connection = Connection::Reconnecting { retry, at, reason };
            }
            ConnectionUpdate::Ended(_) => self.connection = Connection::Closed,
        }
    }

    fn on_challenge_event(&mut self, event: ChallengeEvent, log: &mut impl LogSink) {
        match event {
            ChallengeEvent::PhaseChanged { at, phase } => {
                let at = at.as_millis() as f64;
                match &phase {
                    Phase::Failed(failure) => {
                        log.note(Direction::Error, format!("failed: {failure}"))
                    }
                    other => log.note(
                        Direction::Info,
                        format!("phase: {}", phase_slug(Some(other))),
                    ),
                }
                if let Some(step) = step_of(&phase) {
                    let reached = step.min(STEPS.len() - 1);
                    for slot in self.step_started.iter_mut().take(reached + 1) {
                        slot.get_or_insert(at);
                    }
                }
                if phase == Phase::Done {
                    self.done_at = Some(at);
                }
                if phase.is_over() {
                    self.ended_at = Some(at);
                }
                self.phase = Some(phase);
            }
            ChallengeEvent::UniqueIdReceived { unique_id, .. } => {
                log.note(Direction::Info, format!("unique id: {unique_id}"))
            }
            ChallengeEvent::CommandReceived { at, command } => {
                let at = at.as_millis() as f64;
                self.first_command_at.get_or_insert(at);
                self.stats.commands_received.add(command);
                self.latency.awaiting_reply.push_back(at);
            }
            ChallengeEvent::ReplySent { at, pkid, .. } => {
                self.stats.replies_sent += 1;
                if let Some(received) = self.latency.awaiting_reply.pop_front() {
                    match pkid {
                        Some(pkid) => {
                            self.latency.awaiting_ack.insert(pkid, received);
                        }
                        None => self.latency.add(at.as_millis() as f64 - received),
                    }
                }
            }
            ChallengeEvent::ReplyAcknowledged { at, pkid, .. } => {
                self.stats.replies_acknowledged += 1;
                if let Some(received) = self.latency.awaiting_ack.remove(&pkid) {
                    self.latency.add(at.as_millis() as f64 - received);
                }
            }
            ChallengeEvent::Warning { warning, .. } => {
                log.note(Direction::Error, format!("warning: {warning}"))
            }
        }
    }

    // ----- what the view shows -----

    pub fn phase(&self) -> Option<&Phase> {
        self.phase.as_ref()
    }

    /// A run is going on: started and not over.
    pub fn is_running(&self) -> bool {
        self.phase.as_ref().is_some_and(|p| !p.is_over())
    }

    /// The current step: from the phase, or the last step started when it failed.
    fn step(&self) -> usize {
        match self.phase.as_ref().and_then(step_of) {
            Some(step) => step,
            None => self
                .step_started
                .iter()
                .rposition(Option::is_some)
                .unwrap_or(0),
        }
    }

    /// The banner's sentence.
    pub fn phase_text(&self) -> String {
        match &self.phase {
            None => "Not started. Enter a user id and press Start.".to_string(),
            Some(Phase::Failed(_)) if self.stopped_by_user => "Stopped.".to_string(),
            Some(Phase::Failed(failure)) => format!("Failed: {failure}"),
            Some(Phase::Done) => format!(
                "Done: “Well done my IoT!” after {} commands.",
                self.stats.commands_received.total()
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
        }
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The connection line's sentence at page time `now` (for the countdown).
    pub fn connection_text(&self, now: f64) -> String {
        let drops = match self.drops {
            1 => "1 drop".to_string(),
            n => format!("{n} drops"),
        };
        match &self.connection {
            Connection::Idle => "Not connected.".to_string(),
            Connection::Connecting => "Connecting…".to_string(),
            Connection::Connected { .. } if self.drops == 0 => "Connected.".to_string(),
            Connection::Connected {
                session_present: true,
            } => format!("Connected again after {drops}; the broker kept the session."),
            Connection::Connected {
                session_present: false,
            } => format!(
                "Connected again after {drops}; the broker kept no session, so the run subscribed again."
            ),
            Connection::Reconnecting { retry, at, reason } => {
                let when = if *at > now {
                    format!("in {:.0} s", ((at - now) / 1000.0).ceil())
                } else {
                    "now".to_string()
                };
                format!(
                    "Connection lost ({reason}). Reconnecting {when} (retry {retry}); the challenge keeps its phase."
                )
            }
            Connection::Closed => "Disconnected.".to_string(),
        }
    }

    /// `done`, `active`, `failed` or `todo` for step `i`.
    pub fn step_class(&self, i: usize) -> &'static str {
        let Some(phase) = &self.phase else {
            return "todo";
        };
        let current = self.step();
        match i.cmp(&current) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal if matches!(phase, Phase::Failed(_)) => "failed",
            std::cmp::Ordering::Equal => "active",
            std::cmp::Ordering::Greater => "todo",
        }
    }

    /// When step `i` started, relative to Start.
    pub fn step_time(&self, i: usize) -> String {
        match (self.started_at, self.step_started.get(i).copied().flatten()) {
            (Some(start), Some(at)) => format!("+{:.2} s", (at - start) / 1000.0),
            _ => String::new(),
        }
    }

    /// Time since Start, frozen when the run ends.
    pub fn elapsed_text(&self, now: f64) -> String {
        match self.started_at {
            None => "–".to_string(),
            Some(start) => {
                let end = self.ended_at.unwrap_or(now);
                format!("{:.1} s", (end - start).max(0.0) / 1000.0)
            }
        }
    }

    /// From the first command to the final message: how fast the commands were answered.
    pub fn commands_text(&self) -> String {
        match (self.first_command_at, self.done_at) {
            (Some(first), Some(done)) => format!("{:.0} ms", done - first),
            (Some(_), None) => "…".to_string(),
            _ => "–".to_string(),
        }
    }

    pub fn latency_text(&self) -> String {
        let samples = &self.latency.samples;
        match (samples.get(samples.len() / 2), samples.last()) {
            (Some(median), Some(worst)) => format!(
                "median {median:.0} ms · worst {worst:.0} ms ({} replies)",
                samples.len()
            ),
            _ => "–".to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
