//! One session across connections: resume it when the broker kept it, or hand back what
//! it cannot finish.
//!
//! ```text
//!  CONNACK accepted ─┬─ clean session 0, session present 1 ─▶ resend PUBLISH (DUP=1, same ids,
//!                    │                                         first-sent order), then PUBREL
//!                    │                                         (PUBREC order), then the queue
//!                    └─ otherwise ──────────────────────────▶ discard: one `Event::Abandoned` per
//!                                                              outgoing message not completed
//!  connection ends ──┬─ always ─────────────────────────────▶ free pending (UN)SUBSCRIBE ids
//!                    └─ clean session 1 ────────────────────▶ discard (the session ends too)
//! ```
//!
//! Inbound QoS 2 ids awaiting PUBREL survive a resumed session, so a PUBLISH the broker
//! resends is acknowledged again but not delivered twice.

use bytes::Bytes;

use crate::event::{Event, PacketKind};
use crate::packet::{Ack, Packet, PublishProperties, QoS};
use crate::session::{outgoing_publish, Session};
use crate::store::OutgoingStage;
use crate::time::Instant;

/// Why the session let go of a message it had not completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbandonReason {
    /// The connection ended, and with clean session 1 the session ends with it: "State
    /// data associated with this Session MUST NOT be reused in any subsequent Session"
    /// [MQTT-3.1.2-6].
    CleanSessionEnded,
    /// CONNACK said session present 0: the broker kept nothing of ours [MQTT-3.2.2-2].
    BrokerLostSession,
}

/// An outgoing QoS 1/2 message the session will not complete. Publishing it again sends
/// it as a new message (with a new packet id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abandoned {
    /// The id `publish` returned for it (now free).
    pub pkid: u16,
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// How far it got: `Queued` was never sent; `AwaitingPubAck`/`AwaitingPubRec` was
    /// sent and may or may not have arrived; `AwaitingPubComp` reached the broker
    /// (PUBREC), which may or may not have forwarded it.
    pub stage: OutgoingStage,
    pub reason: AbandonReason,
    /// Its MQTT 5 properties (empty under 3.1.1).
    pub properties: PublishProperties,
}

impl core::fmt::Display for Abandoned {
    /// "QoS 1 message 7 to 'a/b' was abandoned (sent, no PUBACK): the broker kept no
    /// session for this client; publish it again to send it"
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let progress = match self.stage {
            OutgoingStage::Queued => "never sent",
            OutgoingStage::AwaitingPubAck => "sent, no PUBACK",
            OutgoingStage::AwaitingPubRec => "sent, no PUBREC",
            OutgoingStage::AwaitingPubComp => "the broker had it, no PUBCOMP",
        };
        let why = match self.reason {
            AbandonReason::CleanSessionEnded => {
                "the connection ended, and a clean session ends with it"
            }
            AbandonReason::BrokerLostSession => "the broker kept no session for this client",
        };
        write!(
            f,
            "QoS {} message {} to '{}' was abandoned ({progress}): {why}; publish it again to send it",
            self.qos as u8, self.pkid, self.topic
        )
    }
}

impl Session {
    /// Whether the broker drops the session when the connection ends: clean session under
    /// MQTT 3.1.1 [MQTT-3.1.2-6]; a session expiry of 0 under MQTT 5 (the CONNACK's value
    /// if it set one) [MQTT-3.1.2-...].
    pub(crate) fn session_ends_with_connection(&self) -> bool {
        match self.options.protocol {
            crate::packet::ProtocolVersion::V311 => self.options.clean_session,
            crate::packet::ProtocolVersion::V5 => {
                self.session_expiry_in_force
                    .unwrap_or(self.options.session_expiry())
                    == 0
            }
        }
    }

    /// CONNACK accepted the connection: resume the session or start a new one.
    pub(crate) fn resume(&mut self, now: Instant, session_present: bool) {
        if session_present && self.options.clean_session {
            // "If the Server accepts a connection with CleanSession set to 1, the Server
            // MUST set Session Present to 0 in the CONNACK packet" [MQTT-3.2.2-1].
            self.warn(
                "the broker reported a stored session although this client asked for a clean one; \
                 nothing is resumed"
                    .to_string(),
            );
        }
        if session_present && !self.options.clean_session {
            self.resend(now);
        } else {
            self.discard_session(AbandonReason::BrokerLostSession);
        }
        self.release_queued(now);
    }

    /// "When a Client reconnects with CleanSession set to 0, both the Client and Server
    /// MUST re-send any unacknowledged PUBLISH Packets (where QoS > 0) and PUBREL Packets
    /// using their original Packet Identifiers" [MQTT-4.4.0-1], PUBLISHes "in the order in
    /// which the original PUBLISH packets were sent" [MQTT-4.6.0-1], PUBRELs "in the order
    /// in which the corresponding PUBREC packets were received" [MQTT-4.6.0-4].
    fn resend(&mut self, now: Instant) {
        let (publishes, releases) = self.store.unacknowledged();
        // PUBRELs count against the broker's receive maximum too (no PUBCOMP yet); they are
        // always sent, and the PUBLISHes fill what room is left [MQTT-4.9.0-2]. Under 3.1.1
        // (and whenever the window did not shrink) everything fits.
        let room = self.send_window().saturating_sub(releases.len());
        for (i, (pkid, message)) in publishes.into_iter().enumerate() {
            if i >= room {
                if let Some(link) = self.link.as_mut() {
                    link.resend_backlog.push_back(pkid);
                }
                continue;
            }
            // "The DUP flag MUST be set to 1 by the Client or Server when it attempts to
            // re-deliver a PUBLISH Packet" [MQTT-3.3.1-1].
            let packet = outgoing_publish(pkid, message, true);
            self.send_untraced(now, &Packet::Publish(packet));
        }
        for pkid in releases {
            let rel = Packet::PubRel(Ack::success(pkid));
            self.send(now, &rel, PacketKind::PubRel(pkid));
        }
    }

    /// Resends backlogged PUBLISHes of a resumed session while the window has room.
    pub(crate) fn release_backlog(&mut self, now: Instant) {
        loop {
            let Some(link) = self.link.as_ref() else {
                return;
            };
            let waiting = link.resend_backlog.len();
            let sent = self.store.in_flight_publishes().saturating_sub(waiting);
            if waiting == 0 || sent >= self.send_window() {
                return;
            }
            let Some(pkid) = self
                .link
                .as_mut()
                .and_then(|l| l.resend_backlog.pop_front())
            else {
                return;
            };
            if let Some(message) = self.store.outgoing(pkid) {
                let packet = outgoing_publish(pkid, message, true);
                self.send_untraced(now, &Packet::Publish(packet));
            }
        }
    }

    /// Forgets the whole session state (outgoing messages, inbound QoS 2 ids, granted
    /// subscriptions) and reports each outgoing message not completed.
    pub(crate) fn discard_session(&mut self, reason: AbandonReason) {
        for (pkid, message) in self.store.discard() {
            let abandoned = Abandoned {
                pkid,
                topic: message.topic,
                payload: message.payload,
                qos: message.qos,
                retain: message.retain,
                stage: message.stage,
                reason,
                properties: message.properties,
            };
            self.emit(Event::Abandoned(abandoned));
        }
    }

    /// The connection ended (the link is already gone).
    pub(crate) fn connection_ended(&mut self) {
        self.store.forget_pending_subscriptions();
        if self.session_ends_with_connection() {
            self.discard_session(AbandonReason::CleanSessionEnded);
        }
    }
}
