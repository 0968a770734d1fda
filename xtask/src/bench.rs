//! `cargo xtask bench`: benchmark numbers, printed, never asserted.
//!
//! 1. `cargo bench -p mqtt-session`: the sans-IO session's throughput, natively.
//! 2. The page's flood benchmark (`tests/flood_bench.rs`), release build, headless Chromium,
//!    against the lab on free ports: messages/s into the live log and frame gaps.

use crate::brokers;
use crate::proc::{self, catch_signals, TempDir};
use crate::test::{browser_test_command, LAB_START_TIMEOUT};
use crate::{cargo, parse_flags, repo_root, setup, Res};
use std::process::Command;

pub fn run(flags: &[String]) -> Res {
    parse_flags("bench", flags, [])?;
    setup::ensure(true)?;
    catch_signals();
    let root = repo_root();
    proc::run(
        Command::new(cargo())
            .args(["bench", "-p", "mqtt-session"])
            .current_dir(&root),
    )?;

    let run_dir = TempDir::new("bench")?;
    let bin = brokers::build_lab(&root)?;
    let lab = brokers::start_lab(
        &bin,
        // No challenge service: it subscribes to +/+, which would see the flood too.
        &["--ws-port", "0", "--tcp-port", "0", "--no-challenge"],
        Some(&run_dir.path().join("lab.log")),
        LAB_START_TIMEOUT,
    )?;
    let env = vec![("MQTT_LAB_WS_URL".to_string(), lab.ws_url.clone())];
    let mut cmd = browser_test_command(&root, &env, &["--release", "--test", "flood_bench"])?;
    cmd.args(["--", "--nocapture"]);
    let result = proc::run(&mut cmd);
    drop(lab);
    result
}
