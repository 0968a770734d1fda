//! What happens at each step of a case: bytes cut anywhere, packets to the broker, time
//! jumps, the application's commands, cuts and reconnects, hostile bytes; and how a case
//! ends (`settle`), where the liveness half of the oracle is checked.

use std::time::Duration;

use bytes::Bytes;
use mqtt_session::{CommandError, Phase, ProtocolError, QoS};

use crate::broker::tagged;
use crate::case::{Case, Transport};
use crate::packets::{
    chance, encode, mutated_packet, qos, random_bytes, random_packet, FILTERS, TOPICS,
    VALID_FILTERS, VALID_TOPICS,
};

/// Rounds of "deliver everything" a settling exchange may take.
const SETTLE_ROUNDS: usize = 1_000;

impl Case<'_> {
    /// One random step; most are one input to the session.
    pub fn step(&mut self) -> Result<(), String> {
        let roll = self.rng.below(100);
        match roll {
            0..=29 if self.transport == Transport::Up && !self.to_client.is_empty() => {
                let len = self.to_client.len() as u64;
                let cut = match self.rng.below(41) {
                    40 => 0, // an empty message
                    0..=9 => 1,
                    10..=19 => self.rng.below(len.min(8)) + 1,
                    20..=29 => self.rng.below(len) + 1,
                    _ => len, // everything in flight: several packets coalesced
                };
                self.deliver_to_client(cut as usize)
            }
            0..=49 => self.deliver_to_broker(),
            50..=59 => {
                let ms = match self.rng.below(10) {
                    0..=3 => self.rng.below(100),
                    4..=6 => self.rng.below(2_000),
                    7 | 8 => self.rng.below(70_000),
                    _ => self.rng.below(600_000),
                };
                self.advance(Duration::from_millis(ms))
            }
            60..=71 => self.publish(),
            72..=75 => self.subscribe(),
            76..=77 => self.unsubscribe(),
            78 => {
                self.input("disconnect", 0, |s, now| s.disconnect(now))?;
                let flush = chance(&mut self.rng, 2);
                self.transport_down(flush)
            }
            79..=84 => {
                if let Some(packet) = self.broker.publish(&mut self.rng) {
                    self.send_to_client(&packet);
                }
                Ok(())
            }
            85..=86 => self.cut(),
            87..=93 => self.reconnect_step(),
            94..=95 => self.spurious_timeout(),
            _ if self.hostile => self.inject(),
            _ => self.deliver_to_broker(),
        }
    }

    pub fn cut(&mut self) -> Result<(), String> {
        if self.transport == Transport::Down {
            return Ok(());
        }
        let flush = chance(&mut self.rng, 2);
        self.transport_down(flush)?;
        self.input("transport closed", 0, |s, now| {
            s.handle_transport_closed(now, "cut")
        })
    }

    /// The next step of opening a transport: connecting, then open (sometimes both).
    fn reconnect_step(&mut self) -> Result<(), String> {
        match self.transport {
            Transport::Down if !chance(&mut self.rng, 8) => {
                self.transport = Transport::Connecting;
                self.input("connecting", 0, |s, now| s.handle_transport_connecting(now))?;
                if chance(&mut self.rng, 2) {
                    self.open()?;
                }
                Ok(())
            }
            Transport::Down | Transport::Connecting => self.open(),
            Transport::Up => self.deliver_to_broker(),
        }
    }

    fn open(&mut self) -> Result<(), String> {
        self.transport = Transport::Up;
        self.input("open", 0, |s, now| s.handle_transport_open(now))
    }

    /// `handle_timeout` before any deadline is due does nothing.
    fn spurious_timeout(&mut self) -> Result<(), String> {
        if self.deadline.is_some_and(|at| at <= self.now) {
            return Ok(());
        }
        self.input("early timeout", 0, |s, now| s.handle_timeout(now))?;
        match self.outputs_in_drain {
            0 => Ok(()),
            n => Err(format!(
                "handle_timeout before the deadline gave {n} outputs"
            )),
        }
    }

    fn publish(&mut self) -> Result<(), String> {
        let qos = qos(&mut self.rng);
        let valid = !chance(&mut self.rng, 16);
        let topic = match valid {
            true => TOPICS[self.rng.below(VALID_TOPICS) as usize],
            false => TOPICS[(VALID_TOPICS + self.rng.below(4)) as usize],
        };
        let tag = self.oracle.next_tag();
        let size = if chance(&mut self.rng, 50) { 3_000 } else { 24 };
        let payload: Bytes = tagged(tag, random_bytes(&mut self.rng, size));
        let retain = chance(&mut self.rng, 8);
        let connected = self.session.phase() == Phase::Connected;
        self.note(format_args!("publish {tag} {qos:?} to {topic:?}"));
        let result = self.command("", 0, |s, now| s.publish(now, topic, payload, qos, retain))?;
        match (result, connected, valid) {
            (Err(CommandError::NotConnected), false, _) => {}
            (Err(CommandError::InvalidTopic(_)), true, false) => {}
            (Ok(None), true, true) if qos == QoS::AtMostOnce => {}
            (Ok(Some(pkid)), true, true) if qos != QoS::AtMostOnce => {
                self.oracle.new_id(pkid)?;
                self.oracle.published(tag, pkid, qos);
            }
            (other, ..) => {
                return Err(format!(
                    "publish {qos:?} to {topic:?} (connected: {connected}) returned {other:?}"
                ))
            }
        }
        self.check_bounds()
    }

    /// Up to three filters, each valid but now and then; rarely none.
    fn filters(&mut self) -> (Vec<(String, QoS)>, bool) {
        let mut all_valid = true;
        let count = if chance(&mut self.rng, 30) {
            0
        } else {
            self.rng.in_range(1, 3)
        };
        let filters = (0..count)
            .map(|_| {
                let i = match chance(&mut self.rng, 10) {
                    false => self.rng.below(VALID_FILTERS),
                    true => VALID_FILTERS + self.rng.below(4),
                };
                all_valid &= i < VALID_FILTERS;
                (FILTERS[i as usize].to_string(), qos(&mut self.rng))
            })
            .collect();
        (filters, all_valid)
    }

    fn subscribe(&mut self) -> Result<(), String> {
        let (filters, valid) = self.filters();
        let count = filters.len();
        self.note(format_args!("subscribe {filters:?}"));
        let result = self.command("", 0, |s, now| s.subscribe(now, filters))?;
        self.check_request(result, count, valid, Some(count))
    }

    fn unsubscribe(&mut self) -> Result<(), String> {
        let (filters, valid) = self.filters();
        let count = filters.len();
        let filters: Vec<String> = filters.into_iter().map(|(f, _)| f).collect();
        self.note(format_args!("unsubscribe {filters:?}"));
        let result = self.command("", 0, |s, now| s.unsubscribe(now, filters))?;
        self.check_request(result, count, valid, None)
    }

    fn check_request(
        &mut self,
        result: Result<u16, CommandError>,
        count: usize,
        valid: bool,
        pending: Option<usize>,
    ) -> Result<(), String> {
        let connected = self.session.phase() == Phase::Connected;
        match (result, connected, count > 0, valid) {
            (Err(CommandError::NotConnected), false, ..) => {}
            (Err(CommandError::NoFilters), true, false, _) => {}
            (Err(CommandError::InvalidFilter { .. }), true, true, false) => {}
            (Ok(pkid), true, true, true) => {
                self.oracle.new_id(pkid)?;
                self.oracle.pending.insert(pkid, pending);
            }
            (other, ..) => {
                return Err(format!(
                    "(un)subscribe of {count} filters (valid: {valid}, connected: {connected}) \
                     returned {other:?}"
                ))
            }
        }
        self.check_bounds()
    }

    /// Hostile bytes: a random packet, a mutated one or noise, into the byte stream or
    /// straight to the session whatever its phase. End-to-end checks stop here.
    fn inject(&mut self) -> Result<(), String> {
        self.oracle.strict = false;
        if self.transport != Transport::Down && chance(&mut self.rng, 16) {
            // The transport itself saw a protocol violation (a text frame).
            let flush = chance(&mut self.rng, 2);
            self.transport_down(flush)?;
            return self.input("transport error", 0, |s, now| {
                s.handle_transport_error(now, ProtocolError::TextFrame)
            });
        }
        let hints = self.oracle.ids_in_use();
        let bytes = match self.rng.below(3) {
            0 => {
                let packet = random_packet(&mut self.rng, &hints);
                encode(&packet).map_or_else(|_| vec![0xf0], |b| b.to_vec())
            }
            1 => mutated_packet(&mut self.rng, &hints),
            _ => random_bytes(&mut self.rng, 32),
        };
        if self.transport == Transport::Up && chance(&mut self.rng, 2) {
            self.to_client.extend_from_slice(&bytes);
            return Ok(());
        }
        self.note(format_args!("hostile bytes {bytes:02x?}"));
        self.input("", bytes.len(), |s, now| s.handle_bytes(now, &bytes))
    }

    /// Ends a case. Strict: every packet reaches the other side until nothing is left, and
    /// then every publish is complete. Otherwise: the broker loses the session, and every
    /// publish must come back as abandoned. Either way nothing is left in the store.
    pub fn settle(&mut self) -> Result<(), String> {
        self.broker.always_accept = true;
        if !self.oracle.strict {
            self.cut()?;
            self.broker = Default::default(); // a broker that lost everything
            self.broker.always_accept = true;
        }
        for _ in 0..SETTLE_ROUNDS {
            match self.transport {
                Transport::Down | Transport::Connecting => self.open()?,
                Transport::Up if !self.to_broker.is_empty() => self.deliver_to_broker()?,
                Transport::Up if !self.to_client.is_empty() => {
                    self.deliver_to_client(self.to_client.len())?
                }
                Transport::Up => break,
            }
        }
        let store = self.session.store();
        let leftovers = [
            (self.session.phase() != Phase::Connected, "not connected"),
            (
                !self.to_client.is_empty() || !self.to_broker.is_empty(),
                "packets in flight",
            ),
            (
                !self.oracle.outstanding.is_empty(),
                "publishes neither delivered nor abandoned",
            ),
            (!self.oracle.pending.is_empty(), "(un)subscribes unanswered"),
            (self.broker.in_flight() > 0, "broker messages not completed"),
            (store.in_flight() > 0, "packet ids still in use"),
            (
                store.awaiting_pubrel() > 0,
                "inbound QoS 2 ids not released",
            ),
        ];
        if let Some((_, what)) = leftovers.iter().find(|(bad, _)| *bad) {
            return Err(format!(
                "after settling with an honest broker: {what} (outstanding {:?})",
                self.oracle.outstanding
            ));
        }
        if self.oracle.strict {
            self.check_completed()?;
        }
        Ok(())
    }

    /// Every broker message whose flow completed reached the application: QoS 2 exactly
    /// once, QoS 1 at least once.
    fn check_completed(&self) -> Result<(), String> {
        for (tag, qos) in &self.broker.completed {
            let count = self.oracle.received.get(tag).copied().unwrap_or(0);
            if count == 0 || (*qos == QoS::ExactlyOnce && count != 1) {
                return Err(format!(
                    "broker {qos:?} message {tag} delivered {count} times"
                ));
            }
        }
        Ok(())
    }
}
