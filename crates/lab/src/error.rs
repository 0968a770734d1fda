//! The lab's listeners by name, and why the lab could not start or stopped serving.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// One of the lab's listeners, named the way a user would read it in an error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    WebSocket,
    Tcp,
    /// The fault-injection listener (`--fault-port`).
    Faults,
    /// The WebSocket listener in front of another broker (`--upstream-ws-port`).
    Upstream,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Listener::WebSocket => "MQTT over WebSocket",
            Listener::Tcp => "MQTT over TCP",
            Listener::Faults => "fault injection (MQTT over WebSocket)",
            Listener::Upstream => "MQTT over WebSocket to the upstream broker",
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
