//! The client's side as the application sees it, kept by the harness from the commands it
//! gave and the events it got, and checked against the session's store after every input.
//!
//! Always checked (whatever the broker sent):
//! - every QoS 1/2 `publish` ends in at most one `Delivered` or `Abandoned`, for an id the
//!   session handed out and still outstanding, with the QoS (and message) it was given;
//! - a QoS 2 packet id is delivered to the application once per session: again only after
//!   its PUBREL was answered (PUBCOMP sent) or the session ended [MQTT-4.3.3-2];
//! - `Abandoned` only when the session ends (clean session at a close, CONNACK session
//!   present 0), and then for every message outstanding;
//! - (UN)SUBACK results only for pending requests, one per filter.
//!
//! With `strict` (no hostile bytes so far in the case), against the honest broker too: a
//! message is `Delivered` only once the broker has it; each broker QoS 2 message reaches the
//! application at most once; an honest broker draws no warning and no protocol error.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mqtt_session::{AbandonReason, CloseReason, Direction, Event, PacketKind, QoS};

use crate::broker::{tag_of, Broker, Published};

#[derive(Default)]
pub struct Oracle {
    clean_session: bool,
    /// No hostile bytes were sent in this case: end-to-end checks apply.
    pub strict: bool,
    /// QoS 1/2 publishes neither delivered nor abandoned: packet id → (tag, QoS).
    pub outstanding: BTreeMap<u16, (u64, QoS)>,
    /// Pending SUBSCRIBEs (their filter count) and UNSUBSCRIBEs (`None`).
    pub pending: BTreeMap<u16, Option<usize>>,
    /// Inbound QoS 2 ids delivered and not yet released.
    pub inbound_qos2: BTreeSet<u16>,
    /// Every message published: tag → (packet id, QoS).
    pub published: Published,
    /// How often each broker message reached the application.
    pub received: HashMap<u64, u32>,
    next_tag: u64,
    /// This drain had a CONNACK that ended the session.
    discarded: bool,
    /// This drain had `Abandoned` events for a clean session, so it must end with `Closed`.
    closing: bool,
}

impl Oracle {
    pub fn new(clean_session: bool, strict: bool) -> Self {
        Self {
            clean_session,
            strict,
            ..Self::default()
        }
    }

    /// The tag of the next message the application publishes.
    pub fn next_tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    /// Ids a hostile broker would do best to hit.
    pub fn ids_in_use(&self) -> Vec<u16> {
        let ids = self.outstanding.keys().chain(self.pending.keys());
        ids.chain(&self.inbound_qos2).copied().collect()
    }

    /// A command got packet id `pkid`: it must be new [MQTT-2.3.1-2] and never 0 [MQTT-2.3.1-1].
    pub fn new_id(&self, pkid: u16) -> Result<(), String> {
        if pkid == 0 || self.outstanding.contains_key(&pkid) || self.pending.contains_key(&pkid) {
            return Err(format!("packet id {pkid} handed out while 0 or in use"));
        }
        Ok(())
    }

    pub fn published(&mut self, tag: u64, pkid: u16, qos: QoS) {
        self.published.insert(tag, (pkid, qos));
        self.outstanding.insert(pkid, (tag, qos));
    }

    pub fn begin_drain(&mut self) {
        self.discarded = false;
        self.closing = false;
    }

    pub fn end_drain(&self) -> Result<(), String> {
        if self.closing {
            return Err("messages abandoned for a clean session, but no Closed".into());
        }
        if self.discarded && !self.outstanding.is_empty() {
            return Err(format!(
                "the session was not resumed, yet {:?} are still outstanding",
                self.outstanding.keys()
            ));
        }
        Ok(())
    }

    pub fn on_event(&mut self, event: &Event, broker: &Broker) -> Result<(), String> {
        match event {
            // Resumed only with clean session 0 and session present 1.
            Event::Connected { session_present } if !session_present || self.clean_session => {
                self.inbound_qos2.clear();
                self.discarded = true;
            }
            Event::Message(m) => {
                if m.qos != QoS::AtMostOnce && m.pkid == 0 {
                    return Err("a QoS 1/2 message with packet id 0 was delivered".into());
                }
                if m.qos == QoS::ExactlyOnce && !self.inbound_qos2.insert(m.pkid) {
                    return Err(format!("QoS 2 message {} delivered twice", m.pkid));
                }
                if let Some(tag) = tag_of(&m.payload).filter(|_| self.strict) {
                    let count = self.received.entry(tag).or_default();
                    *count += 1;
                    if *count > 1 && broker.sent_qos.get(&tag) == Some(&QoS::ExactlyOnce) {
                        return Err(format!("broker QoS 2 message {tag} delivered twice"));
                    }
                }
            }
            Event::Control {
                direction: Direction::Sent,
                packet: PacketKind::PubComp(pkid),
            } => {
                self.inbound_qos2.remove(pkid);
            }
            Event::Delivered { pkid, qos } => match self.outstanding.remove(pkid) {
                Some((tag, q)) if q == *qos => {
                    if self.strict && !broker.forwarded.contains_key(&tag) {
                        return Err(format!("{pkid} delivered, but the broker never had it"));
                    }
                }
                other => return Err(format!("Delivered {pkid} {qos:?}, outstanding: {other:?}")),
            },
            Event::Abandoned(a) => {
                let (tag, qos) = self
                    .outstanding
                    .remove(&a.pkid)
                    .ok_or_else(|| format!("Abandoned {}, which was not outstanding", a.pkid))?;
                if qos != a.qos || tag_of(&a.payload) != Some(tag) {
                    return Err(format!("Abandoned {} is not the message published", a.pkid));
                }
                let expected = if self.discarded {
                    AbandonReason::BrokerLostSession
                } else {
                    self.closing = true;
                    AbandonReason::CleanSessionEnded
                };
                if a.reason != expected || (!self.discarded && !self.clean_session) {
                    return Err(format!(
                        "Abandoned {} for {:?} out of place",
                        a.pkid, a.reason
                    ));
                }
            }
            Event::Subscribed { pkid, results } => match self.pending.remove(pkid) {
                Some(Some(n)) if n == results.len() => {}
                other => return Err(format!("SUBACK {pkid} {results:?}, pending: {other:?}")),
            },
            Event::Unsubscribed { pkid, .. } => match self.pending.remove(pkid) {
                Some(None) => {}
                other => return Err(format!("UNSUBACK {pkid}, pending: {other:?}")),
            },
            // The model broker publishes messages of its own at any QoS, whatever was
            // subscribed: the session's [MQTT-3.8.4-6] check (a delivery above the granted
            // QoS) rightly names it, and that is no finding.
            Event::Warning(text) if self.strict && !text.contains("[MQTT-3.8.4-6]") => {
                return Err(format!("an honest broker drew a warning: {text}"));
            }
            Event::Closed(reason) => {
                if let (true, CloseReason::Protocol(e)) = (self.strict, reason) {
                    return Err(format!("an honest broker was refused: {e}"));
                }
                self.pending.clear();
                self.closing = false;
                if self.clean_session {
                    self.inbound_qos2.clear();
                    if !self.outstanding.is_empty() {
                        return Err(format!(
                            "a clean session ended with {:?} neither delivered nor abandoned",
                            self.outstanding.keys()
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
