//! The command line, declared with clap's derive: `lab [OPTIONS]` runs the broker, the
//! simulated devices and the challenge service; `lab challenge-service` and `lab solve` run
//! one side of the challenge against any broker.
//!
//! Every default lives in the library (`LabConfig::default()`, `FleetConfig::new`,
//! `ServerConfig::new`, `ClientConfig::new`): a flag that is not given leaves its setting
//! alone, so the help text states the defaults and the code cannot drift from them.

mod values;

use std::ffi::OsString;
use std::fmt::Display;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use challenge::{ChallengeServer, ServerConfig};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use lab::device_fleet::FleetConfig;
use lab::{LabConfig, UpstreamConfig};
use mqtt_session::{Credentials, QoS};

const ABOUT: &str = "\
Runs an embedded MQTT broker (rumqttd) for mqtt-playground: MQTT 3.1.1 over
WebSocket for the browser and over TCP for other tools. No authentication:
anonymous clients and any user name/password are accepted, so the seed's
student / i_make_mqtt_cool work too.

With it run simulated smart objects lab-device-1..N, each on its own MQTT
connection: retained info on `device/<id>/info` and events on
`device/<id>/event`, telemetry on `device/<id>/telemetry/<resource>`, the
device exercise's readings on `device/<id>/sensor/temperature`; they take
actions on `device/<id>/action`, e.g. {\"action\":\"light\",\"value\":\"on\"}.

And the IoT challenge service (client id challenge-service): publish a user
id on `login`, get a unique id on `<user id>/UUID`, then commands on
`<unique id>` to answer on `<unique id>/CMDn`.

Each subcommand has its own --help.";

const AFTER_HELP: &str = "\
Once its listeners accept connections (and the devices and the service are
subscribed) it prints one line for tools:
  LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT
with ` faults=ws://HOST:PORT` appended when --fault-port is given and
` upstream=ws://HOST:PORT/mqtt` when --upstream is.

For tests, with --control the WebSocket port (and the --upstream-ws-port)
also answers (GET or POST, any origin)
  http://HOST:PORT/control/cut[?client=PREFIX]
which cuts every live WebSocket connection of either port, or those whose
MQTT client id starts with PREFIX, as a network failure would (no close
frame, no DISCONNECT), and answers {\"cut\": N}.";

const FAULT_PORT_HELP: &str = "\
also serve deliberately broken MQTT over WebSocket on port N
(0 picks a free port), for testing clients' error handling.
The request path picks the fault:
  /text      sends a text frame (MQTT needs binary)
  /garbage   answers CONNECT with a malformed packet
  /silent    never answers
  /close     closes with 1011 after the first message
  /oversize  CONNACK, then a PUBLISH claiming 200,000,000 bytes
any other path gets HTTP 404. Off unless given.";

const SERVICE_ABOUT: &str = "\
Runs only the IoT challenge service, as an MQTT client of any broker (MQTT 3.1.1
over TCP): it answers a user id on `login` with a unique id on `<user id>/UUID`,
sends commands on `<unique id>` and checks the replies on `<unique id>/CMDn`.
It stops (exit code 1) if its connection closes.";

const SOLVE_ABOUT: &str = "\
Plays the student's side of the IoT challenge over MQTT 3.1.1 on TCP, like the
browser app: publishes ID on `login`, takes the unique id from `ID/UUID`, answers
every command and waits for the final message. Prints each step with the time
since the start and a summary (commands, replies, timings).
Exit code 0 when done, 1 when the challenge failed (the reason on stderr), 2 for
a usage error.";

