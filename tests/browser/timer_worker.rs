//! The MQTT timers in a worker (src/driver/worker_timer.rs, static/timer-worker.js): once
//! the worker is ready a timer fires from it, a dropped one never fires, and where the
//! worker cannot run the page's own timers take over and nothing armed is lost.
//!
//! The worker is one per page and shared with every other test's keepalives: each test
//! here leaves it running from the real script.

use std::cell::Cell;
use std::rc::Rc;

use mqtt_playground::driver::worker_timer::{self, Timer};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::until;

/// A timer and whether it has fired.
fn armed(delay_ms: u32) -> (Timer, Rc<Cell<bool>>) {
    let fired = Rc::new(Cell::new(false));
    let flag = fired.clone();
    (
        worker_timer::set_timeout(delay_ms, move || flag.set(true)),
        fired,
    )
}

/// Arms throwaway timers until the worker says it is ready (the first ones run on the
/// page while it starts).
async fn worker_ready() {
    until("the timer worker is ready", 10.0, || {
        drop(armed(1));
        worker_timer::in_worker()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_timer_fires_from_the_worker_and_a_dropped_one_never_does() {
    worker_ready().await;
    let (kept, fired) = armed(30);
    assert!(matches!(kept, Timer::Worker(_)), "armed in the worker");
    let (dropped, dropped_fired) = armed(30);
    assert!(matches!(dropped, Timer::Worker(_)));
    drop(dropped);
    until("the kept timer fires", 5.0, || fired.get()).await;
    // Well past the dropped one's deadline, and after a later timer of the same worker.
    let (_later, later_fired) = armed(200);
    until("a later timer fires", 5.0, || later_fired.get()).await;
    assert!(!dropped_fired.get(), "a dropped timer must not fire");
    drop(kept);
}

#[wasm_bindgen_test]
async fn a_timer_worker_that_cannot_start_leaves_timers_to_the_page() {
    worker_ready().await;
    // Armed in the real worker, far in the future: a restart must not lose it.
    let (waiting, waiting_fired) = armed(60_000);
    assert!(matches!(waiting, Timer::Worker(_)));
    // What a server without the script (or a CSP forbidding workers) does.
    worker_timer::restart(Some("./no-such-timer-worker.js".to_string()));
    assert!(
        waiting_fired.get(),
        "what waited in the replaced worker fires at once rather than never"
    );
    let (first, first_fired) = armed(20);
    assert!(
        matches!(first, Timer::Page(_)),
        "page timers until a worker is ready"
    );
    until("a page timer fires", 5.0, || first_fired.get()).await;
    // Give the missing script time to fail; timers still run, on the page.
    let (_pause, paused) = armed(500);
    until("half a second passes", 5.0, || paused.get()).await;
    assert!(!worker_timer::in_worker(), "no worker could start");
    let (second, second_fired) = armed(20);
    assert!(matches!(second, Timer::Page(_)));
    until("another page timer fires", 5.0, || second_fired.get()).await;
    // Back to the real worker for the other tests.
    worker_timer::restart(None);
    worker_ready().await;
    drop((waiting, first, second));
}
