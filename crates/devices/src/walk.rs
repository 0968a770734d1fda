//! The simulated sensors: bounded random walks drawn from the device's seed.

use crate::rng::SplitMix64;

/// The sensors drift by at most this much per telemetry interval, and stay in these ranges.
pub(crate) const TEMPERATURE: Walk = Walk {
    start: 21.0,
    step: 0.3,
    low: 15.0,
    high: 30.0,
};
pub(crate) const HUMIDITY: Walk = Walk {
    start: 50.0,
    step: 1.5,
    low: 20.0,
    high: 80.0,
};

/// A bounded random walk, kept to one decimal so readings look like a sensor's.
pub(crate) struct Walk {
    start: f64,
    step: f64,
    low: f64,
    high: f64,
}

impl Walk {
    pub(crate) fn start_from(&self, rng: &mut SplitMix64) -> f64 {
        round(self.start + rng.symmetric(self.step * 5.0))
    }

    pub(crate) fn step_from(&self, value: f64, rng: &mut SplitMix64) -> f64 {
        round((value + rng.symmetric(self.step)).clamp(self.low, self.high))
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
