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
//! version u8 (= 2) │ last_pkid u16 │ next_seq u64
//! count u16 │ count × { pkid u16 │ sent u64 │ released u64 │ stage u8 │ qos u8 │ retain u8
//!                      │ topic_len u16 │ topic (UTF-8) │ payload_len u32 │ payload
//!                      │ properties (format 2 only) }
//! count u16 │ count × awaiting PUBREL id u16
//! ```
//!
//! properties: a presence byte (bit 0 payload format, 1 message expiry, 2 content type,
//! 3 response topic, 4 correlation data, 5 user properties), then each present field in
//! that order: u8 │ u32 │ u16 length + UTF-8 │ u16 length + UTF-8 │ u16 length + bytes │
//! u16 count × (u16 + UTF-8, u16 + UTF-8). Format 1 (before MQTT 5) is still read.
//!
//! stage: 0 queued, 1 awaiting PUBACK, 2 awaiting PUBREC, 3 awaiting PUBCOMP. Decoding
//! checks every field and the total length: damaged bytes are an error, never a panic and
//! never a session in an impossible state.

use crate::packet::{PublishProperties, QoS};
use bytes::Bytes;

use crate::error::OptionsError;
use crate::options::ConnectOptions;
use crate::session::Session;
use crate::store::{Outgoing, OutgoingStage, Store};
use crate::topic::validate_topic_name;

/// The format version [`StoreSnapshot::encode`] writes, its first byte.
pub const SNAPSHOT_VERSION: u8 = 2;

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
    #[error("the saved session was written in format {0}; this version reads formats 1 and {SNAPSHOT_VERSION} only")]
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
            encode_properties(&m.properties, &mut out);
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
        if version != SNAPSHOT_VERSION && version != 1 {
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
            let properties = if version >= 2 {
                decode_properties(&mut r)?
            } else {
                PublishProperties::default()
            };
            let message = Outgoing {
                topic: topic.to_string(),
                payload,
                qos,
                retain,
                stage,
                properties,
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

fn encode_properties(p: &PublishProperties, out: &mut Vec<u8>) {
    let mut present = 0u8;
    for (bit, set) in [
        p.payload_format_indicator.is_some(),
        p.message_expiry_interval.is_some(),
        p.content_type.is_some(),
        p.response_topic.is_some(),
        p.correlation_data.is_some(),
        !p.user_properties.is_empty(),
    ]
    .into_iter()
    .enumerate()
    {
        present |= u8::from(set) << bit;
    }
    out.push(present);
    // Every string and binary value was validated to fit a u16 length when published.
    let mut fields: Vec<u8> = Vec::new();
    if let Some(v) = p.payload_format_indicator {
        fields.push(v);
    }
    if let Some(v) = p.message_expiry_interval {
        fields.extend_from_slice(&v.to_be_bytes());
    }
    for text in [&p.content_type, &p.response_topic].into_iter().flatten() {
        put_bytes(&mut fields, text.as_bytes());
    }
    if let Some(data) = &p.correlation_data {
        put_bytes(&mut fields, data);
    }
    if !p.user_properties.is_empty() {
        fields.extend_from_slice(&(p.user_properties.len() as u16).to_be_bytes());
        for (k, v) in &p.user_properties {
            put_bytes(&mut fields, k.as_bytes());
            put_bytes(&mut fields, v.as_bytes());
        }
    }
    out.extend_from_slice(&fields);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

fn decode_properties(r: &mut Reader<'_>) -> Result<PublishProperties, SnapshotError> {
    let present = r.u8()?;
    if present >> 6 != 0 {
        return Err(SnapshotError::Invalid("unknown message properties"));
    }
    let has = |bit: u8| present & (1 << bit) != 0;
    let mut p = PublishProperties::default();
    if has(0) {
        p.payload_format_indicator = Some(r.u8()?);
    }
    if has(1) {
        p.message_expiry_interval = Some(r.u32()?);
    }
    if has(2) {
        p.content_type = Some(r.text()?);
    }
    if has(3) {
        p.response_topic = Some(r.text()?);
    }
    if has(4) {
        let len = usize::from(r.u16()?);
        p.correlation_data = Some(Bytes::copy_from_slice(r.take(len)?));
    }
    if has(5) {
        for _ in 0..r.u16()? {
            p.user_properties.push((r.text()?, r.text()?));
        }
    }
    Ok(p)
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

    /// A u16 length, then that many bytes of UTF-8.
    fn text(&mut self) -> Result<String, SnapshotError> {
        let len = usize::from(self.u16()?);
        std::str::from_utf8(self.take(len)?)
            .map(str::to_string)
            .map_err(|_| SnapshotError::Invalid("a message property is not UTF-8"))
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}
