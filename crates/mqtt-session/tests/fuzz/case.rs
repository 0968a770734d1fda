//! One fuzz case: a session, the honest broker, the two directions of the link, a virtual
//! clock and a seeded generator. This file is the plumbing every input goes through: the
//! bounded drain, the bookkeeping of the transport and the checks after each input.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mqtt_session::codec::Decoder;
use mqtt_session::{
    ConnectOptions, Credentials, Event, Instant, LastWill, Output, Phase, QoS, Session,
    DEFAULT_MAX_INBOUND_PACKET,
};
use mqttbytes::v4::{self, Packet};
use splitmix::SplitMix64;

use crate::broker::Broker;
use crate::oracle::Oracle;
use crate::packets::{chance, encode, pick, VALID_FILTERS};
use crate::stats::Stats;

/// Outputs one input may cause besides these: a few per packet received and per message
/// the store holds (resends, abandoned reports). More means `poll_output` does not end.
const BASE_BUDGET: usize = 64;
/// Deadlines that may fire in one jump of the clock (ping, then its timeout, then close).
const MAX_FIRINGS: usize = 8;
/// What a fixed header adds to the largest packet the session may buffer.
const MAX_HEADER: usize = 5;

/// The transport as the IO layer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Down,
    Connecting,
    Up,
}

pub struct Case<'a> {
    pub rng: SplitMix64,
    pub session: Session,
    pub now: Instant,
    /// The last deadline `poll_output` gave (`None`: Idle).
    pub deadline: Option<Instant>,
    pub transport: Transport,
    /// Bytes on their way to the session, cut into chunks anywhere when delivered.
    pub to_client: Vec<u8>,
    /// Packets the session sent, on their way to the broker.
    pub to_broker: VecDeque<Packet>,
    pub broker: Broker,
    pub oracle: Oracle,
    /// This case sends hostile bytes now and then.
    pub hostile: bool,
    /// Counts every input, across cases (read by the watchdog).
    inputs: &'a AtomicU64,
    trace: bool,
    /// Outputs seen in the last drain, other than its final Timeout/Idle.
    pub outputs_in_drain: usize,
    pub stats: Stats,
}

impl<'a> Case<'a> {
    /// A case whose options, kind (honest or hostile) and every later draw come from `seed`.
    pub fn new(seed: u64, inputs: &'a AtomicU64, trace: bool) -> Self {
        let mut rng = SplitMix64::new(seed);
        let hostile = chance(&mut rng, 2);
        let mut o = ConnectOptions::new("fuzz");
        o.clean_session = chance(&mut rng, 2);
        let ms = Duration::from_millis;
        o.keep_alive = *pick(
            &mut rng,
            &[ms(0), ms(700), ms(1_500), ms(5_000), ms(60_000)],
        );
        o.connect_timeout = *pick(&mut rng, &[ms(0), ms(1_000), ms(10_000), ms(10_000)]);
        o.ping_timeout = *pick(&mut rng, &[ms(0), ms(1_000), ms(10_000), ms(100_000)]);
        // The honest broker's packets stay under 64 bytes; smaller limits only when hostile.
        let limits: &[usize] = match hostile {
            true => &[2, 16, 64, 1024, DEFAULT_MAX_INBOUND_PACKET],
            false => &[64, 1024, DEFAULT_MAX_INBOUND_PACKET],
        };
        o.max_inbound_packet = *pick(&mut rng, limits);
        o.max_inflight = *pick(&mut rng, &[0, 1, 2, 5, 20]);
        if chance(&mut rng, 4) {
            o.credentials = Some(Credentials {
                username: "user".into(),
                password: chance(&mut rng, 2).then(|| "secret".into()),
            });
        }
        if chance(&mut rng, 4) {
            o.last_will = Some(LastWill {
                topic: "will".into(),
                payload: Bytes::from_static(b"gone"),
                qos: QoS::AtLeastOnce,
                retain: false,
                properties: Default::default(),
            });
        }
        if trace {
            eprintln!("case {seed}: hostile {hostile}, {o:?}");
        }
        let mut session = Session::new(o.clone()).expect("the harness builds valid options");
        // The QoS 2 model needs to see PUBCOMPs go out.
        session.set_trace_control_packets(true);
        Self {
            rng,
            session,
            now: Instant::from_millis(1_000),
            deadline: None,
            transport: Transport::Down,
            to_client: Vec::new(),
            to_broker: VecDeque::new(),
            broker: Broker::default(),
            // Strict until the first hostile bytes, if the honest broker's packets fit.
            oracle: Oracle::new(o.clean_session, o.max_inbound_packet >= 64),
            hostile,
            inputs,
            trace,
            outputs_in_drain: 0,
            stats: Stats::default(),
        }
    }

