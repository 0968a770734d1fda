//! SplitMix64, the one seeded PRNG of the workspace.
//!
//! Everything random in the playground must replay from a seed: the challenge server's
//! unique ids and commands, the simulated sensors' readings. A failing run or a bug report
//! is then reproduced from one number. SplitMix64 (Steele, Lea, Flood 2014; the generator
//! Vigna uses to seed xoshiro) is a dozen lines, passes BigCrush and needs no crate, so
//! nothing pulls in `rand` or reads entropy, and `no_std` keeps it identical on wasm32.
//!
//! It is not cryptographic and does not need to be: the draws only have to be varied and
//! reproducible, not unguessable.
//!
//! ```
//! use splitmix::SplitMix64;
//!
//! let mut rng = SplitMix64::new(42);
//! let die = rng.in_range(1, 6);
//! assert!((1..=6).contains(&die));
//! assert_eq!(SplitMix64::new(42).in_range(1, 6), die); // same seed, same draw
//! ```

#![no_std]

/// A SplitMix64 generator: 64 bits of state, advanced by a fixed odd constant and mixed.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Any seed is fine, zero included: the mixing, not the seed, makes the output look random.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits. Every other draw is built on this one.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift: no modulo bias worth
    /// speaking of for the small ranges drawn here, and no loop, so every call consumes
    /// exactly one `next_u64` (which keeps replays aligned).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high` (`low <= high`).
    pub fn in_range(&mut self, low: u32, high: u32) -> u32 {
        let span = u64::from(high - low) + 1;
        low + self.below(span) as u32
    }

    /// Uniform in `[0, 1)`: the top 53 bits fill an `f64` mantissa exactly, so every value
    /// is equally likely and 1.0 is never reached.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-spread, spread)`: a jitter around zero.
    pub fn symmetric(&mut self, spread: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * spread
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_matches_the_published_splitmix64_sequence() {
        // The reference values for seed 1234567 (Rosetta Code, "Pseudo-random
        // numbers/Splitmix64", from Vigna's splitmix64.c): a changed constant or shift
        // would silently change every replay in the workspace.
        let mut rng = SplitMix64::new(1_234_567);
        let expected = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for value in expected {
            assert_eq!(rng.next_u64(), value);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_draws() {
        let (mut a, mut b) = (SplitMix64::new(1), SplitMix64::new(1));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
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

    #[test]
    fn below_stays_under_its_bound_and_reaches_its_last_value() {
        let mut rng = SplitMix64::new(5);
        let mut top = false;
        for _ in 0..1_000 {
            let n = rng.below(7);
            assert!(n < 7, "{n}");
            top |= n == 6;
        }
        assert!(top);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn unit_draws_stay_in_zero_to_one_and_spread_across_it() {
        let mut rng = SplitMix64::new(11);
        let (mut low, mut high) = (false, false);
        for _ in 0..1_000 {
            let x = rng.unit();
            assert!((0.0..1.0).contains(&x), "{x}");
            low |= x < 0.1;
            high |= x > 0.9;
        }
        assert!(low && high);
    }

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
}
