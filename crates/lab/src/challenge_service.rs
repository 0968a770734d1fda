//! The challenge service: `challenge::ChallengeServer` (the broker-side role of the seed's IoT
//! challenge) running on an MQTT client connection over TCP.
//!
//! The service is an ordinary MQTT client: it subscribes to `login` and to every reply topic,
//! and publishes unique ids, commands and the final message. So it runs the same against the
//! lab's embedded broker (started by default with the lab) or any other broker
//! (`lab challenge-service --broker HOST:PORT`).

use std::fmt;
use std::time::Duration;

use challenge::{
    Action, ChallengeServer, MqttCommands, ServerConfig, ServerConfigError, ServerEvent,
    SessionCommands,
};
use mqtt_session::{
    CloseReason, CommandError, ConnectOptions, Event, Instant, OptionsError, Phase, QoS, Session,
    SubscribeResult,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::mqtt_tcp::{MqttTcpClient, SessionHandler};

/// One line of the service's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceEvent {
    /// Something the challenge server did (a login, a command sent, a verdict).
    Server(ServerEvent),
    /// The service's MQTT session or a publish went wrong without closing the connection.
    Warning(String),
}

impl fmt::Display for ServiceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceEvent::Server(event) => event.fmt(f),
            ServiceEvent::Warning(text) => write!(f, "warning: {text}"),
        }
    }
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error("the challenge settings are invalid: {0}")]
    Config(#[from] ServerConfigError),
    #[error("the service's connect options are invalid: {0}")]
    Options(#[from] OptionsError),
    #[error("the challenge service could not start: {0}")]
    Closed(CloseReason),
    #[error("the challenge service could not subscribe to {filter}: {error}")]
    Subscribe { filter: String, error: CommandError },
    #[error("the broker refused the challenge service's subscription to {filter}; its access rules must allow subscribing to it")]
    Refused { filter: String },
}

/// A started service: connected and subscribed. Dropping it stops the service (its
/// connection is dropped without DISCONNECT).
pub struct RunningService {
    /// Always `Some` until `stopped` takes it; an `Option` only because `Drop` forbids
    /// moving out of `self`.
    task: Option<JoinHandle<CloseReason>>,
}

impl RunningService {
    /// Resolves when the service's connection ends, with the reason.
    pub async fn stopped(mut self) -> CloseReason {
        let Some(task) = self.task.take() else {
            return CloseReason::ClientDisconnect;
        };
        match task.await {
            Ok(reason) => reason,
            Err(error) => {
                CloseReason::TransportClosed(format!("the service's task failed ({error})"))
            }
        }
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The settings in words, for the line that says the service is ready:
/// `user id -> login, commands after 3 s, 5..20 commands, paced 200 ms, QoS 1`.
pub fn describe(config: &ServerConfig) -> String {
    let pace = match config.pace {
        Some(pace) => format!("paced {}", in_words(pace)),
        None => "in one burst".to_string(),
    };
    let qos = match config.qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 1,
        QoS::ExactlyOnce => 2,
    };
    format!(
        "user id -> login, commands after {}, {}..{} commands, {pace}, QoS {qos}, seed {}",
        in_words(config.delay),
        config.min_commands,
        config.max_commands,
        config.seed
    )
}

/// `3 s`, `200 ms`, `1500 ms`.
fn in_words(d: Duration) -> String {
    match d.subsec_millis() {
        0 if !d.is_zero() => format!("{} s", d.as_secs()),
        _ => format!("{} ms", d.as_millis()),
    }
}

/// Connects to the broker at `addr`, subscribes, and returns once the service would see a
/// login. `log` is called with each [`ServiceEvent`], from the service's task.
pub async fn start_service<L>(
    addr: &str,
    options: ConnectOptions,
    config: ServerConfig,
    log: L,
) -> Result<RunningService, ServiceError>
where
    L: FnMut(ServiceEvent) + Send + 'static,
{
    let server = ChallengeServer::new(config)?;
    let client = MqttTcpClient::new(addr, options)?;
    let (ready_tx, ready_rx) = oneshot::channel();
    let mut handler = ServiceHandler {
        server,
        log,
        subscribing: Vec::new(),
        ready: Some(ready_tx),
    };
    let mut task = tokio::spawn(async move { client.run(&mut handler).await });
    match ready_rx.await {
        Ok(Ok(())) => Ok(RunningService { task: Some(task) }),
        Ok(Err(error)) => {
            task.abort();
            Err(error)
        }
        // The handler is dropped without a word only when `run` returned: the connection
        // ended before the subscriptions were acknowledged.
        Err(_) => match (&mut task).await {
            Ok(reason) => Err(ServiceError::Closed(reason)),
            Err(error) => Err(ServiceError::Closed(CloseReason::TransportClosed(format!(
                "its task failed ({error})"
            )))),
        },
    }
}

/// The glue between the MQTT session and the challenge server. QoS 1/2 messages beyond the
/// broker's in-flight limit wait in the session (`ConnectOptions::max_inflight`), in order,
/// so the final message never overtakes the commands it concludes.
struct ServiceHandler<L> {
    server: ChallengeServer,
    log: L,
    /// Filters subscribed and not yet acknowledged, until the service is ready.
    subscribing: Vec<String>,
    /// Told once: ready, or why not.
    ready: Option<oneshot::Sender<Result<(), ServiceError>>>,
}

impl<L: FnMut(ServiceEvent)> ServiceHandler<L> {
    /// Executes the actions the server asked for, then logs its events. Actions wait for the
    /// connection: the server asks for its subscriptions before the session is connected.
    fn execute(&mut self, now: Instant, session: &mut Session) {
        if session.phase() == Phase::Connected {
            let mut commands = ServiceCommands {
                session: SessionCommands { session, now },
                subscribing: &mut self.subscribing,
            };
            self.server.execute_actions(now, &mut commands);
        }
        while let Some(event) = self.server.poll_event() {
            match event {
                // Without its subscriptions the service hears no login: it cannot run.
                ServerEvent::ActionFailed {
                    action: Action::Subscribe { filter, .. },
                    error,
                    ..
                } => {
                    self.fail_to_start(ServiceError::Subscribe { filter, error });
                    session.disconnect(now);
                }
                event => (self.log)(ServiceEvent::Server(event)),
            }
        }
    }

    fn on_subscribed(
        &mut self,
        now: Instant,
        session: &mut Session,
        results: &[(String, SubscribeResult)],
    ) {
        for (filter, result) in results {
            if matches!(result, SubscribeResult::Refused(_)) {
                let filter = filter.clone();
                self.fail_to_start(ServiceError::Refused { filter });
                return session.disconnect(now);
            }
            self.subscribing.retain(|f| f != filter);
        }
        if self.subscribing.is_empty() {
            if let Some(ready) = self.ready.take() {
                if ready.send(Ok(())).is_err() {
                    // `start_service` was dropped while waiting: nobody runs this service.
                    let text = "the service was ready, but whoever started it no longer waits; \
                                stopping";
                    (self.log)(ServiceEvent::Warning(text.to_string()));
                    session.disconnect(now);
                }
            }
        }
    }

    /// Reports why the service cannot run: to `start_service` while it starts, in the log
    /// afterwards (or if nobody waits any more).
    fn fail_to_start(&mut self, error: ServiceError) {
        let unreported = match self.ready.take() {
            Some(ready) => ready.send(Err(error)).err().and_then(Result::err),
            None => Some(error),
        };
        if let Some(error) = unreported {
            (self.log)(ServiceEvent::Warning(error.to_string()));
        }
    }
}

/// The session's commands, noting which subscriptions went out: the service is ready once
/// all of them are acknowledged.
struct ServiceCommands<'a> {
    session: SessionCommands<'a>,
    subscribing: &'a mut Vec<String>,
}

impl MqttCommands for ServiceCommands<'_> {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        let pkid = self.session.subscribe(filter, qos)?;
        self.subscribing.push(filter.to_string());
        Ok(pkid)
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        self.session.publish(topic, payload, qos, retain)
    }

    fn disconnect(&mut self) {
        self.session.disconnect();
    }
}

