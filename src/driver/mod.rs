//! The browser edge: moves bytes, timers and events between the page's APIs (WebSocket,
//! `setTimeout`, `performance.now`) and the sans-IO state machines. Nothing here decides
//! anything about MQTT or the challenge; that is the state machines' job.

pub mod challenge_run;
pub mod client;
pub mod clock;
pub mod deadline;
pub mod files;
mod link;
pub mod pace;
pub mod persist;
pub mod relay;
pub mod settings;
pub mod storage;
pub mod transport;
pub mod worker_timer;
