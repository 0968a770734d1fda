//! Messages per second over a sliding window, in one-second buckets: a flood costs no
//! memory, and the rate decays as virtual time passes without messages.

use mqtt_session::Instant;

/// Width of the window the rate is averaged over.
pub const RATE_WINDOW_SECS: u64 = 10;
const BUCKETS: usize = RATE_WINDOW_SECS as usize;

/// Counts per second for the last [`RATE_WINDOW_SECS`] seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rate {
    buckets: [u32; BUCKETS],
    /// The second (since the clock's origin) of the newest bucket.
    newest: u64,
}

impl Rate {
    /// Counts one message at `now`.
    pub fn add(&mut self, now: Instant) {
        let second = now.as_millis() / 1000;
        self.advance(second);
        // A message stamped before the newest bucket (the clock never goes back, but a
        // caller might pass an older instant) counts in the newest one.
        let slot = (second.max(self.newest) % RATE_WINDOW_SECS) as usize;
        self.buckets[slot] = self.buckets[slot].saturating_add(1);
    }

    /// Messages per second over the window ending at `now`.
    pub fn per_second(&self, now: Instant) -> f64 {
        let second = now.as_millis() / 1000;
        let since = second.saturating_sub(RATE_WINDOW_SECS - 1);
        let total: u64 = (since..=second)
            .filter(|s| *s <= self.newest && self.newest - *s < RATE_WINDOW_SECS)
            .map(|s| u64::from(self.buckets[(s % RATE_WINDOW_SECS) as usize]))
            .sum();
        total as f64 / RATE_WINDOW_SECS as f64
    }

    /// Empties the buckets that fell out of the window by `second`.
    fn advance(&mut self, second: u64) {
        if second <= self.newest {
            return;
        }
        let gap = (second - self.newest).min(RATE_WINDOW_SECS);
        for s in (second + 1 - gap)..=second {
            self.buckets[(s % RATE_WINDOW_SECS) as usize] = 0;
        }
        self.newest = second;
    }
}

/// "2.5/s", "0.1/s"; empty when nothing arrived in the window.
pub fn rate_text(per_second: f64) -> String {
    if per_second <= 0.0 {
        String::new()
    } else if per_second >= 100.0 {
        format!("{per_second:.0}/s")
    } else {
        format!("{per_second:.1}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn the_rate_is_the_count_in_the_window_over_its_width() {
        let mut rate = Rate::default();
        for i in 0..20 {
            rate.add(at(1_000 + i * 500)); // 2 a second for 10 s
        }
        assert_eq!(rate.per_second(at(10_999)), 2.0);
        assert_eq!(rate_text(rate.per_second(at(10_999))), "2.0/s");
    }

    #[test]
    fn the_rate_decays_as_time_passes_without_messages() {
        let mut rate = Rate::default();
        for _ in 0..10 {
            rate.add(at(5_000));
        }
        assert_eq!(rate.per_second(at(5_000)), 1.0);
        assert_eq!(rate.per_second(at(14_999)), 1.0, "still inside the window");
        assert_eq!(
            rate.per_second(at(15_000)),
            0.0,
            "the bucket left the window"
        );
        assert_eq!(rate_text(rate.per_second(at(60_000))), "");
    }

    #[test]
    fn a_bucket_is_reused_only_after_it_was_emptied() {
        let mut rate = Rate::default();
        rate.add(at(1_000));
        rate.add(at(11_000)); // the same slot, ten seconds later
        assert_eq!(rate.per_second(at(11_000)), 0.1);
        rate.add(at(100_000)); // long gap: everything before is gone
        assert_eq!(rate.per_second(at(100_000)), 0.1);
    }

    #[test]
    fn an_older_instant_counts_in_the_newest_bucket() {
        let mut rate = Rate::default();
        rate.add(at(9_000));
        rate.add(at(2_000));
        assert_eq!(rate.per_second(at(9_000)), 0.2);
    }
}
