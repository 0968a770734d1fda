//! The mqtt-playground lab: an embedded MQTT broker (rumqttd 0.20) so the web app can be tried
//! with nothing else installed.
//!
//! It listens for MQTT 3.1.1 over WebSocket (what the browser uses:
//! `new WebSocket("ws://127.0.0.1:9001/mqtt", "mqtt")`) and over plain TCP (for command-line
//! tools). [`start`] returns only once its listeners accept connections; the binary
//! (`cargo run -p lab`) and the integration tests both go through it.
//!
//! With [`LabConfig::fault_port`] set, a third listener serves deliberately broken MQTT over
//! WebSocket for testing clients' error handling (`faults.rs`).
//!
//! With [`LabConfig::app_dir`] set, the WebSocket port also serves the built web app over plain
//! HTTP, so the app's default broker URL (its own origin + `/mqtt`) reaches the lab directly.
//!
//! Beside the broker, the lab runs the seed's IoT challenge natively, on the project's own
//! sans-IO crates driven over TCP by [`mqtt_tcp`]: the broker-side service
//! ([`challenge_service`], started with the lab unless `--no-challenge`) and a solver
//! ([`solver`], `lab solve`) that plays the student's side like the browser app does.
//!
//! It also runs simulated smart objects ([`device_fleet`], `--devices N`): `lab-device-1..N`,
//! each `devices::SmartObject` on its own MQTT connection, publishing retained info and
//! events, telemetry and the device exercise's readings, and taking actions.

mod broker;
pub mod challenge_service;
pub mod device_fleet;
mod faults;
mod front_door;
pub mod mqtt_tcp;
mod send_window;
pub mod solve_report;
pub mod solver;
mod static_files;
mod ws_bridge;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

pub use broker::{start, RunningBroker, MAX_PACKET_SIZE};
pub use faults::{FAULT_PATHS, OVERSIZE_LENGTH};

/// Port of the WebSocket listener unless told otherwise (the usual MQTT-over-WebSocket port).
pub const DEFAULT_WS_PORT: u16 = 9001;
/// Port of the TCP listener unless told otherwise (the IANA MQTT port).
pub const DEFAULT_TCP_PORT: u16 = 1883;

/// Where the lab listens. A port of 0 means "any free port"; [`RunningBroker`] reports the
/// ports actually used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabConfig {
    /// Address both listeners bind to. Loopback by default: the lab has no authentication.
    pub host: IpAddr,
    pub ws_port: u16,
    pub tcp_port: u16,
    /// The built web app (e.g. trunk's `dist/`) to serve over HTTP on the WebSocket port.
    /// None by default: serving files is opt-in (`--app-dir`), never guessed.
    pub app_dir: Option<PathBuf>,
    /// Port of the fault-injection listener (misbehaving MQTT over WebSocket, chosen by request
    /// path: see [`FAULT_PATHS`]); 0 picks a free port. None by default: off unless asked for.
    pub fault_port: Option<u16>,
}

impl Default for LabConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ws_port: DEFAULT_WS_PORT,
            tcp_port: DEFAULT_TCP_PORT,
            app_dir: None,
            fault_port: None,
        }
    }
}

/// One of the lab's listeners, named the way a user would read it in an error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    WebSocket,
    Tcp,
    /// The fault-injection listener (`--fault-port`).
    Faults,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Listener::WebSocket => "MQTT over WebSocket",
            Listener::Tcp => "MQTT over TCP",
            Listener::Faults => "fault injection (MQTT over WebSocket)",
        })
    }
}

/// Why the lab could not start or stopped serving. Each message is a full sentence meant for
/// the person who ran the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("cannot listen for {listener} on {addr}: the port is already in use (is another broker running?)")]
    AddrInUse {
        listener: Listener,
        addr: SocketAddr,
    },
    #[error("cannot listen for {listener} on {addr}: {source}")]
    Bind {
        listener: Listener,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("the {listener} listener on {addr} did not accept connections within {seconds} s")]
    NotReady {
        listener: Listener,
        addr: SocketAddr,
        seconds: u64,
    },
    #[error("cannot serve the web app from {}: {reason}", .dir.display())]
    AppDir { dir: PathBuf, reason: String },
    #[error("the {listener} listener on {addr} stopped: {reason}")]
    ListenerStopped {
        listener: Listener,
        addr: SocketAddr,
        reason: String,
    },
}
