//! Test drivers shared by the integration tests: an in-memory broker running both roles
//! ([`broker::Pair`]) and a scripted server for the client alone ([`script::Script`]).
#![allow(dead_code)] // Each test file uses a different part of the harness.

pub mod broker;
pub mod script;
