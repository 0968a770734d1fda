//! The challenge on a real broker: a fast service and solver runs, shared by `challenge.rs`
//! (the lab's broker) and `mosquitto.rs`.

use std::time::Duration;

use challenge::{ClientConfig, ServerConfig};
use lab::challenge_service::{start_service, RunningService};
use lab::solve_report::SolveReport;
use lab::solver::{solve, SolveOptions};
use mqtt_session::{ConnectOptions, Credentials, QoS};

/// Failure guard for a whole run (connect, login, up to 80 commands, final message); a
/// healthy run on loopback takes well under a second.
pub const RUN_GUARD: Duration = Duration::from_secs(30);

/// The seed's service, fast: 100 ms to the first command, 40 to 80 commands, in one burst
/// (`pace` None) or paced.
pub fn fast_server(seed: u64, pace: Option<Duration>, qos: QoS) -> ServerConfig {
    ServerConfig {
        delay: Duration::from_millis(100),
        min_commands: 40,
        max_commands: 80,
        pace,
        qos,
        ..ServerConfig::new(seed)
    }
}

/// Connect options for a client of a test broker.
pub fn connect_options(client_id: &str, credentials: Option<&Credentials>) -> ConnectOptions {
    ConnectOptions {
        credentials: credentials.cloned(),
        ..ConnectOptions::new(client_id)
    }
}

/// Starts the service on `broker`, logging to the test's output.
pub async fn service(
    broker: &str,
    credentials: Option<&Credentials>,
    config: ServerConfig,
) -> RunningService {
    let options = connect_options(&format!("test-service-{}", config.seed), credentials);
    let started = start_service(broker, options, config, |event| {
        println!("[challenge] {event}")
    });
    match tokio::time::timeout(RUN_GUARD, started).await {
        Ok(Ok(service)) => service,
        Ok(Err(error)) => panic!("the service did not start: {error}"),
        Err(_) => panic!("the service did not start within {RUN_GUARD:?}"),
    }
}

/// Runs the solver once as `user_id` at `qos`.
pub async fn solve_as(
    broker: &str,
    credentials: Option<&Credentials>,
    user_id: &str,
    qos: QoS,
) -> SolveReport {
    let mut challenge = ClientConfig::new(user_id);
    challenge.qos = qos;
    let options = SolveOptions {
        broker: broker.to_string(),
        connect: connect_options(&format!("solver-{user_id}"), credentials),
        challenge,
    };
    match tokio::time::timeout(RUN_GUARD, solve(options, |_| {})).await {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => panic!("the solver refused its settings: {error}"),
        Err(_) => panic!("{user_id}: no result within {RUN_GUARD:?}"),
    }
}

/// Solves at QoS 0, 1 and 2 at once (three logins in flight on one service) and checks that
/// each run is done with one reply per command.
pub async fn solve_at_every_qos(broker: &str, credentials: Option<&Credentials>, prefix: &str) {
    let ids = ["0", "1", "2"].map(|q| format!("{prefix}-{}-q{q}", std::process::id()));
    let (r0, r1, r2) = tokio::join!(
        solve_as(broker, credentials, &ids[0], QoS::AtMostOnce),
        solve_as(broker, credentials, &ids[1], QoS::AtLeastOnce),
        solve_as(broker, credentials, &ids[2], QoS::ExactlyOnce),
    );
    for (report, qos) in [(r0, 0), (r1, 1), (r2, 2)] {
        assert!(report.is_done(), "QoS {qos}: {:?}\n{report}", report.phase);
        let commands = report.stats.commands_received.total();
        assert!(
            (40..=80).contains(&commands),
            "QoS {qos}: {commands} commands"
        );
        assert_eq!(report.stats.replies_sent, commands, "QoS {qos}\n{report}");
        let acknowledged = if qos == 0 { 0 } else { commands };
        assert_eq!(
            report.replies_acknowledged(),
            acknowledged,
            "QoS {qos}\n{report}"
        );
        assert_eq!(
            report.latencies.len() as u32,
            commands,
            "QoS {qos}\n{report}"
        );
        assert!(
            report.first_command_to_final().is_some(),
            "QoS {qos}\n{report}"
        );
    }
}
