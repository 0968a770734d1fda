//! `cargo xtask fuzz [--inputs N] [--seed S] [--trace]`: the session's long fuzz run.
//!
//! The harness lives in `crates/mqtt-session/tests/fuzz/` (stable Rust, no libFuzzer): a
//! seeded generator drives the sans-IO session through random and mutated packets cut
//! anywhere, time jumps, commands and reconnects against an honest broker model, and checks
//! its rules after every input. `cargo test` runs a short fixed-seed pass of it; this
//! command runs its ignored `long_run` test in release mode for `N` inputs (10 M by
//! default) from seed `S` (by default one drawn from the clock, printed so the run can be
//! replayed). The test prints progress, inputs/s, what the run exercised, and each finding
//! with the seed that replays its case; `--trace` prints every input, output and event
//! (use it with `--inputs 1` on a finding's seed).

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::proc::{self, catch_signals};
use crate::{cargo, repo_root, Res};

const DEFAULT_INPUTS: u64 = 10_000_000;
const KNOWN: &str = "--inputs N, --seed S, --trace";

pub fn run(flags: &[String]) -> Res {
    let (mut inputs, mut seed, mut trace) = (DEFAULT_INPUTS, None, false);
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--inputs" => inputs = number(flag, flags.next())?,
            "--seed" => seed = Some(number(flag, flags.next())?),
            "--trace" => trace = true,
            other => {
                return Err(format!(
                    "`cargo xtask fuzz` does not take `{other}` (known flags: {KNOWN})"
                ))
            }
        }
    }
    // A new seed each run explores new ground; it is printed, so the run replays.
    let seed = seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    println!("fuzz: {inputs} inputs from seed {seed}, release build");
    catch_signals();
    let mut cmd = Command::new(cargo());
    cmd.args(["test", "-p", "mqtt-session", "--release", "--test", "fuzz"])
        .args(["--", "--ignored", "--exact", "long_run", "--nocapture"])
        .env("FUZZ_INPUTS", inputs.to_string())
        .env("FUZZ_SEED", seed.to_string())
        .current_dir(repo_root());
    if trace {
        cmd.env("FUZZ_TRACE", "1");
    }
    proc::run(&mut cmd).map_err(|e| {
        format!("{e}: the report above gives each finding and the command that replays it")
    })
}

/// A count or seed: digits, `_` allowed, an optional `k` or `M` suffix (`10M`).
fn number(flag: &str, value: Option<&String>) -> Res<u64> {
    let Some(value) = value else {
        return Err(format!("`{flag}` needs a number after it"));
    };
    let text = value.replace('_', "");
    let (digits, scale) = match text.strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1_000),
        None => match text.strip_suffix('M') {
            Some(digits) => (digits, 1_000_000),
            None => (text.as_str(), 1),
        },
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{flag} {value}`: expected a whole number like 10000000 or 10M"))
}
