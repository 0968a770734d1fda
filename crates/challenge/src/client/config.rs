//! What the challenge client is told before it starts.

use core::time::Duration;

use mqtt_session::QoS;

/// The user id and the patience of a [`crate::ChallengeClient`].
///
/// The seed gives no time limits; a server that never answers must still end the run
/// with a reason instead of a spinner, so each wait has a deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Published on `login`; names the `<user id>/UUID` topic.
    pub user_id: String,
    /// For both subscriptions, the login and every reply: "replies are sent
    /// (respecting the **Quality of Service** (**QOS**) level)".
    pub qos: QoS,
    /// How long each SUBACK may take.
    pub suback_timeout: Duration,
    /// From publishing the user id on `login` to the unique id.
    pub unique_id_timeout: Duration,
    /// From the unique id to the first command. The seed's server waits 3 s.
    pub first_command_timeout: Duration,
    /// From the latest command to the final message.
    pub final_message_timeout: Duration,
    /// Live through a lost connection instead of failing the run (see the crate docs,
    /// "Surviving a lost connection"). The caller then reconnects the same session (same
    /// client id, clean session 0) and calls [`crate::ChallengeClient::handle_ended`]
    /// when it stops reconnecting.
    pub survive_drops: bool,
}

impl ClientConfig {
    /// QoS 1 and the default deadlines: 10 s for a SUBACK and for the unique id, 15 s for
    /// the first command and for the final message. A lost connection fails the run.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            qos: QoS::AtLeastOnce,
            suback_timeout: Duration::from_secs(10),
            unique_id_timeout: Duration::from_secs(10),
            first_command_timeout: Duration::from_secs(15),
            final_message_timeout: Duration::from_secs(15),
            survive_drops: false,
        }
    }
}
