//! The server against scripted clients: sessions, pacing, reply checking, expiry.

use std::time::Duration;

use bytes::Bytes;
use challenge::{
    Action, ChallengeServer, Command, MqttCommands, ReplyProblem, ServerConfig, ServerConfigError,
    ServerEvent,
};
use mqtt_session::{CommandError, Instant, Message, QoS};

/// The server, a virtual clock and everything it published and logged.
struct Script {
    server: ChallengeServer,
    now: Instant,
    /// `(instant, topic, payload)` of every publish.
    published: Vec<(Instant, String, String)>,
    events: Vec<ServerEvent>,
}

impl Script {
    fn new(config: ServerConfig) -> Self {
        let server = ChallengeServer::new(config).expect("valid config");
        Self {
            server,
            now: Instant::from_millis(0),
            published: Vec::new(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        let mut outbox = Outbox {
            now: self.now,
            published: &mut self.published,
        };
        self.server.execute_actions(self.now, &mut outbox);
        self.events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
    }

    fn message(&mut self, topic: &str, payload: &str) {
        let message = Message {
            topic: topic.to_string(),
            payload: Bytes::from(payload.to_string()),
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            pkid: 1,
            properties: Default::default(),
        };
        self.server.handle_message(self.now, &message);
        self.drain();
    }

    /// Logs `user` in and returns the unique id the server published for it.
    fn login(&mut self, user: &str) -> String {
        self.message("login", user);
        let (_, topic, unique_id) = self.published.last().cloned().expect("a unique id");
        assert_eq!(topic, format!("{user}/UUID"));
        unique_id
    }

    fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(at) = self.server.poll_timeout().filter(|at| *at <= target) {
            self.now = self.now.max(at);
            self.server.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
    }

    /// The commands published on `unique_id`, with when they went out.
    fn commands(&self, unique_id: &str) -> Vec<(Instant, Command)> {
        self.published
            .iter()
            .filter(|(_, topic, _)| topic == unique_id)
            .filter_map(|(at, _, payload)| Command::parse(payload).map(|c| (*at, c)))
            .collect()
    }

    fn answer_all(&mut self, unique_id: &str) {
        for (_, command) in self.commands(unique_id) {
            self.message(&format!("{unique_id}/{command}"), command.reply());
        }
    }

    fn got_final(&self, unique_id: &str) -> bool {
        let last = self
            .published
            .last()
            .map(|(_, t, p)| (t.as_str(), p.as_str()));
        last == Some((unique_id, "Well done my IoT!"))
    }
}

/// The server's MQTT client as these tests see it: every publish is recorded with the
/// instant it went out; subscriptions are granted and otherwise forgotten, since the tests
/// hand the server its messages directly.
struct Outbox<'a> {
    now: Instant,
    published: &'a mut Vec<(Instant, String, String)>,
}

impl MqttCommands for Outbox<'_> {
    fn subscribe(&mut self, _filter: &str, _qos: QoS) -> Result<u16, CommandError> {
        Ok(1)
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        _retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        let message = (self.now, topic.to_string(), payload.to_string());
        self.published.push(message);
        // Any distinct id will do: the server never sees an acknowledgement here.
        let pkid = self.published.len() as u16;
        Ok((qos != QoS::AtMostOnce).then_some(pkid))
    }

    fn disconnect(&mut self) {}
}

fn config(min: u32, max: u32) -> ServerConfig {
    ServerConfig {
        min_commands: min,
        max_commands: max,
        ..ServerConfig::new(11)
    }
}

