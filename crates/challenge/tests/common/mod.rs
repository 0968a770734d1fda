//! Test drivers shared by the integration tests: an in-memory broker running both roles
//! ([`broker::Pair`]), the same over real MQTT sessions with a link that can be cut
//! ([`net::Net`]), and a scripted server for the client alone ([`script::Script`]).
#![allow(dead_code)] // Each test file uses a different part of the harness.

pub mod broker;
pub mod net;
pub mod script;
