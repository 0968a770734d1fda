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

use super::log::{Body, Direction, LogSink};
use crate::driver::challenge_run::{ConnectionUpdate, RunUpdate};

/// The MQTT client id of a run for `user_id`: the user id (what a client id may hold of
/// it) and a random suffix, the same across the run's reconnects so the broker keeps its
/// session, different from one run to the next so no run inherits another's. The lab's
/// `/control/cut?client=challenge-<user id>-` reaches exactly the runs of one user.
pub fn client_id(user_id: &str, suffix: u32) -> String {
    let user: String = user_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    format!("challenge-{user}-{suffix:08x}")
}

/// The run's connection as the connection line shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Connection {
    /// No run yet.
    #[default]
    Idle,
    /// The run's first connection is being made.
    Connecting,
    /// CONNACK accepted; after a drop, whether the broker kept the session.
    Connected { session_present: bool },
    /// Lost; retry number `retry` is due at `at` (page clock, ms).
    Reconnecting { retry: u32, at: f64, reason: String },
    /// No more connections for this run.
    Closed,
}

/// The `data-state` of the connection line.
pub fn connection_slug(connection: &Connection) -> &'static str {
    match connection {
        Connection::Idle => "idle",
        Connection::Connecting => "connecting",
        Connection::Connected { .. } => "connected",
        Connection::Reconnecting { .. } => "reconnecting",
        Connection::Closed => "closed",
    }
}

/// The stepper's steps.
pub const STEPS: [&str; 6] = [
    "Connect",
    "Subscribe <user id>/UUID",
    "Log in",
    "Unique id",
    "Commands",
    "Well done my IoT!",
];

/// The `data-state` of the phase banner; `idle` before any run.
pub fn phase_slug(phase: Option<&Phase>) -> &'static str {
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

/// The step a phase is in; `STEPS.len()` once done; `None` for a failure (the step it
/// failed in is the last one started).
fn step_of(phase: &Phase) -> Option<usize> {
    Some(match phase {
        Phase::Connecting => 0,
        Phase::SubscribingUuid => 1,
        Phase::LoggingIn => 2,
        Phase::AwaitingUniqueId => 3,
        Phase::AwaitingCommands | Phase::ReceivingCommands => 4,
        Phase::Done => STEPS.len(),
        Phase::Failed(_) => return None,
    })
}

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
mod tests {
    use super::*;
    use challenge::{Command, Failure, Instant};
    use mqtt_session::CloseReason;

    type Log = Vec<(Direction, Body)>;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn phase(model: &mut ChallengeModel, ms: u64, phase: Phase) {
        let event = ChallengeEvent::PhaseChanged { at: at(ms), phase };
        model.apply(RunUpdate::Challenge(event), &mut Log::new());
    }

    #[test]
    fn the_step_and_running_follow_the_phase() {
        let mut model = ChallengeModel::new();
        assert!(!model.is_running());
        assert_eq!(model.step_class(0), "todo");
        model.start(1000.0);
        assert!(model.is_running());
        assert_eq!(model.step_class(0), "active");
        phase(&mut model, 1100, Phase::AwaitingUniqueId);
        assert_eq!(
            (0..4).map(|i| model.step_class(i)).collect::<Vec<_>>(),
            ["done", "done", "done", "active"]
        );
        // Skipped steps get the time the later phase started.
        assert_eq!(model.step_time(1), "+0.10 s");
        phase(&mut model, 1500, Phase::Done);
        assert!(!model.is_running());
        assert!((0..STEPS.len()).all(|i| model.step_class(i) == "done"));
        assert_eq!(model.elapsed_text(99_999.0), "0.5 s");
    }

