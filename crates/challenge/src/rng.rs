//! The server's randomness: the workspace's seeded generator, and UUID v4 formatting on it.
//!
//! The server's randomness (unique ids, how many commands, which ones) must be
//! reproducible: a failing run is replayed from its seed alone, so it comes from the
//! `splitmix` crate's seeded generator, never from entropy. That is not cryptographic,
//! and does not need to be: the unique id only has to be unique among the sessions of one
//! server, not unguessable.

pub(crate) use splitmix::SplitMix64;

/// A random UUID version 4 (RFC 9562 §5.4), formatted 8-4-4-4-12 in lowercase hex.
pub(crate) fn uuid_v4(rng: &mut SplitMix64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_uuid_v4(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        lengths == [8, 4, 4, 4, 12]
            && s.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
            && groups[2].starts_with('4')
            && groups[3].starts_with(['8', '9', 'a', 'b'])
    }

    #[test]
    fn uuids_are_version_4_in_the_8_4_4_4_12_format() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..1_000 {
            let uuid = uuid_v4(&mut rng);
            assert!(is_uuid_v4(&uuid), "{uuid}");
        }
    }

    #[test]
    fn uuids_do_not_repeat_and_the_same_seed_gives_the_same_ones() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let uuid = uuid_v4(&mut a);
            assert_eq!(uuid, uuid_v4(&mut b));
            assert!(seen.insert(uuid));
        }
        assert_ne!(
            uuid_v4(&mut SplitMix64::new(1)),
            uuid_v4(&mut SplitMix64::new(2))
        );
    }

    #[test]
    fn a_uuid_is_the_first_two_draws_with_the_version_and_variant_bits_set() {
        // Seed 0's first draws are 0xe220a8397b1dcdaf and 0x6e789e6aa1b965f4: pins the byte
        // order, so unique ids stay the same for a given seed.
        assert_eq!(
            uuid_v4(&mut SplitMix64::new(0)),
            "e220a839-7b1d-4daf-ae78-9e6aa1b965f4"
        );
    }
}