/// `lab [OPTIONS]` or one of its subcommands. Flags of `lab` itself may not be mixed with a
/// subcommand: they would be silently ignored.
#[derive(Debug, Parser)]
#[command(
    name = "lab",
    about = ABOUT,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    allow_negative_numbers = true,
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    subcommand: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Runs only the challenge service, as a client of any broker
    #[command(long_about = SERVICE_ABOUT, allow_negative_numbers = true)]
    ChallengeService(ServiceArgs),
    /// Plays the student's side of the challenge, like the browser app
    #[command(long_about = SOLVE_ABOUT, allow_negative_numbers = true)]
    Solve(SolveArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// WebSocket port (default 9001; 0 picks a free port)
    #[arg(long, value_name = "N", value_parser = values::port)]
    ws_port: Option<u16>,
    /// TCP port (default 1883; 0 picks a free port)
    #[arg(long, value_name = "N", value_parser = values::port)]
    tcp_port: Option<u16>,
    /// IP address to listen on (default 127.0.0.1)
    #[arg(long, value_name = "ADDR", value_parser = values::host)]
    host: Option<IpAddr>,
    /// also serve the built web app from DIR (e.g. dist/ after
    /// `trunk build`) over HTTP on the WebSocket port: open
    /// http://HOST:WS-PORT/ and the app's default broker URL
    /// (its origin + /mqtt) is the lab. Off unless given.
    #[arg(long, value_name = "DIR", value_parser = values::dir, verbatim_doc_comment)]
    app_dir: Option<PathBuf>,
    #[arg(long, value_name = "N", value_parser = values::port, help = FAULT_PORT_HELP)]
    fault_port: Option<u16>,
    /// answer /control/cut on the WebSocket ports (for tests; see
    /// below). Off unless given: anyone reaching the port could cut
    /// every connection.
    #[arg(long, verbatim_doc_comment)]
    control: bool,
    /// also bridge WebSocket clients of --upstream-ws-port to another
    /// broker's MQTT-over-TCP listener (e.g. mosquitto's), so
    /// --control can cut connections to it too. Off unless given.
    #[arg(
        long,
        value_name = "HOST:PORT",
        value_parser = values::broker,
        requires = "upstream_ws_port",
        verbatim_doc_comment
    )]
    upstream: Option<String>,
    /// WebSocket port in front of --upstream (0 picks a free port)
    #[arg(long, value_name = "N", value_parser = values::port, requires = "upstream")]
    upstream_ws_port: Option<u16>,
    /// how many simulated devices (default 3; 0 = none)
    #[arg(long, value_name = "N", value_parser = values::number::<u32>)]
    devices: Option<u32>,
    /// the devices' telemetry interval in ms (default 2000)
    #[arg(long, value_name = "N", value_parser = values::telemetry_ms)]
    telemetry_ms: Option<u64>,
    /// do not run the challenge service
    #[arg(long)]
    no_challenge: bool,
    /// show rumqttd's logs on stderr (RUST_LOG sets the filter)
    #[arg(long)]
    verbose: bool,
    #[command(flatten)]
    challenge: ChallengeArgs,
}

/// The challenge service's settings, shared by `lab` (embedded) and `lab challenge-service`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Challenge options (the seed's behaviour by default)")]
struct ChallengeArgs {
    /// from the unique id to the first command (default 3000)
    #[arg(long, value_name = "N", value_parser = values::number::<u64>)]
    challenge_delay_ms: Option<u64>,
    /// fewest commands per login (default 5)
    #[arg(long, value_name = "N", value_parser = values::number::<u32>)]
    min_commands: Option<u32>,
    /// most commands per login (default 20)
    #[arg(long, value_name = "N", value_parser = values::number::<u32>)]
    max_commands: Option<u32>,
    /// between two commands (default 200; 0 = all at once)
    #[arg(long, value_name = "N", value_parser = values::number::<u64>)]
    pace_ms: Option<u64>,
    /// seeds unique ids and commands (and in `lab` the devices' sensors)
    /// (default: from the clock; the ready block shows it)
    #[arg(long, value_name = "N", value_parser = values::number::<u64>, verbatim_doc_comment)]
    seed: Option<u64>,
    /// for the service's subscriptions and messages (default 1)
    #[arg(long, value_name = "0|1|2", value_parser = values::qos)]
    challenge_qos: Option<QoS>,
}

