//! The edge where `mqttbytes` lives: the only module that maps the session's own packet
//! types ([`crate::packet`]) to mqttbytes' v4 (MQTT 3.1.1) and v5 (MQTT 5.0) types.
//!
//! mqttbytes 0.6 is unmaintained and has sharp edges; this module keeps them away from
//! the state machine:
//! - a failed `write` can leave partial bytes behind, so every packet is encoded into a
//!   scratch buffer and only a complete packet is handed out;
//! - inside an already framed packet `InsufficientBytes` means "malformed", not "short":
//!   only [`Decoder::next_packet`]'s framing check treats it as "wait for more bytes";
//! - it ignores reserved header flags and trailing bytes of fixed-size packets, so each
//!   whole frame passes the checks of `fixed_header.rs` first [MQTT-2.2.2-2];
//! - v5 only (see `v5.rs`): the short DISCONNECT forms are decoded here, AUTH is decoded
//!   here, and every property block is walked against its declared length before
//!   mqttbytes reads it (`properties.rs`).

mod properties;
mod v4;
mod v5;

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::fixed_header::check_frame;
use crate::packet::{Packet, ProtocolVersion, QoS};

/// Why a packet could not be encoded (only after a validation the session missed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

/// Encodes one packet into its own buffer. Callers validate strings and sizes first.
pub fn encode(version: ProtocolVersion, packet: &Packet) -> Result<Bytes, EncodeError> {
    let mut scratch = BytesMut::new();
    match version {
        ProtocolVersion::V311 => v4::write(packet, &mut scratch)?,
        ProtocolVersion::V5 => v5::write(packet, &mut scratch)?,
    }
    Ok(scratch.freeze())
}

/// Reassembles packets from a byte stream cut anywhere [MQTT-6.0.0-2]: a WebSocket
/// message may hold part of a packet, one packet, or several.
#[derive(Debug)]
pub struct Decoder {
    buffer: BytesMut,
    max_packet: usize,
    version: ProtocolVersion,
}

impl Decoder {
    /// A decoder of MQTT 3.1.1 refusing packets whose remaining length exceeds
    /// `max_packet` bytes.
    pub fn new(max_packet: usize) -> Self {
        Self::for_version(ProtocolVersion::V311, max_packet)
    }

    /// A decoder of this protocol version.
    pub fn for_version(version: ProtocolVersion, max_packet: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_packet,
            version,
        }
    }

    /// Appends received bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a whole packet.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next whole packet, `Ok(None)` when more bytes are needed.
    ///
    /// This is the one place where "insufficient bytes" means "wait".
    pub fn next_packet(&mut self) -> Result<Option<Packet>, ProtocolError> {
        let frame_length = match mqttbytes::check(self.buffer.iter(), self.max_packet) {
            Ok(header) => header.frame_length(),
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(mqttbytes::Error::PayloadSizeLimitExceeded(size)) => {
                return Err(ProtocolError::PacketTooLarge {
                    size,
                    max: self.max_packet,
                })
            }
            Err(e) => return Err(malformed(e)),
        };
        check_frame(self.version, &self.buffer[..frame_length])?;
        // The whole frame is buffered: split it off; any error now, even
        // `InsufficientBytes`, is a defect of the packet itself.
        let mut frame = self.buffer.split_to(frame_length);
        match self.version {
            ProtocolVersion::V311 => v4::read(&mut frame, frame_length).map(Some),
            ProtocolVersion::V5 => v5::read(&mut frame, frame_length).map(Some),
        }
    }
}

pub(crate) fn malformed(error: mqttbytes::Error) -> ProtocolError {
    use mqttbytes::Error as E;
    let detail = match error {
        E::InsufficientBytes(_) | E::BoundaryCrossed(_) | E::PayloadSizeIncorrect => {
            "its length fields disagree".to_string()
        }
        E::MalformedRemainingLength => "invalid remaining length".to_string(),
        E::InvalidPacketType(t) => format!("unknown packet type {t}"),
        E::InvalidQoS(q) => format!("invalid QoS {q}"),
        E::InvalidConnectReturnCode(c) | E::InvalidReason(c) => {
            format!("unknown reason code {c:#04x}")
        }
        E::InvalidSubscribeReasonCode(c) => format!("unknown SUBACK return code {c:#04x}"),
        E::InvalidPropertyType(p) => format!("property {p:#04x} is not allowed here"),
        E::PacketIdZero => "packet identifier 0".to_string(),
        E::SubscriptionIdZero => "subscription identifier 0".to_string(),
        E::TopicNotUtf8 => "a string is not valid UTF-8".to_string(),
        E::PayloadRequired => "a packet that needs a body has none".to_string(),
        other => format!("{other:?}"),
    };
    ProtocolError::Malformed(detail)
}

pub(crate) fn qos_to_wire(qos: QoS) -> mqttbytes::QoS {
    match qos {
        QoS::AtMostOnce => mqttbytes::QoS::AtMostOnce,
        QoS::AtLeastOnce => mqttbytes::QoS::AtLeastOnce,
        QoS::ExactlyOnce => mqttbytes::QoS::ExactlyOnce,
    }
}

pub(crate) fn qos_from_wire(qos: mqttbytes::QoS) -> QoS {
    match qos {
        mqttbytes::QoS::AtMostOnce => QoS::AtMostOnce,
        mqttbytes::QoS::AtLeastOnce => QoS::AtLeastOnce,
        mqttbytes::QoS::ExactlyOnce => QoS::ExactlyOnce,
    }
}

impl From<QoS> for mqttbytes::QoS {
    fn from(qos: QoS) -> Self {
        qos_to_wire(qos)
    }
}

impl From<mqttbytes::QoS> for QoS {
    fn from(qos: mqttbytes::QoS) -> Self {
        qos_from_wire(qos)
    }
}

fn encode_error(error: mqttbytes::Error) -> EncodeError {
    EncodeError(format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Publish, PublishProperties};

    fn publish() -> Packet {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "a/b".into(),
            pkid: 0,
            payload: Bytes::from_static(b"hi"),
            properties: PublishProperties::default(),
        })
    }

    #[test]
    fn a_packet_cut_anywhere_is_reassembled() {
        for version in [ProtocolVersion::V311, ProtocolVersion::V5] {
            let bytes = encode(version, &publish()).expect("encodes");
            let mut decoder = Decoder::for_version(version, 1024);
            for (i, byte) in bytes.iter().enumerate() {
                assert_eq!(decoder.next_packet(), Ok(None), "before byte {i}");
                decoder.extend(&[*byte]);
            }
            assert_eq!(decoder.next_packet(), Ok(Some(publish())));
            assert_eq!(decoder.buffered(), 0);
        }
    }

    #[test]
    fn an_oversized_packet_is_refused_before_it_is_buffered_whole() {
        let mut decoder = Decoder::new(10);
        decoder.extend(&[0x30, 0x7f]);
        assert_eq!(
            decoder.next_packet(),
            Err(ProtocolError::PacketTooLarge { size: 127, max: 10 })
        );
    }
}
