//! MQTT 5 property blocks, walked against their declared length before mqttbytes reads
//! them: mqttbytes 0.6 reads properties until its own count reaches the declared length,
//! without checking that a property ends inside the block, so a damaged block would be
//! read on into the payload (or the reason codes) instead of being refused.
//!
//! A block is a variable byte integer length, then properties, each an identifier byte
//! and a value whose size follows from the identifier [MQTT-2.2.2].

use crate::error::ProtocolError;

/// One property as found on the wire: its identifier and the bytes of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawProperty<'a> {
    pub(super) id: u8,
    pub(super) value: &'a [u8],
}

impl RawProperty<'_> {
    /// The value of a UTF-8 string property (already checked to be one).
    pub(super) fn string(&self) -> String {
        String::from_utf8_lossy(&self.value[2..]).into_owned()
    }

    pub(super) fn u32(&self) -> u32 {
        self.value
            .iter()
            .take(4)
            .fold(0, |acc, b| (acc << 8) | u32::from(*b))
    }

    /// Both strings of a user property.
    pub(super) fn pair(&self) -> (String, String) {
        let key_len = usize::from(u16::from_be_bytes([self.value[0], self.value[1]]));
        let key = String::from_utf8_lossy(&self.value[2..2 + key_len]).into_owned();
        let value = String::from_utf8_lossy(&self.value[4 + key_len..]).into_owned();
        (key, value)
    }
}

/// A property block that starts at `body[start]` (its length byte(s)): returns its
/// properties and the index just after the block.
pub(super) fn walk(
    body: &[u8],
    start: usize,
) -> Result<(Vec<RawProperty<'_>>, usize), ProtocolError> {
    let (length, length_len) = variable_int(body.get(start..).unwrap_or_default())
        .ok_or_else(|| bad("its property length is cut short or invalid"))?;
    let begin = start + length_len;
    let end = begin
        .checked_add(length as usize)
        .filter(|end| *end <= body.len())
        .ok_or_else(|| bad("its properties run past the end of the packet"))?;
    let mut properties = Vec::new();
    let mut at = begin;
    while at < end {
        let id = body[at];
        at += 1;
        let rest = &body[at..end];
        let size = match id {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => 1,
            0x13 | 0x21 | 0x22 | 0x23 => 2,
            0x02 | 0x11 | 0x18 | 0x27 => 4,
            0x0B => variable_int(rest)
                .map(|(_, n)| n)
                .ok_or_else(|| bad("a subscription identifier runs past its property block"))?,
            0x03 | 0x08 | 0x12 | 0x15 | 0x1A | 0x1C | 0x1F | 0x09 | 0x16 => {
                let text = id != 0x09 && id != 0x16;
                prefixed(rest, text)?
            }
            0x26 => {
                let key = prefixed(rest, true)?;
                key + prefixed(&rest[key..], true)?
            }
            other => return Err(bad(&format!("unknown property identifier {other:#04x}"))),
        };
        if size > rest.len() {
            return Err(bad(&format!(
                "property {id:#04x} runs past the end of its property block"
            )));
        }
        properties.push(RawProperty {
            id,
            value: &rest[..size],
        });
        at += size;
    }
    Ok((properties, end))
}

/// The size of a length-prefixed string or binary value at the start of `bytes`.
fn prefixed(bytes: &[u8], utf8: bool) -> Result<usize, ProtocolError> {
    let [hi, lo, ..] = *bytes else {
        return Err(bad("a string property runs past its property block"));
    };
    let size = 2 + usize::from(u16::from_be_bytes([hi, lo]));
    let value = bytes
        .get(2..size)
        .ok_or_else(|| bad("a string property runs past its property block"))?;
    if utf8 && std::str::from_utf8(value).is_err() {
        return Err(bad("a string property is not valid UTF-8"));
    }
    Ok(size)
}

/// A variable byte integer [MQTT-1.5.5]: its value and how many bytes it took.
pub(super) fn variable_int(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn bad(detail: &str) -> ProtocolError {
    ProtocolError::Malformed(detail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_read_property_by_property() {
        // length 8: reason string "ok" (5 bytes), server keep alive 30 (3 bytes), then
        // payload bytes that are not part of the block.
        let body = [8, 0x1F, 0, 2, b'o', b'k', 0x13, 0, 30, 0x99, 0xAA];
        let (props, end) = walk(&body, 0).expect("valid");
        assert_eq!(end, 8 + 1);
        assert_eq!(props.len(), 2);
        assert_eq!(props[0].string(), "ok");
        assert_eq!(props[1].u32(), 30);
    }

    #[test]
    fn a_property_longer_than_its_block_is_refused_instead_of_reading_the_payload() {
        // The block says 3 bytes, the reason string inside claims 5: mqttbytes would read
        // two bytes of the payload as part of the string.
        let body = [3, 0x1F, 0, 5, b'a', b'b', b'c', b'd', b'e'];
        assert_eq!(
            walk(&body, 0),
            Err(ProtocolError::Malformed(
                "a string property runs past its property block".into()
            ))
        );
    }

    #[test]
    fn a_block_longer_than_the_packet_and_unknown_ids_are_refused() {
        assert!(walk(&[20, 0x01, 1], 0).is_err());
        assert!(walk(&[2, 0x07, 1], 0).is_err());
        assert!(walk(&[], 0).is_err());
        assert!(walk(&[0x80, 0x80, 0x80, 0x80, 0x01], 0).is_err());
    }

    #[test]
    fn user_properties_are_pairs_and_subscription_ids_are_variable_ints() {
        let body = [10, 0x26, 0, 1, b'k', 0, 2, b'v', b'w', 0x0B, 0x05];
        let (props, _) = walk(&body, 0).expect("valid");
        assert_eq!(props[0].pair(), ("k".into(), "vw".into()));
        assert_eq!(props[1].value, &[0x05]);
    }
}
