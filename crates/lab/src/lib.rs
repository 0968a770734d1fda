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
//! For browser tests, the WebSocket port also answers `/control/cut[?client=PREFIX]`, which
//! cuts live bridged connections as a network failure would (`control.rs`).
//!
//! With [`LabConfig::upstream`] set, a second WebSocket listener bridges to another broker's
//! TCP listener (mosquitto in the tests) through the same bridge, so connections to that
//! broker can be cut on demand as well.
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
pub mod class_report;
mod config;
mod connect_id;
mod control;
pub mod device_fleet;
mod error;
mod faults;
mod front_door;
mod http_server;
mod limits;
mod live_links;
pub mod mqtt_tcp;
pub mod solve_report;
pub mod solver;
mod static_files;
mod ws_bridge;
mod ws_handshake;

pub use broker::{start, RunningBroker};
pub use config::{LabConfig, UpstreamConfig, DEFAULT_TCP_PORT, DEFAULT_WS_PORT};
pub use error::{LabError, Listener};
pub use faults::{FAULT_PATHS, OVERSIZE_LENGTH};
pub use limits::MAX_PACKET_SIZE;
