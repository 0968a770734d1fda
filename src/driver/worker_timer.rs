//! One-shot timers that run in a dedicated module Worker (`static/timer-worker.js`, a
//! wasm-bindgen snippet like the socket worker's), so that a hidden tab keeps its connection.
//!
//! Chrome throttles chained timers of a page hidden for a few minutes to one wake-up per
//! minute ("intensive wake-up throttling"): a keepalive under a minute then misses its
//! pings and the broker drops the connection (MQTT.js #1257). A dedicated worker's timers
//! are not throttled that way; MQTT.js's `timerVariant: 'worker'` rests on the same fact.
//!
//! Until the worker says it is ready, and wherever it cannot run (a CSP that forbids it, a
//! browser without module workers, a script that does not load), timers are the page's own
//! `setTimeout`. If the worker fails after timers were armed in it, they fire at once:
//! every state machine here treats an early `handle_timeout` as harmless and re-reports its
//! deadline.

use std::cell::RefCell;
use std::collections::HashMap;

use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

#[wasm_bindgen(module = "/static/timer-worker.js")]
extern "C" {
    /// The script's own URL (wasm-bindgen copies it next to the app).
    #[wasm_bindgen(js_name = timerWorkerUrl)]
    fn timer_worker_url() -> String;
}

#[derive(Default)]
struct Pool {
    /// Created at the first timer; `None` after it failed.
    worker: Option<Worker>,
    started: bool,
    ready: bool,
    next_id: u32,
    waiting: HashMap<u32, Box<dyn FnOnce()>>,
    /// Another script instead of the real one (the tests of a worker that cannot start).
    script: Option<String>,
    /// Counts the workers started, so that a late event of a replaced one is ignored.
    generation: u32,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// An armed timer; dropping it cancels it.
#[must_use = "dropping the timer cancels it"]
pub enum Timer {
    Page(Timeout),
    Worker(u32),
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Timer::Worker(id) = self {
            let id = *id;
            POOL.with_borrow_mut(|pool| {
                if pool.waiting.remove(&id).is_some() {
                    if let Some(worker) = &pool.worker {
                        post(worker, &[0.0, f64::from(id)]);
                    }
                }
            });
        }
    }
}

/// Calls `fire` after `delay_ms`, in the worker when it runs, else on the page.
pub fn set_timeout(delay_ms: u32, fire: impl FnOnce() + 'static) -> Timer {
    start();
    let worker_id = POOL.with_borrow_mut(|pool| {
        let worker = pool.worker.as_ref().filter(|_| pool.ready)?.clone();
        let id = pool.next_id;
        pool.next_id = pool.next_id.wrapping_add(1);
        post(&worker, &[1.0, f64::from(id), f64::from(delay_ms)]);
        Some(id)
    });
    match worker_id {
        Some(id) => {
            POOL.with_borrow_mut(|pool| pool.waiting.insert(id, Box::new(fire)));
            Timer::Worker(id)
        }
        None => Timer::Page(Timeout::new(delay_ms, fire)),
    }
}

/// Whether timers run in the worker now (for the page's diagnostics and the benchmark).
pub fn in_worker() -> bool {
    POOL.with_borrow(|pool| pool.ready && pool.worker.is_some())
}

fn post(worker: &Worker, message: &[f64]) {
    let array: js_sys::Array = message.iter().map(|n| JsValue::from_f64(*n)).collect();
    if let Err(e) = worker.post_message(&array) {
        web_sys::console::warn_1(&e);
    }
}

/// Starts the worker once per page. Its handlers live as long as the page (they are
/// leaked on purpose: there is one worker for the page's lifetime; another only after
/// `restart`, in the tests).
fn start() {
    let first = POOL.with_borrow_mut(|pool| !std::mem::replace(&mut pool.started, true));
    if !first {
        return;
    }
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let script = POOL
        .with_borrow(|pool| pool.script.clone())
        .unwrap_or_else(timer_worker_url);
    let worker = match Worker::new_with_options(&script, &options) {
        Ok(worker) => worker,
        Err(_) => return, // e.g. a CSP without worker-src 'self': page timers it is
    };
    let generation = POOL.with_borrow_mut(|pool| {
        pool.generation = pool.generation.wrapping_add(1);
        pool.generation
    });
    let current = move || POOL.with_borrow(|pool| pool.generation == generation);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if !current() {
            return;
        }
        let id = event.data().as_f64().unwrap_or(-2.0);
        if id < 0.0 {
            POOL.with_borrow_mut(|pool| pool.ready = true);
            return;
        }
        // Taken out before it runs: the callback may arm the next timer.
        let fire = POOL.with_borrow_mut(|pool| pool.waiting.remove(&(id as u32)));
        if let Some(fire) = fire {
            fire();
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if current() {
            fail();
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_message.forget();
    on_error.forget();
    POOL.with_borrow_mut(|pool| pool.worker = Some(worker));
}

/// Starts over with a new worker from `script` (`None`: the real one) at the next timer;
/// timers waiting in the old one fire now. For the tests of the fallback; the page never
/// calls it.
#[doc(hidden)]
pub fn restart(script: Option<String>) {
    fail();
    POOL.with_borrow_mut(|pool| {
        pool.started = false;
        pool.script = script;
    });
}

/// The worker could not run (no script, a CSP) or died: page timers from now on, and what
/// waited in the worker fires now rather than never.
fn fail() {
    let waiting = POOL.with_borrow_mut(|pool| {
        if let Some(worker) = pool.worker.take() {
            worker.terminate();
        }
        pool.ready = false;
        std::mem::take(&mut pool.waiting)
    });
    for (_, fire) in waiting {
        fire();
    }
}
