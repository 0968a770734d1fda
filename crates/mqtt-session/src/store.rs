//! State that outlives one connection: packet identifiers, messages in flight,
//! subscriptions, and QoS 2 ids awaiting PUBREL.
//!
//! Kept apart from the per-connection record so that a later reconnect can resend what
//! is unacknowledged (with DUP set, [MQTT-4.4.0-1]) without a second state machine, or
//! hand it back to the application when the session is gone (see `resume.rs`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;

use crate::error::CommandError;
use crate::packet::{PublishProperties, QoS};
use crate::snapshot::{SavedPublish, StoreSnapshot};

/// Where an outgoing QoS 1/2 message stands in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutgoingStage {
    /// Not sent yet: the send window (`max_inflight`) was full.
    Queued,
    /// QoS 1 sent, waiting for PUBACK.
    AwaitingPubAck,
    /// QoS 2 sent, waiting for PUBREC.
    AwaitingPubRec,
    /// PUBREL sent, waiting for PUBCOMP. The message is kept: if the broker loses the
    /// session now, the application is offered it back.
    AwaitingPubComp,
}

/// An outgoing message not yet fully acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub stage: OutgoingStage,
    /// MQTT 5 properties, sent again with every resend (empty under 3.1.1).
    pub properties: PublishProperties,
}

/// What a packet identifier is currently used for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Use {
    /// `sent` orders PUBLISH resends [MQTT-4.6.0-1]: taken when the application
    /// publishes, which is also the send order because the queue is first in, first out
    /// and holds messages only while the window is full. `released` orders PUBREL
    /// resends: taken when the PUBREC arrives [MQTT-4.6.0-4] (0 before).
    Publish {
        message: Outgoing,
        sent: u64,
        released: u64,
    },
    Subscribe(Vec<(String, QoS)>),
    Unsubscribe(Vec<String>),
}

/// Session state that belongs to the client, not to one connection.
#[derive(Debug, Default)]
pub struct Store {
    last_pkid: u16,
    in_use: BTreeMap<u16, Use>,
    /// Inbound QoS 2 ids whose PUBREL has not arrived [MQTT-4.3.3-2].
    awaiting_pubrel: BTreeSet<u16>,
    /// Filters the broker granted, with the granted QoS.
    subscriptions: BTreeMap<String, QoS>,
    /// Publishes waiting for room in the send window, oldest first.
    queued: VecDeque<u16>,
    /// Publishes sent and not yet completed (kept as a count: floods must not scan).
    in_flight_publishes: usize,
    /// The next value of a publish's `seq`.
    next_seq: u64,
    /// Bumped by every change, so a caller that saves the store (see `snapshot.rs`)
    /// knows when to save again.
    revision: u64,
}

impl Store {
    /// Counts one change of the store.
    fn changed(&mut self) {
        self.revision = self.revision.wrapping_add(1);
    }

    /// How many times the store changed: equal values mean equal contents.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// A fresh packet identifier: never 0 [MQTT-2.3.1-1], wrapping after 65,535, never
    /// one still in use [MQTT-2.3.1-2].
    fn allocate(&mut self) -> Result<u16, CommandError> {
        if self.in_use.len() >= usize::from(u16::MAX) {
            return Err(CommandError::NoPacketIdAvailable);
        }
        let mut candidate = self.last_pkid;
        loop {
            candidate = candidate.checked_add(1).unwrap_or(1);
            if !self.in_use.contains_key(&candidate) {
                self.last_pkid = candidate;
                return Ok(candidate);
            }
        }
    }

