//! Runs the challenge client (`crates/challenge`) over an [`MqttClient`]: session events go
//! into the challenge state machine, its actions back into the client, one deadline timer.
//!
//! Executing an action (subscribe, publish, disconnect) can make the client report events
//! synchronously, i.e. call us back while we are still handling the previous input. Those
//! inputs are queued and handled in order by the outermost call, so the state machine is
//! never entered twice at once.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use challenge::{Action, ChallengeClient, ChallengeEvent, ClientConfig};
use gloo_timers::callback::Timeout;
use mqtt_session::{Event, QoS};

use crate::client::{now, BrokerSettings, ClientEvent, MqttClient};

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
}

enum Input {
    Client(ClientEvent),
    Timeout,
}

struct State {
    client: Option<MqttClient>,
    challenge: ChallengeClient,
    timer: Option<Timeout>,
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
    ) -> Result<Self, String> {
        let challenge = ChallengeClient::new(config, now()).map_err(|e| e.to_string())?;
        let shared = Rc::new_cyclic(|weak_self| Shared {
            state: RefCell::new(State {
                client: None,
                challenge,
                timer: None,
            }),
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            on_update: Box::new(on_update),
            weak_self: weak_self.clone(),
        });
        let weak = Rc::downgrade(&shared);
        let client = MqttClient::connect(settings, move |event| {
            if let Some(shared) = weak.upgrade() {
                shared.input(Input::Client(event));
            }
        })
        .map_err(|e| e.to_string())?;
        shared.state.borrow_mut().client = Some(client);
        Ok(Self { shared })
    }

    /// Ends the run: disconnects, which ends the challenge as failed ("disconnected")
    /// unless it was already over.
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
        match input {
            Input::Client(ClientEvent::Session(event)) => {
                self.state
                    .borrow_mut()
                    .challenge
                    .handle_session_event(now, &event);
                (self.on_update)(RunUpdate::Session(event));
            }
            Input::Client(ClientEvent::TransportOpen) => {}
            Input::Timeout => self.state.borrow_mut().challenge.handle_timeout(now),
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

    /// Executes every action, reporting each outcome before the next (the challenge
    /// crate's calling order). No borrow is held while the client runs.
    fn execute_actions(&self) {
        loop {
            let (action, client) = {
                let mut state = self.state.borrow_mut();
                (state.challenge.poll_action(), state.client.clone())
            };
            let Some(action) = action else { return };
            let Some(client) = client else { continue };
            match action {
                Action::Subscribe { filter, qos } => {
                    let result = client.subscribe(&filter, qos);
                    self.state
                        .borrow_mut()
                        .challenge
                        .note_subscribed(now(), result);
                }
                Action::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                } => {
                    let result = client.publish(&topic, payload.clone().into_bytes(), qos, retain);
                    if result.is_ok() {
                        (self.on_update)(RunUpdate::Published {
                            topic,
                            payload,
                            qos,
                        });
                    }
                    self.state
                        .borrow_mut()
                        .challenge
                        .note_published(now(), result);
                }
                Action::Disconnect => client.disconnect(),
            }
        }
    }

    fn schedule(&self) {
        let mut state = self.state.borrow_mut();
        state.timer = state.challenge.poll_timeout().map(|at| {
            let delay = at.saturating_duration_since(now()).as_millis();
            let weak = self.weak_self.clone();
            Timeout::new(u32::try_from(delay).unwrap_or(u32::MAX), move || {
                if let Some(shared) = weak.upgrade() {
                    shared.input(Input::Timeout);
                }
            })
        });
    }
}
