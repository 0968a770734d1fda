//! Command-line parsing, by hand: seven flags do not justify a dependency.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use lab::LabConfig;

pub const USAGE: &str = "\
Usage: cargo run -p lab -- [OPTIONS]

Runs an embedded MQTT broker (rumqttd) for mqtt-playground: MQTT 3.1.1 over
WebSocket for the browser and over TCP for other tools. No authentication.

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
  --verbose       show rumqttd's logs on stderr (RUST_LOG sets the filter)
  -h, --help      print this help

Once its listeners accept connections it prints one line for tools:
  LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT
with ` faults=ws://HOST:PORT` appended when --fault-port is given.
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub lab: LabConfig,
    pub verbose: bool,
}

/// Parses the arguments after the program name. Accepts `--flag value` and `--flag=value`.
/// The error is a sentence for the user.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))?;
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value = || -> Result<String, String> {
            match inline_value
                .clone()
                .or_else(|| args.next().and_then(|v| v.into_string().ok()))
            {
                Some(value) => Ok(value),
                None => Err(format!("{flag} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--verbose" => options.verbose = true,
            "--ws-port" => options.lab.ws_port = port(&flag, &value()?)?,
            "--tcp-port" => options.lab.tcp_port = port(&flag, &value()?)?,
            "--host" => options.lab.host = host(&value()?)?,
            "--app-dir" => options.lab.app_dir = Some(dir(&flag, value()?)?),
            "--fault-port" => options.lab.fault_port = Some(port(&flag, &value()?)?),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Command::Run(options))
}

fn port(flag: &str, value: &str) -> Result<u16, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} expects a port number from 0 to 65535, not {value:?}"))
}

fn dir(flag: &str, value: String) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err(format!("{flag} expects a directory"));
    }
    Ok(PathBuf::from(value))
}

fn host(value: &str) -> Result<IpAddr, String> {
    if value == "localhost" {
        return Ok(Ipv4Addr::LOCALHOST.into());
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    bare.parse().map_err(|_| {
        format!("--host expects an IP address such as 127.0.0.1, 0.0.0.0 or ::1, not {value:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_arguments_give_the_defaults() {
        assert_eq!(run(&[]), Ok(Command::Run(Options::default())));
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
    fn help_wins() {
        assert_eq!(run(&["--ws-port", "0", "--help"]), Ok(Command::Help));
        assert_eq!(run(&["-h"]), Ok(Command::Help));
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
}
