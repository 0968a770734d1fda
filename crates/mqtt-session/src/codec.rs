//! The edge where `mqttbytes` lives: framing inbound bytes and encoding outbound packets.
//!
//! mqttbytes 0.6 is unmaintained and has sharp edges; this module keeps them away from
//! the state machine:
//! - a failed `write` can leave partial bytes behind, so every packet is encoded into a
//!   scratch buffer and only a complete packet is handed out;
//! - inside an already framed packet `InsufficientBytes` means "malformed", not "short":
//!   only [`Decoder::next_packet`]'s framing check treats it as "wait for more bytes";
//! - it ignores reserved header flags and trailing bytes of fixed-size packets, so each
//!   whole frame passes the checks of `fixed_header.rs` first [MQTT-2.2.2-2].

use bytes::{Bytes, BytesMut};
use mqttbytes::v4::{self, Packet};

use crate::error::ProtocolError;
use crate::fixed_header::check_frame;

/// Encodes one packet into its own buffer. Callers validate strings and sizes first.
pub fn encode(packet: &Packet) -> Result<Bytes, mqttbytes::Error> {
    let mut scratch = BytesMut::new();
    match packet {
        Packet::Connect(p) => p.write(&mut scratch),
        Packet::ConnAck(p) => p.write(&mut scratch),
        Packet::Publish(p) => p.write(&mut scratch),
        Packet::PubAck(p) => p.write(&mut scratch),
        Packet::PubRec(p) => p.write(&mut scratch),
        Packet::PubRel(p) => p.write(&mut scratch),
        Packet::PubComp(p) => p.write(&mut scratch),
        Packet::Subscribe(p) => p.write(&mut scratch),
        Packet::SubAck(p) => p.write(&mut scratch),
        Packet::Unsubscribe(p) => p.write(&mut scratch),
        Packet::UnsubAck(p) => p.write(&mut scratch),
        Packet::PingReq => v4::PingReq.write(&mut scratch),
        Packet::PingResp => v4::PingResp.write(&mut scratch),
        Packet::Disconnect => v4::Disconnect.write(&mut scratch),
    }?;
    Ok(scratch.freeze())
}

/// Reassembles packets from a byte stream cut anywhere [MQTT-6.0.0-2]: a WebSocket
/// message may hold part of a packet, one packet, or several.
#[derive(Debug)]
pub struct Decoder {
    buffer: BytesMut,
    max_packet: usize,
}

impl Decoder {
    /// A decoder refusing packets whose remaining length exceeds `max_packet` bytes.
    pub fn new(max_packet: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_packet,
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
        match mqttbytes::check(self.buffer.iter(), self.max_packet) {
            Ok(header) => check_frame(&self.buffer[..header.frame_length()])?,
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(mqttbytes::Error::PayloadSizeLimitExceeded(size)) => {
                return Err(ProtocolError::PacketTooLarge {
                    size,
                    max: self.max_packet,
                })
            }
            Err(e) => return Err(malformed(e)),
        }
        // The whole frame is buffered: `read` splits it off; any error now, even
        // `InsufficientBytes`, is a defect of the packet itself.
        v4::read(&mut self.buffer, self.max_packet)
            .map(Some)
            .map_err(malformed)
    }
}

fn malformed(error: mqttbytes::Error) -> ProtocolError {
    use mqttbytes::Error as E;
    let detail = match error {
        E::InsufficientBytes(_) | E::BoundaryCrossed(_) | E::PayloadSizeIncorrect => {
            "its length fields disagree".to_string()
        }
        E::MalformedRemainingLength => "invalid remaining length".to_string(),
        E::InvalidPacketType(t) => format!("unknown packet type {t}"),
        E::InvalidQoS(q) => format!("invalid QoS {q}"),
        E::InvalidConnectReturnCode(c) => format!("unknown CONNACK return code {c}"),
        E::InvalidSubscribeReasonCode(c) => format!("unknown SUBACK return code {c:#04x}"),
        E::PacketIdZero => "packet identifier 0".to_string(),
        E::TopicNotUtf8 => "topic is not valid UTF-8".to_string(),
        E::PayloadRequired => "a packet that needs a body has none".to_string(),
        other => format!("{other:?}"),
    };
    ProtocolError::Malformed(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqttbytes::QoS;

    #[test]
    fn a_packet_cut_anywhere_is_reassembled() {
        let bytes = encode(&Packet::Publish(v4::Publish::new(
            "a/b",
            QoS::AtMostOnce,
            "hi",
        )))
        .expect("encodes");
        let mut decoder = Decoder::new(1024);
        for (i, byte) in bytes.iter().enumerate() {
            assert_eq!(decoder.next_packet(), Ok(None), "before byte {i}");
            decoder.extend(&[*byte]);
        }
        assert!(matches!(
            decoder.next_packet(),
            Ok(Some(Packet::Publish(_)))
        ));
        assert_eq!(decoder.buffered(), 0);
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
