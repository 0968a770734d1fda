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
//! use challenge::{ChallengeClient, ClientConfig, SessionCommands};
//! use mqtt_session::{ConnectOptions, Event, Instant, Session};
//!
//! let now = Instant::from_millis(0);
//! let mut session = Session::new(ConnectOptions::new("student")).unwrap();
//! let mut client = ChallengeClient::new(ClientConfig::new("12345"), now).unwrap();
//! // For every event of the MQTT session (drained as mqtt-session's docs say):
//! client.handle_session_event(now, &Event::Connected { session_present: false });
//! // Then execute every action on the session, each outcome noted before the next:
//! client.execute_actions(now, &mut SessionCommands { session: &mut session, now });
//! // (drain the session's outputs, feeding its events back in)
//! while let Some(event) = client.poll_event() { /* show it */ let _ = event; }
//! let _next_deadline = client.poll_timeout(); // call handle_timeout(at) then
//! ```
//!
//! **After every input (`handle_session_event`, `handle_timeout`), call
//! [`ChallengeClient::execute_actions`] with the caller's [`MqttCommands`], then drain
//! [`ChallengeClient::poll_event`] and re-read [`ChallengeClient::poll_timeout`].**
//! The executor is the one loop every caller shares: it reports each Publish's result
//! through [`ChallengeClient::note_published`] before taking the next action, because the
//! outcomes are matched to the publishes in order and the packet id it carries ties the
//! broker's later `Event::Delivered { pkid }` to a reply (that is how
//! [`ClientStats::replies_acknowledged`] is counted). Executing an action makes the session
//! produce outputs: drain those too and feed the client every resulting event. A caller
//! that needs to see outcomes wraps its client in its own [`MqttCommands`].
//!
//! When the challenge ends the client asks for `Action::Disconnect`: after the final
//! message ("we can disconnect from the broker") and after a failure too, unless the
//! connection is already gone. A caller that wants to stay connected may skip it.
//!
//! # Surviving a lost connection
//!
//! By default a lost connection fails the run (`Failure::Closed`). With
//! [`ClientConfig::survive_drops`] the client lives through it, if the caller keeps one
//! MQTT session across connections with the same client id and clean session 0, and
//! reconnects by itself:
//!
//! - `Event::Closed` keeps the phase and pauses its deadlines (a connection that never
//!   came up still fails the run at once, and asks for `Action::Disconnect` so the caller
//!   stops retrying);
//! - `Event::Connected` again resumes: the deadlines go on with what was left; whatever
//!   the broker may not have (a subscription whose SUBACK was lost with the link, every
//!   subscription if the session was lost) is subscribed again; before the unique id, a
//!   broker that kept nothing for the client means logging in again
//!   ([`Warning::LoggingInAgain`]); after it, [`Warning::CommandsMayBeLost`] says so and
//!   the run goes on;
//! - `Event::Abandoned` for a reply (the broker lost the session): the reply is published
//!   again, counted in [`ClientStats::replies_published_again`], never in `replies_sent`;
//! - [`ChallengeClient::handle_ended`]: the caller stopped reconnecting; the run fails with
//!   its reason.
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
pub use client::{
    ChallengeClient, ChallengeEvent, ClientConfig, ClientStats, Failure, NothingKept, Phase,
    Warning,
};
pub use execute::{MqttCommands, SessionCommands};
pub use mqtt_session::Instant;
pub use protocol::{Command, CommandCounts, UserIdError, FINAL_MESSAGE, LOGIN_TOPIC};
pub use server::{
    ChallengeServer, ReplyProblem, ServerConfig, ServerConfigError, ServerEvent, ServerStats,
    REPLY_FILTER,
};

/// `10 s`, or `1.5 s` when the duration is not whole seconds: for messages.
pub(crate) fn secs(d: &Duration) -> String {
    // Whole milliseconds: `as_secs_f64` would print 6.8469999999999995 for 6.847 s.
    match d.subsec_millis() {
        0 => format!("{} s", d.as_secs()),
        ms => {
            let fraction = format!("{ms:03}");
            format!("{}.{} s", d.as_secs(), fraction.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod secs_tests {
    use super::secs;
    use core::time::Duration;

    #[test]
    fn durations_read_as_whole_milliseconds() {
        assert_eq!(secs(&Duration::from_secs(10)), "10 s");
        assert_eq!(secs(&Duration::from_millis(1_500)), "1.5 s");
        assert_eq!(secs(&Duration::from_millis(6_847)), "6.847 s");
        assert_eq!(secs(&Duration::from_millis(6_050)), "6.05 s");
    }
}
