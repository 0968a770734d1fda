//! `cargo xtask bench`: benchmark numbers, printed, never asserted (docs/bench.md).
//!
//! 1. `cargo bench -p mqtt-session`: the sans-IO session's throughput, natively.
//! 2. In one headless Chromium against one mosquitto (`xtask/scripts/bench/bench-browser.mjs`,
//!    driven over CDP by `cdp.mjs` beside it): the same native flood into a hand-written raw MQTT page
//!    (the ceiling), an MQTT.js page with a bounded log and the release page's live log; the
//!    release page under a paced flood (long tasks, frame gaps) and its memory over 1,000,000
//!    messages; the producers (raw JS vs the page's repeat publish) counted natively.
//!
//! The Node script asks for floods and for the counting subscriber with `@bench` lines on its
//! stdout; they run here (`bench_mqtt.rs`), and each request gets one answer line.

use crate::bench_mqtt::{self, Counter};
use crate::brokers::{self, Broker};
use crate::proc::{self, catch_signals, find_in_path, TempDir};
use crate::{cargo, parse_flags, repo_root, setup, Res};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The benchmark's npm peer (MQTT.js, for its browser bundle), installed under
/// target/tools/bench when missing; never shipped.
const NPM_PACKAGES: [&str; 1] = ["mqtt@5.16.0"];
const FLOOD_MESSAGES: u32 = 100_000;
const RUNS: u32 = 3;
const PACED_RATE: u32 = 10_000;
const PACED_SECS: u32 = 30;
const MEMORY_MESSAGES: u32 = 1_000_000;
const PRODUCE_MESSAGES: u32 = 100_000;

pub fn run(flags: &[String]) -> Res {
    let [profile, skip_native, reuse_dist, no_setup] = parse_flags(
        "bench",
        flags,
        ["--profile", "--skip-native", "--reuse-dist", "--no-setup"],
    )?;
    if !no_setup {
        setup::ensure(true)?;
    }
    catch_signals();
    let root = repo_root();
    if !skip_native {
        proc::run(
            Command::new(cargo())
                .args(["bench", "-p", "mqtt-session"])
                .current_dir(&root),
        )?;
    }

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // A release build of its own: dist/ is the user's, and may be stale or absent.
    let dist = target.join("bench-dist");
    if !(reuse_dist && dist.join("index.html").is_file()) {
        crate::dist::build(&root, &dist)?;
    }
    let profile_dist = if profile {
        let named = target.join("bench-prof-dist");
        named_copy(&dist, &root, &named)?;
        format!(",\"profileDist\":{}", json_str(&named.to_string_lossy()))
    } else {
        String::new()
    };
    let tools = target.join("tools").join("bench");
    ensure_npm_tools(&tools)?;
    let chromium = find_in_path("chromium")
        .ok_or("chromium is not installed: run `cargo xtask setup --browser`")?;
    let node = find_in_path("node").ok_or("node is not on PATH (the browser driver runs on it)")?;

    let run_dir = TempDir::new("bench")?;
    let mut mosquitto = start_quiet_mosquitto(run_dir.path())?;
    let config = format!(
        "{{\"tools\":{},\"pages\":{},\"dist\":{},\"chromium\":{},\"out\":{},\"ws\":{},\
         \"user\":\"\",\"pass\":\"\",\"messages\":{FLOOD_MESSAGES},\"runs\":{RUNS},\
         \"pacedRate\":{PACED_RATE},\"pacedSecs\":{PACED_SECS},\
         \"memoryMessages\":{MEMORY_MESSAGES},\"produceMessages\":{PRODUCE_MESSAGES},\
         \"profile\":{profile}{profile_dist}}}",
        json_str(&tools.to_string_lossy()),
        json_str(&root.join("xtask/scripts/bench").to_string_lossy()),
        json_str(&dist.to_string_lossy()),
        json_str(&chromium.to_string_lossy()),
        json_str(&target.join("bench").to_string_lossy()),
        json_str(&mosquitto.ws_url),
    );
    let result = drive(&node, &root, &config, &mosquitto.tcp_addr);
    if result.is_err() {
        eprintln!("{}", mosquitto.log_tail());
    }
    if let Some(status) = mosquitto.exited() {
        return Err(format!("mosquitto exited during the benchmark ({status})"));
    }
    result
}

