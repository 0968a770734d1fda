//! A plain, versioned copy of the store, so that a session outlives its process (a browser
//! tab reloaded, a device restarted), not only its connection.
//!
//! What is kept is what a resumed session needs [MQTT-4.4.0-1]: every outgoing QoS 1/2
//! message not completed (queued or in flight, with its stage, packet id and send order),
//! the inbound QoS 2 ids awaiting PUBREL (so a PUBLISH the broker resends is not delivered
//! twice), and the last packet id handed out. Pending (UN)SUBSCRIBEs are not kept: they
//! are forgotten at the end of every connection anyway. Granted subscriptions are not kept
//! either: the broker keeps them with the session, and the application knows its own.
//!
//! The encoding is compact and has no dependency (the caller stores the bytes as it can,
//! e.g. base64 in `localStorage`). All integers are big-endian:
//!
//! ```text
//! version u8 (= 1) │ last_pkid u16 │ next_seq u64
//! count u16 │ count × { pkid u16 │ sent u64 │ released u64 │ stage u8 │ qos u8 │ retain u8
//!                      │ topic_len u16 │ topic (UTF-8) │ payload_len u32 │ payload }
//! count u16 │ count × awaiting PUBREL id u16
//! ```
//!
//! stage: 0 queued, 1 awaiting PUBACK, 2 awaiting PUBREC, 3 awaiting PUBCOMP. Decoding
//! checks every field and the total length: damaged bytes are an error, never a panic and
//! never a session in an impossible state.

use bytes::Bytes;
use mqttbytes::QoS;

use crate::error::OptionsError;
use crate::options::ConnectOptions;
use crate::session::Session;
use crate::store::{Outgoing, OutgoingStage, Store};
use crate::topic::validate_topic_name;

/// The format version [`StoreSnapshot::encode`] writes, its first byte.
pub const SNAPSHOT_VERSION: u8 = 1;

/// What a session must remember across a restart. Take it with [`Session::snapshot`],
/// start a session from it with [`Session::with_snapshot`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSnapshot {
    pub(crate) last_pkid: u16,
    pub(crate) next_seq: u64,
    /// In packet id order.
    pub(crate) outgoing: Vec<SavedPublish>,
    /// In id order.
    pub(crate) awaiting_pubrel: Vec<u16>,
}

/// One outgoing message with the store's bookkeeping (see `store.rs`, `Use::Publish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SavedPublish {
    pub(crate) pkid: u16,
    pub(crate) sent: u64,
    pub(crate) released: u64,
    pub(crate) message: Outgoing,
}

/// Why saved bytes could not be read back as a [`StoreSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error("the saved session is empty")]
    Empty,
    #[error("the saved session was written in format {0}; this version reads format {SNAPSHOT_VERSION} only")]
    Version(u8),
    #[error("the saved session is cut short: {needed} more bytes were expected at byte {at}")]
    Truncated { at: usize, needed: usize },
    #[error("the saved session has {0} unexpected bytes after its end")]
    TrailingBytes(usize),
    #[error("the saved session is damaged: {0}")]
    Invalid(&'static str),
}

impl StoreSnapshot {
    /// Nothing to resend and no QoS 2 id awaiting PUBREL: there is no need to keep it.
    pub fn is_empty(&self) -> bool {
        self.outgoing.is_empty() && self.awaiting_pubrel.is_empty()
    }

    /// Outgoing QoS 1/2 messages not completed (queued or in flight).
    pub fn outgoing(&self) -> usize {
        self.outgoing.len()
    }

    /// Inbound QoS 2 ids whose PUBREL has not arrived.
    pub fn awaiting_pubrel(&self) -> usize {
        self.awaiting_pubrel.len()
    }

    /// The bytes described in the module documentation.
    pub fn encode(&self) -> Vec<u8> {
        let payloads: usize = self
            .outgoing
            .iter()
            .map(|p| 32 + p.message.topic.len() + p.message.payload.len())
            .sum();
        let mut out = Vec::with_capacity(15 + payloads + 2 * self.awaiting_pubrel.len());
        out.push(SNAPSHOT_VERSION);
        out.extend_from_slice(&self.last_pkid.to_be_bytes());
        out.extend_from_slice(&self.next_seq.to_be_bytes());
        // At most 65,535 ids are in use, and topics are validated to fit a u16 length.
        out.extend_from_slice(&(self.outgoing.len() as u16).to_be_bytes());
        for saved in &self.outgoing {
            let m = &saved.message;
            out.extend_from_slice(&saved.pkid.to_be_bytes());
            out.extend_from_slice(&saved.sent.to_be_bytes());
            out.extend_from_slice(&saved.released.to_be_bytes());
            out.push(stage_byte(m.stage));
            out.push(m.qos as u8);
            out.push(u8::from(m.retain));
            out.extend_from_slice(&(m.topic.len() as u16).to_be_bytes());
            out.extend_from_slice(m.topic.as_bytes());
            out.extend_from_slice(&(m.payload.len() as u32).to_be_bytes());
            out.extend_from_slice(&m.payload);
        }
        out.extend_from_slice(&(self.awaiting_pubrel.len() as u16).to_be_bytes());
        for id in &self.awaiting_pubrel {
            out.extend_from_slice(&id.to_be_bytes());
        }
        out
    }

