//! Reading flags (`--name value` or `--name=value`) and turning values into settings, with
//! errors a user can act on.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use mqtt_session::{Credentials, QoS};

/// One flag as written: `--name`, with its value if given inline as `--name=value`.
pub struct Flag {
    pub name: String,
    inline: Option<String>,
}

/// The argument list, read flag by flag.
pub struct Flags {
    args: std::iter::Peekable<std::vec::IntoIter<OsString>>,
}

impl Flags {
    pub fn new(args: impl IntoIterator<Item = OsString>) -> Self {
        let args: Vec<OsString> = args.into_iter().collect();
        Self {
            args: args.into_iter().peekable(),
        }
    }

    pub fn peek_subcommand(&mut self) -> Option<&str> {
        self.args.peek().and_then(|a| a.to_str())
    }

    pub fn skip_one(mut self) -> Self {
        self.args.next();
        self
    }

    pub fn next_flag(&mut self) -> Result<Option<Flag>, String> {
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        let arg = arg
            .into_string()
            .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))?;
        Ok(Some(match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => Flag {
                name: name.to_owned(),
                inline: Some(value.to_owned()),
            },
            _ => Flag {
                name: arg,
                inline: None,
            },
        }))
    }

    /// The flag's value: inline, or the next argument.
    pub fn value(&mut self, flag: &Flag) -> Result<String, String> {
        match flag
            .inline
            .clone()
            .or_else(|| self.args.next().and_then(|v| v.into_string().ok()))
        {
            Some(value) => Ok(value),
            None => Err(format!("{} needs a value", flag.name)),
        }
    }
}

pub fn port(flag: &str, value: &str) -> Result<u16, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} expects a port number from 0 to 65535, not {value:?}"))
}

pub fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} expects a whole number, not {value:?}"))
}

/// `HOST:PORT` for `--broker`; the host is resolved when connecting.
pub fn broker(value: &str) -> Result<String, String> {
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(value.to_owned())
        }
        _ => Err(format!(
            "--broker expects HOST:PORT, such as 127.0.0.1:1883, not {value:?}"
        )),
    }
}

pub fn qos(flag: &str, value: &str) -> Result<QoS, String> {
    match value {
        "0" => Ok(QoS::AtMostOnce),
        "1" => Ok(QoS::AtLeastOnce),
        "2" => Ok(QoS::ExactlyOnce),
        _ => Err(format!("{flag} expects 0, 1 or 2, not {value:?}")),
    }
}

/// MQTT 3.1.1 sends a password only with a user name [MQTT-3.1.2-22].
pub fn credentials(
    username: Option<String>,
    password: Option<String>,
) -> Result<Option<Credentials>, String> {
    match (username, password) {
        (Some(username), _) if username.is_empty() => Err("--username must not be empty".into()),
        (Some(username), password) => Ok(Some(Credentials { username, password })),
        (None, Some(_)) => {
            Err("--password needs --username: MQTT 3.1.1 sends no password alone".into())
        }
        (None, None) => Ok(None),
    }
}

pub fn dir(flag: &str, value: String) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err(format!("{flag} expects a directory"));
    }
    Ok(PathBuf::from(value))
}

pub fn host(value: &str) -> Result<IpAddr, String> {
    if value == "localhost" {
        return Ok(Ipv4Addr::LOCALHOST.into());
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    bare.parse().map_err(|_| {
        format!("--host expects an IP address such as 127.0.0.1, 0.0.0.0 or ::1, not {value:?}")
    })
}
