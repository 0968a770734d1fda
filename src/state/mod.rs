//! What the views show, as plain Rust: each view's reducer, natively tested. Nothing here
//! touches signals or the browser; `views` wraps these in signals and wires them.

pub mod announce;
pub mod base64;
pub mod broker_url;
pub mod challenge;
pub mod client;
pub mod connect_form;
pub mod connection;
pub mod log;
pub mod log_export;
pub mod log_filter;
pub mod log_tags;
pub mod offline_queue;
pub mod payload;
pub mod playground;
pub mod profiles;
pub mod properties;
pub mod publish_tools;
pub mod request;
pub mod share_link;
pub mod shortcuts;
pub mod theme;
pub mod topic_tree;
