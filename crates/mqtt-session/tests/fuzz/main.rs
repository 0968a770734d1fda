//! Fuzzing the session on stable Rust: a deterministic, seed-driven harness.
//!
//! Each case (`case.rs`) draws its options from its seed (clean session or not, keepalive,
//! timeouts, window, inbound limit), then takes a few hundred random steps (`actions.rs`):
//! bytes from the broker delivered in chunks cut anywhere, several packets coalesced;
//! packets from the session handed to an honest broker model (`broker.rs`) that answers
//! them, keeps or loses the session, refuses now and then, and publishes at every QoS;
//! virtual time jumps that fire deadlines; the application's publish (QoS 0/1/2),
//! subscribe, unsubscribe and disconnect; transport cuts and reopenings; in hostile cases
//! random, mutated and noise packets (`packets.rs`). It ends by settling with an honest
//! broker.
//!
//! Checked after every input: no panic; `poll_output` reaches `Timeout`/`Idle` within a
//! budget and deadlines move on; every transmit is one valid packet on an open
//! transport; the receive buffer stays under the packet limit and the window under
//! `max_inflight`; the store agrees with the application's model (`oracle.rs`): every
//! QoS 1/2 publish ends in exactly one `Delivered` or `Abandoned`, no QoS 2 packet id is
//! delivered twice in a session, and, until hostile bytes arrive, end to end against the
//! broker (acks complete publishes, in order, none forwarded or delivered twice).
//!
//! `cargo test -p mqtt-session --test fuzz` runs a short fixed-seed run; the long run is
//! `cargo xtask fuzz [--inputs N] [--seed S] [--trace]` (release, ignored test below).

mod actions;
mod broker;
mod case;
#[path = "../common/mod.rs"]
mod common;
mod oracle;
mod packets;
mod runner;
mod stats;

use runner::{run, Config};

/// The short run's first seed: fixed, so the test suite is deterministic.
const SHORT_RUN_SEED: u64 = 0x5EED;

/// About a second in a debug build.
#[test]
fn half_a_million_random_inputs_break_no_rule() {
    let report = run(Config {
        seed: SHORT_RUN_SEED,
        inputs: 500_000,
        progress: false,
        trace: false,
        max_findings: 1,
    });
    println!("{report}");
    assert!(report.findings.is_empty(), "{report}");
    assert_eq!(report.stats.missing(), Vec::<&str>::new(), "{report}");
}

/// Runs only with `FUZZ_INPUTS` set (as `cargo xtask fuzz` does), so that the test
/// command's `--include-ignored` does not make it a second, long run in a debug build.
/// `FUZZ_SEED` (default 0) is the first case's seed; `FUZZ_TRACE` (any value) prints
/// every input, output and event.
#[test]
#[ignore = "the long run: cargo xtask fuzz [--inputs N] [--seed S] [--trace]"]
fn long_run() {
    let number = |name: &str| {
        let text = std::env::var(name).ok()?;
        Some(text.replace('_', "").parse().expect("a whole number"))
    };
    let Some(inputs) = number("FUZZ_INPUTS") else {
        println!("no FUZZ_INPUTS: the long run is `cargo xtask fuzz`");
        return;
    };
    let report = run(Config {
        seed: number("FUZZ_SEED").unwrap_or(0),
        inputs,
        progress: true,
        trace: std::env::var_os("FUZZ_TRACE").is_some(),
        max_findings: 10,
    });
    println!("{report}");
    assert!(report.findings.is_empty(), "{report}");
}
