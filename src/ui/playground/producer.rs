//! The producer side: publish `count` messages at a rate, or as fast as the socket takes
//! them, with progress and the measured rate.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use crate::client::MqttClient;

/// Stop producing while the browser holds more than this many unsent bytes.
const MAX_BUFFERED: u32 = 1 << 20;
/// Messages published between two yields to the page when going as fast as possible.
const CHUNK: u32 = 256;

/// One message to publish: topic, payload, QoS, retain.
pub type Outgoing = (String, Vec<u8>, mqtt_session::QoS, bool);

/// Progress of the current (or last) run, as signals.
#[derive(Clone, Copy)]
pub struct Production {
    pub sent: RwSignal<u32>,
    pub running: RwSignal<bool>,
    pub rate: RwSignal<Option<f64>>,
    pub error: RwSignal<Option<String>>,
    stop: StoredValue<Rc<Cell<bool>>, LocalStorage>,
}

impl Production {
    pub fn new() -> Self {
        Self {
            sent: RwSignal::new(0),
            running: RwSignal::new(false),
            rate: RwSignal::new(None),
            error: RwSignal::new(None),
            stop: StoredValue::new_local(Rc::new(Cell::new(false))),
        }
    }

    pub fn stop(&self) {
        if let Some(stop) = self.stop.try_get_value() {
            stop.set(true);
        }
    }

    /// Publishes `count` messages made by `make(i)`; `per_second` 0 means as fast as the
    /// socket takes them (backpressure on `bufferedAmount`).
    pub fn run(
        &self,
        client: MqttClient,
        count: u32,
        per_second: f64,
        make: impl Fn(u32) -> Outgoing + 'static,
    ) {
        self.stop();
        let stop = Rc::new(Cell::new(false));
        self.stop.set_value(stop.clone());
        let this = *self;
        this.sent.set(0);
        this.rate.set(None);
        this.error.set(None);
        this.running.set(true);
        wasm_bindgen_futures::spawn_local(async move {
            let start = precise_now();
            let mut sent = 0;
            while sent < count && !stop.get() {
                let (topic, payload, qos, retain) = make(sent);
                if let Err(e) = client.publish(&topic, payload, qos, retain) {
                    this.error.try_set(Some(e.to_string()));
                    break;
                }
                sent += 1;
                if per_second > 0.0 {
                    this.sent.try_set(sent);
                    let due = start + f64::from(sent) * 1000.0 / per_second;
                    let wait = (due - precise_now()).max(0.0);
                    TimeoutFuture::new(wait as u32).await;
                } else if sent % CHUNK == 0 {
                    this.sent.try_set(sent);
                    TimeoutFuture::new(0).await;
                    while client.buffered_amount() > MAX_BUFFERED && !stop.get() {
                        TimeoutFuture::new(5).await;
                    }
                }
            }
            // At least a microsecond: a few messages can all go out within one tick of the
            // clock, and the run must still report that it finished.
            let elapsed = ((precise_now() - start) / 1000.0).max(1e-6);
            this.sent.try_set(sent);
            this.rate.try_set(Some(f64::from(sent) / elapsed));
            this.running.try_set(false);
        });
    }

    /// "250 of 1,000 sent" / "1,000 sent at 12,345 msg/s".
    pub fn text(&self, count: u32) -> String {
        let sent = self.sent.get();
        match (self.running.get(), self.rate.get()) {
            (true, _) => format!("{sent} of {count} sent…"),
            (false, Some(rate)) => format!("{sent} sent at {rate:.0} msg/s"),
            (false, None) => String::new(),
        }
    }
}

impl Default for Production {
    fn default() -> Self {
        Self::new()
    }
}

/// Milliseconds from the page's monotonic, sub-millisecond clock.
fn precise_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
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
