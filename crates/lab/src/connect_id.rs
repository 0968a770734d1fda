//! Reads the MQTT client id off the start of a client's byte stream, where its CONNECT is
//! [MQTT-3.1.0-1], so the bridge can name each live link (`live_links.rs`) without parsing
//! anything else. The bytes themselves go to the broker untouched: it alone judges them.

/// What the bytes seen so far say about the client id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The CONNECT has not reached its client id yet.
    NeedMore,
    /// The client id and protocol level (4: 3.1.1, 5: 5.0) of the CONNECT.
    Found { client_id: String, level: u8 },
    /// The first packet is not a CONNECT with a readable client id; the broker will refuse it.
    NotAConnect,
}

/// Collects the start of the stream until the client id is found (the rest of the CONNECT,
/// e.g. a will message or a password, is never needed).
#[derive(Debug, Default)]
pub(crate) struct ClientIdReader {
    /// Bytes kept from earlier messages while the client id was still incomplete.
    seen: Vec<u8>,
}

impl ClientIdReader {
    /// Adds the next bytes from the client.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Reading {
        if self.seen.is_empty() {
            // Browsers send the whole CONNECT in one message: no copy then.
            let reading = client_id(bytes);
            if reading == Reading::NeedMore {
                self.seen.extend_from_slice(bytes);
            }
            return reading;
        }
        self.seen.extend_from_slice(bytes);
        client_id(&self.seen)
    }
}

/// The client id of the CONNECT at the start of `bytes` (MQTT 3.1.1 §3.1; the 3.1 protocol
/// name `MQIsdp` has the same layout):
///
/// ```text
/// 0x10 | remaining length (1-4 bytes) | protocol name (u16 length + bytes) | level (1)
///      | connect flags (1) | keep alive (2) | client id (u16 length + UTF-8) | ...
/// ```
fn client_id(bytes: &[u8]) -> Reading {
    let Some(&first) = bytes.first() else {
        return Reading::NeedMore;
    };
    // Type 1 with the reserved flags 0 [MQTT-2.2.2-2].
    if first != 0x10 {
        return Reading::NotAConnect;
    }
    let (remaining, header) = match remaining_length(&bytes[1..]) {
        Length::Known(remaining, used) => (remaining, 1 + used),
        Length::NeedMore => return Reading::NeedMore,
        Length::Malformed => return Reading::NotAConnect,
    };
    let packet_end = header + remaining;
    let Some(name_len) = u16_at(bytes, header) else {
        return Reading::NeedMore;
    };
    // protocol name, then level, flags and keep alive
    let level_at = header + 2 + usize::from(name_len);
    let Some(&level) = bytes.get(level_at) else {
        return Reading::NeedMore;
    };
    let mut id_len_at = level_at + 1 + 1 + 2;
    // MQTT 5: the CONNECT's properties come before the payload (§3.1.2.11).
    if level == 5 {
        let Some(rest) = bytes.get(id_len_at..) else {
            return Reading::NeedMore;
        };
        match remaining_length(rest) {
            Length::Known(properties, used) => id_len_at += used + properties,
            Length::NeedMore => return Reading::NeedMore,
            Length::Malformed => return Reading::NotAConnect,
        }
    }
    if id_len_at + 2 > packet_end {
        return Reading::NotAConnect;
    }
    let Some(id_len) = u16_at(bytes, id_len_at) else {
        return Reading::NeedMore;
    };
    let id_at = id_len_at + 2;
    let id_end = id_at + usize::from(id_len);
    if id_end > packet_end {
        return Reading::NotAConnect;
    }
    match bytes.get(id_at..id_end) {
        None => Reading::NeedMore,
        Some(id) => match std::str::from_utf8(id) {
            Ok(id) => Reading::Found {
                client_id: id.to_owned(),
                level,
            },
            Err(_) => Reading::NotAConnect,
        },
    }
}

/// A big-endian u16 at `at`, if the bytes reach that far.
fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at + 2)?;
    Some(u16::from_be_bytes([pair[0], pair[1]]))
}

enum Length {
    /// The remaining length and how many bytes encode it.
    Known(usize, usize),
    NeedMore,
    /// More than 4 bytes (MQTT 3.1.1 §2.2.3).
    Malformed,
}

