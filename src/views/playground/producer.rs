//! The producer side: publish `count` messages at a rate, or as fast as the socket takes
//! them, with progress and the measured rate.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use crate::driver::client::MqttClient;
use crate::driver::clock::now_ms;
use crate::state::playground::progress_text;

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
            let start = now_ms();
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
                    let wait = (due - now_ms()).max(0.0);
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
            let elapsed = ((now_ms() - start) / 1000.0).max(1e-6);
            this.sent.try_set(sent);
            this.rate.try_set(Some(f64::from(sent) / elapsed));
            this.running.try_set(false);
        });
    }

    /// "250 of 1,000 sent" / "1,000 sent at 12,345 msg/s".
    pub fn text(&self, count: u32) -> String {
        progress_text(self.running.get(), self.sent.get(), count, self.rate.get())
    }
}

impl Default for Production {
    fn default() -> Self {
        Self::new()
    }
}
