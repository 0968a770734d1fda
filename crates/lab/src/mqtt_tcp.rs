//! Runs an [`mqtt_session::Session`] over a `tokio::net::TcpStream`: the native twin of the
//! browser's WebSocket driver.
//!
//! The session is sans-IO, so this file is all the IO there is: it connects, feeds the session
//! `handle_transport_connecting/open/bytes/closed` and `handle_timeout`, and after **every**
//! input drains `poll_output` as the session's docs require (transmits are written, events go
//! to the [`SessionHandler`], the deadline becomes a `sleep_until`).
//!
//! The application is a handler called synchronously, in the driver's task, with the session
//! itself: a publish returns its packet id at once, as `challenge`'s calling order needs
//! (`note_published` must see the id before the ack can arrive). A channel-based handle would
//! need a round trip per command and could reorder an ack before its id.

use std::time::Duration;

use mqtt_session::{CloseReason, ConnectOptions, Event, Instant, OptionsError, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

/// The application on top of a session: told every event, free to call commands.
pub trait SessionHandler {
    /// One event of the session, in order. Commands called on `session` here (publish,
    /// subscribe, disconnect) are sent as soon as this returns.
    fn handle_event(&mut self, now: Instant, event: &Event, session: &mut Session);

    /// The handler's own next deadline, if it has one.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The clock reached [`Self::poll_timeout`] (or later).
    fn handle_timeout(&mut self, _now: Instant, _session: &mut Session) {}

    /// Everything the session produced so far has been written to the socket.
    fn handle_written(&mut self, _now: Instant) {}
}

/// The driver's clock: a `std::time::Instant` taken at start, read as milliseconds since.
///
/// Milliseconds are floored, so after sleeping until a deadline's `tokio` instant, `now()` is
/// at or past that deadline and the session's `handle_timeout` always makes progress.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: std::time::Instant,
}

impl Clock {
    pub fn start() -> Self {
        Self {
            start: std::time::Instant::now(),
        }
    }

    /// Milliseconds since the clock started, as the session counts time.
    pub fn now(&self) -> Instant {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        Instant::from_millis(millis)
    }

    /// The `tokio` instant at which `now()` reaches `at`.
    fn tokio_instant(&self, at: Instant) -> tokio::time::Instant {
        let at = self.start + Duration::from_millis(at.as_millis());
        tokio::time::Instant::from_std(at)
    }

    /// Sleeps until `at`; never returns for `None`.
    async fn sleep_until(&self, at: Option<Instant>) {
        match at {
            Some(at) => tokio::time::sleep_until(self.tokio_instant(at)).await,
            None => std::future::pending().await,
        }
    }
}

/// One MQTT connection over TCP, from connecting to [`CloseReason`].
pub struct MqttTcpClient {
    addr: String,
    session: Session,
    clock: Clock,
}

impl MqttTcpClient {
    /// A client for the broker at `addr` (`host:port`). Fails only for options that cannot be
    /// sent; nothing is connected before [`Self::run`].
    pub fn new(addr: impl Into<String>, options: ConnectOptions) -> Result<Self, OptionsError> {
        Ok(Self {
            addr: addr.into(),
            session: Session::new(options)?,
            clock: Clock::start(),
        })
    }

