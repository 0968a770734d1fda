//! Where the lab listens and what it serves besides the broker.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Port of the WebSocket listener unless told otherwise (the usual MQTT-over-WebSocket port).
pub const DEFAULT_WS_PORT: u16 = 9001;
/// Port of the TCP listener unless told otherwise (the IANA MQTT port).
pub const DEFAULT_TCP_PORT: u16 = 1883;

/// Where the lab listens. A port of 0 means "any free port";
/// [`RunningBroker`](crate::RunningBroker) reports the ports actually used.
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
    /// path: see [`FAULT_PATHS`](crate::FAULT_PATHS)); 0 picks a free port. None by default:
    /// off unless asked for.
    pub fault_port: Option<u16>,
    /// Answer `/control/cut` on the WebSocket port (tests cut live connections with it).
    /// Off by default: anyone who reaches the port could cut everyone's connection.
    pub control: bool,
    /// A second WebSocket listener bridged to another broker instead of the embedded one
    /// (`--upstream`); None by default.
    pub upstream: Option<UpstreamConfig>,
}

/// A WebSocket listener in front of another broker's MQTT-over-TCP listener (mosquitto in
/// the tests), through the same bridge as the embedded broker's: with `control`, its
/// connections can be cut on demand too, so the page's reconnection can be tested against a
/// broker that is not the lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// The other broker's TCP listener, `HOST:PORT`; resolved at each new connection, so
    /// that broker may start after the lab.
    pub broker: String,
    /// Port of the WebSocket listener in front of it; 0 picks a free port.
    pub ws_port: u16,
}

impl Default for LabConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ws_port: DEFAULT_WS_PORT,
            tcp_port: DEFAULT_TCP_PORT,
            app_dir: None,
            fault_port: None,
            control: false,
            upstream: None,
        }
    }
}
