//! One received value as the tree keeps it (a short preview, and its number if it has
//! one), and the chart of a topic's numbers as plain data for an SVG polyline.

use devices::MessageDescriptor;
use mqtt_session::Instant;

use crate::state::log::PayloadView;

/// Bytes of each payload kept for its preview (the log keeps whole payloads).
pub const PREVIEW_BYTES: usize = 96;
/// Payloads longer than this are not searched for a number.
const NUMBER_MAX_BYTES: usize = 256;

/// One value of a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: Instant,
    /// The first [`PREVIEW_BYTES`] bytes, as text, or as hex when not UTF-8.
    pub preview: String,
    pub hex: bool,
    /// The payload's whole size.
    pub bytes: usize,
    /// Its number: a decimal number, or the `value` of a reading as the devices send it
    /// (`{"timestamp":…,"type":"temperature","value":21.5}`).
    pub number: Option<f64>,
    /// Received with RETAIN=1.
    pub retained: bool,
}

impl Sample {
    pub fn of(payload: &[u8], retained: bool, at: Instant) -> Self {
        let view = PayloadView::of(payload, PREVIEW_BYTES);
        Self {
            at,
            hex: view.is_hex(),
            preview: view.text().to_string(),
            bytes: payload.len(),
            number: number_in(payload),
            retained,
        }
    }

    /// The preview on one line, "(empty)" for an empty payload, "…" when cut short.
    pub fn one_line(&self) -> String {
        if self.bytes == 0 {
            return "(empty)".to_string();
        }
        let mut text = self.preview.replace(['\n', '\r'], "⏎");
        if self.bytes > PREVIEW_BYTES {
            text.push('…');
        }
        text
    }
}

/// The number a payload carries, if any (finite numbers only).
pub fn number_in(payload: &[u8]) -> Option<f64> {
    if payload.len() > NUMBER_MAX_BYTES {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?.trim();
    let number = if text.starts_with('{') {
        MessageDescriptor::from_json(text.as_bytes()).ok()?.value
    } else {
        text.parse::<f64>().ok()?
    };
    number.is_finite().then_some(number)
}

/// Width of the chart's coordinate system (the SVG's viewBox).
pub const CHART_WIDTH: f64 = 300.0;
/// Height of the chart's coordinate system.
pub const CHART_HEIGHT: f64 = 60.0;

/// A line chart of a topic's recent numbers, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The polyline's `points` attribute: "x,y x,y …" in a
    /// [`CHART_WIDTH`] × [`CHART_HEIGHT`] box, oldest first, x by arrival time.
    pub points: String,
    pub values: usize,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

impl Chart {
    /// The chart of `(time, value)` pairs, oldest first; `None` under two values.
    pub fn of(values: &[(Instant, f64)]) -> Option<Chart> {
        let (first, last) = (values.first()?, values.last()?);
        if values.len() < 2 {
            return None;
        }
        let (min, max) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| {
                (lo.min(*v), hi.max(*v))
            });
        let span = if max > min { max - min } else { 1.0 };
        let t0 = first.0.as_millis();
        let duration = last.0.as_millis().saturating_sub(t0);
        let step = CHART_WIDTH / (values.len() - 1) as f64;
        let pad = 3.0;
        let points = values
            .iter()
            .enumerate()
            .map(|(i, (at, v))| {
                // By time; by index when they all arrived within the same millisecond.
                let x = if duration > 0 {
                    (at.as_millis().saturating_sub(t0)) as f64 / duration as f64 * CHART_WIDTH
                } else {
                    i as f64 * step
                };
                let y = CHART_HEIGHT - pad - (v - min) / span * (CHART_HEIGHT - 2.0 * pad);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ");
        Some(Chart {
            points,
            values: values.len(),
            min,
            max,
            last: last.1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn numbers_are_decimal_text_or_a_devices_reading() {
        assert_eq!(number_in(b" 21.5\n"), Some(21.5));
        assert_eq!(number_in(b"-3"), Some(-3.0));
        assert_eq!(
            number_in(br#"{"timestamp":1,"type":"temperature","value":19.25}"#),
            Some(19.25)
        );
        assert_eq!(number_in(br#"{"value":"warm"}"#), None);
        assert_eq!(number_in(b"NaN"), None, "finite numbers only");
        assert_eq!(number_in(b"inf"), None);
        assert_eq!(number_in(b"on"), None);
        assert_eq!(number_in(&[0xff, 0x31]), None);
        assert_eq!(
            number_in(format!("{:0>300}", 1).as_bytes()),
            None,
            "too long"
        );
    }

    #[test]
    fn a_sample_keeps_a_short_preview_and_the_whole_size() {
        let long = vec![b'a'; 500];
        let s = Sample::of(&long, false, at(1));
        assert_eq!(s.preview.len(), PREVIEW_BYTES);
        assert_eq!(s.bytes, 500);
        assert!(s.one_line().ends_with('…'));
        let binary = Sample::of(&[0xff, 0x00], true, at(1));
        assert!(binary.hex);
        assert_eq!(binary.preview, "ff 00");
        assert_eq!(Sample::of(b"", true, at(1)).one_line(), "(empty)");
        assert_eq!(Sample::of(b"a\nb", false, at(1)).one_line(), "a⏎b");
    }

    #[test]
    fn the_chart_spans_the_box_by_time_from_min_to_max() {
        let chart =
            Chart::of(&[(at(1_000), 10.0), (at(2_000), 20.0), (at(5_000), 15.0)]).expect("a chart");
        assert_eq!(chart.points, "0.0,57.0 75.0,3.0 300.0,30.0");
        assert_eq!(
            (chart.min, chart.max, chart.last, chart.values),
            (10.0, 20.0, 15.0, 3)
        );
    }

    #[test]
    fn a_flat_or_simultaneous_series_still_draws() {
        let chart = Chart::of(&[(at(7), 5.0), (at(7), 5.0)]).expect("a chart");
        assert_eq!(chart.points, "0.0,57.0 300.0,57.0");
        assert_eq!(Chart::of(&[(at(1), 1.0)]), None, "one value is no line");
        assert_eq!(Chart::of(&[]), None);
    }
}
