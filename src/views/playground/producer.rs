//! The producer side: publish `count` messages at a rate, or as fast as the socket takes
//! them, with progress and the measured rate.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use mqtt_session::{CommandError, Phase};

use crate::driver::client::MqttClient;
use crate::driver::clock::now_ms;
use crate::driver::pace::Pacer;
use crate::state::playground::Production;

/// One message to publish: topic, payload, QoS, retain.
pub type Outgoing = (String, Vec<u8>, mqtt_session::QoS, bool);

/// A `Copy` handle on the producer: its progress in a signal, and a stop flag for the task.
#[derive(Clone, Copy)]
pub struct Producer {
    pub progress: RwSignal<Production>,
    stop: StoredValue<Rc<Cell<bool>>, LocalStorage>,
}

impl Producer {
    pub fn new() -> Self {
        Self {
            progress: RwSignal::new(Production::default()),
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
        let progress = self.progress;
        progress.set(Production::started());
        wasm_bindgen_futures::spawn_local(async move {
            let start = now_ms();
            let mut sent = 0;
            let mut refused = None;
            let mut pacer = Pacer::new();
            while sent < count && !stop.get() {
                // The connection dropped: wait while the client reconnects, go on after.
                if client.phase() != Phase::Connected {
                    if !client.is_alive() {
                        refused = Some(CommandError::NotConnected);
                        break;
                    }
                    TimeoutFuture::new(100).await;
                    continue;
                }
                let (topic, payload, qos, retain) = make(sent);
                if let Err(e) = client.publish(&topic, payload, qos, retain) {
                    refused = Some(e);
                    break;
                }
                sent += 1;
                if per_second > 0.0 {
                    progress.try_update(|p| p.sent = sent);
                    let due = start + f64::from(sent) * 1000.0 / per_second;
                    let wait = (due - now_ms()).max(0.0);
                    TimeoutFuture::new(wait as u32).await;
                } else if pacer.should_yield(client.buffered_amount()) {
                    progress.try_update(|p| p.sent = sent);
                    pacer
                        .yield_turn(|| client.buffered_amount(), || stop.get())
                        .await;
                }
            }
            let seconds = (now_ms() - start) / 1000.0;
            progress.try_update(|p| {
                p.error = refused;
                p.finished(sent, seconds);
            });
        });
    }
}

impl Default for Producer {
    fn default() -> Self {
        Self::new()
    }
}
