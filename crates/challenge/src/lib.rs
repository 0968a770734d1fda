//! The IoT challenge of the seed (`challenge-client.md`), both roles, sans-IO.
//!
//! > 1. Connect to the broker. 2. Send a message containing **User ID** to the topic
//! > 'login'. 3. … we shall receive a message on the topic '**User ID**/UUID'. The
//! > message will contain a **UNIQUE ID**. 4. After 3 seconds … we start receiving
//! > multiple messages/commands on the topic '**UNIQUE ID**' … 5. For each command we
//! > should send a specific reply … to the following topic: '**UNIQUE ID**/**CMD**'.
//! > 6. Once all the commands are handled … '**Well done my IoT!**' on the topic
//! > '**UNIQUE ID**'. 7. … we can disconnect from the broker.
//!
//! [`ChallengeClient`] plays the student's side, [`ChallengeServer`] the broker-side
//! service. Neither performs IO, reads a clock or draws entropy: MQTT events and the
//! current [`Instant`] go in; [`Action`]s for the caller's `mqtt_session::Session`,
//! events and the next deadline come out. The server's randomness comes from
//! [`ServerConfig::seed`], so a run is replayed from its seed. Neither role encodes MQTT:
//! the caller's session does, so there is one MQTT implementation in the project.
//!
//! # Driving the client
//!
//! ```
//! use challenge::{Action, ChallengeClient, ClientConfig};
//! use mqtt_session::{Event, Instant};
//!
//! let now = Instant::from_millis(0);
//! let mut client = ChallengeClient::new(ClientConfig::new("12345"), now).unwrap();
//! // For every event of the MQTT session (drained as mqtt-session's docs say):
//! client.handle_session_event(now, &Event::Connected { session_present: false });
//! // Then execute every action, reporting each outcome right away:
//! while let Some(action) = client.poll_action() {
//!     match action {
//!         Action::Subscribe { filter, qos } => {
//!             // let result = session.subscribe(now, vec![(filter, qos)]);
//!             # let _ = (filter, qos);
//!             client.note_subscribed(now, Ok(1));
//!         }
//!         Action::Publish { topic, payload, qos, retain } => {
//!             // let result = session.publish(now, &topic, payload.into(), qos, retain);
//!             # let _ = (topic, payload, qos, retain);
//!             client.note_published(now, Ok(Some(2)));
//!         }
//!         Action::Disconnect => { /* session.disconnect(now) */ }
//!     }
//! }
//! while let Some(event) = client.poll_event() { /* show it */ let _ = event; }
//! let _next_deadline = client.poll_timeout(); // call handle_timeout(at) then
//! ```
//!
//! **After every input (`handle_session_event`, `handle_timeout`, `note_*`), execute
//! every [`ChallengeClient::poll_action`] and report each Publish's result through
//! [`ChallengeClient::note_published`] before executing the next action; then drain
//! [`ChallengeClient::poll_event`] and re-read [`ChallengeClient::poll_timeout`].**
//! Executing an action makes the session produce outputs: drain those too and feed
//! the client every resulting event. `note_published` carries the packet id that ties
//! the broker's later `Event::Delivered { pkid }` to a reply, which is how
//! [`ClientStats::replies_acknowledged`] is counted; the outcomes are matched to the
//! publishes in order, so one must not be skipped.
//!
//! When the challenge ends the client asks for `Action::Disconnect`: after the final
//! message ("we can disconnect from the broker") and after a failure too, unless the
//! connection is already gone. A caller that wants to stay connected may skip it.
//!
//! The server is driven the same way, with [`ChallengeServer::handle_message`] for each
//! `Event::Message` of its session; it needs no `note_*` (it tracks replies, not acks).

mod action;
mod client;
mod execute;
pub mod protocol;
mod rng;
mod server;

use core::time::Duration;

pub use action::Action;
pub use execute::{MqttCommands, SessionCommands};
pub use client::{
    ChallengeClient, ChallengeEvent, ClientConfig, ClientStats, Failure, Phase, Warning,
};
pub use mqtt_session::Instant;
pub use protocol::{Command, CommandCounts, UserIdError, FINAL_MESSAGE, LOGIN_TOPIC};
pub use server::{
    ChallengeServer, ReplyProblem, ServerConfig, ServerConfigError, ServerEvent, ServerStats,
    REPLY_FILTER,
};

/// `10 s`, or `1.5 s` when the duration is not whole seconds: for messages.
pub(crate) fn secs(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}