    /// Reads bytes written by [`StoreSnapshot::encode`], checking every field.
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8().map_err(|_| SnapshotError::Empty)?;
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version(version));
        }
        let last_pkid = r.u16()?;
        let next_seq = r.u64()?;
        let count = r.u16()?;
        let mut outgoing: Vec<SavedPublish> = Vec::new();
        for _ in 0..count {
            let pkid = r.u16()?;
            if pkid == 0 {
                return Err(SnapshotError::Invalid("a message has packet id 0"));
            }
            if outgoing.last().is_some_and(|p| p.pkid >= pkid) {
                return Err(SnapshotError::Invalid(
                    "packet ids repeat or are out of order",
                ));
            }
            let sent = r.u64()?;
            let released = r.u64()?;
            let stage = stage_from_byte(r.u8()?)?;
            let qos = match r.u8()? {
                1 => QoS::AtLeastOnce,
                2 => QoS::ExactlyOnce,
                _ => {
                    return Err(SnapshotError::Invalid(
                        "a message has a QoS other than 1 or 2",
                    ))
                }
            };
            let consistent = match stage {
                OutgoingStage::Queued => true,
                OutgoingStage::AwaitingPubAck => qos == QoS::AtLeastOnce,
                OutgoingStage::AwaitingPubRec | OutgoingStage::AwaitingPubComp => {
                    qos == QoS::ExactlyOnce
                }
            };
            if !consistent {
                return Err(SnapshotError::Invalid(
                    "a message's stage does not fit its QoS",
                ));
            }
            let retain = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(SnapshotError::Invalid("a retain flag is neither 0 nor 1")),
            };
            let topic_len = usize::from(r.u16()?);
            let topic = std::str::from_utf8(r.take(topic_len)?)
                .map_err(|_| SnapshotError::Invalid("a topic is not UTF-8"))?;
            validate_topic_name(topic)
                .map_err(|_| SnapshotError::Invalid("a topic is not a valid topic name"))?;
            let payload_len = r.u32()? as usize;
            let payload = Bytes::copy_from_slice(r.take(payload_len)?);
            let message = Outgoing {
                topic: topic.to_string(),
                payload,
                qos,
                retain,
                stage,
            };
            outgoing.push(SavedPublish {
                pkid,
                sent,
                released,
                message,
            });
        }
        let count = r.u16()?;
        let mut awaiting_pubrel: Vec<u16> = Vec::new();
        for _ in 0..count {
            let id = r.u16()?;
            if id == 0 || awaiting_pubrel.last().is_some_and(|&last| last >= id) {
                return Err(SnapshotError::Invalid(
                    "the ids awaiting PUBREL repeat, are out of order or include 0",
                ));
            }
            awaiting_pubrel.push(id);
        }
        if r.at != bytes.len() {
            return Err(SnapshotError::TrailingBytes(bytes.len() - r.at));
        }
        Ok(Self {
            last_pkid,
            next_seq,
            outgoing,
            awaiting_pubrel,
        })
    }
}

impl Session {
    /// A copy of what the session must remember across a restart (see [`StoreSnapshot`]).
    /// Meaningful with clean session off; take a new one whenever
    /// [`Session::store_revision`] changed.
    pub fn snapshot(&self) -> StoreSnapshot {
        self.store.snapshot()
    }

    /// Counts the changes of the session's store: while it stays the same, so does
    /// [`Session::snapshot`]. A caller that saves snapshots saves again when it changed,
    /// before it transmits what the session queued, so that nothing reaches the broker
    /// that a restart would forget.
    pub fn store_revision(&self) -> u64 {
        self.store.revision()
    }

    /// A disconnected session that continues the one `snapshot` was taken from (same
    /// client id and broker). On a CONNACK with session present it resends what was
    /// unacknowledged, as after any reconnect. With clean session on, or when the broker
    /// kept no session, its first CONNACK reports every outgoing message as
    /// [`crate::Event::Abandoned`] instead, so none is lost silently.
    pub fn with_snapshot(
        options: ConnectOptions,
        snapshot: StoreSnapshot,
    ) -> Result<Self, OptionsError> {
        let mut session = Session::new(options)?;
        session.store = Store::from_snapshot(snapshot);
        Ok(session)
    }
}

fn stage_byte(stage: OutgoingStage) -> u8 {
    match stage {
        OutgoingStage::Queued => 0,
        OutgoingStage::AwaitingPubAck => 1,
        OutgoingStage::AwaitingPubRec => 2,
        OutgoingStage::AwaitingPubComp => 3,
    }
}

fn stage_from_byte(byte: u8) -> Result<OutgoingStage, SnapshotError> {
    Ok(match byte {
        0 => OutgoingStage::Queued,
        1 => OutgoingStage::AwaitingPubAck,
        2 => OutgoingStage::AwaitingPubRec,
        3 => OutgoingStage::AwaitingPubComp,
        _ => return Err(SnapshotError::Invalid("a message has an unknown stage")),
    })
}

/// Reads big-endian fields; every read checks the length first.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let rest = &self.bytes[self.at..];
        if rest.len() < n {
            return Err(SnapshotError::Truncated {
                at: self.at,
                needed: n - rest.len(),
            });
        }
        self.at += n;
        Ok(&rest[..n])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, SnapshotError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}