/// Runs the Node driver, serving its `@bench` requests until it exits.
fn drive(node: &Path, root: &Path, config: &str, broker_tcp: &str) -> Res {
    let mut cmd = Command::new(node);
    // Node 20's WebSocket (for CDP) is behind this flag.
    cmd.arg("--experimental-websocket")
        .arg(root.join("xtask/scripts/bench/bench-browser.mjs"))
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .current_dir(root);
    println!("$ node --experimental-websocket xtask/scripts/bench/bench-browser.mjs '<config>'");
    // Its own process group (Chromium goes with it), killed if we stop early.
    cmd.process_group(0);
    let mut driver = Driver(cmd.spawn().map_err(|e| format!("cannot run node: {e}"))?);
    let stdout = driver
        .0
        .stdout
        .take()
        .ok_or("the driver's stdout was not captured")?;
    let mut stdin = driver
        .0
        .stdin
        .take()
        .ok_or("the driver's stdin was not captured")?;
    let mut counter: Option<Counter> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the driver's output: {e}"))?;
        let Some(request) = line.strip_prefix("@bench ") else {
            println!("{line}");
            continue;
        };
        let answer =
            serve(request, broker_tcp, &mut counter).unwrap_or_else(|e| format!("error {e}"));
        writeln!(stdin, "{answer}").map_err(|e| format!("answering the driver: {e}"))?;
        if proc::interrupted() {
            return Err("interrupted".into());
        }
    }
    let status = driver
        .0
        .wait()
        .map_err(|e| format!("waiting for the driver: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the browser benchmark failed ({status})"))
    }
}

/// The Node driver's process; its whole group is killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SIGTERM first: the driver then kills its Chromium (exit handler).
            let group = -(self.0.id() as libc::pid_t);
            // SAFETY: kill(2) on the process group we created for the driver.
            unsafe { libc::kill(group, libc::SIGTERM) };
            proc::wait_until(Duration::from_secs(5), || {
                matches!(self.0.try_wait(), Ok(Some(_)))
            });
            // SAFETY: as above.
            unsafe { libc::kill(group, libc::SIGKILL) };
            let _ = self.0.wait();
        }
    }
}

/// `flood TOPIC COUNT RATE` → `START END` (epoch ms); `subscribe TOPIC` → `ok`;
/// `count EXPECTED IDLE_MS` → `COUNT FIRST LAST` (epoch ms).
fn serve(request: &str, broker_tcp: &str, counter: &mut Option<Counter>) -> Res<String> {
    let words: Vec<&str> = request.split_whitespace().collect();
    let number = |i: usize| -> Res<u64> {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("bad request `{request}`"))
    };
    match words.first().copied() {
        Some("flood") => {
            let topic = words.get(1).ok_or("flood: no topic")?;
            let count = u32::try_from(number(2)?).map_err(|_| "flood: count too large")?;
            let rate = u32::try_from(number(3)?).map_err(|_| "flood: rate too large")?;
            let f = bench_mqtt::flood(broker_tcp, None, topic, count, rate)?;
            Ok(format!("{:.1} {:.1}", f.start_ms, f.end_ms))
        }
        Some("subscribe") => {
            let topic = words.get(1).ok_or("subscribe: no topic")?;
            *counter = None;
            *counter = Some(Counter::start(broker_tcp, None, topic)?);
            Ok("ok".into())
        }
        Some("count") => {
            let c = counter.as_ref().ok_or("count: nothing subscribed")?;
            let idle = Duration::from_millis(number(2)?);
            let a = c.wait(number(1)?, idle);
            Ok(format!("{} {:.1} {:.1}", a.count, a.first_ms, a.last_ms))
        }
        _ => Err(format!("unknown request `{request}`")),
    }
}

/// A copy of the release build in `dist` whose main wasm keeps its function names, for
/// profiles: wasm-bindgen's output before wasm-opt (xtask/src/split.rs), under the same name.
fn named_copy(dist: &Path, root: &Path, named: &Path) -> Res {
    let _ = fs::remove_dir_all(named);
    let named_wasm = crate::split::named_main_wasm(root);
    let mut replaced = false;
    for path in crate::split::files_in(dist)? {
        let relative = path.strip_prefix(dist).map_err(|e| e.to_string())?;
        let to = named.join(relative);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let from = if relative.ends_with(crate::split::MAIN_WASM) {
            replaced = true;
            &named_wasm
        } else {
            &path
        };
        fs::copy(from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    }
    if !replaced {
        return Err(format!(
            "no {} in {}",
            crate::split::MAIN_WASM,
            dist.display()
        ));
    }
    Ok(())
}

/// mosquitto on free ports with anonymous access and errors-only logging: `start_mosquitto`'s
/// `log_type all` writes two log lines per message, which would make the broker the bottleneck.
fn start_quiet_mosquitto(dir: &Path) -> Res<Broker> {
    brokers::spawn_mosquitto(
        dir,
        "allow_anonymous true\npersistence false\nlog_dest stderr\n\
         log_type error\nlog_type warning\n\
         max_queued_messages 0\nmax_queued_bytes 0\n",
    )
}

/// mqtt (MQTT.js's browser bundle, a peer to compare with), from npm into `dir` when missing.
fn ensure_npm_tools(dir: &Path) -> Res {
    let have = |package: &str| {
        let (name, version) = package.rsplit_once('@').unwrap_or((package, ""));
        fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
            .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
    };
    if NPM_PACKAGES.iter().all(|p| have(p)) {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    println!(
        "installing: {} (npm, into {})",
        NPM_PACKAGES.join(" "),
        dir.display()
    );
    proc::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(dir)
            .args(NPM_PACKAGES),
    )
    .map_err(|e| format!("could not install the benchmark's npm packages: {e}"))
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