#[test]
fn the_server_first_subscribes_to_logins_and_replies() {
    let mut server = ChallengeServer::new(ServerConfig::new(0)).expect("valid");
    let filters: Vec<String> = std::iter::from_fn(|| server.poll_action())
        .map(|a| match a {
            Action::Subscribe { filter, .. } => filter,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(filters, ["login", "+/+"]);
}

#[test]
fn paced_commands_start_three_seconds_after_the_unique_id_and_come_200_ms_apart() {
    let mut s = Script::new(config(6, 6));
    let unique_id = s.login("12345");
    s.advance(Duration::from_millis(2_999));
    assert!(s.commands(&unique_id).is_empty());
    s.advance(Duration::from_secs(2));
    let times: Vec<u64> = s
        .commands(&unique_id)
        .iter()
        .map(|(at, _)| at.as_millis())
        .collect();
    assert_eq!(times, [3_000, 3_200, 3_400, 3_600, 3_800, 4_000]);
}

#[test]
fn a_burst_sends_every_command_at_the_same_instant() {
    let mut s = Script::new(ServerConfig {
        pace: None,
        ..config(20, 20)
    });
    let unique_id = s.login("12345");
    s.advance(Duration::from_secs(3));
    let commands = s.commands(&unique_id);
    assert_eq!(commands.len(), 20);
    assert!(commands.iter().all(|(at, _)| at.as_millis() == 3_000));
}

#[test]
fn correct_replies_in_any_order_earn_the_final_message() {
    let mut s = Script::new(config(10, 10));
    let unique_id = s.login("12345");
    s.advance(Duration::from_secs(10));
    let mut commands = s.commands(&unique_id);
    commands.reverse();
    for (i, (_, command)) in commands.iter().enumerate() {
        assert!(!s.got_final(&unique_id), "final after only {i} replies");
        s.message(&format!("{unique_id}/{command}"), command.reply());
    }
    assert!(s.got_final(&unique_id));
    assert!(matches!(
        s.events.last(),
        Some(ServerEvent::Finished {
            wrong_replies: 0,
            ..
        })
    ));
    assert_eq!(s.server.active_sessions(), 0);
}

#[test]
fn wrong_words_extra_replies_and_unsent_commands_are_counted_not_credited() {
    let mut s = Script::new(config(1, 1));
    let unique_id = s.login("12345");
    s.advance(Duration::from_secs(3));
    let (_, sent) = s.commands(&unique_id)[0];
    let other = Command::ALL.into_iter().find(|c| *c != sent).unwrap();
    s.message(&format!("{unique_id}/{sent}"), "Banana");
    s.message(&format!("{unique_id}/{other}"), other.reply());
    s.message(&format!("{unique_id}/CMD9"), "Apple");
    assert!(!s.got_final(&unique_id));
    s.answer_all(&unique_id);
    assert!(s.got_final(&unique_id));
    s.message(&format!("{unique_id}/{sent}"), sent.reply()); // After the end: ignored.
    let problems: Vec<ReplyProblem> = s
        .events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::WrongReply { problem, .. } => Some(problem.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        [
            ReplyProblem::WrongWord(sent),
            ReplyProblem::NotSent(other),
            ReplyProblem::UnknownCommand
        ]
    );
    assert!(matches!(
        s.events.last(),
        Some(ServerEvent::Finished {
            wrong_replies: 3,
            ..
        })
    ));
}

#[test]
fn a_second_reply_to_a_command_sent_once_is_an_extra() {
    let mut s = Script::new(config(2, 2));
    let unique_id = s.login("12345");
    s.advance(Duration::from_millis(3_000));
    let (_, first) = s.commands(&unique_id)[0];
    s.message(&format!("{unique_id}/{first}"), first.reply());
    s.message(&format!("{unique_id}/{first}"), first.reply());
    let last = s.events.last().map(|e| e.to_string()).unwrap_or_default();
    assert!(last.contains("wrong reply"), "{last}");
    assert!(
        last.contains(&format!("every {first} sent was already answered")),
        "{last}"
    );
}

#[test]
fn a_session_without_every_reply_is_dropped_after_a_minute_naming_the_missing_ones() {
    let mut s = Script::new(ServerConfig {
        pace: None,
        ..config(3, 3)
    });
    let unique_id = s.login("12345");
    s.advance(Duration::from_secs(3));
    let (_, answered) = s.commands(&unique_id)[0];
    s.message(&format!("{unique_id}/{answered}"), answered.reply());
    s.advance(Duration::from_millis(59_999));
    assert_eq!(s.server.active_sessions(), 1);
    s.advance(Duration::from_millis(1));
    assert_eq!(s.server.active_sessions(), 0);
    let Some(ServerEvent::Expired { missing, .. }) = s.events.last() else {
        panic!("no expiry: {:?}", s.events.last());
    };
    assert_eq!(missing.total(), 2);
    let line = s.events.last().unwrap().to_string();
    assert!(
        line.contains("user 12345 dropped: replies missing for CMD"),
        "{line}"
    );
    assert_eq!(s.server.poll_timeout(), None);
}

#[test]
fn concurrent_sessions_are_checked_independently() {
    let mut s = Script::new(config(4, 4));
    let a = s.login("alice");
    s.advance(Duration::from_millis(500));
    let b = s.login("bob");
    assert_ne!(a, b);
    s.advance(Duration::from_secs(5));
    // Bob's replies on Alice's topic do not help Alice.
    for (_, command) in s.commands(&b) {
        s.message(&format!("{a}/{command}"), command.reply());
    }
    s.answer_all(&b);
    assert!(s.got_final(&b));
    assert_eq!(s.server.active_sessions(), 1);
    s.answer_all(&a);
    assert!(s.got_final(&a));
    assert_eq!(s.server.stats().finished, 2);
}

#[test]
fn zero_commands_means_the_final_message_follows_the_delay() {
    let mut s = Script::new(config(0, 0));
    let unique_id = s.login("12345");
    s.advance(Duration::from_secs(3));
    assert!(s.got_final(&unique_id));
    assert_eq!(s.published.last().unwrap().0, Instant::from_millis(3_000));
}

#[test]
fn a_login_that_cannot_be_a_user_id_is_logged_and_ignored() {
    let mut s = Script::new(config(1, 1));
    s.message("login", "a/b");
    assert!(s.published.is_empty());
    assert_eq!(s.server.active_sessions(), 0);
    let line = s.events.last().unwrap().to_string();
    assert!(line.starts_with("ignored login \"a/b\""), "{line}");
}

#[test]
fn its_own_uuid_publications_and_foreign_traffic_are_ignored() {
    let mut s = Script::new(config(1, 1));
    let unique_id = s.login("12345");
    let before = s.events.len();
    s.message("12345/UUID", &unique_id);
    s.message("sensors/kitchen", "21.5");
    assert_eq!(s.events.len(), before);
}

#[test]
fn a_minimum_above_the_maximum_or_a_huge_maximum_is_refused() {
    let err = ChallengeServer::new(config(9, 3)).unwrap_err();
    assert_eq!(err, ServerConfigError::CommandRange { min: 9, max: 3 });
    let err = ChallengeServer::new(config(1, u32::MAX)).unwrap_err();
    assert_eq!(err, ServerConfigError::TooManyCommands(u32::MAX));
}
