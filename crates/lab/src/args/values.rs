//! Turning flag values into settings, with errors a user can act on. clap prints each as
//! "invalid value 'x' for '--flag <N>': <our sentence>".

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use challenge::protocol::validate_user_id;
use mqtt_session::{Credentials, QoS};

pub fn port(value: &str) -> Result<u16, String> {
    value
        .parse()
        .map_err(|_| format!("expects a port number from 0 to 65535, not {value:?}"))
}

pub fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("expects a whole number, not {value:?}"))
}

/// A telemetry interval in milliseconds, at least 1.
pub fn telemetry_ms(value: &str) -> Result<u64, String> {
    match number(value)? {
        0 => Err("must be at least 1 (milliseconds)".to_string()),
        ms => Ok(ms),
    }
}

/// `HOST:PORT` for `--broker`; the host is resolved when connecting.
pub fn broker(value: &str) -> Result<String, String> {
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(value.to_owned())
        }
        _ => Err(format!(
            "expects HOST:PORT, such as 127.0.0.1:1883, not {value:?}"
        )),
    }
}

pub fn qos(value: &str) -> Result<QoS, String> {
    match value {
        "0" => Ok(QoS::AtMostOnce),
        "1" => Ok(QoS::AtLeastOnce),
        "2" => Ok(QoS::ExactlyOnce),
        _ => Err(format!("expects 0, 1 or 2, not {value:?}")),
    }
}

pub fn dir(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err("expects a directory".to_string());
    }
    Ok(PathBuf::from(value))
}

pub fn host(value: &str) -> Result<IpAddr, String> {
    if value == "localhost" {
        return Ok(Ipv4Addr::LOCALHOST.into());
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    bare.parse().map_err(|_| {
        format!("expects an IP address such as 127.0.0.1, 0.0.0.0 or ::1, not {value:?}")
    })
}

/// A user name: MQTT allows an empty one, but it is surely a mistake on the command line.
pub fn username(value: &str) -> Result<String, String> {
    match value {
        "" => Err("must not be empty".to_string()),
        name => Ok(name.to_owned()),
    }
}

/// A user id the challenge can name its topics after (no `/`, `+`, `#`, ...).
pub fn user_id(value: &str) -> Result<String, String> {
    validate_user_id(value).map_err(|error| error.to_string())?;
    Ok(value.to_owned())
}

/// MQTT 3.1.1 sends a password only with a user name [MQTT-3.1.2-22]; clap enforces that
/// (`--password` requires `--username`), so here a password alone cannot arrive.
pub fn credentials(username: Option<String>, password: Option<String>) -> Option<Credentials> {
    username.map(|username| Credentials { username, password })
}
