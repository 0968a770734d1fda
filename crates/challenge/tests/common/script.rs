//! One challenge client against a scripted server: each test says what the broker
//! delivers and when, and checks what the client asked for and reported.

use std::time::Duration;

use bytes::Bytes;
use challenge::{
    Action, ChallengeClient, ChallengeEvent, ClientConfig, MqttCommands, Phase, Warning,
};
use mqtt_session::{CommandError, Event, Instant, Message, QoS, SubscribeResult};

pub const USER: &str = "12345";
pub const UNIQUE_ID: &str = "1234-fdsfs-12441-qa241";

/// The client, the virtual clock, and everything the client asked for and said.
pub struct Script {
    pub client: ChallengeClient,
    pub now: Instant,
    pub events: Vec<ChallengeEvent>,
    session: Recorder,
}

impl Script {
    pub fn new(config: ClientConfig) -> Self {
        let now = Instant::from_millis(1_000);
        let client = ChallengeClient::new(config, now).expect("valid client config");
        let mut script = Self {
            client,
            now,
            events: Vec::new(),
            session: Recorder::default(),
        };
        script.drain();
        script
    }

    /// Connected, `<user id>/UUID` granted, the login published: awaiting the unique id.
    pub fn logged_in() -> Self {
        Self::logged_in_with(ClientConfig::new(USER))
    }

    /// [`Script::logged_in`] with another configuration for user [`USER`].
    pub fn logged_in_with(config: ClientConfig) -> Self {
        let mut s = Self::new(config);
        s.connect();
        s.suback(
            &format!("{USER}/UUID"),
            SubscribeResult::Granted(QoS::AtLeastOnce),
        );
        assert_eq!(s.phase(), Phase::AwaitingUniqueId);
        s
    }

    /// Logged in, the unique id received and its subscription granted.
    pub fn awaiting_commands() -> Self {
        Self::awaiting_commands_with(ClientConfig::new(USER))
    }

    /// [`Script::awaiting_commands`] with another configuration for user [`USER`].
    pub fn awaiting_commands_with(config: ClientConfig) -> Self {
        let mut s = Self::logged_in_with(config);
        s.message(&format!("{USER}/UUID"), UNIQUE_ID);
        s.suback(UNIQUE_ID, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(s.phase(), Phase::AwaitingCommands);
        s
    }

    pub fn connect(&mut self) {
        self.event(Event::Connected {
            session_present: false,
        });
    }

    pub fn suback(&mut self, filter: &str, result: SubscribeResult) {
        let pkid = self
            .session
            .subscribed
            .iter()
            .find(|(f, _)| f == filter)
            .map_or(999, |(_, p)| *p);
        let results = vec![(filter.to_string(), result)];
        self.event(Event::Subscribed { pkid, results });
    }

    pub fn message(&mut self, topic: &str, payload: &str) {
        self.event(Event::Message(Message {
            topic: topic.to_string(),
            payload: Bytes::from(payload.to_string()),
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            pkid: 1,
            properties: Default::default(),
        }));
    }

    /// A message on the client's `<unique id>` topic.
    pub fn server_says(&mut self, payload: &str) {
        self.message(UNIQUE_ID, payload);
    }

    pub fn event(&mut self, event: Event) {
        self.client.handle_session_event(self.now, &event);
        self.drain();
    }

    /// Moves the clock forward, firing every deadline on the way.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(at) = self.client.poll_timeout().filter(|at| *at <= target) {
            self.now = self.now.max(at);
            self.client.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
    }

    /// Executes every action as a session would, reporting each outcome at once.
    pub fn drain(&mut self) {
        self.client.execute_actions(self.now, &mut self.session);
        self.events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
    }

    /// From now on the session refuses every publish and subscribe as not connected, as
    /// one whose connection has just closed under the current input.
    pub fn refuse_commands(&mut self, refuse: bool) {
        self.session.not_connected = refuse;
    }

    pub fn phase(&self) -> Phase {
        self.client.phase().clone()
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.session.actions)
    }

    pub fn take_events(&mut self) -> Vec<ChallengeEvent> {
        std::mem::take(&mut self.events)
    }

    /// The `(topic, payload)` of every publish asked for since the last take.
    pub fn take_publishes(&mut self) -> Vec<(String, String)> {
        self.take_actions()
            .into_iter()
            .filter_map(|a| match a {
                Action::Publish { topic, payload, .. } => Some((topic, payload)),
                _ => None,
            })
            .collect()
    }

    pub fn warnings(&self) -> Vec<Warning> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChallengeEvent::Warning { warning, .. } => Some(warning.clone()),
                _ => None,
            })
            .collect()
    }

    /// The failure's sentence, if the client failed.
    pub fn failure(&self) -> Option<String> {
        match self.client.phase() {
            Phase::Failed(failure) => Some(failure.to_string()),
            _ => None,
        }
    }
}

/// The client's MQTT session as a script sees it: every command succeeds, gets the next
/// packet id and is kept for the test to inspect; nothing is sent anywhere.
#[derive(Default)]
struct Recorder {
    actions: Vec<Action>,
    /// The packet id each subscription got, by filter, for [`Script::suback`].
    subscribed: Vec<(String, u16)>,
    next_pkid: u16,
    /// Refuse publishes and subscribes with `CommandError::NotConnected`.
    not_connected: bool,
}

impl Recorder {
    fn record(&mut self, action: Action) -> u16 {
        self.actions.push(action);
        self.next_pkid += 1;
        self.next_pkid
    }
}

impl MqttCommands for Recorder {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        if self.not_connected {
            return Err(CommandError::NotConnected);
        }
        let pkid = self.record(Action::Subscribe {
            filter: filter.to_string(),
            qos,
        });
        self.subscribed.push((filter.to_string(), pkid));
        Ok(pkid)
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        if self.not_connected {
            return Err(CommandError::NotConnected);
        }
        let pkid = self.record(Action::Publish {
            topic: topic.to_string(),
            payload: payload.to_string(),
            qos,
            retain,
        });
        // A QoS 0 publish has no packet id [MQTT-2.3.1-5].
        Ok((qos != QoS::AtMostOnce).then_some(pkid))
    }

    fn disconnect(&mut self) {
        self.record(Action::Disconnect);
    }
}

/// The reply publish a command should produce.
pub fn reply(cmd: &str, word: &str) -> (String, String) {
    (format!("{UNIQUE_ID}/{cmd}"), word.to_string())
}
