//! Browser tests: the app's connection code and components in headless Chromium against
//! real brokers over real WebSockets (the lab's embedded broker and mosquitto, started on
//! free ports by `cargo xtask test`).

mod acl;
mod challenge;
mod client;
mod faults;
mod interop;
mod log_tools;
mod mqtt5;
mod playground;
mod profiles;
mod reconnect;
mod reload;
mod socket_worker;
mod support;
mod timer_worker;
mod topic_tree;
mod ui;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
