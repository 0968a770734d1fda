//! Pacing for senders that go as fast as the socket takes (the client view's repeat, the
//! playground's producers): send for a slice of time, then give the page a turn, and hold
//! while the browser has more than [`MAX_BUFFERED`] unsent bytes.
//!
//! The turn is a `MessageChannel` round trip, not `setTimeout(0)`: chained timers are
//! clamped to 4 ms after five levels, which cost the repeat a third of its rate.

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::{JsCast, JsValue};

use super::clock::now_ms;

/// Stop sending while the browser holds more than this many unsent bytes.
pub const MAX_BUFFERED: u32 = 1 << 20;
/// How long a sender keeps the main thread before it gives the page a turn (rendering,
/// input, incoming messages): under a frame, so the page stays responsive.
const SLICE_MS: f64 = 8.0;

/// Where a fast sender is in its current slice.
pub struct Pacer {
    slice_start: f64,
}

impl Pacer {
    pub fn new() -> Self {
        Self {
            slice_start: now_ms(),
        }
    }

    /// Whether the sender should give the page a turn now: its slice is used up, or the
    /// socket is full (`buffered`: the socket's unsent bytes).
    pub fn should_yield(&self, buffered: u32) -> bool {
        buffered > MAX_BUFFERED || now_ms() - self.slice_start >= SLICE_MS
    }

    /// Gives the page a turn, then waits while `buffered()` stays over [`MAX_BUFFERED`] and
    /// `stopped()` is false; a new slice starts.
    pub async fn yield_turn(&mut self, buffered: impl Fn() -> u32, stopped: impl Fn() -> bool) {
        yield_now().await;
        while buffered() > MAX_BUFFERED && !stopped() {
            TimeoutFuture::new(5).await;
        }
        self.slice_start = now_ms();
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

/// Resolves after the page's pending tasks (events, rendering) had their turn.
pub async fn yield_now() {
    if let Ok(channel) = web_sys::MessageChannel::new() {
        let mut posted = false;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            // A port with a message on its way is kept alive until it is delivered.
            channel.port1().set_onmessage(Some(resolve.unchecked_ref()));
            posted = channel.port2().post_message(&JsValue::NULL).is_ok();
        });
        if posted {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            return;
        }
    }
    // No MessageChannel (every browser we run in has one): a timer, clamped or not.
    TimeoutFuture::new(0).await;
}
