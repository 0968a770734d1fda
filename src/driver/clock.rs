//! The page's monotonic clock, as the sans-IO state machines' [`Instant`].

use mqtt_session::Instant;

/// Milliseconds since the page started (`performance.now()`), as an [`Instant`]. Every
/// driver reads time here and hands it to its state machine: they never read a clock.
pub fn now() -> Instant {
    Instant::from_millis(now_ms() as u64)
}

/// The same clock with its sub-millisecond fraction, for rates and latencies.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}
