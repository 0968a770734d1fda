//! Components, and the thin signal contexts that wrap the plain state of `crate::state`.
//! Components only wire: decisions are made by the state's reducers.

mod announcer;
mod batched;
mod challenge_state;
mod challenge_view;
mod client_state;
mod connect_panel;
mod live_log;
mod log_detail;
mod log_tools;
mod log_view;
mod playground;
mod prefs;
mod profiles_panel;
mod property_fields;
mod publish_panel;
mod publish_tools;
mod qos_select;
mod request_panel;
mod share;
mod shortcuts;
mod subscriptions_panel;
mod theme;
mod topic_tree;

pub use announcer::{Announcer, LiveRegion};
pub use batched::Batched;
pub use challenge_state::ChallengeState;
pub use challenge_view::ChallengeView;
pub use client_state::ClientState;
pub use connect_panel::ConnectPanel;
pub use live_log::{ExportFormat, LiveLog};
pub use log_view::LogView;
pub use playground::PlaygroundView;
pub use prefs::{default_broker_url, random_client_id, BrokerFields, BrokerPrefs};
pub use publish_panel::PublishPanel;
pub use qos_select::{qos_from_str, QosSelect};
pub use request_panel::RequestPanel;
pub use share::{open_share, share_in_location};
pub use shortcuts::Shortcuts;
pub use subscriptions_panel::SubscriptionsPanel;
pub use theme::ThemeToggle;
pub use topic_tree::TopicTreePanel;
