//! When to open the next transport: exponential backoff with jitter, sans-IO.
//!
//! [`Reconnect`] never opens anything itself and reads no clock. It hears what happened
//! to the connection (`start`, `handle_connected`, `handle_closed`, `handle_online`,
//! `stop`, `handle_timeout`, each with `now`) and answers through
//! [`Reconnect::poll_output`]: open a transport now, or wait until an instant.
//!
//! ```text
//!            start ─────────────────────────┐           stop / Closed(ClientDisconnect) /
//!                                           ▼           a refusal that cannot heal
//!   Idle ──start──▶ Attempting ──handle_connected──▶ Connected         ──────────▶ Stopped
//!                    ▲      │ handle_closed              │ handle_closed
//!   timeout / online │      ▼                            ▼
//!                    └── Waiting { until } ◀─────────────┘
//! ```
//!
//! Only `Waiting` leads to an attempt, so two attempts never overlap: an `online` event
//! or a second `start` during an attempt changes nothing.
//!
//! ```
//! use mqtt_session::{CloseReason, Instant, Reconnect, ReconnectOutput, ReconnectPolicy};
//!
//! let mut reconnect = Reconnect::new(ReconnectPolicy::default(), 7);
//! let now = Instant::from_millis(0);
//! reconnect.start(now);
//! assert_eq!(reconnect.poll_output(), ReconnectOutput::Open { retry: 0 });
//! // The transport failed: wait about a second (±25 %) before retry 1.
//! reconnect.handle_closed(now, &CloseReason::TransportClosed("refused".into()));
//! let ReconnectOutput::Timeout(at) = reconnect.poll_output() else { unreachable!() };
//! assert!((750..=1_250).contains(&at.as_millis()));
//! reconnect.handle_timeout(at);
//! assert_eq!(reconnect.poll_output(), ReconnectOutput::Open { retry: 1 });
//! ```

use core::time::Duration;

use splitmix::SplitMix64;

use crate::error::{CloseReason, ConnectRefusal};
use crate::reason::ReasonCode;
use crate::time::Instant;

/// How long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// The wait before the first retry; each failure doubles it.
    pub initial: Duration,
    /// The longest wait, jitter included.
    pub max: Duration,
    /// Each wait is moved at random by up to this share of it, up or down (0–100), so
    /// that clients cut together do not all come back in the same instant.
    pub jitter_percent: u8,
    /// A connection that lasted this long resets the wait to `initial`.
    pub reset_after: Duration,
}

impl Default for ReconnectPolicy {
    /// 1 s doubling to 60 s, ±25 %, reset after 20 s connected.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            jitter_percent: 25,
            reset_after: Duration::from_secs(20),
        }
    }
}

/// Why the policy will not try again until `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The user disconnected.
    UserDisconnect,
    /// The broker refused in a way that retrying cannot change.
    Refused(ConnectRefusal),
    /// MQTT 5: the broker closed the connection for a reason retrying would only repeat
    /// (another client took the session over, this client is banned, the broker points
    /// elsewhere).
    Disconnected(ReasonCode),
}

impl core::fmt::Display for Stop {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Stop::UserDisconnect => f.write_str("disconnected"),
            Stop::Refused(refusal) => {
                write!(
                    f,
                    "not retrying: the broker refused the connection: {refusal}"
                )
            }
            Stop::Disconnected(reason) => {
                write!(
                    f,
                    "not retrying: the broker disconnected this client: {reason}"
                )
            }
        }
    }
}

/// Where the policy stands, for display ("reconnecting, retry 3 in 4 s").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconnectState {
    /// Never started.
    Idle,
    /// A transport is being opened or is waiting for CONNACK. `retry` 0 is the first try
    /// after `start`.
    Attempting { retry: u32 },
    /// CONNACK accepted the connection.
    Connected { since: Instant },
    /// The connection ended; retry number `retry` is due at `until`.
    Waiting { retry: u32, until: Instant },
    /// Not retrying.
    Stopped(Stop),
}

/// What the caller must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconnectOutput {
    /// Open a transport now and hand it to the session
    /// (`Session::handle_transport_connecting`). Reported once per attempt.
    Open { retry: u32 },
    /// Nothing to do until this instant; then call `handle_timeout`.
    Timeout(Instant),
    /// Nothing to do until an input arrives.
    Idle,
}

/// The reconnect policy: see the module documentation.
#[derive(Debug, Clone)]
pub struct Reconnect {
    policy: ReconnectPolicy,
    rng: SplitMix64,
    state: ReconnectState,
    /// Connections ended since the last reset without lasting `reset_after`.
    failures: u32,
    /// Why the last connection or attempt ended.
    last_reason: Option<CloseReason>,
    /// An `Open` not yet handed out by `poll_output`.
    open_pending: bool,
}

impl Reconnect {
    /// A policy that has not started. `seed` drives the jitter (the browser can pass
    /// `Math.random()` bits, tests a constant): the same seed replays the same waits.
    pub fn new(policy: ReconnectPolicy, seed: u64) -> Self {
        Self {
            policy,
            rng: SplitMix64::new(seed),
            state: ReconnectState::Idle,
            failures: 0,
            last_reason: None,
            open_pending: false,
        }
    }

    /// Where the policy stands.
    pub fn state(&self) -> &ReconnectState {
        &self.state
    }

    /// Why the last connection or attempt ended, if one did.
    pub fn last_reason(&self) -> Option<&CloseReason> {
        self.last_reason.as_ref()
    }

    // ----- inputs -----

