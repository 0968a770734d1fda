//! Project automation for mqtt-playground: `cargo xtask <command>`.
//!
//! The `xtask` alias lives in `.cargo/config.toml`. Commands:
//! - `setup [--browser]`: install the missing toolchain pieces (idempotent);
//! - `dev [--open] [--no-setup]`: build the app and serve it from the lab, with `trunk watch`;
//! - `test [--skip-lint] [--only-browser] [--no-setup] [--filter NAME]`: every check and test,
//!   as CI runs them (`--filter`: only the browser tests whose name contains NAME);
//! - `dist`: the release build in dist/, checked in a browser;
//! - `bench [--profile] [--skip-native] [--reuse-dist] [--no-setup]`: benchmark numbers (docs/bench.md);
//! - `fuzz [--inputs N] [--seed S] [--trace]`: the session's long fuzz run (release);
//! - `interop [--no-setup]`: the broker matrix (docs/interop.md);
//! - `class --cluster [--nodes K] [--services S] [--clients N,...]`: a class on a clustered
//!   rmqtt (docs/class.md).

mod bench;
mod bench_mqtt;
mod binaryen;
mod brokers;
mod class;
mod dev;
mod dist;
mod fuzz;
mod interop;
mod interop_brokers;
mod proc;
mod setup;
mod split;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Every fallible function returns a human-readable sentence on failure.
pub type Res<T = ()> = Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <command> [flags]

commands:
  setup [--browser]   install what is missing: wasm32 target, trunk ~0.21, wasm-bindgen-cli
                      (the version in Cargo.lock), binaryen (wasm-opt); with --browser also the
                      Debian packages chromium, chromium-driver, mosquitto
  dev [--open]        run the app: build it, serve it from the lab on http://127.0.0.1:9001/
                      next to the broker, rebuild on changes (--no-setup skips the setup check)
  test                run all checks and tests (fmt, clippy, native tests, wasm clippy,
                      browser tests against the lab and mosquitto, release build)
      --skip-lint     skip fmt and both clippy runs
      --only-browser  only start the brokers and run the browser tests
      --no-setup      skip the setup check
      --filter NAME   run only the browser tests whose name contains NAME (the other steps
                      still run unless --only-browser)
  dist                release build of the app into dist/ (with a working wasm-opt), checked
                      in headless Chromium when installed
  bench               print benchmark numbers (docs/bench.md): session throughput (native);
                      in headless Chromium against mosquitto, a 100,000-message flood into a
                      raw JS page, MQTT.js and the release page, the release page's long
                      tasks, frame gaps and memory, and raw JS vs the page's repeat publish
      --profile       also trace and profile the release page during a flood
      --skip-native   skip `cargo bench -p mqtt-session`
      --reuse-dist    reuse target/bench-dist when built before (no release build)
      --no-setup      skip the setup check
  fuzz                fuzz the MQTT session (release): random and mutated packets cut anywhere,
                      time jumps, commands, reconnects; reports inputs/s and each finding
      --inputs N      how many inputs (default 10M; `10M`, `500k` and `10_000_000` work)
      --seed S        the first case's seed (default: from the clock, printed)
      --trace         print every input, output and event (replay one case: --inputs 1)
  interop             the broker matrix: install (into target/interop, when missing) and start
                      mosquitto, aedes, amqtt, ejabberd, rmqtt and the lab's broker, run the
                      browser checks against each, print the table, write docs/interop.md
      --no-setup      skip the setup check
  class --cluster     a whole class on a clustered broker: K rmqtt nodes on loopback (built into
                      target/interop), one `lab challenge-service --share-group class` on each
                      node, `lab solve --clients N` with the students dealt over the nodes;
                      prints completions, p50/p99 and students per service (docs/class.md)
      --nodes K       cluster nodes, 1 to 9 (default 3)
      --services S    challenge services, dealt over the nodes (default: one per node)
      --clients N,..  class sizes, run one after the other (default 100,1000)
      --ramp-ms MS    one student started every MS (default 2)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, flags) = match args.split_first() {
        Some((command, flags)) => (command.as_str(), flags),
        None => ("help", &[][..]),
    };
    let result = match command {
        "setup" => setup::run(flags),
        "dev" => dev::run(flags),
        "test" => test::run(flags),
        "bench" => bench::run(flags),
        "dist" => dist::run(flags),
        "fuzz" => fuzz::run(flags),
        "interop" => interop::run(flags),
        "class" => class::run(flags),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// Checks `flags` against the `known` ones and returns, for each known flag, whether it was given.
pub fn parse_flags<const N: usize>(
    command: &str,
    flags: &[String],
    known: [&str; N],
) -> Res<[bool; N]> {
    let mut given = [false; N];
    for flag in flags {
        match known.iter().position(|k| k == flag) {
            Some(i) => given[i] = true,
            None => {
                return Err(format!(
                    "`cargo xtask {command}` does not take `{flag}` (known flags: {})",
                    if N == 0 {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }
    Ok(given)
}

/// The `cargo` that runs us (so `+toolchain` choices carry over), or the one on PATH.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}