    pub(crate) fn start_publish(&mut self, message: Outgoing) -> Result<u16, CommandError> {
        let pkid = self.allocate()?;
        self.changed();
        if message.stage == OutgoingStage::Queued {
            self.queued.push_back(pkid);
        } else {
            self.in_flight_publishes += 1;
        }
        let sent = self.take_seq();
        let publish = Use::Publish {
            message,
            sent,
            released: 0,
        };
        self.in_use.insert(pkid, publish);
        Ok(pkid)
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// QoS 1/2 publishes sent and not yet completed.
    pub fn in_flight_publishes(&self) -> usize {
        self.in_flight_publishes
    }

    /// Publishes waiting for room in the send window.
    pub fn queued_publishes(&self) -> usize {
        self.queued.len()
    }

    /// Takes the oldest queued publish out of the queue and marks it sent: the caller
    /// encodes and transmits it.
    pub(crate) fn dequeue(&mut self) -> Option<(u16, Outgoing)> {
        while let Some(pkid) = self.queued.pop_front() {
            self.revision = self.revision.wrapping_add(1);
            if let Some(Use::Publish { message, .. }) = self.in_use.get_mut(&pkid) {
                message.stage = match message.qos {
                    QoS::ExactlyOnce => OutgoingStage::AwaitingPubRec,
                    _ => OutgoingStage::AwaitingPubAck,
                };
                self.in_flight_publishes += 1;
                return Some((pkid, message.clone()));
            }
        }
        None
    }

    pub(crate) fn start_subscribe(
        &mut self,
        filters: Vec<(String, QoS)>,
    ) -> Result<u16, CommandError> {
        let pkid = self.allocate()?;
        self.changed();
        self.in_use.insert(pkid, Use::Subscribe(filters));
        Ok(pkid)
    }

    pub(crate) fn start_unsubscribe(&mut self, filters: Vec<String>) -> Result<u16, CommandError> {
        let pkid = self.allocate()?;
        self.changed();
        self.in_use.insert(pkid, Use::Unsubscribe(filters));
        Ok(pkid)
    }

    /// An outgoing publish still sent and unacknowledged (awaiting PUBACK or PUBREC).
    pub(crate) fn outgoing(&self, pkid: u16) -> Option<Outgoing> {
        match self.in_use.get(&pkid) {
            Some(Use::Publish { message, .. })
                if matches!(
                    message.stage,
                    OutgoingStage::AwaitingPubAck | OutgoingStage::AwaitingPubRec
                ) =>
            {
                Some(message.clone())
            }
            _ => None,
        }
    }

    /// The stage of an outgoing publish, if `pkid` is one.
    pub fn outgoing_stage(&self, pkid: u16) -> Option<OutgoingStage> {
        match self.in_use.get(&pkid) {
            Some(Use::Publish { message, .. }) => Some(message.stage),
            _ => None,
        }
    }

    /// Moves an outgoing QoS 2 message from PUBREC to PUBCOMP.
    pub(crate) fn publish_received(&mut self, pkid: u16) -> bool {
        let next = self.next_seq + 1;
        match self.in_use.get_mut(&pkid) {
            Some(Use::Publish {
                message, released, ..
            }) if message.stage == OutgoingStage::AwaitingPubRec => {
                self.revision = self.revision.wrapping_add(1);
                message.stage = OutgoingStage::AwaitingPubComp;
                *released = next;
                self.next_seq = next;
                true
            }
            _ => false,
        }
    }

    /// Releases an outgoing publish that reached `stage`; returns its QoS.
    pub(crate) fn finish_publish(&mut self, pkid: u16, stage: OutgoingStage) -> Option<QoS> {
        match self.in_use.get(&pkid) {
            Some(Use::Publish { message, .. }) if message.stage == stage => {
                let qos = message.qos;
                self.changed();
                self.in_use.remove(&pkid);
                self.in_flight_publishes = self.in_flight_publishes.saturating_sub(1);
                Some(qos)
            }
            _ => None,
        }
    }

    pub(crate) fn finish_subscribe(&mut self, pkid: u16) -> Option<Vec<(String, QoS)>> {
        self.changed();
        match self.in_use.remove(&pkid) {
            Some(Use::Subscribe(filters)) => Some(filters),
            Some(other) => {
                self.in_use.insert(pkid, other);
                None
            }
            None => None,
        }
    }

    pub(crate) fn finish_unsubscribe(&mut self, pkid: u16) -> Option<Vec<String>> {
        self.changed();
        match self.in_use.remove(&pkid) {
            Some(Use::Unsubscribe(filters)) => {
                for f in &filters {
                    self.subscriptions.remove(f);
                }
                Some(filters)
            }
            Some(other) => {
                self.in_use.insert(pkid, other);
                None
            }
            None => None,
        }
    }

    pub(crate) fn record_subscription(&mut self, filter: String, qos: QoS) {
        self.changed();
        self.subscriptions.insert(filter, qos);
    }

    /// Returns true if this QoS 2 id is new (deliver), false if it is a resend.
    pub(crate) fn receive_qos2(&mut self, pkid: u16) -> bool {
        let new = self.awaiting_pubrel.insert(pkid);
        if new {
            self.changed();
        }
        new
    }

    pub(crate) fn release_qos2(&mut self, pkid: u16) -> bool {
        let released = self.awaiting_pubrel.remove(&pkid);
        if released {
            self.changed();
        }
        released
    }

    /// What a resumed session sends again [MQTT-4.4.0-1]: the PUBLISHes still waiting for
    /// PUBACK or PUBREC, in the order they were first sent [MQTT-4.6.0-1], then the ids
    /// whose PUBREL waits for PUBCOMP, in the order their PUBRECs arrived [MQTT-4.6.0-4].
    /// Queued publishes are not part of it: they were never sent.
    pub(crate) fn unacknowledged(&self) -> (Vec<(u16, Outgoing)>, Vec<u16>) {
        let mut publishes = Vec::new();
        let mut releases = Vec::new();
        for (&pkid, entry) in &self.in_use {
            let Use::Publish {
                message,
                sent,
                released,
            } = entry
            else {
                continue;
            };
            match message.stage {
                OutgoingStage::Queued => {}
                OutgoingStage::AwaitingPubAck | OutgoingStage::AwaitingPubRec => {
                    publishes.push((*sent, pkid, message.clone()));
                }
                OutgoingStage::AwaitingPubComp => releases.push((*released, pkid)),
            }
        }
        publishes.sort_unstable_by_key(|(sent, ..)| *sent);
        releases.sort_unstable_by_key(|(released, _)| *released);
        let publishes = publishes.into_iter().map(|(_, id, m)| (id, m)).collect();
        (publishes, releases.into_iter().map(|(_, id)| id).collect())
    }

    /// A connection ended. MQTT 3.1.1 never resends SUBSCRIBE or UNSUBSCRIBE, so their
    /// acks cannot come any more: free their ids (the caller subscribes again once
    /// connected).
    pub(crate) fn forget_pending_subscriptions(&mut self) {
        self.changed();
        self.in_use
            .retain(|_, entry| matches!(entry, Use::Publish { .. }));
    }

    /// The session is over (clean session [MQTT-3.1.2-6], or the broker kept none
    /// [MQTT-3.2.2-2]): forget all of its state and hand back every outgoing message not
    /// completed, in the order it was first sent or queued.
    pub(crate) fn discard(&mut self) -> Vec<(u16, Outgoing)> {
        self.changed();
        let mut abandoned: Vec<(u64, u16, Outgoing)> = Vec::new();
        for (pkid, entry) in std::mem::take(&mut self.in_use) {
            if let Use::Publish { message, sent, .. } = entry {
                abandoned.push((sent, pkid, message));
            }
        }
        abandoned.sort_unstable_by_key(|(sent, ..)| *sent);
        self.queued.clear();
        self.in_flight_publishes = 0;
        self.awaiting_pubrel.clear();
        self.subscriptions.clear();
        abandoned.into_iter().map(|(_, id, m)| (id, m)).collect()
    }

    /// The part of the store a restart must keep (see `snapshot.rs`).
    pub(crate) fn snapshot(&self) -> StoreSnapshot {
        let outgoing = self
            .in_use
            .iter()
            .filter_map(|(&pkid, entry)| match entry {
                Use::Publish {
                    message,
                    sent,
                    released,
                } => Some(SavedPublish {
                    pkid,
                    sent: *sent,
                    released: *released,
                    message: message.clone(),
                }),
                _ => None,
            })
            .collect();
        StoreSnapshot {
            last_pkid: self.last_pkid,
            next_seq: self.next_seq,
            outgoing,
            awaiting_pubrel: self.awaiting_pubrel.iter().copied().collect(),
        }
    }

    /// A store continuing the one `snapshot` was taken from. The queue is first in, first
    /// out, and a publish's `sent` is taken when it is published: queued messages go back
    /// in `sent` order.
    pub(crate) fn from_snapshot(snapshot: StoreSnapshot) -> Self {
        let mut store = Store {
            last_pkid: snapshot.last_pkid,
            next_seq: snapshot.next_seq,
            awaiting_pubrel: snapshot.awaiting_pubrel.into_iter().collect(),
            ..Store::default()
        };
        let mut queued = Vec::new();
        for saved in snapshot.outgoing {
            // Later sequence numbers must stay later, even from a damaged counter.
            store.next_seq = store.next_seq.max(saved.sent).max(saved.released);
            if saved.message.stage == OutgoingStage::Queued {
                queued.push((saved.sent, saved.pkid));
            } else {
                store.in_flight_publishes += 1;
            }
            let publish = Use::Publish {
                message: saved.message,
                sent: saved.sent,
                released: saved.released,
            };
            store.in_use.insert(saved.pkid, publish);
        }
        queued.sort_unstable();
        store.queued = queued.into_iter().map(|(_, pkid)| pkid).collect();
        store
    }

    /// Inbound QoS 2 ids whose PUBREL has not arrived yet.
    pub fn awaiting_pubrel(&self) -> usize {
        self.awaiting_pubrel.len()
    }

    /// Subscriptions the broker granted, with their QoS.
    pub fn subscriptions(&self) -> impl Iterator<Item = (&str, QoS)> {
        self.subscriptions.iter().map(|(f, q)| (f.as_str(), *q))
    }

    /// Number of packet ids in use (publishes in flight plus pending (un)subscribes).
    pub fn in_flight(&self) -> usize {
        self.in_use.len()
    }

    /// Whether `pkid` is currently in use.
    pub fn is_in_use(&self, pkid: u16) -> bool {
        self.in_use.contains_key(&pkid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Outgoing {
        Outgoing {
            topic: "t".into(),
            payload: Bytes::new(),
            qos: QoS::AtLeastOnce,
            retain: false,
            stage: OutgoingStage::AwaitingPubAck,
            properties: PublishProperties::default(),
        }
    }

    #[test]
    fn packet_ids_wrap_past_65535_to_1_and_skip_ids_in_flight() {
        let mut store = Store {
            last_pkid: 65_534,
            ..Store::default()
        };
        store.in_use.insert(1, Use::Unsubscribe(vec![]));
        assert_eq!(store.start_publish(message()), Ok(65_535));
        assert_eq!(store.start_publish(message()), Ok(2));
    }

    #[test]
    fn no_id_is_handed_out_when_all_are_in_flight() {
        let mut store = Store::default();
        for _ in 0..65_535 {
            store.start_publish(message()).expect("an id is free");
        }
        assert_eq!(
            store.start_publish(message()),
            Err(CommandError::NoPacketIdAvailable)
        );
        assert_eq!(
            store.finish_publish(7, OutgoingStage::AwaitingPubAck),
            Some(QoS::AtLeastOnce)
        );
        assert_eq!(store.start_publish(message()), Ok(7));
    }
}
