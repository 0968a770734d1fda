//! `cargo xtask test`: every check and test, in order, stopping at the first failure.
//!
//! 1. setup --browser          5. start mosquitto, then the lab (also in front of mosquitto),
//!    then aedes (npm: the quick part of the broker matrix, tests/browser/interop.rs)
//! 2. cargo fmt --check,       6. native tests (the app's `state/` too), broker env set
//!    leptosfmt --check
//! 3. clippy, native           7. browser tests: wasm32 + wasm-bindgen-test-runner + chromedriver
//! 4. clippy, wasm32 app       8. release build, split (target/release-dist)
//!
//! The release build is loaded in headless Chromium and its size checked against the budget
//! (`dist::BUDGET_GZ_KIB`).
//!
//! The native tests run after the brokers start so that they can use the same `MQTT_*`
//! variables as the browser tests (which read them at compile time with `option_env!`).
//! mosquitto starts first so that the lab can bridge a second WebSocket listener to its TCP
//! listener (`--upstream`): cutting connections there (`/control/cut`, `--control`) tests the
//! page's reconnection against mosquitto (`MQTT_MOSQUITTO_CUT_WS_URL`).

use crate::brokers::{self, Broker};
use crate::interop_brokers;
use crate::proc::{self, catch_signals, find_in_path, TempDir};
use crate::{cargo, parse_flags, repo_root, setup, Res};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const APP: &str = "mqtt-playground";
/// The seed's credentials, in `config/mosquitto/passwd`.
const MOSQUITTO_USER: &str = "student";
const MOSQUITTO_PASSWORD: &str = "i_make_mqtt_cool";
pub(crate) const LAB_START_TIMEOUT: Duration = Duration::from_secs(300);

pub fn run(flags: &[String]) -> Res {
    let (filter, flags) = take_filter(flags)?;
    let [skip_lint, only_browser, no_setup] = parse_flags(
        "test",
        &flags,
        ["--skip-lint", "--only-browser", "--no-setup"],
    )?;
    catch_signals();
    let mut steps = Steps::default();
    let result = all_steps(
        &mut steps,
        !(skip_lint || only_browser),
        only_browser,
        no_setup,
        filter.as_deref(),
    );
    steps.summary();
    match &result {
        Ok(()) => println!("\nall checks passed"),
        Err(_) => eprintln!("\nFAILED at step `{}`", steps.failed().unwrap_or("?")),
    }
    result
}

/// `--filter NAME` (the one flag with a value): only the browser tests whose name contains
/// NAME run (wasm-bindgen-test's substring filter); the other flags are left as they came.
fn take_filter(flags: &[String]) -> Res<(Option<String>, Vec<String>)> {
    let mut filter = None;
    let mut rest = Vec::new();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        if flag == "--filter" {
            let name = flags
                .next()
                .filter(|n| !n.starts_with("--"))
                .ok_or("`--filter` needs a test name (or part of one)")?;
            filter = Some(name.clone());
        } else {
            rest.push(flag.clone());
        }
    }
    Ok((filter, rest))
}

