//! Command-line parsing, by hand: a few dozen flags do not justify a dependency.
//!
//! `lab [OPTIONS]` runs the broker and the challenge service (whose flags `service.rs`
//! holds); the subcommands `lab challenge-service` and `lab solve` live in `service.rs` and
//! `solve.rs`.

mod flags;
mod service;
mod solve;

use std::ffi::OsString;

use challenge::ServerConfig;
use lab::device_fleet::FleetConfig;
use lab::LabConfig;

use self::flags::{dir, host, number, port, Flags};

pub use self::service::ServiceOptions;
pub use self::solve::SolveCli;

pub const USAGE: &str = "\
Usage: cargo run -p lab -- [OPTIONS]
       cargo run -p lab -- challenge-service --broker HOST:PORT [OPTIONS]
       cargo run -p lab -- solve --broker HOST:PORT --user-id ID [OPTIONS]
       (each subcommand has its own --help)

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

Options:
  --ws-port N     WebSocket port (default 9001; 0 picks a free port)
  --tcp-port N    TCP port (default 1883; 0 picks a free port)
  --host ADDR     IP address to listen on (default 127.0.0.1)
  --app-dir DIR   also serve the built web app from DIR (e.g. dist/ after
                  `trunk build`) over HTTP on the WebSocket port: open
                  http://HOST:WS-PORT/ and the app's default broker URL
                  (its origin + /mqtt) is the lab. Off unless given.
  --fault-port N  also serve deliberately broken MQTT over WebSocket on port N
                  (0 picks a free port), for testing clients' error handling.
                  The request path picks the fault:
                    /text      sends a text frame (MQTT needs binary)
                    /garbage   answers CONNECT with a malformed packet
                    /silent    never answers
                    /close     closes with 1011 after the first message
                    /oversize  CONNACK, then a PUBLISH claiming 200,000,000 bytes
                  any other path gets HTTP 404. Off unless given.
  --devices N     how many simulated devices (default 3; 0 = none)
  --telemetry-ms N
                  the devices' telemetry interval in ms (default 2000)
  --no-challenge  do not run the challenge service
  --verbose       show rumqttd's logs on stderr (RUST_LOG sets the filter)
  -h, --help      print this help

