//! Components of the client view. Each file is one panel; state lives in
//! [`crate::state::ClientState`], provided as a context.

mod challenge_view;
mod connect_panel;
mod log_view;
mod playground;
mod publish_panel;
mod qos_select;
mod subscriptions_panel;

pub use challenge_view::{log_update, ChallengeView};
pub use connect_panel::ConnectPanel;
pub use log_view::LogView;
pub use playground::PlaygroundView;
pub use publish_panel::PublishPanel;
pub use qos_select::{qos_from_str, QosSelect};
pub use subscriptions_panel::SubscriptionsPanel;
