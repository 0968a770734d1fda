//! mqtt-playground: a browser MQTT client. The protocol lives in the sans-IO
//! `mqtt-session` crate; this crate moves bytes and timers between it and a WebSocket
//! ([`transport`], [`client`]) and renders what happens ([`state`], [`ui`]).

pub mod app;
pub mod challenge_run;
pub mod challenge_state;
pub mod client;
pub mod live_log;
pub mod log;
pub mod prefs;
pub mod state;
pub mod transport;
pub mod ui;

pub use app::App;