Challenge options (the seed's behaviour by default):
  --challenge-delay-ms N  from the unique id to the first command (default 3000)
  --min-commands N        fewest commands per login (default 5)
  --max-commands N        most commands per login (default 20)
  --pace-ms N             between two commands (default 200; 0 = all at once)
  --seed N                seeds unique ids, commands and the devices' sensors
                          (default: from the clock; the ready block shows it)
  --challenge-qos 0|1|2   for the service's subscriptions and messages (default 1)

Once its listeners accept connections (and the devices and the service are
subscribed) it
prints one line for tools:
  LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT
with ` faults=ws://HOST:PORT` appended when --fault-port is given.
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    ChallengeService(ServiceOptions),
    Solve(SolveCli),
    /// Print this usage text.
    Help(&'static str),
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

/// A seed for the challenge when `--seed` is not given: the wall clock, so two runs differ.
/// The only clock read of the service; the seed is printed so a run can be replayed.
pub fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Parses the arguments after the program name. Accepts `--flag value` and `--flag=value`.
/// `seed` is the challenge seed unless `--seed` is given. The error is a sentence for the
/// user; the caller prints it with the usage text that [`usage_for`] picks.
pub fn parse(args: impl IntoIterator<Item = OsString>, seed: u64) -> Result<Command, String> {
    let mut args = Flags::new(args);
    match args.peek_subcommand() {
        Some("challenge-service") => return service::parse(args.skip_one(), seed),
        Some("solve") => return solve::parse(args.skip_one()),
        _ => {}
    }
    let (mut lab, mut verbose, mut with_challenge) = (LabConfig::default(), false, true);
    let mut server = ServerConfig::new(seed);
    let mut devices = FleetConfig::new(seed);
    while let Some(flag) = args.next_flag()? {
        match flag.name.as_str() {
            "-h" | "--help" => return Ok(Command::Help(USAGE)),
            "--verbose" => verbose = true,
            "--no-challenge" => with_challenge = false,
            "--ws-port" => lab.ws_port = port(&flag.name, &args.value(&flag)?)?,
            "--tcp-port" => lab.tcp_port = port(&flag.name, &args.value(&flag)?)?,
            "--host" => lab.host = host(&args.value(&flag)?)?,
            "--app-dir" => lab.app_dir = Some(dir(&flag.name, args.value(&flag)?)?),
            "--fault-port" => lab.fault_port = Some(port(&flag.name, &args.value(&flag)?)?),
            "--devices" => devices.count = number(&flag.name, &args.value(&flag)?)?,
            "--telemetry-ms" => devices.telemetry = telemetry(&flag.name, &args.value(&flag)?)?,
            _ if service::challenge_flag(&mut args, &flag, &mut server)? => {}
            _ => return Err(format!("unknown argument {:?}", flag.name)),
        }
    }
    service::check(&server)?;
    devices.seed = server.seed;
    Ok(Command::Run(Options {
        lab,
        verbose,
        challenge: with_challenge.then_some(server),
        devices,
    }))
}

/// A telemetry interval in milliseconds, at least 1.
fn telemetry(flag: &str, value: &str) -> Result<std::time::Duration, String> {
    match number::<u64>(flag, value)? {
        0 => Err(format!("{flag} must be at least 1 (milliseconds)")),
        ms => Ok(std::time::Duration::from_millis(ms)),
    }
}

/// The usage text to print with an error from `parse(args)`: the subcommand's own.
pub fn usage_for(args: &[OsString]) -> &'static str {
    match args.first().and_then(|a| a.to_str()) {
        Some("challenge-service") => service::USAGE,
        Some("solve") => solve::USAGE,
        _ => USAGE,
    }
}

#[cfg(test)]
pub(crate) fn run(args: &[&str]) -> Result<Command, String> {
    parse(args.iter().map(OsString::from), 7)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn no_arguments_give_the_defaults_with_the_seeds_challenge() {
        let expected = Options {
            lab: LabConfig::default(),
            verbose: false,
            challenge: Some(ServerConfig::new(7)),
            devices: FleetConfig::new(7),
        };
        assert_eq!(run(&[]), Ok(Command::Run(expected)));
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
        assert!(run(&["--telemetry-ms", "0"])
            .unwrap_err()
            .contains("at least 1"));
        assert!(run(&["--devices", "-1"])
            .unwrap_err()
            .contains("whole number"));
    }

    #[test]
    fn help_wins() {
        assert_eq!(run(&["--ws-port", "0", "--help"]), Ok(Command::Help(USAGE)));
        assert_eq!(run(&["-h"]), Ok(Command::Help(USAGE)));
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(run(&["--ws-port", "70000"])
            .unwrap_err()
            .contains("0 to 65535"));
        assert!(run(&["--tcp-port"]).unwrap_err().contains("needs a value"));
        assert!(run(&["--host", "example.org"])
            .unwrap_err()
            .contains("IP address"));
        assert!(run(&["--app-dir"]).unwrap_err().contains("needs a value"));
        assert!(run(&["--fault-port=x"]).unwrap_err().contains("0 to 65535"));
        assert!(run(&["--app-dir="]).unwrap_err().contains("directory"));
        assert!(run(&["--bogus"]).unwrap_err().contains("unknown argument"));
    }

    #[test]
    fn each_subcommand_errs_with_its_own_usage() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(usage_for(&args(&["solve", "--x"])), solve::USAGE);
        assert_eq!(usage_for(&args(&["challenge-service"])), service::USAGE);
        assert_eq!(usage_for(&args(&["--x"])), USAGE);
    }
}