/// MQTT's variable-length remaining length at the start of `bytes`.
fn remaining_length(bytes: &[u8]) -> Length {
    let mut value = 0usize;
    for (index, &byte) in bytes.iter().enumerate().take(4) {
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Length::Known(value, index + 1);
        }
    }
    if bytes.len() >= 4 {
        Length::Malformed
    } else {
        Length::NeedMore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CONNECT as MQTT 3.1.1 §3.1 lays it out, with `id` and a will (more payload after it).
    fn connect(protocol: &str, id: &str) -> Vec<u8> {
        let mut rest = Vec::new();
        rest.extend((protocol.len() as u16).to_be_bytes());
        rest.extend(protocol.as_bytes());
        rest.extend([4, 0x06, 0, 30]); // level 4; clean session + will; keep alive 30 s
        for field in [id, "will/topic", "will message"] {
            rest.extend((field.len() as u16).to_be_bytes());
            rest.extend(field.as_bytes());
        }
        let mut packet = vec![0x10, rest.len() as u8];
        packet.extend(rest);
        packet
    }

    #[test]
    fn finds_the_client_id_in_a_whole_connect() {
        let mut reader = ClientIdReader::default();
        let found = reader.push(&connect("MQTT", "pg-test-1"));
        assert_eq!(
            found,
            Reading::Found {
                client_id: "pg-test-1".to_owned(),
                level: 4
            }
        );
        let mqtt_3_1 = connect("MQIsdp", "old-client");
        let found = ClientIdReader::default().push(&mqtt_3_1);
        assert_eq!(
            found,
            Reading::Found {
                client_id: "old-client".to_owned(),
                level: 4
            }
        );
    }

    #[test]
    fn finds_the_client_id_and_level_of_an_mqtt5_connect_past_its_properties() {
        let mut rest = Vec::new();
        rest.extend(4u16.to_be_bytes());
        rest.extend(b"MQTT");
        rest.extend([5, 0x02, 0, 30]); // level 5; clean start; keep alive 30 s
        rest.extend([5, 0x11, 0, 0, 0, 60]); // properties: session expiry 60 s
        rest.extend(6u16.to_be_bytes());
        rest.extend(b"v5-cli");
        let mut packet = vec![0x10, rest.len() as u8];
        packet.extend(rest);
        let found = ClientIdReader::default().push(&packet);
        let want = Reading::Found {
            client_id: "v5-cli".to_owned(),
            level: 5,
        };
        assert_eq!(found, want);
        // Cut inside the properties: wait for more.
        assert_eq!(
            ClientIdReader::default().push(&packet[..14]),
            Reading::NeedMore
        );
    }

    #[test]
    fn waits_for_a_connect_split_across_messages_byte_by_byte() {
        let packet = connect("MQTT", "split");
        let id_end = 2 + 6 + 4 + 2 + "split".len();
        let mut reader = ClientIdReader::default();
        for (index, byte) in packet.iter().enumerate() {
            let reading = reader.push(&[*byte]);
            if index + 1 < id_end {
                assert_eq!(reading, Reading::NeedMore, "after {} bytes", index + 1);
            } else {
                assert_eq!(
                    reading,
                    Reading::Found {
                        client_id: "split".to_owned(),
                        level: 4
                    }
                );
                return;
            }
        }
        panic!("the client id was never found");
    }

    #[test]
    fn an_empty_client_id_is_an_id() {
        let found = ClientIdReader::default().push(&connect("MQTT", ""));
        assert_eq!(
            found,
            Reading::Found {
                client_id: String::new(),
                level: 4
            }
        );
    }

    #[test]
    fn other_first_packets_and_broken_connects_have_no_id() {
        let not_a_connect = |bytes: &[u8]| ClientIdReader::default().push(bytes);
        // PINGREQ
        assert_eq!(not_a_connect(&[0xc0, 0x00]), Reading::NotAConnect);
        // CONNECT with reserved flags set
        assert_eq!(not_a_connect(&[0x11, 0x00]), Reading::NotAConnect);
        // a five-byte remaining length
        let five = [0x10, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(not_a_connect(&five), Reading::NotAConnect);
        // a client id running past the packet's remaining length
        let mut short = connect("MQTT", "abc");
        short[1] = 2 + 4 + 4 + 2 + 2;
        assert_eq!(not_a_connect(&short), Reading::NotAConnect);
        // a client id that is not UTF-8
        let mut invalid = connect("MQTT", "ab");
        invalid[2 + 6 + 4 + 2] = 0xff;
        assert_eq!(not_a_connect(&invalid), Reading::NotAConnect);
    }
}
