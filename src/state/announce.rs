//! What the page's ARIA live region says about incoming messages: at most one sentence
//! every [`MIN_INTERVAL_MS`], summing up what arrived since the last one ("12 new messages,
//! last on sensor/temperature"), so a screen reader is not flooded. Virtual time is passed
//! in; `views::announcer` turns [`Announcements::deadline`] into a timer.

use mqtt_session::Instant;

/// The shortest time between two announcements.
pub const MIN_INTERVAL_MS: u64 = 5_000;

/// Messages not yet announced, and when the last announcement was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcements {
    pub enabled: bool,
    pending: u64,
    last_topic: String,
    last_said: Option<Instant>,
}

impl Default for Announcements {
    fn default() -> Self {
        Self::new(true)
    }
}

impl Announcements {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            pending: 0,
            last_topic: String::new(),
            last_said: None,
        }
    }

    /// Turns announcements on or off; off forgets what was pending.
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        if !on {
            self.pending = 0;
            self.last_topic.clear();
        }
    }

    /// A message arrived on `topic` at `now`: the sentence to say now, if one is due.
    pub fn on_message(&mut self, topic: &str, now: Instant) -> Option<String> {
        if !self.enabled {
            return None;
        }
        self.pending += 1;
        self.last_topic.clear();
        self.last_topic.push_str(topic);
        self.poll(now)
    }

    /// The sentence due at `now`, if any.
    pub fn poll(&mut self, now: Instant) -> Option<String> {
        if !self.enabled || self.pending == 0 || self.deadline().is_some_and(|d| now < d) {
            return None;
        }
        let text = if self.pending == 1 {
            format!("1 new message, on {}", self.last_topic)
        } else {
            format!("{} new messages, last on {}", self.pending, self.last_topic)
        };
        self.pending = 0;
        self.last_said = Some(now);
        Some(text)
    }

    /// When the pending messages may be announced (`None`: nothing pending or no waiting).
    pub fn deadline(&self) -> Option<Instant> {
        if self.pending == 0 {
            return None;
        }
        self.last_said
            .map(|at| Instant::from_millis(at.as_millis() + MIN_INTERVAL_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn the_first_message_is_announced_at_once_and_a_burst_is_summed_up_later() {
        let mut a = Announcements::default();
        assert_eq!(
            a.on_message("a/b", at(1_000)).as_deref(),
            Some("1 new message, on a/b")
        );
        assert_eq!(a.deadline(), None, "nothing pending");
        for i in 0..41 {
            assert_eq!(a.on_message(&format!("t/{i}"), at(1_100 + i)), None);
        }
        assert_eq!(a.deadline(), Some(at(6_000)));
        assert_eq!(a.poll(at(5_999)), None);
        assert_eq!(
            a.poll(at(6_000)).as_deref(),
            Some("41 new messages, last on t/40")
        );
        assert_eq!(a.poll(at(20_000)), None, "said once");
    }

    #[test]
    fn at_most_one_announcement_per_interval_under_a_steady_stream() {
        let mut a = Announcements::default();
        let mut said = Vec::new();
        for ms in (0..30_000).step_by(100) {
            if let Some(text) = a.on_message("s", at(ms)) {
                said.push(ms);
                assert!(text.contains("on s"));
            }
        }
        assert_eq!(said, [0, 5_000, 10_000, 15_000, 20_000, 25_000]);
    }

    #[test]
    fn turned_off_it_says_nothing_and_forgets_what_was_pending() {
        let mut a = Announcements::new(false);
        assert_eq!(a.on_message("x", at(0)), None);
        a.set_enabled(true);
        a.on_message("x", at(0));
        a.on_message("y", at(10));
        a.set_enabled(false);
        assert_eq!(a.deadline(), None);
        a.set_enabled(true);
        assert_eq!(a.poll(at(60_000)), None);
    }
}