/// A login for a broker that wants one.
#[derive(Debug, Args)]
struct LoginArgs {
    /// log in as U (e.g. student); the lab's embedded broker
    /// accepts anonymous clients and any credentials
    #[arg(long, value_name = "U", value_parser = values::username, verbatim_doc_comment)]
    username: Option<String>,
    /// the password for --username (MQTT 3.1.1 sends no password alone)
    #[arg(long, value_name = "P", requires = "username")]
    password: Option<String>,
}

#[derive(Debug, Args)]
struct ServiceArgs {
    /// the broker to connect to, e.g. 127.0.0.1:1883
    #[arg(long, value_name = "HOST:PORT", value_parser = values::broker)]
    broker: String,
    #[command(flatten)]
    login: LoginArgs,
    /// MQTT client id (default challenge-service-<pid>)
    #[arg(long, value_name = "X")]
    client_id: Option<String>,
    /// share the logins with every service of group G ($share/G/login): run several to
    /// serve a class together; each student stays with the service that got its login
    #[arg(long, value_name = "G")]
    share_group: Option<String>,
    #[command(flatten)]
    challenge: ChallengeArgs,
}

#[derive(Debug, Args)]
struct SolveArgs {
    /// the broker to connect to, e.g. the lab's 127.0.0.1:1883; with --clients it may be
    /// given again (e.g. each node of a clustered broker): students are dealt over the
    /// brokers in turn, student 1 on the first
    #[arg(long, value_name = "HOST:PORT", value_parser = values::broker, required = true)]
    broker: Vec<String>,
    /// the user id to log in with, e.g. 12345
    #[arg(long, value_name = "ID", value_parser = values::user_id)]
    user_id: String,
    #[command(flatten)]
    login: LoginArgs,
    /// for the subscriptions, the login and every reply (default 1)
    #[arg(long, value_name = "0|1|2", value_parser = values::qos)]
    qos: Option<QoS>,
    /// MQTT client id (default solver-<pid>)
    #[arg(long, value_name = "X")]
    client_id: Option<String>,
    /// run N students at once (a class): user ids <ID>-1..<ID>-N, client ids <X>-1..<X>-N;
    /// prints completions, errors and p50/p99 times instead of each student's steps
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    clients: Option<u32>,
    /// with --clients, start one student every MS milliseconds (default 2)
    #[arg(long, value_name = "MS", requires = "clients")]
    ramp_ms: Option<u64>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    ChallengeService(ServiceOptions),
    Solve(SolveCli),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub lab: LabConfig,
    pub verbose: bool,
    /// The embedded challenge service's settings; `None` with `--no-challenge`.
    pub challenge: Option<ServerConfig>,
    /// The simulated devices (`count` 0 with `--devices 0`), seeded like the challenge.
    pub devices: FleetConfig,
}

/// `lab challenge-service`: where to connect and how to play.
#[derive(Debug, PartialEq, Eq)]
pub struct ServiceOptions {
    pub broker: String,
    pub client_id: String,
    pub credentials: Option<Credentials>,
    pub server: ServerConfig,
}

/// `lab solve`: where to connect, who to be.
#[derive(Debug, PartialEq, Eq)]
pub struct SolveCli {
    /// The first `--broker`.
    pub broker: String,
    /// Every `--broker`, in order, when there are several (only with `--clients`); else empty.
    pub brokers: Vec<String>,
    pub user_id: String,
    pub credentials: Option<Credentials>,
    pub qos: QoS,
    pub client_id: String,
    /// More than 1: a class run of this many students.
    pub clients: u32,
    /// Between two students' starts in a class run.
    pub ramp: Duration,
}

/// A seed for the challenge when `--seed` is not given: the wall clock, so two runs differ.
/// The only clock read of the service; the seed is printed so a run can be replayed.
pub fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Parses the arguments after the program name (`--flag value` or `--flag=value`); `seed`
/// is the challenge seed unless `--seed` is given. `--help` and every usage error come back
/// as a [`clap::Error`]: `exit()` prints it (help on stdout, errors with the usage of the
/// command at fault on stderr) and exits with 0 or 2.
pub fn parse(args: impl IntoIterator<Item = OsString>, seed: u64) -> Result<Command, clap::Error> {
    let program = std::iter::once(OsString::from("lab"));
    let cli = Cli::try_parse_from(program.chain(args))?;
    match cli.subcommand {
        None => run_options(cli.run, seed),
        Some(Sub::ChallengeService(args)) => service_options(args, seed),
        Some(Sub::Solve(args)) => solve_options(args).map(Command::Solve),
    }
}