    /// The user asked to connect: try now (also after a stop, or during a wait). While an
    /// attempt runs or a connection is up, nothing changes.
    pub fn start(&mut self, _now: Instant) {
        match self.state {
            ReconnectState::Attempting { .. } | ReconnectState::Connected { .. } => {}
            ReconnectState::Idle | ReconnectState::Stopped(_) => {
                self.failures = 0;
                self.last_reason = None;
                self.attempt(0);
            }
            ReconnectState::Waiting { retry, .. } => self.attempt(retry),
        }
    }

    /// The session reported `Event::Connected`.
    pub fn handle_connected(&mut self, now: Instant) {
        if let ReconnectState::Attempting { .. } = self.state {
            self.state = ReconnectState::Connected { since: now };
        }
    }

    /// The session reported `Event::Closed(reason)`: schedule the next attempt, or stop
    /// for good on the user's disconnect and on refusals that retrying cannot heal.
    pub fn handle_closed(&mut self, now: Instant, reason: &CloseReason) {
        let lasted = match self.state {
            ReconnectState::Connected { since } => now - since >= self.policy.reset_after,
            ReconnectState::Attempting { .. } => false,
            // A close after `stop` (the transport the user closed), or a duplicate.
            _ => return,
        };
        self.open_pending = false;
        self.last_reason = Some(reason.clone());
        if lasted {
            self.failures = 0;
        }
        if let Some(stop) = stop_for(reason) {
            self.state = ReconnectState::Stopped(stop);
            return;
        }
        self.failures = self.failures.saturating_add(1);
        let until = now + self.wait(self.failures);
        self.state = ReconnectState::Waiting {
            retry: self.failures,
            until,
        };
    }

    /// The browser's `online` event: the network is back, so a pending retry goes now
    /// instead of at the end of its wait.
    pub fn handle_online(&mut self, _now: Instant) {
        if let ReconnectState::Waiting { retry, .. } = self.state {
            self.attempt(retry);
        }
    }

    /// The user disconnected: no more attempts until `start`. The caller closes its
    /// transport; the `Closed` that follows is ignored.
    pub fn stop(&mut self, _now: Instant) {
        self.open_pending = false;
        self.state = ReconnectState::Stopped(Stop::UserDisconnect);
    }

    /// The clock reached the instant given by [`ReconnectOutput::Timeout`] (or later).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let ReconnectState::Waiting { retry, until } = self.state {
            if now >= until {
                self.attempt(retry);
            }
        }
    }

    // ----- outputs -----

    /// The next thing to do. After every input, call until it returns `Timeout` or `Idle`.
    pub fn poll_output(&mut self) -> ReconnectOutput {
        if let (true, ReconnectState::Attempting { retry }) = (self.open_pending, &self.state) {
            self.open_pending = false;
            return ReconnectOutput::Open { retry: *retry };
        }
        match self.poll_timeout() {
            Some(at) => ReconnectOutput::Timeout(at),
            None => ReconnectOutput::Idle,
        }
    }

    /// When the next retry is due, if one is waiting.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            ReconnectState::Waiting { until, .. } => Some(until),
            _ => None,
        }
    }

    // ----- internals -----

    fn attempt(&mut self, retry: u32) {
        self.state = ReconnectState::Attempting { retry };
        self.open_pending = true;
    }

    /// The wait before retry `n` (1-based): `initial`·2ⁿ⁻¹, at most `max`, moved by up to
    /// ±`jitter_percent`, and never above `max`.
    fn wait(&mut self, n: u32) -> Duration {
        let initial = millis(self.policy.initial);
        let max = millis(self.policy.max).max(initial);
        let doubled = initial.saturating_mul(1u64 << (n - 1).min(62));
        let base = doubled.min(max);
        let spread = f64::from(self.policy.jitter_percent.min(100)) / 100.0;
        let factor = 1.0 + self.rng.symmetric(spread);
        // `as` saturates a float to the integer range, and the factor is never negative.
        let jittered = (base as f64 * factor).round() as u64;
        Duration::from_millis(jittered.min(max))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Closes after which retrying is pointless until the user changes something.
fn stop_for(reason: &CloseReason) -> Option<Stop> {
    match reason {
        CloseReason::ClientDisconnect => Some(Stop::UserDisconnect),
        CloseReason::Refused(
            refusal @ (ConnectRefusal::BadUserNameOrPassword
            | ConnectRefusal::NotAuthorized
            | ConnectRefusal::IdentifierRejected
            | ConnectRefusal::UnacceptableProtocolVersion),
        ) => Some(Stop::Refused(*refusal)),
        // MQTT 5 codes that mean "do not come back as you are" (banned, bad
        // authentication method, another server, a packet the broker cannot take).
        CloseReason::Refused(refusal @ ConnectRefusal::Other(code))
            if matches!(
                code.0,
                0x81 | 0x82 | 0x8A | 0x8C | 0x95 | 0x9A | 0x9B | 0x9C | 0x9D
            ) =>
        {
            Some(Stop::Refused(*refusal))
        }
        // Reconnecting after a take-over would take the session back, and the other
        // client would do the same: two tabs would disconnect each other forever.
        CloseReason::ServerDisconnect { reason, .. }
            if matches!(reason.0, 0x8A | 0x8E | 0x9C | 0x9D) =>
        {
            Some(Stop::Disconnected(*reason))
        }
        // ServerUnavailable heals by itself; so may a dropped link, a timeout, and even
        // a broker that sent garbage (it may be restarted).
        _ => None,
    }
}