    #[test]
    fn a_failure_marks_the_step_it_happened_in() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        phase(&mut model, 10, Phase::LoggingIn);
        phase(
            &mut model,
            20,
            Phase::Failed(Failure::Closed(CloseReason::ClientDisconnect)),
        );
        assert_eq!(model.step_class(1), "done");
        assert_eq!(model.step_class(2), "failed");
        assert_eq!(model.step_class(3), "todo");
        assert!(model.phase_text().starts_with("Failed: "));
    }

    #[test]
    fn a_stop_by_the_user_reads_stopped() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        model.stop_requested();
        phase(
            &mut model,
            5,
            Phase::Failed(Failure::Closed(CloseReason::ClientDisconnect)),
        );
        assert_eq!(model.phase_text(), "Stopped.");
    }

    #[test]
    fn latency_runs_from_command_to_ack_at_qos_1_and_to_send_at_qos_0() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        let mut log = Log::new();
        let mut event = |e| model.apply(RunUpdate::Challenge(e), &mut log);
        let command = Command::ALL[0];
        event(ChallengeEvent::CommandReceived {
            at: at(100),
            command,
        });
        event(ChallengeEvent::ReplySent {
            at: at(110),
            command,
            topic: "u/CMD1".into(),
            pkid: Some(7),
        });
        event(ChallengeEvent::ReplyAcknowledged {
            at: at(140),
            command,
            pkid: 7,
        });
        event(ChallengeEvent::CommandReceived {
            at: at(200),
            command,
        });
        event(ChallengeEvent::ReplySent {
            at: at(205),
            command,
            topic: "u/CMD1".into(),
            pkid: None,
        });
        assert_eq!(
            model.latency_text(),
            "median 40 ms · worst 40 ms (2 replies)"
        );
        assert_eq!(model.stats.replies_sent, 2);
        assert_eq!(model.stats.replies_acknowledged, 1);
        assert_eq!(model.commands_text(), "…");
    }

    #[test]
    fn a_new_start_forgets_the_previous_run() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        model.stop_requested();
        phase(
            &mut model,
            5,
            Phase::Failed(Failure::Closed(CloseReason::ClientDisconnect)),
        );
        model.start(10.0);
        assert_eq!(model.phase_text(), "Connecting to the broker…");
        assert_eq!(model.stats, Counters::default());
    }

    fn update(model: &mut ChallengeModel, update: RunUpdate) -> Log {
        let mut log = Log::new();
        model.apply(update, &mut log);
        log
    }

    fn reconnecting(retry: u32, at_ms: u64) -> RunUpdate {
        RunUpdate::Connection(ConnectionUpdate::Reconnecting {
            retry,
            at: at(at_ms),
            reason: CloseReason::TransportClosed("the WebSocket closed (code 1006)".into()),
        })
    }

    fn connected(session_present: bool) -> RunUpdate {
        RunUpdate::Session(Event::Connected { session_present })
    }

    #[test]
    fn a_run_client_id_keeps_what_it_can_of_the_user_id_and_its_suffix() {
        assert_eq!(client_id("12345", 0xbeef), "challenge-12345-0000beef");
        assert_eq!(
            client_id("dé j/a +x", 1),
            "challenge-djax-00000001",
            "only what any broker takes"
        );
        assert_eq!(
            client_id(&"9".repeat(100), 2).len(),
            "challenge--".len() + 32 + 8
        );
    }

    #[test]
    fn a_lost_connection_keeps_the_phase_and_says_it_is_reconnecting() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        assert_eq!(connection_slug(model.connection()), "connecting");
        update(&mut model, connected(false));
        assert_eq!(model.connection_text(0.0), "Connected.");
        phase(&mut model, 100, Phase::ReceivingCommands);
        let log = update(&mut model, reconnecting(1, 2_000));
        assert!(
            matches!(&log[..], [(Direction::Error, Body::Note(t))] if t.starts_with("connection lost: ")),
            "{log:?}"
        );
        assert_eq!(connection_slug(model.connection()), "reconnecting");
        assert_eq!(phase_slug(model.phase()), "receiving-commands");
        assert!(model.is_running());
        assert_eq!(
            model.connection_text(900.0),
            "Connection lost (the WebSocket closed (code 1006)). Reconnecting in 2 s (retry 1); \
             the challenge keeps its phase."
        );
        assert!(model.connection_text(2_500.0).contains("Reconnecting now"));
        // A retry that fails is one line, not another drop.
        let log = update(&mut model, reconnecting(2, 5_000));
        assert!(
            matches!(&log[..], [(Direction::Error, Body::Note(t))] if t.starts_with("retry 1 failed: ")),
            "{log:?}"
        );
        let log = update(&mut model, connected(true));
        assert!(
            matches!(&log[..], [(Direction::Info, Body::Note(t))] if t == "connected again: the broker kept the session"),
            "{log:?}"
        );
        assert_eq!(connection_slug(model.connection()), "connected");
        assert_eq!(
            model.connection_text(6_000.0),
            "Connected again after 1 drop; the broker kept the session."
        );
        assert_eq!(phase_slug(model.phase()), "receiving-commands");
    }

    #[test]
    fn the_end_of_reconnecting_closes_the_line_and_a_failure_ends_the_run() {
        let mut model = ChallengeModel::new();
        model.start(0.0);
        update(&mut model, connected(false));
        phase(&mut model, 100, Phase::AwaitingUniqueId);
        update(&mut model, reconnecting(1, 1_000));
        model.stop_requested();
        // The run's driver feeds the client's `Ended` to the challenge, which fails...
        phase(
            &mut model,
            1_200,
            Phase::Failed(Failure::Closed(CloseReason::ClientDisconnect)),
        );
        // ...then reports the end of the connection.
        let ended = ConnectionUpdate::Ended(CloseReason::ClientDisconnect);
        update(&mut model, RunUpdate::Connection(ended));
        assert!(!model.is_running());
        assert_eq!(model.phase_text(), "Stopped.");
        assert_eq!(connection_slug(model.connection()), "closed");
        // A late retry notice of a run that is over changes nothing.
        assert!(update(&mut model, reconnecting(2, 9_000)).is_empty());
        assert_eq!(connection_slug(model.connection()), "closed");
    }

    #[test]
    fn phases_and_failures_are_logged_as_notes() {
        let mut model = ChallengeModel::new();
        let mut log = Log::new();
        let event = ChallengeEvent::PhaseChanged {
            at: at(1),
            phase: Phase::Failed(Failure::Closed(CloseReason::ClientDisconnect)),
        };
        model.apply(RunUpdate::Challenge(event), &mut log);
        assert!(
            matches!(&log[..], [(Direction::Error, Body::Note(t))] if t.starts_with("failed: "))
        );
    }
}
