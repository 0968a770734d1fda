//! The playground's state as plain Rust: what each consumer has seen, the producer's
//! progress, the access probe. The views in `views::playground` wrap these in
//! `Batched` cells and signals.

mod devices;
mod json;
mod probe;
mod production;
mod readings;

pub use devices::{
    device_of, DeviceCard, DeviceCards, DeviceDirectory, Presence, WatchedDevice, MAX_DEVICES,
};
pub use json::{Decoded, DecodedRow};
pub use probe::{Probe, ProbeStep};
pub use production::Production;
pub use readings::{Readings, CHART_POINTS, SHOWN_ENTRIES};

use mqtt_session::{ReasonCode, SubscribeResult};

/// A temperature that drifts, so the chart has a shape.
pub fn temperature(i: u32) -> f64 {
    let t = f64::from(i);
    ((20.0 + (t / 25.0).sin() * 3.0 + (t / 7.0).cos() * 0.4) * 100.0).round() / 100.0
}

/// A plain-text number, as the simple exercise publishes.
pub fn plain_number(payload: &[u8]) -> Option<f64> {
    std::str::from_utf8(payload).ok()?.trim().parse().ok()
}

/// A whole number from an input, with a default when empty or invalid.
pub fn parse_count(text: &str, default: u32) -> u32 {
    text.trim().parse().unwrap_or(default)
}

/// A rate in messages per second from an input; 0 (or empty) = as fast as possible.
pub fn parse_rate(text: &str) -> f64 {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(0.0)
}

/// "granted QoS 0" / "refused (SUBACK 0x80)" for each filter of a SUBACK.
pub fn describe_suback(results: &[(String, SubscribeResult)]) -> String {
    results
        .iter()
        .map(|(filter, result)| match result {
            SubscribeResult::Granted(q) => format!("{filter}: granted QoS {}", *q as u8),
            // 3.1.1's only refusal is 0x80, without a reason: keep it short.
            SubscribeResult::Refused(code) if *code == ReasonCode::UNSPECIFIED_ERROR => {
                format!("{filter}: refused by the broker (SUBACK 0x80)")
            }
            SubscribeResult::Refused(code) => {
                format!("{filter}: refused by the broker (SUBACK {code})")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_session::QoS;

    #[test]
    fn inputs_fall_back_to_their_defaults() {
        assert_eq!(parse_count(" 12 ", 5), 12);
        assert_eq!(parse_count("lots", 5), 5);
        assert_eq!(parse_rate("0"), 0.0);
        assert_eq!(parse_rate("-3"), 0.0);
        assert_eq!(parse_rate("NaN"), 0.0);
        assert_eq!(parse_rate("2.5"), 2.5);
    }

    #[test]
    fn plain_numbers_are_read_and_anything_else_is_not() {
        assert_eq!(plain_number(b" 21.5\n"), Some(21.5));
        assert_eq!(plain_number(b"{}"), None);
        assert_eq!(plain_number(&[0xff]), None);
    }

    #[test]
    fn a_suback_is_described_per_filter() {
        let text = describe_suback(&[
            ("a".into(), SubscribeResult::Granted(QoS::AtLeastOnce)),
            (
                "b".into(),
                SubscribeResult::Refused(mqtt_session::ReasonCode::UNSPECIFIED_ERROR),
            ),
        ]);
        assert_eq!(
            text,
            "a: granted QoS 1; b: refused by the broker (SUBACK 0x80)"
        );
    }
}