impl<L: FnMut(ServiceEvent)> SessionHandler for ServiceHandler<L> {
    fn handle_event(&mut self, now: Instant, event: &Event, session: &mut Session) {
        match event {
            // The server queued its subscriptions when it was created: `execute` sends them
            // now that the session is connected.
            Event::Connected { .. } => {}
            Event::Message(message) => self.server.handle_message(now, message),
            Event::Subscribed { results, .. } => self.on_subscribed(now, session, results),
            Event::Warning(text) => (self.log)(ServiceEvent::Warning(text.clone())),
            _ => {}
        }
        self.execute(now, session);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.server.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant, session: &mut Session) {
        self.server.handle_timeout(now);
        self.execute(now, session);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use mqtt_session::Output;

    use super::*;

    /// A service handler on an in-memory session, its log kept, and the end of its ready
    /// channel.
    struct Harness {
        session: Session,
        handler: ServiceHandler<Box<dyn FnMut(ServiceEvent)>>,
        log: Rc<RefCell<Vec<ServiceEvent>>>,
        ready: oneshot::Receiver<Result<(), ServiceError>>,
    }

    fn now() -> Instant {
        Instant::from_millis(0)
    }

    impl Harness {
        fn new() -> Self {
            let log = Rc::new(RefCell::new(Vec::new()));
            let sink = Rc::clone(&log);
            let (ready_tx, ready) = oneshot::channel();
            let handler = ServiceHandler {
                server: ChallengeServer::new(ServerConfig::new(1)).expect("valid settings"),
                log: Box::new(move |event| sink.borrow_mut().push(event)) as Box<_>,
                subscribing: Vec::new(),
                ready: Some(ready_tx),
            };
            let options = ConnectOptions::new("service-test");
            let session = Session::new(options).expect("valid options");
            Self {
                session,
                handler,
                log,
                ready,
            }
        }

        /// Feeds the session bytes from the broker and hands every event to the handler, as
        /// the TCP driver does.
        fn receive(&mut self, bytes: &[u8]) {
            self.session.handle_bytes(now(), bytes);
            loop {
                match self.session.poll_output() {
                    Output::Event(event) => {
                        self.handler.handle_event(now(), &event, &mut self.session)
                    }
                    Output::Transmit(_) => {}
                    Output::Timeout(_) | Output::Idle => return,
                }
            }
        }

        fn connect(&mut self) {
            self.session.handle_transport_open(now());
            self.receive(&[0x20, 0x02, 0x00, 0x00]); // CONNACK, accepted
        }
    }

    /// SUBACK for `pkid` with one return code.
    fn suback(pkid: u8, code: u8) -> [u8; 5] {
        [0x90, 0x03, 0x00, pkid, code]
    }

    #[test]
    fn subscriptions_wait_for_the_connection_and_their_acks_make_the_service_ready() {
        let mut harness = Harness::new();
        harness.handler.execute(now(), &mut harness.session);
        assert!(
            harness.handler.subscribing.is_empty(),
            "sent before CONNACK"
        );

        harness.connect();
        assert_eq!(harness.handler.subscribing, ["login", "+/+"]);
        harness.receive(&suback(1, 0x01));
        assert!(
            harness.ready.try_recv().is_err(),
            "ready with one SUBACK missing"
        );
        harness.receive(&suback(2, 0x01));
        assert!(matches!(harness.ready.try_recv(), Ok(Ok(()))));
        assert!(
            harness.log.borrow().is_empty(),
            "{:?}",
            harness.log.borrow()
        );
    }

    #[test]
    fn a_refused_subscription_fails_the_start_and_closes_the_connection() {
        let mut harness = Harness::new();
        harness.connect();
        harness.receive(&suback(1, 0x80));
        let Ok(Err(ServiceError::Refused { filter })) = harness.ready.try_recv() else {
            panic!("the start did not fail");
        };
        assert_eq!(filter, "login");
        assert_eq!(harness.session.phase(), Phase::Disconnected);
    }
}
