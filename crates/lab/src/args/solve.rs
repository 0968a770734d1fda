//! `lab solve`: the native solver's flags.

use challenge::protocol::validate_user_id;
use mqtt_session::{Credentials, QoS};

use super::flags::{broker, credentials, qos, Flags};
use super::Command;

pub const USAGE: &str = "\
Usage: cargo run -p lab -- solve --broker HOST:PORT --user-id ID [OPTIONS]

Plays the student's side of the IoT challenge over MQTT 3.1.1 on TCP, like the
browser app: publishes ID on `login`, takes the unique id from `ID/UUID`, answers
every command and waits for the final message. Prints each step with the time
since the start and a summary (commands, replies, timings).
Exit code 0 when done, 1 when the challenge failed (the reason on stderr), 2 for
a usage error.

Options:
  --broker HOST:PORT  the broker to connect to (required), e.g. the lab's
                      127.0.0.1:1883
  --user-id ID        the user id to log in with (required), e.g. 12345
  --username U        log in as U (e.g. student); the lab's embedded broker
  --password P        accepts anonymous clients and any credentials
  --qos 0|1|2         for the subscriptions, the login and every reply (default 1)
  --client-id X       MQTT client id (default solver-<pid>)
  -h, --help          print this help
";

/// `lab solve`: where to connect, who to be.
#[derive(Debug, PartialEq, Eq)]
pub struct SolveCli {
    pub broker: String,
    pub user_id: String,
    pub credentials: Option<Credentials>,
    pub qos: QoS,
    pub client_id: String,
}

/// Parses the arguments after `solve`.
pub(super) fn parse(mut args: Flags) -> Result<Command, String> {
    let (mut addr, mut user_id, mut username, mut password) = (None, None, None, None);
    let mut qos_level = QoS::AtLeastOnce;
    let mut client_id = format!("solver-{}", std::process::id());
    while let Some(flag) = args.next_flag()? {
        match flag.name.as_str() {
            "-h" | "--help" => return Ok(Command::Help(USAGE)),
            "--broker" => addr = Some(broker(&args.value(&flag)?)?),
            "--user-id" => user_id = Some(args.value(&flag)?),
            "--username" => username = Some(args.value(&flag)?),
            "--password" => password = Some(args.value(&flag)?),
            "--qos" => qos_level = qos(&flag.name, &args.value(&flag)?)?,
            "--client-id" => client_id = args.value(&flag)?,
            _ => return Err(format!("unknown argument {:?}", flag.name)),
        }
    }
    let user_id = user_id.ok_or("solve needs --user-id ID, e.g. --user-id 12345")?;
    validate_user_id(&user_id).map_err(|error| format!("--user-id: {error}"))?;
    Ok(Command::Solve(SolveCli {
        broker: addr.ok_or("solve needs --broker HOST:PORT, e.g. --broker 127.0.0.1:1883")?,
        user_id,
        credentials: credentials(username, password)?,
        qos: qos_level,
        client_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::run;
    use super::*;

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
    }

    #[test]
    fn a_user_id_that_cannot_name_its_topic_is_a_usage_error() {
        let err = run(&["solve", "--broker", "h:1", "--user-id", "12/34"]).unwrap_err();
        assert!(
            err.starts_with("--user-id: the user id '12/34' contains '/'"),
            "{err}"
        );
        assert!(run(&["solve", "--broker", "h:1"])
            .unwrap_err()
            .contains("--user-id"));
        assert!(run(&["solve", "--user-id", "1"])
            .unwrap_err()
            .contains("--broker"));
        assert!(run(&["solve", "--broker=h:1", "--user-id=1", "--qos=high"])
            .unwrap_err()
            .contains("0, 1 or 2"));
        assert_eq!(run(&["solve", "--help"]), Ok(Command::Help(USAGE)));
    }
}