    /// The driver's current time, for creating a handler on the same clock.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Connects, then runs the session until it closes: the broker left, the network failed,
    /// a timeout struck, or the handler called `session.disconnect`. The reason is also the
    /// handler's last event (`Event::Closed`). A TCP connect error is reported like a closed
    /// transport: "could not connect to host:port: connection refused …".
    pub async fn run<H: SessionHandler>(mut self, handler: &mut H) -> CloseReason {
        let now = self.clock.now();
        self.session.handle_transport_connecting(now);
        // Nothing to write or tell yet: this only moves the session's open deadline along.
        let mut closed = self.drain(handler, &mut Vec::new());
        let stream = tokio::select! {
            connected = TcpStream::connect(self.addr.as_str()) => connected,
            () = self.clock.sleep_until(self.session.poll_timeout()) => {
                self.session.handle_timeout(self.clock.now());
                return self.closed_while_opening(handler);
            }
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                let detail = connect_error(&self.addr, &error);
                self.session
                    .handle_transport_closed(self.clock.now(), detail);
                return self.closed_while_opening(handler);
            }
        };
        // Small packets answered by small packets: with Nagle on, a reply would wait for the
        // broker's (delayed, up to 40 ms) ACK of our previous write.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(
                "could not turn Nagle's algorithm off towards {}: {error}",
                self.addr
            );
        }
        let (mut reader, mut writer) = stream.into_split();
        self.session.handle_transport_open(self.clock.now());
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            closed = closed.or(self.settle(handler, &mut writer).await);
            if let Some(reason) = closed {
                // Anything final (DISCONNECT) was written by `settle`; FIN tells the broker.
                if let Err(error) = writer.shutdown().await {
                    tracing::debug!("could not close the connection to {}: {error}", self.addr);
                }
                return reason;
            }
            let deadline = [self.session.poll_timeout(), handler.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            tokio::select! {
                read = reader.read(&mut buf) => {
                    let now = self.clock.now();
                    match read {
                        Ok(0) => {
                            let detail = "the broker closed the connection";
                            self.session.handle_transport_closed(now, detail);
                        }
                        Ok(n) => self.session.handle_bytes(now, &buf[..n]),
                        Err(error) => self.session.handle_transport_closed(
                            now,
                            format!("the connection to {} broke: {error}", self.addr),
                        ),
                    }
                }
                () = self.clock.sleep_until(deadline) => {
                    // The session first (a keepalive ping, or a dead link the handler must
                    // hear about), then the handler, each input followed by its outputs.
                    self.session.handle_timeout(self.clock.now());
                    closed = self.settle(handler, &mut writer).await;
                    if closed.is_none() {
                        handler.handle_timeout(self.clock.now(), &mut self.session);
                    }
                }
            }
        }
    }

    /// The reason the session gave when it closed before the socket was open. It always closes
    /// there (past the open deadline, or told the transport closed); the fallback only keeps a
    /// session bug from hanging the caller.
    fn closed_while_opening<H: SessionHandler>(&mut self, handler: &mut H) -> CloseReason {
        self.drain(handler, &mut Vec::new()).unwrap_or_else(|| {
            CloseReason::TransportClosed(format!("could not connect to {}", self.addr))
        })
    }

    /// Drains the session and writes what it produced, in one write. A write error closes the
    /// session, whose `Closed` event is drained too. Returns the close reason, if it closed.
    async fn settle<H: SessionHandler>(
        &mut self,
        handler: &mut H,
        writer: &mut OwnedWriteHalf,
    ) -> Option<CloseReason> {
        let mut out = Vec::new();
        let closed = self.drain(handler, &mut out);
        if out.is_empty() {
            return closed;
        }
        match writer.write_all(&out).await {
            Ok(()) => {
                handler.handle_written(self.clock.now());
                closed
            }
            Err(error) => {
                let detail = format!("could not send to {}: {error}", self.addr);
                self.session
                    .handle_transport_closed(self.clock.now(), detail);
                // The link is gone; whatever the drain would transmit cannot be sent.
                closed.or(self.drain(handler, &mut Vec::new()))
            }
        }
    }

    /// Polls the session until its deadline: transmits are appended to `out`, events handed
    /// to the handler (whose commands queue more outputs, drained in the same loop).
    fn drain<H: SessionHandler>(
        &mut self,
        handler: &mut H,
        out: &mut Vec<u8>,
    ) -> Option<CloseReason> {
        let mut closed = None;
        loop {
            match self.session.poll_output() {
                mqtt_session::Output::Transmit(bytes) => out.extend_from_slice(&bytes),
                mqtt_session::Output::Event(event) => {
                    handler.handle_event(self.clock.now(), &event, &mut self.session);
                    if let Event::Closed(reason) = event {
                        closed = Some(reason);
                    }
                }
                mqtt_session::Output::Timeout(_) | mqtt_session::Output::Idle => return closed,
            }
        }
    }
}

/// "could not connect to 127.0.0.1:1883: connection refused (is a broker running there, and
/// is the port right?)"; unreachable networks and timeouts in the words of `ErrorKind`.
fn connect_error(addr: &str, error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let why = match error.kind() {
        ErrorKind::ConnectionRefused => {
            "connection refused (is a broker running there, and is the port right?)".to_string()
        }
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::TimedOut => {
            error.kind().to_string()
        }
        _ => error.to_string(),
    };
    format!("could not connect to {addr}: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_name_the_address_and_the_cause() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = connect_error("127.0.0.1:1", &refused);
        assert!(
            text.starts_with("could not connect to 127.0.0.1:1: connection refused"),
            "{text}"
        );
    }
}
