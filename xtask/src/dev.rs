//! `cargo xtask dev [--open] [--no-setup]`: build the app, then serve it from the lab on
//! http://127.0.0.1:9001/ next to the broker's WebSocket (same origin, path /mqtt), and rebuild
//! on source changes with `trunk watch`, until Ctrl-C.
//!
//! Why not `trunk serve`: its WebSocket proxy (trunk 0.21) does not echo the `mqtt`
//! subprotocol, so browsers reject the proxied connection, and the page's default broker URL
//! (its own origin + /mqtt) would fail. The lab serves `dist/` itself instead.
//! Ctrl-C, or either process exiting, stops both.

use crate::brokers::{self, port_open};
use crate::proc::{self, catch_signals, interrupted, Group};
use crate::{parse_flags, repo_root, setup, Res};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

const PAGE_URL: &str = "http://127.0.0.1:9001/";
const LAB_WS_PORT: u16 = 9001;
const LAB_TCP_PORT: u16 = 1883;

pub fn run(flags: &[String]) -> Res {
    let [open, no_setup] = parse_flags("dev", flags, ["--open", "--no-setup"])?;
    if !no_setup {
        setup::ensure(false)?;
    }
    for (port, who) in [
        (LAB_WS_PORT, "the lab's WebSocket and web listener"),
        (LAB_TCP_PORT, "the lab's TCP listener"),
    ] {
        if port_open(port) {
            return Err(format!(
                "port {port}, needed by {who}, is already in use (another `cargo xtask dev`, or \
                 a mosquitto service?): stop that process first"
            ));
        }
    }
    let root = repo_root();
    // A first build, so that dist/ exists before the lab serves it.
    proc::run(
        Command::new("trunk")
            .args(["build", "--offline"])
            .current_dir(&root),
    )?;
    let bin = brokers::build_lab(&root)?;
    catch_signals();
    let dist = root.join("dist");
    let dist = dist.to_string_lossy();
    let mut lab = brokers::start_lab(&bin, &["--app-dir", &dist], None, Duration::from_secs(120))?;

    let mut watch_cmd = Command::new("trunk");
    watch_cmd
        .args(["watch", "--offline"])
        .env("PATH", crate::binaryen::path_env())
        .current_dir(&root)
        .stdin(Stdio::null());
    println!("$ {}", proc::describe(&watch_cmd));
    let mut watch = Group::spawn("trunk watch", &mut watch_cmd)?;

    println!();
    println!("mqtt-playground: open {PAGE_URL} and press Connect");
    println!("broker: {} (TCP {})", lab.ws_url, lab.tcp_addr);
    println!("source changes are rebuilt by trunk watch: reload the page; Ctrl-C stops everything");
    println!();
    if open {
        let _ = Command::new("xdg-open").arg(PAGE_URL).status();
    }

    let result = loop {
        if interrupted() {
            println!("\nstopping");
            break Ok(());
        }
        if let Some(status) = lab.exited() {
            break Err(format!(
                "the lab exited ({status}); stopped trunk watch too"
            ));
        }
        if let Some(status) = watch.exited() {
            break Err(format!(
                "trunk watch exited ({status}); stopped the lab too"
            ));
        }
        sleep(Duration::from_millis(100));
    };
    watch.stop();
    drop(lab);
    result
}
