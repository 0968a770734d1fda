//! A tiny seeded PRNG (SplitMix64) and UUID v4 formatting.
//!
//! The server's randomness (unique ids, how many commands, which ones) must be
//! reproducible: a failing run is replayed from its seed alone. SplitMix64 is a dozen
//! lines, passes BigCrush, and needs no crate (the library pulls in no `rand`).
//! It is not cryptographic, and does not need to be: the unique id only has to be unique
//! among the sessions of one server, not unguessable.

/// SplitMix64 (Steele, Lea, Flood 2014), as used to seed xoshiro.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift: no modulo bias worth
    /// speaking of for the small ranges used here, and no loop.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high` (`low <= high`).
    pub(crate) fn in_range(&mut self, low: u32, high: u32) -> u32 {
        let span = u64::from(high - low) + 1;
        low + self.below(span) as u32
    }

    /// A random UUID version 4 (RFC 9562 §5.4), formatted 8-4-4-4-12 in lowercase hex.
    pub(crate) fn uuid_v4(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_be_bytes());
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
            let uuid = rng.uuid_v4();
            assert!(is_uuid_v4(&uuid), "{uuid}");
        }
    }

    #[test]
    fn uuids_do_not_repeat_and_the_same_seed_gives_the_same_ones() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let uuid = a.uuid_v4();
            assert_eq!(uuid, b.uuid_v4());
            assert!(seen.insert(uuid));
        }
        assert_ne!(SplitMix64::new(1).uuid_v4(), SplitMix64::new(2).uuid_v4());
    }

    #[test]
    fn ranges_include_both_ends_and_nothing_outside() {
        let mut rng = SplitMix64::new(3);
        let mut hit = [false; 4];
        for _ in 0..1_000 {
            let n = rng.in_range(5, 8);
            assert!((5..=8).contains(&n));
            hit[(n - 5) as usize] = true;
        }
        assert_eq!(hit, [true; 4]);
        assert_eq!(rng.in_range(9, 9), 9);
    }
}
