//! A tiny seeded PRNG for the simulated sensors.
//!
//! A simulated device must be replayable: the same seed gives the same readings, so a test
//! (or a bug report) pins them exactly. SplitMix64 is a dozen lines and needs no crate; the
//! crate pulls in no `rand` and reads no entropy, so it runs the same natively and in wasm.

/// SplitMix64 (Steele, Lea, Flood 2014).
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

    /// Uniform in `[-spread, spread)`: the top 53 bits make an exact `f64` in `[0, 1)`.
    pub(crate) fn symmetric(&mut self, spread: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (unit * 2.0 - 1.0) * spread
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_draws_stay_in_range_and_cover_both_signs() {
        let mut rng = SplitMix64::new(9);
        let (mut below, mut above) = (false, false);
        for _ in 0..1_000 {
            let x = rng.symmetric(0.5);
            assert!((-0.5..0.5).contains(&x), "{x}");
            below |= x < -0.4;
            above |= x > 0.4;
        }
        assert!(below && above);
    }

    #[test]
    fn the_same_seed_gives_the_same_draws() {
        let (mut a, mut b) = (SplitMix64::new(1), SplitMix64::new(1));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
    }
}
