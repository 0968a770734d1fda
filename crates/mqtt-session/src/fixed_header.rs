//! The fixed-header rules mqttbytes 0.6 does not check, applied to a whole frame before it
//! is handed to mqttbytes (which never exposes the raw header byte).
//!
//! ```text
//!  Table 2.2 - Flag Bits                      fixed remaining lengths
//!  packet        bits 3..0                    CONNACK                    2
//!  CONNECT       0 0 0 0                      PUBACK PUBREC PUBREL PUBCOMP 2
//!  CONNACK       0 0 0 0                      UNSUBACK                   2
//!  PUBLISH       DUP QoS QoS RETAIN           PINGREQ PINGRESP DISCONNECT 0
//!  PUBACK        0 0 0 0
//!  PUBREC        0 0 0 0
//!  PUBREL        0 0 1 0
//!  PUBCOMP       0 0 0 0
//!  SUBSCRIBE     0 0 1 0
//!  SUBACK        0 0 0 0
//!  UNSUBSCRIBE   0 0 1 0
//!  UNSUBACK      0 0 0 0
//!  PINGREQ       0 0 0 0
//!  PINGRESP      0 0 0 0
//!  DISCONNECT    0 0 0 0
//! ```

use crate::error::ProtocolError;
use crate::packet::ProtocolVersion;

/// Checks one complete frame (`frame` holds exactly one packet, fixed header included).
/// Packet type 0 (and 15 under MQTT 3.1.1, which has no AUTH) is left to mqttbytes,
/// which names it.
pub(crate) fn check_frame(version: ProtocolVersion, frame: &[u8]) -> Result<(), ProtocolError> {
    let Some(&byte1) = frame.first() else {
        return Ok(());
    };
    if version == ProtocolVersion::V311 && byte1 >> 4 == 15 {
        return Ok(());
    }
    let Some((packet, expected_flags, mut expected_length)) = rules(byte1 >> 4) else {
        return Ok(());
    };
    // MQTT 5 acknowledgements and DISCONNECT may carry a reason code and properties.
    if version == ProtocolVersion::V5 && !matches!(packet, "PINGREQ" | "PINGRESP") {
        expected_length = None;
    }
    let flags = byte1 & 0x0F;
    match expected_flags {
        // "Where a flag bit is marked as "Reserved" in Table 2.2 - Flag Bits, it is
        // reserved for future use and MUST be set to the value listed in that table
        // [MQTT-2.2.2-1]. If invalid flags are received, the receiver MUST close the
        // Network Connection [MQTT-2.2.2-2]."
        Some(expected) if flags != expected => {
            return Err(ProtocolError::ReservedFlags {
                packet,
                flags,
                expected,
            });
        }
        // "A PUBLISH Packet MUST NOT have both QoS bits set to 1. If a Server or Client
        // receives a PUBLISH Packet which has both QoS bits set to 1 it MUST close the
        // Network Connection [MQTT-3.3.1-4]."
        None if flags & 0b0110 == 0b0110 => return Err(ProtocolError::PublishQoS3),
        _ => {}
    }
    let header_len = 1 + frame[1..].iter().take_while(|b| *b & 0x80 != 0).count() + 1;
    let length = frame.len().saturating_sub(header_len);
    if let Some(expected) = expected_length {
        if length != expected {
            return Err(ProtocolError::RemainingLength {
                packet,
                length,
                expected,
            });
        }
    }
    // CONNACK: "Byte 1 is the "Connect Acknowledge Flags". Bits 7-1 are reserved and MUST
    // be set to 0." (§3.2.2.1); a broken broker is better refused than guessed at.
    if packet == "CONNACK" {
        let flags = frame.get(header_len).copied().unwrap_or(0);
        if flags & 0xFE != 0 {
            return Err(ProtocolError::ConnAckReservedBits(flags));
        }
    }
    Ok(())
}

/// Name, required flags (`None`: PUBLISH, whose flags carry DUP, QoS and RETAIN) and the
/// fixed remaining length, if the packet type has one.
fn rules(packet_type: u8) -> Option<(&'static str, Option<u8>, Option<usize>)> {
    Some(match packet_type {
        1 => ("CONNECT", Some(0), None),
        2 => ("CONNACK", Some(0), Some(2)),
        3 => ("PUBLISH", None, None),
        4 => ("PUBACK", Some(0), Some(2)),
        5 => ("PUBREC", Some(0), Some(2)),
        6 => ("PUBREL", Some(0b0010), Some(2)),
        7 => ("PUBCOMP", Some(0), Some(2)),
        8 => ("SUBSCRIBE", Some(0b0010), None),
        9 => ("SUBACK", Some(0), None),
        10 => ("UNSUBSCRIBE", Some(0b0010), None),
        11 => ("UNSUBACK", Some(0), Some(2)),
        12 => ("PINGREQ", Some(0), Some(0)),
        13 => ("PINGRESP", Some(0), Some(0)),
        14 => ("DISCONNECT", Some(0), Some(0)),
        15 => ("AUTH", Some(0), None),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packets_this_client_sends_pass_its_own_checks() {
        for frame in [
            &[0x20, 0x02, 0x01, 0x00][..],
            &[0x40, 0x02, 0x00, 0x01],
            &[0x62, 0x02, 0x00, 0x01],
            &[0xd0, 0x00],
            &[0x3d, 0x03, 0x00, 0x01, b'a'],
        ] {
            assert_eq!(
                check_frame(ProtocolVersion::V311, frame),
                Ok(()),
                "{frame:02x?}"
            );
        }
    }

    #[test]
    fn the_remaining_length_is_measured_past_a_multi_byte_header() {
        // PUBACK whose remaining length 2 is written in two bytes (0x82 0x00).
        assert_eq!(
            check_frame(ProtocolVersion::V311, &[0x40, 0x82, 0x00, 0x00, 0x01]),
            Ok(())
        );
        // PUBACK with a two-byte remaining length of 128.
        let mut frame = vec![0x40, 0x80, 0x01];
        frame.resize(3 + 128, 0x00);
        assert_eq!(
            check_frame(ProtocolVersion::V311, &frame),
            Err(ProtocolError::RemainingLength {
                packet: "PUBACK",
                length: 128,
                expected: 2
            })
        );
    }
}
