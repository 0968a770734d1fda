//! `cargo run -p lab`: runs the embedded MQTT broker and the challenge service until Ctrl-C or
//! SIGTERM; `lab challenge-service` and `lab solve` run one side of the challenge on its own.
//!
//! stdout carries the friendly lines and the `LAB_READY` line tools wait for; errors and (with
//! `--verbose`) rumqttd's logs go to stderr.

mod args;
mod challenge_cli;
mod console;

use std::process::ExitCode;
use std::time::Duration;

use args::{Command, Options};
use console::{say, shutdown_signal};
use lab::device_fleet::{self, FleetConfig};
use lab::{LabError, Listener};

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1), args::seed_from_clock()) {
        Ok(command) => command,
        // `--help` (on stdout, exit code 0) or a usage error (on stderr, exit code 2).
        Err(error) => error.exit(),
    };
    if matches!(&command, Command::Run(options) if options.verbose) {
        show_rumqttd_logs();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mqtt-playground lab: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        match command {
            Command::Run(options) => run(options).await,
            Command::ChallengeService(options) => challenge_cli::serve(options).await,
            Command::Solve(cli) => challenge_cli::solve(cli).await,
        }
    });
    // Connection tasks may still be running; do not wait for them on the way out.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn run(options: Options) -> ExitCode {
    let config = options.lab;
    let broker = match lab::start(&config).await {
        Ok(broker) => broker,
        Err(error) => {
            eprintln!("mqtt-playground lab: {error}");
            match error {
                LabError::AddrInUse {
                    listener: Listener::Faults,
                    ..
                } => eprintln!("  Choose another port with --fault-port N (0 = any free port)."),
                LabError::AddrInUse {
                    listener: Listener::Upstream,
                    ..
                } => eprintln!(
                    "  Choose another port with --upstream-ws-port N (0 = any free port)."
                ),
                LabError::AddrInUse { .. } => eprintln!(
                    "  Choose other ports with --ws-port N / --tcp-port N (0 = any free port)."
                ),
                _ => {}
            }
            return ExitCode::FAILURE;
        }
    };
    let exposed = if config.host.is_unspecified() {
        format!(
            "  Listening on all interfaces ({}), without authentication.\n",
            config.host
        )
    } else {
        String::new()
    };
    let app = match broker.app_url() {
        Some(url) => format!("  App:       {url}\n"),
        None => String::new(),
    };
    let faults = match broker.faults_url() {
        Some(url) => {
            let names: Vec<&str> = lab::FAULT_PATHS
                .iter()
                .map(|path| path.trim_start_matches('/'))
                .collect();
            format!("  Faults:    {url}/{{{}}}\n", names.join(","))
        }
        None => String::new(),
    };
    let upstream = match (broker.upstream_ws_url(), broker.upstream_broker()) {
        (Some(url), Some(upstream)) => format!("  Upstream:  {url} (bridged to {upstream})\n"),
        _ => String::new(),
    };
    // Before the ready line: a tool that waits for it may log in to the challenge or look for
    // the devices' retained info at once.
    let devices = start_devices(broker.tcp_addr(), &options.devices).await;
    let challenge = match options.challenge {
        Some(server) => challenge_cli::start_embedded(broker.tcp_addr(), server).await,
        None => "  Challenge: off (--no-challenge)\n".to_string(),
    };
    say(&format!(
        "mqtt-playground lab: embedded broker ready\n{app}  WebSocket: {}\n  TCP:       mqtt://{}\n{faults}{upstream}{devices}{challenge}{exposed}  Press Ctrl-C to stop.\n{}\n",
        broker.ws_url(),
        broker.tcp_addr(),
        broker.ready_line(),
    ));
    tokio::select! {
        error = broker.stopped() => {
            eprintln!("mqtt-playground lab: {error}");
            ExitCode::FAILURE
        }
        signal = shutdown_signal() => {
            say(&format!("mqtt-playground lab: {signal}, stopping\n"));
            ExitCode::SUCCESS
        }
    }
}

/// Starts the simulated devices on the lab's own broker and returns their line for the ready
/// block. Devices that cannot start, or stop later, are reported on stderr; the broker runs on
/// either way.
async fn start_devices(tcp_addr: std::net::SocketAddr, config: &FleetConfig) -> String {
    if config.count == 0 {
        return format!("  Devices:   {}\n", device_fleet::describe(config));
    }
    let log = |line: String| say(&format!("[devices] {line}\n"));
    match device_fleet::start_fleet(&tcp_addr.to_string(), config, log).await {
        Ok(fleet) => {
            tokio::spawn(async move {
                let mut fleet = fleet;
                loop {
                    let (device, reason) = fleet.next_stopped().await;
                    eprintln!(
                        "[devices] STOPPED: {device} lost its connection to the embedded broker: \
                         {reason}. The others run on; restart the lab to get it back."
                    );
                }
            });
            format!("  Devices:   {}\n", device_fleet::describe(config))
        }
        Err(error) => {
            eprintln!("[devices] NOT RUNNING: {error}");
            format!("  Devices:   NOT running: {error}\n")
        }
    }
}

/// rumqttd (and the bridge) log through `tracing`; with no subscriber installed (the default)
/// they are silent.
/// Its "errors" include ordinary disconnects, hence opt-in only.
fn show_rumqttd_logs() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,lab=debug"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