    /// With tracing on, prints what the next input is.
    pub fn note(&self, what: fmt::Arguments) {
        if self.trace {
            eprintln!("@{} {what}", self.now.as_millis());
        }
    }

    /// Gives the session one input, then drains and checks it. `extra` budget: bytes given.
    pub fn input<R>(
        &mut self,
        what: &str,
        extra: usize,
        f: impl FnOnce(&mut Session, Instant) -> R,
    ) -> Result<R, String> {
        let result = self.command(what, extra, f)?;
        self.check_bounds()?;
        Ok(result)
    }

    /// [`Case::input`] for a command, whose result the oracle must record before
    /// [`Case::check_bounds`] can compare it with the store.
    pub fn command<R>(
        &mut self,
        what: &str,
        extra: usize,
        f: impl FnOnce(&mut Session, Instant) -> R,
    ) -> Result<R, String> {
        self.inputs.fetch_add(1, Ordering::Relaxed);
        if !what.is_empty() {
            self.note(format_args!("{what}"));
        }
        let store = self.session.store();
        let held = store.in_flight() + store.queued_publishes() + store.awaiting_pubrel();
        let budget = BASE_BUDGET + 4 * held + 2 * extra;
        let result = f(&mut self.session, self.now);
        self.drain(budget)?;
        Ok(result)
    }

    fn drain(&mut self, budget: usize) -> Result<(), String> {
        self.oracle.begin_drain();
        self.outputs_in_drain = 0;
        while self.outputs_in_drain < budget {
            match self.session.poll_output() {
                Output::Transmit(bytes) => self.transmitted(&bytes)?,
                Output::Event(event) => self.event(event)?,
                Output::Timeout(at) => {
                    self.deadline = Some(at);
                    return self.oracle.end_drain();
                }
                Output::Idle => {
                    self.deadline = None;
                    return self.oracle.end_drain();
                }
            }
            self.outputs_in_drain += 1;
        }
        Err(format!(
            "poll_output gave {budget} outputs without Timeout or Idle"
        ))
    }

    /// A transmit holds exactly one packet that passes the session's own inbound checks
    /// and that the broker (mqttbytes v4) reads whole, and only goes out on an open
    /// transport.
    fn transmitted(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.trace {
            eprintln!("   sent {bytes:02x?}");
        }
        let mut decoder = Decoder::new(usize::MAX);
        decoder.extend(bytes);
        match decoder.next_packet() {
            Ok(Some(_)) if decoder.buffered() == 0 => {}
            other => return Err(format!("a transmit is not one valid packet: {other:?}")),
        }
        let mut buffer = BytesMut::from(bytes);
        let packet = match v4::read(&mut buffer, usize::MAX) {
            Ok(packet) if buffer.is_empty() => packet,
            other => {
                return Err(format!(
                    "the broker does not read a transmit as one packet: {other:?}"
                ))
            }
        };
        if self.transport != Transport::Up {
            return Err(format!(
                "{packet:?} sent with the transport {:?}",
                self.transport
            ));
        }
        self.stats.sent(&packet);
        self.to_broker.push_back(packet);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), String> {
        if self.trace {
            eprintln!("   {event:?}");
        }
        self.oracle.on_event(&event, &self.broker)?;
        self.stats.event(&event);
        if let Event::Connected { session_present } = event {
            self.broker.client_connected(session_present);
        }
        if let Event::Closed(_) = event {
            // The IO layer closes the transport; what was written may or may not arrive.
            let flush = chance(&mut self.rng, 2);
            self.transport_down(flush)?;
        }
        Ok(())
    }