fn all_steps(
    steps: &mut Steps,
    lint: bool,
    only_browser: bool,
    no_setup: bool,
    filter: Option<&str>,
) -> Res {
    let root = repo_root();
    let cargo_cmd = |args: &[&str]| {
        let mut cmd = Command::new(cargo());
        cmd.args(args).current_dir(&root);
        cmd
    };
    if !no_setup {
        steps.run("setup --browser", || setup::ensure(true))?;
    }
    if lint {
        steps.run("fmt", || {
            proc::run(&mut cargo_cmd(&["fmt", "--all", "--", "--check"]))
                .map_err(|e| format!("{e}\n(run `cargo fmt --all` to fix the formatting)"))?;
            // rustfmt leaves `view! { … }` alone; leptosfmt formats inside it.
            proc::run(
                Command::new(setup::LEPTOSFMT)
                    .args(["--check", "--quiet", "src"])
                    .current_dir(&root),
            )
            .map_err(|e| format!("{e}\n(run `leptosfmt src` to format the view! macros)"))
        })?;
        steps.run("clippy (native)", || {
            proc::run(&mut cargo_cmd(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        steps.run("clippy (wasm32 app)", || {
            proc::run(&mut cargo_cmd(&[
                "clippy",
                "-p",
                APP,
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
    }

    // Declared before the brokers, so it is removed after they stop.
    let run_dir = TempDir::new("test")?;
    let (lab_bin, mut lab, mut mosquitto, aedes) = steps.run("start brokers", || {
        let bin = brokers::build_lab(&root)?;
        let mosquitto = brokers::start_mosquitto(&root, run_dir.path())?;
        println!(
            "mosquitto: {} and tcp {}",
            mosquitto.ws_url, mosquitto.tcp_addr
        );
        let lab_log = run_dir.path().join("lab.log");
        let lab = brokers::start_lab(
            &bin,
            &[
                "--ws-port",
                "0",
                "--tcp-port",
                "0",
                "--fault-port",
                "0",
                "--control",
                "--upstream",
                &mosquitto.tcp_addr,
                "--upstream-ws-port",
                "0",
            ],
            Some(&lab_log),
            LAB_START_TIMEOUT,
        )?;
        println!("lab: {} and tcp {}", lab.ws_url, lab.tcp_addr);
        let cut = lab
            .upstream_url
            .as_deref()
            .ok_or("the lab's ready line names no upstream= listener")?;
        println!("lab in front of mosquitto: {cut}");
        // The broker matrix's quick part (tests/browser/interop.rs): aedes from npm.
        let aedes = interop_brokers::start_aedes(&root, run_dir.path())?;
        println!("aedes: {} and tcp {}", aedes.ws_url, aedes.tcp_addr);
        Ok((bin, lab, mosquitto, aedes))
    })?;
    let mut env = broker_env(&lab, &mosquitto);
    env.push((
        "MQTT_INTEROP_TARGETS".to_string(),
        quick_matrix(&lab, &mosquitto, &aedes),
    ));
    for (key, value) in &env {
        println!("{key}={value}");
    }
    // A failure below may be the brokers' doing: show their logs with it.
    let with_logs = |e: String, lab: &mut Broker, mosquitto: &mut Broker| {
        let mut message = e;
        for broker in [lab, mosquitto] {
            if let Some(status) = broker.exited() {
                message.push_str(&format!("\n{} had exited ({status})", broker.name()));
            }
            message.push_str(&broker.log_tail());
        }
        message
    };

    if !only_browser {
        steps.run("native tests", || {
            // `--include-ignored`: tests that need mosquitto are ignored in a plain
            // `cargo test` and run here, where the brokers exist.
            let mut cmd = cargo_cmd(&[
                "test",
                "--workspace",
                "--exclude",
                APP,
                "--",
                "--include-ignored",
            ]);
            proc::run(cmd.envs(env.iter().cloned()))
                .map_err(|e| with_logs(e, &mut lab, &mut mosquitto))?;
            // The app's plain state (`src/state/`) is tested natively too: its reducers
            // need no browser.
            proc::run(&mut cargo_cmd(&["test", "-p", APP, "--lib"]))
        })?;
    }
    // Only now: the native tests start challenge services of their own on mosquitto, and
    // two services would both answer each login.
    let services = steps
        .run("challenge services on mosquitto and aedes", || {
            let mut services = Vec::new();
            for (name, broker) in [("mosquitto", &mosquitto), ("aedes", &aedes)] {
                let service = brokers::start_challenge_service(
                    &lab_bin,
                    &broker.tcp_addr,
                    (MOSQUITTO_USER, MOSQUITTO_PASSWORD),
                    &run_dir.path().join(format!("challenge-service-{name}.log")),
                );
                services.push(service?);
            }
            Ok(services)
        })
        .map_err(|e| with_logs(e, &mut lab, &mut mosquitto))?;
    steps.run("browser tests", || {
        // The library's unit tests and the browser suite; not the flood benchmark.
        let suite = || -> Res<Command> {
            let mut cmd = browser_test_command(&root, &env, &["--lib", "--test", "browser"])?;
            if let Some(name) = filter {
                cmd.args(["--", name]);
            }
            Ok(cmd)
        };
        let log = run_dir.path().join("browser-tests.log");
        let first = run_logged(&mut suite()?, &log);
        let result = match first {
            Err(e) if stalled(&log) => {
                // The known stall (ARCHITECTURE.md, "Tests"): the page stops making progress
                // in one test of a full run (about 1 in 7), no assertion fails and nothing is
                // logged. A stall is not a verdict on the code, so the suite runs once more;
                // a failure, or a second stall, fails the step.
                println!(
                    "\nWARNING: the browser suite stalled ({e}); running it once more. \
                     A stall is the known flake in ARCHITECTURE.md (\"Tests\"), not a test failure.\n"
                );
                run_logged(&mut suite()?, &log)
            }
            other => other,
        };
        result.map_err(|e| with_logs(e, &mut lab, &mut mosquitto))
    })?;
    drop((services, lab, mosquitto, aedes));

    if !only_browser {
        steps.run("release build", || {
            let dist = root.join("target").join("release-dist");
            let size = crate::dist::build(&root, &dist)?;
            crate::dist::smoke_test(&root, &dist)?;
            size.check_budget()
        })?;
    }
    Ok(())
}

/// The `MQTT_*` variables the tests read (at compile time, with `option_env!`);
/// `MQTT_MOSQUITTO_CUT_WS_URL` is the lab's listener in front of mosquitto, where
/// `/control/cut` cuts connections to mosquitto.
pub(crate) fn broker_env(lab: &Broker, mosquitto: &Broker) -> Vec<(String, String)> {
    [
        ("MQTT_LAB_WS_URL", lab.ws_url.as_str()),
        ("MQTT_LAB_TCP_ADDR", lab.tcp_addr.as_str()),
        ("MQTT_MOSQUITTO_WS_URL", mosquitto.ws_url.as_str()),
        ("MQTT_MOSQUITTO_TCP_ADDR", mosquitto.tcp_addr.as_str()),
        ("MQTT_MOSQUITTO_USERNAME", MOSQUITTO_USER),
        ("MQTT_MOSQUITTO_PASSWORD", MOSQUITTO_PASSWORD),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain(
        lab.faults_url
            .iter()
            .map(|u| ("MQTT_FAULTS_URL".to_string(), u.clone())),
    )
    .chain(
        lab.upstream_url
            .iter()
            .map(|u| ("MQTT_MOSQUITTO_CUT_WS_URL".to_string(), u.clone())),
    )
    .chain(closed_port().map(|p| ("MQTT_CLOSED_PORT".to_string(), p.to_string())))
    .collect()
}

/// `MQTT_INTEROP_TARGETS` for the matrix's quick part (the full one is `cargo xtask
/// interop`): the lab, this run's mosquitto (no anonymous logins in its config) and aedes,
/// each with a challenge service. Format: tests/browser/interop.rs.
fn quick_matrix(lab: &Broker, mosquitto: &Broker, aedes: &Broker) -> String {
    let login = format!("{MOSQUITTO_USER}|{MOSQUITTO_PASSWORD}");
    [
        format!("lab|{}|||anonymous,retain,challenge", lab.ws_url),
        format!(
            "mosquitto|{}|{login}|password,retain,v5,challenge",
            mosquitto.ws_url
        ),
        format!(
            "aedes|{}|{login}|anonymous,password,retain,challenge",
            aedes.ws_url
        ),
    ]
    .join(";")
}

/// A port nothing listens on (free a moment ago), for the "unreachable broker" test.
fn closed_port() -> Option<u16> {
    crate::brokers::free_ports::<1>().ok().map(|[p]| p)
}

/// `cargo test -p mqtt-playground --target wasm32-unknown-unknown`, run by
/// wasm-bindgen-test-runner (the target's runner in .cargo/config.toml) in headless Chromium.
pub(crate) fn browser_test_command(
    root: &Path,
    env: &[(String, String)],
    targets: &[&str],
) -> Res<Command> {
    let chromedriver = find_in_path("chromedriver")
        .ok_or("chromedriver is not on PATH: run `cargo xtask setup --browser`")?;
    let mut cmd = Command::new(cargo());
    cmd.args(["test", "-p", APP, "--target", "wasm32-unknown-unknown"])
        .args(targets)
        .current_dir(root)
        .envs(env.iter().cloned())
        .env("CHROMEDRIVER", chromedriver);
    if std::env::var_os("WASM_BINDGEN_TEST_TIMEOUT").is_none() {
        cmd.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    }
    // Chrome flags: wasm-bindgen-test-runner 0.2.130 always asks for `headless`, `no-sandbox`
    // and `disable-dev-shm-usage` (so root works), merged with the capabilities in
    // $WASM_BINDGEN_TEST_WEBDRIVER_JSON or ./webdriver.json if present; chromedriver adds
    // `disable-gpu`, `no-first-run`, `disable-background-networking` etc. by itself.
    Ok(cmd)
}

/// Runs named steps and remembers how long each took.
#[derive(Default)]
struct Steps {
    done: Vec<(&'static str, Duration, bool)>,
}

impl Steps {
    fn run<T>(&mut self, name: &'static str, step: impl FnOnce() -> Res<T>) -> Res<T> {
        println!("\n==> [{}] {name}", self.done.len() + 1);
        let start = Instant::now();
        let result = step();
        self.done.push((name, start.elapsed(), result.is_ok()));
        result.map_err(|e| format!("step `{name}` failed: {e}"))
    }

    fn failed(&self) -> Option<&'static str> {
        self.done
            .iter()
            .find(|(_, _, ok)| !ok)
            .map(|(name, _, _)| *name)
    }

    fn summary(&self) {
        println!("\n---- timing ----");
        let mut total = Duration::ZERO;
        for (name, took, ok) in &self.done {
            total += *took;
            let mark = if *ok { "ok    " } else { "FAILED" };
            println!("{mark} {:>7.1} s  {name}", took.as_secs_f64());
        }
        println!("       {:>7.1} s  total", total.as_secs_f64());
    }
}

/// Runs `cmd` with its output written to `log`, then printed.
fn run_logged(cmd: &mut Command, log: &Path) -> Res {
    let file =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let copy = file
        .try_clone()
        .map_err(|e| format!("cannot reopen {}: {e}", log.display()))?;
    let result = proc::run(cmd.stdout(file).stderr(copy));
    if let Ok(text) = std::fs::read(log) {
        use std::io::Write;
        let _ = std::io::stdout().write_all(&text);
    }
    result
}

/// Whether the browser suite's output says a test never reported (the runner's words for a
/// page that stopped making progress), rather than that a test failed.
fn stalled(log: &Path) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.contains("Failed to detect test as having been run") && !text.contains("panicked:")
}

#[cfg(test)]
mod stall_tests {
    use super::stalled;

    #[test]
    fn only_a_silent_stall_is_a_stall() {
        let dir = std::env::temp_dir().join(format!("xtask-stall-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = dir.join("log");
        let cases = [
            (
                "Failed to detect test as having been run. It might have timed out.",
                true,
            ),
            (
                "Failed to detect test as having been run.\n    panicked: at src/x.rs",
                false,
            ),
            ("test a ... FAILED\npanicked at tests/browser/x.rs", false),
            ("test result: ok. 98 passed", false),
        ];
        for (text, expected) in cases {
            std::fs::write(&log, text).expect("written");
            assert_eq!(stalled(&log), expected, "{text}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
