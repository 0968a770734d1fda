//! What `lab` says about the challenge: the embedded service's ready line and log, and the
//! two subcommands `lab challenge-service` and `lab solve`.
//!
//! The work is in the library (`lab::challenge_service`, `lab::solver`); this file only turns
//! its events into lines and its outcomes into exit codes.

use std::net::SocketAddr;
use std::process::ExitCode;

use challenge::{ChallengeEvent, ClientConfig, Phase, ServerConfig};
use lab::challenge_service::{self, describe, ServiceEvent};
use lab::class_report::run_class_across;
use lab::solver::{self, SolveOptions};
use mqtt_session::{ConnectOptions, QoS};

use crate::args::{ServiceOptions, SolveCli};
use crate::console::{say, shutdown_signal};

/// The embedded service's client id: fixed, so the broker's log names it plainly.
const EMBEDDED_CLIENT_ID: &str = "challenge-service";

/// Starts the service on the lab's own broker and returns its line for the ready block. A
/// service that cannot start, or stops later, is reported loudly on stderr; the broker runs
/// on either way, since it is useful without the challenge.
pub async fn start_embedded(tcp_addr: SocketAddr, config: ServerConfig) -> String {
    let description = describe(&config);
    let options = ConnectOptions::new(EMBEDDED_CLIENT_ID);
    let started =
        challenge_service::start_service(&tcp_addr.to_string(), options, config, log).await;
    match started {
        Ok(service) => {
            tokio::spawn(async move {
                let reason = service.stopped().await;
                eprintln!(
                    "[challenge] STOPPED: the challenge service lost its connection to the \
                     embedded broker: {reason}. The broker keeps running without it; restart \
                     the lab to get it back."
                );
            });
            format!("  Challenge: ready ({description})\n")
        }
        Err(error) => {
            eprintln!("[challenge] NOT RUNNING: {error}");
            format!("  Challenge: NOT running: {error}\n")
        }
    }
}

/// One line per service event, flushed at once (the lab's stdout is often a pipe).
fn log(event: ServiceEvent) {
    say(&format!("[challenge] {event}\n"));
}

/// `lab challenge-service`: runs until its connection closes (exit code 1) or Ctrl-C.
pub async fn serve(options: ServiceOptions) -> ExitCode {
    let mut connect = ConnectOptions::new(options.client_id);
    connect.credentials = options.credentials;
    let description = describe(&options.server);
    let broker = options.broker;
    let started = challenge_service::start_service(&broker, connect, options.server, log).await;
    let service = match started {
        Ok(service) => service,
        Err(error) => {
            eprintln!("lab challenge-service: {error}");
            return ExitCode::FAILURE;
        }
    };
    say(&format!(
        "lab challenge-service: ready on {broker} ({description})\n"
    ));
    tokio::select! {
        reason = service.stopped() => {
            eprintln!("lab challenge-service: the connection to {broker} closed: {reason}");
            ExitCode::FAILURE
        }
        signal = shutdown_signal() => {
            say(&format!("lab challenge-service: {signal}, stopping\n"));
            ExitCode::SUCCESS
        }
    }
}

/// `lab solve`: 0 when done, 1 when failed, 2 for settings the solver refuses.
pub async fn solve(cli: SolveCli) -> ExitCode {
    if cli.clients > 1 {
        return solve_class(cli).await;
    }
    let mut connect = ConnectOptions::new(cli.client_id.clone());
    connect.credentials = cli.credentials;
    let mut challenge = ClientConfig::new(cli.user_id.clone());
    challenge.qos = cli.qos;
    say(&format!(
        "lab solve: user id {} on {} as {}, QoS {}\n",
        cli.user_id,
        cli.broker,
        cli.client_id,
        qos_number(cli.qos)
    ));
    let options = SolveOptions {
        broker: cli.broker,
        connect,
        challenge,
    };
    let report = match solver::solve(options, progress).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("lab solve: {error}");
            return ExitCode::from(2);
        }
    };
    say(&report.to_string());
    match report.failure() {
        None => ExitCode::SUCCESS,
        Some(failure) => {
            eprintln!("lab solve: the challenge failed: {failure}");
            ExitCode::from(1)
        }
    }
}

/// One compact line per step, stamped with milliseconds since the start. Acks are left out:
/// the summary counts them and times them.
fn progress(event: &ChallengeEvent) {
    let (at, what) = match event {
        ChallengeEvent::PhaseChanged { at, phase } => (at, phase_line(phase)),
        ChallengeEvent::UniqueIdReceived { at, unique_id } => {
            (at, format!("unique id {unique_id}"))
        }
        ChallengeEvent::CommandReceived { at, command } => (at, format!("<- {command}")),
        ChallengeEvent::ReplySent {
            at,
            command,
            topic,
            pkid,
        } => {
            let pkid = pkid.map(|id| format!(" (pkid {id})")).unwrap_or_default();
            (at, format!("-> {} on {topic}{pkid}", command.reply()))
        }
        ChallengeEvent::ReplyAcknowledged { .. } => return,
        ChallengeEvent::Warning { at, warning } => (at, format!("warning: {warning}")),
    };
    say(&format!("{:>7} ms  {what}\n", at.as_millis()));
}

fn phase_line(phase: &Phase) -> String {
    match phase {
        Phase::Failed(failure) => format!("phase Failed: {failure}"),
        other => format!("phase {other:?}"),
    }
}

fn qos_number(qos: QoS) -> u8 {
    match qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 1,
        QoS::ExactlyOnce => 2,
    }
}

/// `lab solve --clients N`: N students at once, each the same solver as a single run with its
/// own user id (`<ID>-<i>`) and client id (`<X>-<i>`), started `ramp` apart, dealt over the
/// `--broker`s in turn when several are given; prints one
/// summary (completions, errors grouped, p50/p99 times). Exits 0 only if all completed.
async fn solve_class(cli: SolveCli) -> ExitCode {
    let n = cli.clients;
    let on = match cli.brokers.len() {
        0 | 1 => cli.broker.clone(),
        _ => format!("{} (dealt in turn)", cli.brokers.join(", ")),
    };
    say(&format!(
        "lab solve: a class of {n} students on {on}, QoS {}, one start every {} ms\n",
        qos_number(cli.qos),
        cli.ramp.as_millis()
    ));
    let mut connect = ConnectOptions::new(cli.client_id.clone());
    connect.credentials = cli.credentials.clone();
    let mut challenge = ClientConfig::new(cli.user_id.clone());
    challenge.qos = cli.qos;
    let template = SolveOptions {
        broker: cli.broker.clone(),
        connect,
        challenge,
    };
    let report = run_class_across(&template, &cli.brokers, n, cli.ramp).await;
    say(&report.to_string());
    if report.all_done() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