fn run_options(args: RunArgs, seed: u64) -> Result<Command, clap::Error> {
    let defaults = LabConfig::default();
    let lab = LabConfig {
        host: args.host.unwrap_or(defaults.host),
        ws_port: args.ws_port.unwrap_or(defaults.ws_port),
        tcp_port: args.tcp_port.unwrap_or(defaults.tcp_port),
        app_dir: args.app_dir,
        fault_port: args.fault_port,
        control: args.control,
        upstream: args
            .upstream
            .zip(args.upstream_ws_port)
            .map(|(broker, ws_port)| UpstreamConfig { broker, ws_port }),
    };
    let server = server_config(args.challenge, seed, None)?;
    let mut devices = FleetConfig::new(server.seed);
    if let Some(count) = args.devices {
        devices.count = count;
    }
    if let Some(ms) = args.telemetry_ms {
        devices.telemetry = Duration::from_millis(ms);
    }
    Ok(Command::Run(Options {
        lab,
        verbose: args.verbose,
        challenge: (!args.no_challenge).then_some(server),
        devices,
    }))
}

fn service_options(args: ServiceArgs, seed: u64) -> Result<Command, clap::Error> {
    let mut server = server_config(args.challenge, seed, Some("challenge-service"))?;
    server.share_group = args.share_group;
    if let Err(error) = ChallengeServer::new(server.clone()) {
        let mut command = Cli::command();
        return Err(command.error(ErrorKind::ValueValidation, error.to_string()));
    }
    Ok(Command::ChallengeService(ServiceOptions {
        broker: args.broker,
        client_id: args
            .client_id
            .unwrap_or_else(|| format!("challenge-service-{}", std::process::id())),
        credentials: values::credentials(args.login.username, args.login.password),
        server,
    }))
}

fn solve_options(args: SolveArgs) -> Result<SolveCli, clap::Error> {
    let mut brokers = args.broker;
    if brokers.len() > 1 && args.clients.is_none() {
        let message = "several --broker need --clients (one student runs on one broker)";
        return Err(usage_error(Some("solve"), message));
    }
    let broker = brokers.first().cloned().unwrap_or_default();
    if brokers.len() == 1 {
        brokers.clear();
    }
    Ok(SolveCli {
        broker,
        brokers,
        user_id: args.user_id,
        credentials: values::credentials(args.login.username, args.login.password),
        qos: args.qos.unwrap_or(QoS::AtLeastOnce),
        client_id: args
            .client_id
            .unwrap_or_else(|| format!("solver-{}", std::process::id())),
        clients: args.clients.unwrap_or(1),
        ramp: Duration::from_millis(args.ramp_ms.unwrap_or(2)),
    })
}

/// The challenge flags applied to the seed's settings, refused now (a usage error, exit
/// code 2) if the server would refuse them.
fn server_config(
    args: ChallengeArgs,
    seed: u64,
    subcommand: Option<&str>,
) -> Result<ServerConfig, clap::Error> {
    let mut server = ServerConfig::new(args.seed.unwrap_or(seed));
    if let Some(ms) = args.challenge_delay_ms {
        server.delay = Duration::from_millis(ms);
    }
    if let Some(min) = args.min_commands {
        server.min_commands = min;
    }
    if let Some(max) = args.max_commands {
        server.max_commands = max;
    }
    if let Some(ms) = args.pace_ms {
        server.pace = (ms > 0).then(|| Duration::from_millis(ms));
    }
    if let Some(qos) = args.challenge_qos {
        server.qos = qos;
    }
    match ChallengeServer::new(server.clone()) {
        Ok(_) => Ok(server),
        Err(error) => Err(usage_error(subcommand, error)),
    }
}

