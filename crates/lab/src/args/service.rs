//! The challenge service's flags, shared by `lab` (embedded) and `lab challenge-service`
//! (against any broker), and that subcommand.

use core::time::Duration;

use challenge::{ChallengeServer, ServerConfig};
use mqtt_session::Credentials;

use super::flags::{broker, credentials, number, qos, Flag, Flags};
use super::Command;

pub const USAGE: &str = "\
Usage: cargo run -p lab -- challenge-service --broker HOST:PORT [OPTIONS]

Runs only the IoT challenge service, as an MQTT client of any broker (MQTT 3.1.1
over TCP): it answers a user id on `login` with a unique id on `<user id>/UUID`,
sends commands on `<unique id>` and checks the replies on `<unique id>/CMDn`.
It stops (exit code 1) if its connection closes.

Options:
  --broker HOST:PORT      the broker to connect to (required)
  --username U            log in as U (e.g. student); the lab's embedded broker
  --password P            accepts anonymous clients and any credentials
  --client-id X           MQTT client id (default challenge-service-<pid>)
  --challenge-delay-ms N  from the unique id to the first command (default 3000)
  --min-commands N        fewest commands per login (default 5)
  --max-commands N        most commands per login (default 20)
  --pace-ms N             between two commands (default 200; 0 = all at once)
  --seed N                seeds unique ids and commands (default: from the clock)
  --challenge-qos 0|1|2   for the service's subscriptions and messages (default 1)
  -h, --help              print this help
";

/// `lab challenge-service`: where to connect and how to play.
#[derive(Debug, PartialEq, Eq)]
pub struct ServiceOptions {
    pub broker: String,
    pub client_id: String,
    pub credentials: Option<Credentials>,
    pub server: ServerConfig,
}

/// Parses the arguments after `challenge-service`.
pub(super) fn parse(mut args: Flags, seed: u64) -> Result<Command, String> {
    let mut server = ServerConfig::new(seed);
    let (mut addr, mut username, mut password) = (None, None, None);
    let mut client_id = format!("challenge-service-{}", std::process::id());
    while let Some(flag) = args.next_flag()? {
        match flag.name.as_str() {
            "-h" | "--help" => return Ok(Command::Help(USAGE)),
            "--broker" => addr = Some(broker(&args.value(&flag)?)?),
            "--username" => username = Some(args.value(&flag)?),
            "--password" => password = Some(args.value(&flag)?),
            "--client-id" => client_id = args.value(&flag)?,
            _ if challenge_flag(&mut args, &flag, &mut server)? => {}
            _ => return Err(format!("unknown argument {:?}", flag.name)),
        }
    }
    check(&server)?;
    Ok(Command::ChallengeService(ServiceOptions {
        broker: addr.ok_or("challenge-service needs --broker HOST:PORT")?,
        client_id,
        credentials: credentials(username, password)?,
        server,
    }))
}

/// Applies one of the challenge flags, if `flag` is one. Returns whether it was.
pub(super) fn challenge_flag(
    args: &mut Flags,
    flag: &Flag,
    server: &mut ServerConfig,
) -> Result<bool, String> {
    let name = flag.name.as_str();
    match name {
        "--challenge-delay-ms" => {
            server.delay = Duration::from_millis(number(name, &args.value(flag)?)?);
        }
        "--min-commands" => server.min_commands = number(name, &args.value(flag)?)?,
        "--max-commands" => server.max_commands = number(name, &args.value(flag)?)?,
        "--pace-ms" => {
            let pace: u64 = number(name, &args.value(flag)?)?;
            server.pace = (pace > 0).then(|| Duration::from_millis(pace));
        }
        "--seed" => server.seed = number(name, &args.value(flag)?)?,
        "--challenge-qos" => server.qos = qos(name, &args.value(flag)?)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Refuses settings the server would refuse, now, as a usage error (exit code 2).
pub(super) fn check(server: &ServerConfig) -> Result<(), String> {
    ChallengeServer::new(server.clone())
        .map(drop)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use mqtt_session::QoS;

    use super::super::run;
    use super::*;

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
        let err = |a: &[&str]| run(a).unwrap_err();
        assert!(err(&["challenge-service"]).contains("needs --broker"));
        assert!(err(&["challenge-service", "--broker", "nohost"]).contains("HOST:PORT"));
        assert!(err(&["--min-commands", "9", "--max-commands", "3"]).contains("swap"));
        assert!(err(&["--challenge-qos", "3"]).contains("0, 1 or 2"));
        assert!(err(&["--pace-ms", "-1"]).contains("whole number"));
        assert!(err(&["challenge-service", "--broker=h:1", "--password=p"]).contains("--username"));
        assert!(
            err(&["challenge-service", "--broker=h:1", "--no-challenge"])
                .contains("unknown argument")
        );
    }
}
