//! The reconnect policy on a virtual clock: the backoff schedule, jitter, reset, the
//! `online` shortcut, one attempt at a time, and when it stops.
use std::time::Duration;

use mqtt_session::{
    CloseReason, ConnectRefusal, Instant, Reconnect, ReconnectOutput, ReconnectPolicy,
    ReconnectState, Stop,
};

fn dropped() -> CloseReason {
    CloseReason::TransportClosed("the network went away".into())
}

/// A policy on a virtual clock.
struct Driver {
    reconnect: Reconnect,
    now: Instant,
}

impl Driver {
    fn new(policy: ReconnectPolicy, seed: u64) -> Self {
        Self {
            reconnect: Reconnect::new(policy, seed),
            now: Instant::from_millis(0),
        }
    }

    fn without_jitter() -> Self {
        let policy = ReconnectPolicy {
            jitter_percent: 0,
            ..ReconnectPolicy::default()
        };
        Self::new(policy, 0)
    }

    /// Starts and expects the first attempt at once.
    fn started(mut self) -> Self {
        self.reconnect.start(self.now);
        assert_eq!(self.output(), ReconnectOutput::Open { retry: 0 });
        self
    }

    fn output(&mut self) -> ReconnectOutput {
        self.reconnect.poll_output()
    }

    fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
    }

    /// The attempt in progress fails; returns how long the policy waits before the next
    /// one, after checking that nothing happens a millisecond earlier.
    fn fail(&mut self, reason: &CloseReason) -> Duration {
        self.reconnect.handle_closed(self.now, reason);
        let ReconnectOutput::Timeout(at) = self.output() else {
            panic!("expected a wait, got {:?}", self.reconnect.state());
        };
        let wait = at - self.now;
        self.reconnect
            .handle_timeout(Instant::from_millis(at.as_millis() - 1));
        assert!(
            matches!(self.output(), ReconnectOutput::Timeout(_)),
            "not early"
        );
        self.now = at;
        self.reconnect.handle_timeout(at);
        assert!(
            matches!(self.output(), ReconnectOutput::Open { .. }),
            "opens when due"
        );
        wait
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn without_jitter_the_waits_double_from_1_s_to_at_most_60_s() {
    let mut d = Driver::without_jitter().started();
    let waits: Vec<u64> = (0..9).map(|_| d.fail(&dropped()).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
}

#[test]
fn each_retry_is_numbered_from_1_after_the_first_try() {
    let mut d = Driver::without_jitter().started();
    d.reconnect.handle_closed(d.now, &dropped());
    assert!(matches!(
        d.reconnect.state(),
        ReconnectState::Waiting { retry: 1, .. }
    ));
    d.advance(secs(1));
    d.reconnect.handle_timeout(d.now);
    assert_eq!(d.output(), ReconnectOutput::Open { retry: 1 });
    assert_eq!(d.reconnect.last_reason(), Some(&dropped()));
}

#[test]
fn the_schedule_is_configurable() {
    let policy = ReconnectPolicy {
        initial: Duration::from_millis(250),
        max: secs(2),
        jitter_percent: 0,
        reset_after: secs(5),
    };
    let mut d = Driver::new(policy, 0).started();
    let waits: Vec<u128> = (0..5).map(|_| d.fail(&dropped()).as_millis()).collect();
    assert_eq!(waits, [250, 500, 1_000, 2_000, 2_000]);
}

#[test]
fn every_wait_stays_within_25_percent_of_its_base_and_never_above_60_s() {
    let bases = [
        1_000u64, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ];
    let mut below = 0;
    let mut above = 0;
    for seed in 0..200 {
        let mut d = Driver::new(ReconnectPolicy::default(), seed).started();
        for base in bases {
            let wait = u64::try_from(d.fail(&dropped()).as_millis()).unwrap();
            assert!(
                wait >= base * 3 / 4 && wait <= (base * 5 / 4).min(60_000),
                "seed {seed}: {wait} ms for a base of {base} ms"
            );
            below += usize::from(wait < base);
            above += usize::from(wait > base);
        }
    }
    assert!(
        below > 500 && above > 400,
        "spread both ways: {below} below, {above} above"
    );
}

#[test]
fn the_same_seed_replays_the_same_waits_and_another_seed_differs() {
    let schedule = |seed| {
        let mut d = Driver::new(ReconnectPolicy::default(), seed).started();
        (0..6).map(|_| d.fail(&dropped())).collect::<Vec<_>>()
    };
    assert_eq!(schedule(42), schedule(42));
    assert_ne!(schedule(42), schedule(43));
}

#[test]
fn a_connection_that_lasted_20_s_resets_the_wait_to_1_s() {
    let mut d = Driver::without_jitter().started();
    for _ in 0..5 {
        d.fail(&dropped());
    }
    d.reconnect.handle_connected(d.now);
    d.advance(secs(20));
    assert_eq!(d.fail(&dropped()), secs(1));
    assert!(matches!(
        d.reconnect.state(),
        ReconnectState::Attempting { retry: 1 }
    ));
}

#[test]
fn a_connection_that_drops_sooner_keeps_the_wait_growing() {
    let mut d = Driver::without_jitter().started();
    assert_eq!(d.fail(&dropped()), secs(1));
    assert_eq!(d.fail(&dropped()), secs(2));
    d.reconnect.handle_connected(d.now);
    d.advance(Duration::from_millis(19_999));
    assert_eq!(d.fail(&dropped()), secs(4));
}

#[test]
fn the_online_event_retries_at_once_instead_of_waiting() {
    let mut d = Driver::without_jitter().started();
    for _ in 0..6 {
        d.fail(&dropped());
    }
    d.reconnect.handle_closed(d.now, &dropped());
    assert_eq!(
        d.output(),
        ReconnectOutput::Timeout(d.now + secs(60)),
        "a long wait"
    );
    d.advance(secs(3));
    d.reconnect.handle_online(d.now);
    assert_eq!(d.output(), ReconnectOutput::Open { retry: 7 });
    assert_eq!(d.output(), ReconnectOutput::Idle, "the wait is gone");
}

#[test]
fn never_two_attempts_at_once() {
    let mut d = Driver::without_jitter().started();
    // During the first attempt: neither `online`, nor another start, nor a timeout opens.
    d.reconnect.handle_online(d.now);
    d.reconnect.start(d.now);
    d.advance(secs(120));
    d.reconnect.handle_timeout(d.now);
    assert_eq!(d.output(), ReconnectOutput::Idle);
    // Nor while connected.
    d.reconnect.handle_connected(d.now);
    d.reconnect.handle_online(d.now);
    d.reconnect.start(d.now);
    assert_eq!(d.output(), ReconnectOutput::Idle);
    // A wait ended by `online` opens once; its timer no longer fires.
    d.reconnect.handle_closed(d.now, &dropped());
    d.reconnect.handle_online(d.now);
    d.reconnect.handle_online(d.now);
    assert_eq!(d.output(), ReconnectOutput::Open { retry: 1 });
    d.advance(secs(120));
    d.reconnect.handle_timeout(d.now);
    assert_eq!(d.output(), ReconnectOutput::Idle);
}

#[test]
fn refusals_that_cannot_heal_stop_retrying_with_the_reason() {
    for refusal in [
        ConnectRefusal::BadUserNameOrPassword,
        ConnectRefusal::NotAuthorized,
        ConnectRefusal::IdentifierRejected,
        ConnectRefusal::UnacceptableProtocolVersion,
    ] {
        let mut d = Driver::without_jitter().started();
        d.reconnect
            .handle_closed(d.now, &CloseReason::Refused(refusal));
        assert_eq!(
            d.reconnect.state(),
            &ReconnectState::Stopped(Stop::Refused(refusal))
        );
        assert_eq!(d.output(), ReconnectOutput::Idle);
        let text = Stop::Refused(refusal).to_string();
        assert!(text.contains(&refusal.to_string()), "{text}");
        // Only the user starts it again, from the first try.
        d.reconnect.start(d.now);
        assert_eq!(d.output(), ReconnectOutput::Open { retry: 0 });
    }
}

#[test]
fn an_unavailable_broker_is_retried() {
    let mut d = Driver::without_jitter().started();
    let wait = d.fail(&CloseReason::Refused(ConnectRefusal::ServerUnavailable));
    assert_eq!(wait, secs(1));
}

#[test]
fn the_users_disconnect_stops_retrying() {
    // Through `stop`, during a wait: the timer no longer fires.
    let mut d = Driver::without_jitter().started();
    d.reconnect.handle_closed(d.now, &dropped());
    d.reconnect.stop(d.now);
    d.advance(secs(60));
    d.reconnect.handle_timeout(d.now);
    assert_eq!(d.output(), ReconnectOutput::Idle);
    assert_eq!(
        d.reconnect.state(),
        &ReconnectState::Stopped(Stop::UserDisconnect)
    );
    // Through the session's `Closed(ClientDisconnect)` while connected.
    let mut d = Driver::without_jitter().started();
    d.reconnect.handle_connected(d.now);
    d.reconnect
        .handle_closed(d.now, &CloseReason::ClientDisconnect);
    assert_eq!(
        d.reconnect.state(),
        &ReconnectState::Stopped(Stop::UserDisconnect)
    );
    // `stop` then the transport's close: still stopped.
    let mut d = Driver::without_jitter().started();
    d.reconnect.stop(d.now);
    d.reconnect.handle_closed(d.now, &dropped());
    assert_eq!(d.output(), ReconnectOutput::Idle);
    assert_eq!(
        d.reconnect.state(),
        &ReconnectState::Stopped(Stop::UserDisconnect)
    );
}

#[test]
fn an_open_is_handed_out_once() {
    let mut d = Driver::without_jitter();
    assert_eq!(d.output(), ReconnectOutput::Idle, "idle until started");
    d.reconnect.start(d.now);
    assert_eq!(d.output(), ReconnectOutput::Open { retry: 0 });
    assert_eq!(d.output(), ReconnectOutput::Idle);
}
