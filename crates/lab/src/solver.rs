//! The native solver: `challenge::ChallengeClient` (the student's side of the seed's IoT
//! challenge) over an MQTT connection on TCP, with timings for the summary.
//!
//! It plays exactly what the browser app plays, on the same two sans-IO crates, so a run
//! against a broker and a challenge service checks both ends without a browser, and its
//! figures show what the protocol costs apart from the page.

use core::time::Duration;

use challenge::{Action, ChallengeClient, ChallengeEvent, ClientConfig, Phase, UserIdError};
use mqtt_session::{ConnectOptions, Event, Instant, OptionsError, Session};

use crate::mqtt_tcp::{MqttTcpClient, SessionHandler};
use crate::send_window::SendWindow;
use crate::solve_report::{ReplyTimer, SolveReport};

/// After the final message, how long to stay connected for the acknowledgements of replies
/// still in flight. The final message can overtake the last PUBACK or PUBCOMP (the broker
/// forwards a reply before or while it acknowledges it); leaving at once would count those
/// replies as never acknowledged and drop their latencies from the summary.
const LINGER: Duration = Duration::from_secs(1);

/// What a run needs: where, as whom, and the challenge's own settings.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// `host:port` of the broker, MQTT over TCP.
    pub broker: String,
    pub connect: ConnectOptions,
    pub challenge: ClientConfig,
}

/// Settings that cannot start a run; nothing was connected. The command line exits with 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    #[error("{0}")]
    UserId(#[from] UserIdError),
    #[error("{0}")]
    Options(#[from] OptionsError),
}

/// Runs the challenge once, calling `progress` with every [`ChallengeEvent`] as it happens
/// (their `at` is milliseconds since the run started). Returns once the client is `Done` or
/// `Failed` and its connection closed.
pub async fn solve<P>(options: SolveOptions, progress: P) -> Result<SolveReport, SolveError>
where
    P: FnMut(&ChallengeEvent),
{
    let qos = options.challenge.qos;
    let connection = MqttTcpClient::new(options.broker, options.connect)?;
    let client = ChallengeClient::new(options.challenge, connection.now())?;
    let mut handler = SolverHandler {
        client,
        progress,
        timer: ReplyTimer::default(),
        window: SendWindow::default(),
        linger_until: None,
    };
    // The close reason needs no keeping: a run that ends `Done` or `Failed` by a deadline
    // closed it itself, and a lost connection is the `Failed` reason.
    let _closed = connection.run(&mut handler).await;
    let SolverHandler { client, timer, .. } = handler;
    Ok(SolveReport::new(
        client.phase().clone(),
        client.stats().clone(),
        qos,
        timer.into_latencies(),
    ))
}

/// The glue between the MQTT session and the challenge client, in the order `challenge`'s
/// docs prescribe: every session event in, every action executed (as soon as the send window
/// lets it out) with its outcome noted at once, then the events out.
struct SolverHandler<P> {
    client: ChallengeClient,
    progress: P,
    timer: ReplyTimer,
    window: SendWindow,
    /// Set when the client is done but replies await their acks: disconnect then, at the
    /// latest (see [`LINGER`]).
    linger_until: Option<Instant>,
}

impl<P: FnMut(&ChallengeEvent)> SolverHandler<P> {
    fn execute(&mut self, now: Instant, session: &mut Session) {
        loop {
            // Noting an outcome can queue more actions (a failure asks for a disconnect).
            while let Some(action) = self.client.poll_action() {
                self.window.push(action);
            }
            let Some(action) = self.window.next(session) else {
                break;
            };
            match action {
                Action::Subscribe { filter, qos } => {
                    let result = session.subscribe(now, vec![(filter, qos)]);
                    self.client.note_subscribed(now, result);
                }
                Action::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                } => {
                    let result = session.publish(now, &topic, payload.into(), qos, retain);
                    self.client.note_published(now, result);
                }
                Action::Disconnect if self.client.phase() == &Phase::Done => {
                    self.linger_until = Some(now + LINGER);
                }
                Action::Disconnect => session.disconnect(now),
            }
        }
        while let Some(event) = self.client.poll_event() {
            self.timer.observe(&event);
            (self.progress)(&event);
        }
        if self
            .linger_until
            .is_some_and(|at| now >= at || self.timer.awaiting_acks() == 0)
        {
            self.linger_until = None;
            session.disconnect(now);
        }
    }
}

impl<P: FnMut(&ChallengeEvent)> SessionHandler for SolverHandler<P> {
    fn handle_event(&mut self, now: Instant, event: &Event, session: &mut Session) {
        // Once done, the client ignores events; the acks it would have counted come here.
        if self.client.phase().is_over() {
            if let Event::Delivered { pkid, .. } = event {
                self.timer.acknowledged(now, *pkid);
            }
        }
        self.client.handle_session_event(now, event);
        self.execute(now, session);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        // The client has no deadline once done; the linger is the handler's own.
        self.client.poll_timeout().or(self.linger_until)
    }

    fn handle_timeout(&mut self, now: Instant, session: &mut Session) {
        self.client.handle_timeout(now);
        self.execute(now, session);
    }

    fn handle_written(&mut self, now: Instant) {
        self.timer.written(now);
    }
}
