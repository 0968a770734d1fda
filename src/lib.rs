//! mqtt-playground: a browser MQTT client. The protocol lives in the sans-IO
//! `mqtt-session` crate. This crate has three layers:
//!
//! - [`driver`]: the browser edge, moving bytes and timers between a WebSocket and the
//!   state machines ([`driver::client::MqttClient`], [`driver::challenge_run::ChallengeRun`]);
//! - [`state`]: what each view shows, as plain Rust reducers tested natively (events and
//!   user intents in, state and log lines out);
//! - [`views`]: Leptos components and the thin signal contexts that wrap the state.

pub mod app;
pub mod driver;
pub mod state;
pub mod views;

pub use app::App;
