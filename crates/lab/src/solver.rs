//! The native solver: `challenge::ChallengeClient` (the student's side of the seed's IoT
//! challenge) over an MQTT connection on TCP, with timings for the summary.
//!
//! It plays exactly what the browser app plays, on the same two sans-IO crates, so a run
//! against a broker and a challenge service checks both ends without a browser, and its
//! figures show what the protocol costs apart from the page.

use core::time::Duration;

use challenge::{
    ChallengeClient, ChallengeEvent, ClientConfig, MqttCommands, Phase, SessionCommands,
    UserIdError,
};
use mqtt_session::{CommandError, ConnectOptions, Event, Instant, OptionsError, QoS, Session};

use crate::mqtt_tcp::{MqttTcpClient, SessionHandler};
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
/// docs prescribe: every session event in, every action executed with its outcome noted at
/// once (`ChallengeClient::execute_actions`), then the events out. QoS 1/2 replies beyond the
/// broker's in-flight limit wait in the session (`ConnectOptions::max_inflight`), in order.
struct SolverHandler<P> {
    client: ChallengeClient,
    progress: P,
    timer: ReplyTimer,
    /// Set when the client is done but replies await their acks: disconnect then, at the
    /// latest (see [`LINGER`]).
    linger_until: Option<Instant>,
}

impl<P: FnMut(&ChallengeEvent)> SolverHandler<P> {
    fn execute(&mut self, now: Instant, session: &mut Session) {
        // Nothing can go out before CONNACK or after the connection closed: the actions wait
        // in the client (after a close, the run is over anyway).
        if session.phase() == mqtt_session::Phase::Connected {
            let mut commands = SolverCommands {
                session: SessionCommands { session, now },
                done: self.client.phase() == &Phase::Done,
                linger_until: &mut self.linger_until,
            };
            self.client.execute_actions(now, &mut commands);
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

/// The session's commands, except that the disconnect a done client asks for ("we can
/// disconnect from the broker") becomes a linger, so the last replies' acks can arrive. A
/// client only becomes done on an input, before its actions run, and a done client fails no
/// more: a disconnect asked for by a client that was not done at the start is a failure's,
/// and goes out at once.
struct SolverCommands<'a> {
    session: SessionCommands<'a>,
    done: bool,
    linger_until: &'a mut Option<Instant>,
}

impl MqttCommands for SolverCommands<'_> {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        self.session.subscribe(filter, qos)
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
        if self.done {
            *self.linger_until = Some(self.session.now + LINGER);
        } else {
            self.session.disconnect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn connected(now: Instant) -> Session {
        let mut session = Session::new(ConnectOptions::new("solver-test")).expect("valid options");
        session.handle_transport_open(now);
        session.handle_bytes(now, &[0x20, 0x02, 0x00, 0x00]); // CONNACK, accepted
        assert_eq!(session.phase(), mqtt_session::Phase::Connected);
        session
    }

    #[test]
    fn a_done_clients_disconnect_lingers_for_the_last_acks() {
        let now = Instant::from_millis(5);
        let mut session = connected(now);
        let mut linger_until = None;
        let mut commands = SolverCommands {
            session: SessionCommands {
                session: &mut session,
                now,
            },
            done: true,
            linger_until: &mut linger_until,
        };
        commands.disconnect();
        assert_eq!(linger_until, Some(now + LINGER));
        assert_eq!(session.phase(), mqtt_session::Phase::Connected);
    }

    #[test]
    fn a_failed_clients_disconnect_goes_out_at_once() {
        let now = Instant::from_millis(5);
        let mut session = connected(now);
        let mut linger_until = None;
        let mut commands = SolverCommands {
            session: SessionCommands {
                session: &mut session,
                now,
            },
            done: false,
            linger_until: &mut linger_until,
        };
        commands.disconnect();
        assert_eq!(linger_until, None);
        assert_eq!(session.phase(), mqtt_session::Phase::Disconnected);
    }
}