/// An error found after clap's own checks, formatted like clap's: with the usage of the
/// command at fault.
fn usage_error(subcommand: Option<&str>, message: impl Display) -> clap::Error {
    let mut cli = Cli::command();
    cli.build();
    let command = match subcommand.and_then(|name| cli.find_subcommand_mut(name)) {
        Some(command) => command,
        None => &mut cli,
    };
    command.error(ErrorKind::ValueValidation, message)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::path::PathBuf;

    use super::*;

    fn run(args: &[&str]) -> Result<Command, clap::Error> {
        parse(args.iter().map(OsString::from), 7)
    }

    /// The error as the user sees it.
    fn err(args: &[&str]) -> String {
        let error = run(args).expect_err("should be refused");
        assert_eq!(error.exit_code(), 2, "{error}");
        error.render().to_string()
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_give_the_defaults_with_the_seeds_challenge() {
        let expected = Options {
            lab: LabConfig::default(),
            verbose: false,
            challenge: Some(ServerConfig::new(7)),
            devices: FleetConfig::new(7),
        };
        assert_eq!(run(&[]).unwrap(), Command::Run(expected));
    }

    #[test]
    fn flags_take_separate_or_inline_values() {
        let Ok(Command::Run(options)) = run(&[
            "--ws-port",
            "0",
            "--tcp-port=1884",
            "--host",
            "::1",
            "--verbose",
            "--app-dir=dist",
            "--fault-port",
            "0",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(options.lab.ws_port, 0);
        assert_eq!(options.lab.tcp_port, 1884);
        assert_eq!(options.lab.host, "::1".parse::<IpAddr>().unwrap());
        assert!(options.verbose);
        assert_eq!(options.lab.app_dir, Some(PathBuf::from("dist")));
        assert_eq!(options.lab.fault_port, Some(0));
    }

    #[test]
    fn upstream_takes_a_broker_and_its_own_websocket_port_together() {
        let Ok(Command::Run(options)) = run(&["--upstream=127.0.0.1:1883", "--upstream-ws-port=0"])
        else {
            panic!("should parse");
        };
        let expected = UpstreamConfig {
            broker: "127.0.0.1:1883".to_owned(),
            ws_port: 0,
        };
        assert_eq!(options.lab.upstream, Some(expected));
        let Ok(Command::Run(options)) = run(&[]) else {
            panic!("should parse");
        };
        assert_eq!(options.lab.upstream, None);
        let alone = err(&["--upstream", "127.0.0.1:1883"]);
        assert!(alone.contains("--upstream-ws-port <N>"), "{alone}");
        assert!(err(&["--upstream-ws-port", "0"]).contains("--upstream <HOST:PORT>"));
        assert!(err(&["--upstream=nohost", "--upstream-ws-port=0"]).contains("HOST:PORT"));
    }

    #[test]
    fn localhost_and_bracketed_addresses_are_hosts() {
        for (given, expected) in [("localhost", "127.0.0.1"), ("[::1]", "::1")] {
            let Ok(Command::Run(options)) = run(&["--host", given]) else {
                panic!("{given} should parse");
            };
            assert_eq!(options.lab.host, expected.parse::<IpAddr>().unwrap());
        }
    }

    #[test]
    fn no_challenge_turns_the_service_off() {
        let Ok(Command::Run(options)) = run(&["--no-challenge", "--pace-ms", "0"]) else {
            panic!("should parse");
        };
        assert_eq!(options.challenge, None);
    }

    #[test]
    fn devices_are_counted_timed_and_seeded_with_the_challenge() {
        let Ok(Command::Run(options)) = run(&["--devices", "0", "--telemetry-ms=50", "--seed=3"])
        else {
            panic!("should parse");
        };
        let expected = FleetConfig {
            count: 0,
            telemetry: std::time::Duration::from_millis(50),
            seed: 3,
        };
        assert_eq!(options.devices, expected);
        assert!(err(&["--telemetry-ms", "0"]).contains("at least 1"));
        assert!(err(&["--devices", "-1"]).contains("whole number"));
    }

    #[test]
    fn help_wins_and_is_not_an_error() {
        for args in [&["--ws-port", "0", "--help"][..], &["-h"]] {
            let help = run(args).expect_err("help is not a command");
            assert_eq!(help.kind(), ErrorKind::DisplayHelp);
            assert_eq!(help.exit_code(), 0);
            let text = help.render().to_string();
            let needles = [
                "--fault-port",
                "/oversize",
                "--challenge-qos",
                "LAB_READY",
                "/control/cut",
                "--upstream <HOST:PORT>",
                "upstream=ws://",
            ];
            for needle in needles {
                assert!(text.contains(needle), "{needle} missing from:\n{text}");
            }
        }
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(err(&["--ws-port", "70000"]).contains("0 to 65535"));
        assert!(err(&["--tcp-port"]).contains("a value is required for '--tcp-port <N>'"));
        assert!(err(&["--host", "example.org"]).contains("IP address"));
        assert!(err(&["--app-dir"]).contains("a value is required for '--app-dir <DIR>'"));
        assert!(err(&["--fault-port=x"]).contains("0 to 65535"));
        assert!(err(&["--app-dir="]).contains("directory"));
        assert!(err(&["--bogus"]).contains("unexpected argument '--bogus'"));
    }

    #[test]
    fn each_subcommand_errs_with_its_own_usage() {
        assert!(err(&["solve", "--x"]).contains("Usage: lab solve"));
        assert!(err(&["challenge-service"]).contains("Usage: lab challenge-service"));
        assert!(err(&["--x"]).contains("Usage: lab [OPTIONS]"));
        let swapped = [
            "challenge-service",
            "--broker=h:1",
            "--min-commands=9",
            "--max-commands=3",
        ];
        assert!(err(&swapped).contains("Usage: lab challenge-service"));
    }

    #[test]
    fn flags_of_lab_itself_do_not_mix_with_a_subcommand() {
        let text = err(&["--ws-port", "0", "solve", "--broker=h:1", "--user-id=1"]);
        assert!(text.contains("solve"), "{text}");
    }

    #[test]
    fn the_service_takes_a_broker_credentials_and_the_challenge_flags() {
        let Ok(Command::ChallengeService(options)) = run(&[
            "challenge-service",
            "--broker=mqtt.example:1883",
            "--username",
            "student",
            "--password",
            "i_make_mqtt_cool",
            "--challenge-delay-ms",
            "100",
            "--min-commands=80",
            "--max-commands=80",
            "--pace-ms",
            "0",
            "--seed",
            "42",
            "--challenge-qos",
            "2",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(options.broker, "mqtt.example:1883");
        assert!(options.client_id.starts_with("challenge-service-"));
        let credentials = options.credentials.expect("credentials");
        assert_eq!(credentials.username, "student");
        assert_eq!(credentials.password.as_deref(), Some("i_make_mqtt_cool"));
        let server = options.server;
        assert_eq!(server.delay, Duration::from_millis(100));
        assert_eq!((server.min_commands, server.max_commands), (80, 80));
        assert_eq!(server.pace, None);
        assert_eq!(server.seed, 42);
        assert_eq!(server.qos, QoS::ExactlyOnce);
    }

    #[test]
    fn the_embedded_service_takes_the_same_flags() {
        let Ok(Command::Run(options)) = run(&["--pace-ms=5", "--seed=3"]) else {
            panic!("should parse");
        };
        let server = options.challenge.expect("challenge on by default");
        assert_eq!(server.pace, Some(Duration::from_millis(5)));
        assert_eq!(server.seed, 3);
    }

    #[test]
    fn bad_service_settings_are_usage_errors() {
        assert!(err(&["challenge-service"]).contains("--broker <HOST:PORT>"));
        assert!(err(&["challenge-service", "--broker", "nohost"]).contains("HOST:PORT"));
        assert!(err(&["--min-commands", "9", "--max-commands", "3"]).contains("swap"));
        assert!(err(&["--challenge-qos", "3"]).contains("0, 1 or 2"));
        assert!(err(&["--pace-ms", "-1"]).contains("whole number"));
        let alone = ["challenge-service", "--broker=h:1", "--password=p"];
        assert!(err(&alone).contains("--username"));
        let empty = ["challenge-service", "--broker=h:1", "--username="];
        assert!(err(&empty).contains("must not be empty"));
        let foreign = ["challenge-service", "--broker=h:1", "--no-challenge"];
        assert!(err(&foreign).contains("unexpected argument '--no-challenge'"));
    }

    #[test]
    fn solve_takes_a_broker_a_user_id_and_the_rest_is_optional() {
        let Ok(Command::Solve(cli)) = run(&["solve", "--broker", "[::1]:1883", "--user-id=12345"])
        else {
            panic!("should parse");
        };
        assert_eq!(cli.broker, "[::1]:1883");
        assert_eq!(cli.user_id, "12345");
        assert_eq!(cli.credentials, None);
        assert_eq!(cli.qos, QoS::AtLeastOnce);
        assert!(cli.client_id.starts_with("solver-"));

        let Ok(Command::Solve(cli)) = run(&[
            "solve",
            "--broker",
            "h:1",
            "--user-id",
            "7",
            "--qos",
            "0",
            "--client-id",
            "me",
            "--username",
            "student",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(cli.qos, QoS::AtMostOnce);
        assert_eq!(cli.client_id, "me");
        assert_eq!(cli.credentials.map(|c| c.password), Some(None));
        assert_eq!(cli.clients, 1);
    }

    #[test]
    fn a_class_may_be_dealt_over_several_brokers() {
        let Ok(Command::Solve(cli)) = run(&[
            "solve",
            "--broker",
            "a:1",
            "--broker=b:2",
            "--broker",
            "c:3",
            "--user-id",
            "7",
            "--clients",
            "9",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(cli.broker, "a:1");
        assert_eq!(cli.brokers, ["a:1", "b:2", "c:3"]);
        let one_student = err(&[
            "solve",
            "--broker",
            "a:1",
            "--broker",
            "b:2",
            "--user-id",
            "7",
        ]);
        assert!(
            one_student.contains("several --broker need --clients"),
            "{one_student}"
        );
        assert!(one_student.contains("lab solve"), "{one_student}");
        assert!(err(&[
            "solve",
            "--broker",
            "a:1",
            "--broker",
            "b",
            "--user-id",
            "7"
        ])
        .contains("expects HOST:PORT"));
    }

    #[test]
    fn solve_runs_a_class_with_clients_and_a_ramp() {
        let Ok(Command::Solve(cli)) = run(&[
            "solve",
            "--broker",
            "h:1",
            "--user-id",
            "7",
            "--clients",
            "1000",
            "--ramp-ms",
            "5",
        ]) else {
            panic!("should parse");
        };
        assert_eq!((cli.clients, cli.ramp), (1000, Duration::from_millis(5)));
        assert_eq!((cli.broker.as_str(), cli.brokers.len()), ("h:1", 0));
        assert!(err(&[
            "solve",
            "--broker",
            "h:1",
            "--user-id",
            "7",
            "--clients",
            "0"
        ])
        .contains("--clients"));
        assert!(err(&[
            "solve",
            "--broker",
            "h:1",
            "--user-id",
            "7",
            "--ramp-ms",
            "5"
        ])
        .contains("--clients"));
    }

    #[test]
    fn a_user_id_that_cannot_name_its_topic_is_a_usage_error() {
        let text = err(&["solve", "--broker", "h:1", "--user-id", "12/34"]);
        assert!(text.contains("--user-id <ID>"), "{text}");
        assert!(text.contains("the user id '12/34' contains '/'"), "{text}");
        assert!(err(&["solve", "--broker", "h:1"]).contains("--user-id <ID>"));
        assert!(err(&["solve", "--user-id", "1"]).contains("--broker <HOST:PORT>"));
        assert!(err(&["solve", "--broker=h:1", "--user-id=1", "--qos=high"]).contains("0, 1 or 2"));
        let help = run(&["solve", "--help"]).expect_err("help is not a command");
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        assert!(help.render().to_string().contains("--user-id <ID>"));
    }
}
