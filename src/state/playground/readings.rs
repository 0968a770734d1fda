//! What a numeric consumer has seen: counts, the latest value, a chart's worth of values
//! and the last entries.

use std::collections::VecDeque;

use crate::state::log::PayloadView;

/// Entries listed under a consumer (older ones are only counted).
pub const SHOWN_ENTRIES: usize = 20;
/// Values kept for a chart.
pub const CHART_POINTS: usize = 200;

/// A numeric consumer's memory, bounded however many messages arrive.
#[derive(Debug, Default, PartialEq)]
pub struct Readings {
    pub count: u64,
    pub not_numbers: u64,
    pub latest: Option<f64>,
    pub values: VecDeque<f64>,
    /// (number, topic, payload as text), newest first.
    pub entries: VecDeque<(u64, String, String)>,
}

impl Readings {
    /// Records one message; `value` is its number, if it has one.
    pub fn record(&mut self, topic: &str, payload: &[u8], value: Option<f64>) {
        self.count += 1;
        match value {
            Some(v) => {
                self.latest = Some(v);
                if self.values.len() == CHART_POINTS {
                    self.values.pop_front();
                }
                self.values.push_back(v);
            }
            None => self.not_numbers += 1,
        }
        if self.entries.len() == SHOWN_ENTRIES {
            self.entries.pop_back();
        }
        let text = PayloadView::of(payload, 200).text().to_string();
        self.entries
            .push_front((self.count, topic.to_string(), text));
    }

    /// "–" before the first number.
    pub fn latest_text(&self) -> String {
        self.latest.map_or("–".to_string(), |v| format!("{v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_and_counts_stay_exact() {
        let mut r = Readings::default();
        for i in 0..1000u32 {
            r.record("t", i.to_string().as_bytes(), Some(f64::from(i)));
        }
        r.record("t", b"hello", None);
        assert_eq!((r.count, r.not_numbers), (1001, 1));
        assert_eq!(r.values.len(), CHART_POINTS);
        assert_eq!(r.entries.len(), SHOWN_ENTRIES);
        assert_eq!(r.entries[0], (1001, "t".into(), "hello".into()));
        assert_eq!(r.latest_text(), "999");
    }
}
