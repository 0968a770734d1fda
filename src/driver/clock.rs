//! The page's monotonic clock, as the sans-IO state machines' [`Instant`].

use mqtt_session::Instant;

thread_local! {
    /// `window.performance`, looked up once: the drivers read the clock for every WebSocket
    /// message, and `window()` → `.performance()` → `.now()` cost three JS crossings each
    /// time (~5 µs per message in the flood benchmark's profile, docs/bench.md). `None` where
    /// there is no window (a Worker) or no Performance: then `Date.now()`.
    static PERFORMANCE: Option<web_sys::Performance> =
        web_sys::window().and_then(|w| w.performance());
}

/// Milliseconds since the page started (`performance.now()`), as an [`Instant`]. Every
/// driver reads time here and hands it to its state machine: they never read a clock.
pub fn now() -> Instant {
    Instant::from_millis(now_ms() as u64)
}

/// The same clock with its sub-millisecond fraction, for rates and latencies.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or_else(js_sys::Date::now, |p| p.now()))
}
