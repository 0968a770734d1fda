//! Runs the challenge client (`crates/challenge`) over an [`MqttClient`]: session events go
//! into the challenge state machine, its actions back into the client, one deadline timer.
//!
//! The run lives through lost connections: its client reconnects by itself with the same
//! session (the caller's settings: a stable client id, clean session 0, reconnect on), the
//! challenge keeps its phase meanwhile (`ClientConfig::survive_drops`), and when the client
//! gives up for good (`ClientEvent::Ended`) the challenge fails with the reason.
//!
//! Executing an action (subscribe, publish, disconnect) can make the client report events
//! synchronously, i.e. call us back while we are still handling the previous input. Those
//! inputs are queued and handled in order by the outermost call, so the state machine is
//! never entered twice at once.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use challenge::{ChallengeClient, ChallengeEvent, ClientConfig, MqttCommands, UserIdError};
use mqtt_session::{CloseReason, CommandError, Event, Instant, QoS};

use super::client::{BrokerSettings, ClientEvent, MqttClient, StartError};
use super::clock::now;
use super::deadline::DeadlineTimer;

/// What the run reports to the view.
#[derive(Debug, Clone, PartialEq)]
pub enum RunUpdate {
    /// An event of the MQTT session (for the traffic log).
    Session(Event),
    /// An event of the challenge state machine.
    Challenge(ChallengeEvent),
    /// A message the run published (for the traffic log).
    Published {
        topic: String,
        payload: String,
        qos: QoS,
    },
    /// The connection changed in a way the session's events do not tell.
    Connection(ConnectionUpdate),
}

/// The run's connection between the session's `Connected` and `Closed` events.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionUpdate {
    /// The connection is down; retry number `retry` is due at `at` (page clock).
    Reconnecting {
        retry: u32,
        at: Instant,
        reason: CloseReason,
    },
    /// No more connections (the last update of a run).
    Ended(CloseReason),
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunStartError {
    #[error("{0}")]
    UserId(#[from] UserIdError),
    #[error("{0}")]
    Connect(#[from] StartError),
}

enum Input {
    /// Boxed: a message event (with its MQTT 5 properties) is much larger than a timeout.
    Client(Box<ClientEvent>),
    Timeout,
}

struct State {
    client: Option<MqttClient>,
    challenge: ChallengeClient,
    timer: DeadlineTimer,
}

struct Shared {
    state: RefCell<State>,
    queue: RefCell<VecDeque<Input>>,
    busy: Cell<bool>,
    on_update: Box<dyn Fn(RunUpdate)>,
    weak_self: Weak<Shared>,
}

/// One challenge run; dropping it stops its timer (the connection ends on `stop`).
#[derive(Clone)]
pub struct ChallengeRun {
    shared: Rc<Shared>,
}

impl ChallengeRun {
    /// Connects with `settings` and starts the challenge for `config.user_id`.
    pub fn start(
        settings: &BrokerSettings,
        config: ClientConfig,
        on_update: impl Fn(RunUpdate) + 'static,
    ) -> Result<Self, RunStartError> {
        let challenge = ChallengeClient::new(config, now())?;
        let shared = Rc::new_cyclic(|weak_self| Shared {
            state: RefCell::new(State {
                client: None,
                challenge,
                timer: DeadlineTimer::new(),
            }),
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            on_update: Box::new(on_update),
            weak_self: weak_self.clone(),
        });
        let weak = Rc::downgrade(&shared);
        let client = MqttClient::connect(settings, move |event| {
            if let Some(shared) = weak.upgrade() {
                shared.input(Input::Client(Box::new(event)));
            }
        })?;
        shared.state.borrow_mut().client = Some(client);
        Ok(Self { shared })
    }

    /// Ends the run: disconnects and stops reconnecting, which ends the challenge as failed
    /// ("disconnected") unless it was already over.
    pub fn stop(&self) {
        let client = self.shared.state.borrow().client.clone();
        if let Some(client) = client {
            client.disconnect();
        }
    }
}

impl Shared {
    fn input(&self, input: Input) {
        self.queue.borrow_mut().push_back(input);
        if self.busy.replace(true) {
            return; // the outer call will handle it
        }
        loop {
            let next = self.queue.borrow_mut().pop_front();
            match next {
                Some(input) => self.handle(input),
                None => break,
            }
        }
        self.busy.set(false);
    }

    fn handle(&self, input: Input) {
        let now = now();
        let input = match input {
            Input::Client(event) => Some(*event),
            Input::Timeout => None,
        };
        match input {
            Some(ClientEvent::Session(event)) => {
                self.state
                    .borrow_mut()
                    .challenge
                    .handle_session_event(now, &event);
                (self.on_update)(RunUpdate::Session(event));
            }
            Some(ClientEvent::Reconnecting { retry, at, reason }) => {
                let update = ConnectionUpdate::Reconnecting { retry, at, reason };
                (self.on_update)(RunUpdate::Connection(update));
            }
            Some(ClientEvent::Ended(reason)) => {
                self.state.borrow_mut().challenge.handle_ended(now, &reason);
                (self.on_update)(RunUpdate::Connection(ConnectionUpdate::Ended(reason)));
            }
            Some(ClientEvent::TransportOpen | ClientEvent::Connecting { .. }) => {}
            None => self.state.borrow_mut().challenge.handle_timeout(now),
        }
        // Events before and after the actions, so the log shows a phase change before the
        // publish it caused.
        self.report_events();
        self.execute_actions();
        self.report_events();
        self.schedule();
    }

    fn report_events(&self) {
        loop {
            let event = self.state.borrow_mut().challenge.poll_event();
            match event {
                Some(event) => (self.on_update)(RunUpdate::Challenge(event)),
                None => return,
            }
        }
    }

    /// Executes every action with the challenge crate's executor. No borrow of the state
    /// is held by the client's callbacks: events it reports meanwhile are queued.
    fn execute_actions(&self) {
        let mut state = self.state.borrow_mut();
        let State {
            client, challenge, ..
        } = &mut *state;
        let Some(client) = client.clone() else { return };
        let mut commands = ClientCommands {
            client: &client,
            on_update: &*self.on_update,
        };
        challenge.execute_actions(now(), &mut commands);
    }

    fn schedule(&self) {
        let mut state = self.state.borrow_mut();
        let deadline = state.challenge.poll_timeout();
        let weak = self.weak_self.clone();
        state.timer.follow(deadline, move || {
            if let Some(shared) = weak.upgrade() {
                shared.input(Input::Timeout);
            }
        });
    }
}

/// The challenge's commands on the page's client; a publish that went out is also reported
/// for the traffic log.
struct ClientCommands<'a> {
    client: &'a MqttClient,
    on_update: &'a dyn Fn(RunUpdate),
}

impl MqttCommands for ClientCommands<'_> {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        self.client.subscribe(filter, qos)
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        let result = self
            .client
            .publish(topic, payload.as_bytes().to_vec(), qos, retain);
        if result.is_ok() {
            (self.on_update)(RunUpdate::Published {
                topic: topic.to_string(),
                payload: payload.to_string(),
                qos,
            });
        }
        result
    }

    fn disconnect(&mut self) {
        self.client.disconnect();
    }
}