    /// The link is gone: the broker sees the end of the connection (after the packets in
    /// flight to it if `flush`; its answers are lost), and nothing more arrives.
    pub fn transport_down(&mut self, flush: bool) -> Result<(), String> {
        if self.transport == Transport::Up {
            while let Some(packet) = self.to_broker.pop_front().filter(|_| flush) {
                self.note(format_args!("broker gets, as the link closes, {packet:?}"));
                let (published, strict) = (&self.oracle.published, self.oracle.strict);
                self.broker
                    .handle(packet, published, strict, &mut self.rng)?;
            }
            self.broker.connection_ended();
        }
        self.transport = Transport::Down;
        self.to_broker.clear();
        self.to_client.clear();
        Ok(())
    }

    /// Bounded memory, and the store agreeing with what the application was told.
    pub fn check_bounds(&self) -> Result<(), String> {
        let (s, o) = (&self.session, &self.oracle);
        let store = s.store();
        let options = s.options();
        let checks = [
            (
                s.buffered_inbound() <= options.max_inbound_packet + MAX_HEADER,
                "the receive buffer outgrew the largest packet allowed",
            ),
            (
                store.in_flight_publishes() <= options.max_inflight.max(1),
                "more publishes in flight than max_inflight",
            ),
            (
                store.in_flight_publishes() + store.queued_publishes() == o.outstanding.len(),
                "the store's publishes differ from those neither delivered nor abandoned",
            ),
            (
                store.in_flight() == o.outstanding.len() + o.pending.len(),
                "packet ids in use differ from outstanding publishes and pending requests",
            ),
            (
                store.awaiting_pubrel() == o.inbound_qos2.len(),
                "inbound QoS 2 ids held differ from those delivered and not released",
            ),
            (
                store.subscriptions().count() <= VALID_FILTERS as usize,
                "more subscriptions than filters ever asked for",
            ),
            (
                (s.phase() == Phase::Disconnected) == (self.transport == Transport::Down),
                "the session's phase disagrees with the transport",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            None => Ok(()),
            Some((_, what)) => Err(format!(
                "{what}: phase {:?}, transport {:?}, in flight {} + queued {} (outstanding {}), \
                 ids {} (pending {}), awaiting PUBREL {} (model {}), buffered {}",
                s.phase(),
                self.transport,
                store.in_flight_publishes(),
                store.queued_publishes(),
                o.outstanding.len(),
                store.in_flight(),
                o.pending.len(),
                store.awaiting_pubrel(),
                o.inbound_qos2.len(),
                s.buffered_inbound(),
            )),
        }
    }

    /// Moves the clock forward by `by`, firing each deadline reached on the way.
    pub fn advance(&mut self, by: Duration) -> Result<(), String> {
        let target = self.now + by;
        let mut fired = 0;
        while let Some(at) = self.deadline.filter(|at| *at <= target) {
            fired += 1;
            if fired > MAX_FIRINGS {
                return Err(format!(
                    "the deadline does not move on: {at:?} keeps coming back"
                ));
            }
            self.now = self.now.max(at);
            self.input("timeout", 0, |s, now| s.handle_timeout(now))?;
        }
        self.now = target;
        Ok(())
    }

    /// Delivers up to `len` bytes in flight to the session, as one chunk.
    pub fn deliver_to_client(&mut self, len: usize) -> Result<(), String> {
        let len = len.min(self.to_client.len());
        let chunk: Vec<u8> = self.to_client.drain(..len).collect();
        self.note(format_args!("bytes {chunk:02x?}"));
        self.input("", len, |s, now| s.handle_bytes(now, &chunk))
    }

    /// Hands the broker the next packet from the session; its answers go on the wire.
    pub fn deliver_to_broker(&mut self) -> Result<(), String> {
        let Some(packet) = self.to_broker.pop_front() else {
            return Ok(());
        };
        self.note(format_args!("broker gets {packet:?}"));
        let (published, strict) = (&self.oracle.published, self.oracle.strict);
        for answer in self
            .broker
            .handle(packet, published, strict, &mut self.rng)?
        {
            self.note(format_args!("broker answers {answer:?}"));
            self.send_to_client(&answer);
        }
        Ok(())
    }

    pub fn send_to_client(&mut self, packet: &Packet) {
        let bytes = encode(packet).expect("the harness encodes only encodable packets");
        self.to_client.extend_from_slice(&bytes);
    }
}
