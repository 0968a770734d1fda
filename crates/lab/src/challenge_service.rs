//! The challenge service: `challenge::ChallengeServer` (the broker-side role of the seed's IoT
//! challenge) running on an MQTT client connection over TCP.
//!
//! The service is an ordinary MQTT client: it subscribes to `login` and to every reply topic,
//! and publishes unique ids, commands and the final message. So it runs the same against the
//! lab's embedded broker (started by default with the lab) or any other broker
//! (`lab challenge-service --broker HOST:PORT`).

use std::fmt;
use std::time::Duration;

use challenge::{Action, ChallengeServer, ServerConfig, ServerConfigError, ServerEvent};
use mqtt_session::{
    CloseReason, CommandError, ConnectOptions, Event, Instant, OptionsError, Session,
};
use mqtt_session::{QoS, SubscribeResult};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::mqtt_tcp::{MqttTcpClient, SessionHandler};
use crate::send_window::SendWindow;

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
        window: SendWindow::default(),
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

/// The glue between the MQTT session and the challenge server.
struct ServiceHandler<L> {
    server: ChallengeServer,
    log: L,
    window: SendWindow,
    /// Filters subscribed and not yet acknowledged, until the service is ready.
    subscribing: Vec<String>,
    /// Told once: ready, or why not.
    ready: Option<oneshot::Sender<Result<(), ServiceError>>>,
}

impl<L: FnMut(ServiceEvent)> ServiceHandler<L> {
    /// Executes the actions the server asked for as far as the send window allows, then logs
    /// its events. Actions also wait for the connection: the server asks for its
    /// subscriptions before the session is connected.
    fn execute(&mut self, now: Instant, session: &mut Session) {
        while let Some(action) = self.server.poll_action() {
            self.window.push(action);
        }
        while let Some(action) = self.window.next(session) {
            match action {
                Action::Subscribe { filter, qos } => self.subscribe(now, session, filter, qos),
                Action::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                } => {
                    if let Err(error) = session.publish(now, &topic, payload.into(), qos, retain) {
                        (self.log)(ServiceEvent::Warning(format!(
                            "could not publish on {topic}: {error}"
                        )));
                    }
                }
                Action::Disconnect => session.disconnect(now),
            }
        }
        while let Some(event) = self.server.poll_event() {
            (self.log)(ServiceEvent::Server(event));
        }
    }

    fn subscribe(&mut self, now: Instant, session: &mut Session, filter: String, qos: QoS) {
        match session.subscribe(now, vec![(filter.clone(), qos)]) {
            Ok(_) => self.subscribing.push(filter),
            Err(error) => {
                self.fail_to_start(ServiceError::Subscribe { filter, error });
                session.disconnect(now);
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
            if *result == SubscribeResult::Refused {
                let filter = filter.clone();
                self.fail_to_start(ServiceError::Refused { filter });
                return session.disconnect(now);
            }
            self.subscribing.retain(|f| f != filter);
        }
        if self.subscribing.is_empty() {
            if let Some(ready) = self.ready.take() {
                let _ = ready.send(Ok(()));
            }
        }
    }

    fn fail_to_start(&mut self, error: ServiceError) {
        match self.ready.take() {
            Some(ready) => {
                let _ = ready.send(Err(error));
            }
            None => (self.log)(ServiceEvent::Warning(error.to_string())),
        }
    }
}

impl<L: FnMut(ServiceEvent)> SessionHandler for ServiceHandler<L> {
    fn handle_event(&mut self, now: Instant, event: &Event, session: &mut Session) {
        match event {
            // The server queued its subscriptions when it was created: `execute` sends them.
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
