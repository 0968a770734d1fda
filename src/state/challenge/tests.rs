//! The challenge view's reducer, driven as the run drives it.

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
    assert!(matches!(&log[..], [(Direction::Error, Body::Note(t))] if t.starts_with("failed: ")));
}
