//! The broker WebSocket in a dedicated Worker (`static/socket-worker.js`), so that the page's
//! thread no longer pays the browser's per-message delivery.
//!
//! Measured (docs/bench.md): Chromium spends ~35 µs of the owning thread per WebSocket
//! message before any script runs; with the socket on the page that was the largest cost of
//! a flood. The worker pays it on its own thread and posts the bytes of a whole burst at
//! once (transferred, not copied); the page decodes them in one `handle_bytes` call. Sends
//! go the other way, the packets of one task in one message (each still its own WebSocket
//! message on the wire, for brokers that expect that).
//!
//! Nothing here changes what the session sees: the same [`TransportEvent`]s, in order. Where
//! the worker cannot run (a CSP that forbids workers, a browser without module workers, a
//! script that did not load) the socket opens on the page instead, and the page stops
//! trying workers for the rest of its life; a worker that dies after the socket opened is a
//! dropped connection (the reconnect policy takes it from there).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Uint32Array, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use super::transport::{Direct, Handler, OpenError, TransportEvent};

#[wasm_bindgen(module = "/static/socket-worker.js")]
extern "C" {
    /// The script's own URL (wasm-bindgen copies it next to the app).
    #[wasm_bindgen(js_name = socketWorkerUrl)]
    fn socket_worker_url() -> String;
}

// The messages' first element (static/socket-worker.js has the same list).
const OPEN: u8 = 1;
const DATA: u8 = 2;
const TEXT: u8 = 3;
const CLOSED: u8 = 4;
const REFUSED: u8 = 5;
const SENT: u8 = 6;
const BUFFERED: u8 = 7;
const SEND: u8 = 8;
const CLOSE: u8 = 9;
const READY: u8 = 10;

thread_local! {
    /// Whether new sockets go to a worker: off after one failed, or when asked.
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    /// Another script instead of the real one (the tests of a worker that cannot start).
    static SCRIPT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Starts the workers of new sockets from `script` instead of the real one (`None`: the
/// real one again). For the tests of the fallback; the page never calls it.
#[doc(hidden)]
pub fn set_script(script: Option<String>) {
    SCRIPT.set(script);
}

/// Whether new sockets open in a worker (on by default).
pub fn enabled() -> bool {
    ENABLED.get()
}

/// Turns workers off (or back on) for sockets opened from now on: for comparisons (the
/// benchmark's `?socket=page`) and for the tests of the page's own socket.
pub fn set_enabled(on: bool) {
    ENABLED.set(on);
}

type Closures = (
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(web_sys::Event)>,
);

struct Shared {
    /// `None` once closed (by either side) or failed.
    worker: Option<Worker>,
    /// The worker said its handler is in place; until then messages wait in `early`.
    ready: bool,
    early: Vec<Array>,
    url: String,
    handler: Handler,
    opened: bool,
    /// Packets of this task not yet posted, and their lengths.
    outbox: Vec<u8>,
    lengths: Vec<u32>,
    flush_queued: bool,
    /// Bytes posted to the worker that its socket has not taken yet.
    unacked: u32,
    /// The worker socket's `bufferedAmount`, as last reported.
    buffered: u32,
    /// The socket on the page, after the worker could not start.
    fallback: Option<Direct>,
    closures: Option<Closures>,
}

/// One broker WebSocket run by a worker of its own.
pub(super) struct Relay {
    shared: Rc<RefCell<Shared>>,
}

impl Relay {
    /// Starts a worker and asks it to open `url`; `None` when no worker can be created
    /// (the caller opens the socket on the page).
    pub(super) fn open(url: &str, handler: Handler) -> Option<Self> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let script = SCRIPT
            .with_borrow(Clone::clone)
            .unwrap_or_else(socket_worker_url);
        let worker = match Worker::new_with_options(&script, &options) {
            Ok(worker) => worker,
            Err(e) => {
                web_sys::console::warn_2(
                    &"socket worker unavailable; WebSocket on the page:".into(),
                    &e,
                );
                set_enabled(false);
                return None;
            }
        };
        let shared = Rc::new(RefCell::new(Shared {
            worker: Some(worker.clone()),
            ready: false,
            early: vec![message(&[JsValue::from(OPEN), JsValue::from_str(url)])],
            url: url.to_string(),
            handler,
            opened: false,
            outbox: Vec::new(),
            lengths: Vec::new(),
            flush_queued: false,
            unacked: 0,
            buffered: 0,
            fallback: None,
            closures: None,
        }));
        let on_message = {
            let weak = Rc::downgrade(&shared);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(shared) = weak.upgrade() {
                    from_worker(&shared, &event.data());
                }
            })
        };
        let on_error = {
            let weak = Rc::downgrade(&shared);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                event.prevent_default(); // handled here: not an uncaught error of the page
                if let Some(shared) = weak.upgrade() {
                    worker_failed(&shared);
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        shared.borrow_mut().closures = Some((on_message, on_error));
        Some(Self { shared })
    }

    /// Queues one packet; the packets of this task go to the worker together.
    pub(super) fn send(&self, packet: &[u8]) -> Result<(), super::transport::SendError> {
        let mut shared = self.shared.borrow_mut();
        if let Some(direct) = &shared.fallback {
            return direct.send(packet);
        }
        if shared.worker.is_none() {
            return Ok(()); // closed: the session hears of it from the close event
        }
        shared.outbox.extend_from_slice(packet);
        shared.lengths.push(packet.len() as u32);
        if !std::mem::replace(&mut shared.flush_queued, true) {
            let weak = Rc::downgrade(&self.shared);
            // A microtask: after the current task's other sends, before anything else.
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(shared) = weak.upgrade() {
                    shared.borrow_mut().flush();
                }
            });
        }
        Ok(())
    }

    /// Bytes not yet on the wire: queued here, in transit to the worker, or held by its
    /// socket.
    pub(super) fn buffered_amount(&self) -> u32 {
        let shared = self.shared.borrow();
        match &shared.fallback {
            Some(direct) => direct.buffered_amount(),
            None => (shared.outbox.len() as u32)
                .saturating_add(shared.unacked)
                .saturating_add(shared.buffered),
        }
    }

    /// Whether the socket is the worker's (not the page's fallback).
    pub(super) fn in_worker(&self) -> bool {
        self.shared.borrow().fallback.is_none()
    }

    /// Sends what is queued, then closes the socket (code 1000): no event reaches the owner
    /// after this.
    pub(super) fn close(&mut self) {
        let mut shared = self.shared.borrow_mut();
        if let Some(mut direct) = shared.fallback.take() {
            direct.close();
        }
        shared.flush();
        if let Some(worker) = &shared.worker {
            if shared.ready {
                post(worker, message(&[JsValue::from(CLOSE)]), None);
            } else {
                worker.terminate(); // it has not opened anything yet
            }
        }
        shared.detach();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    /// Posts the queued packets as one message (the bytes are transferred, not copied).
    fn flush(&mut self) {
        self.flush_queued = false;
        if self.outbox.is_empty() || !self.ready {
            return; // sent when the worker is ready
        }
        let Some(worker) = &self.worker else {
            self.outbox.clear();
            self.lengths.clear();
            return;
        };
        let bytes = Uint8Array::from(&self.outbox[..]);
        let lengths = Uint32Array::from(&self.lengths[..]);
        let transfer = Array::of1(&bytes.buffer());
        let send = message(&[JsValue::from(SEND), bytes.into(), lengths.into()]);
        post(worker, send, Some(&transfer));
        self.unacked = self.unacked.saturating_add(self.outbox.len() as u32);
        self.outbox.clear();
        self.lengths.clear();
    }

    /// Lets go of the worker: its handlers are detached now and freed after the current
    /// event (one of them may be running).
    fn detach(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.set_onmessage(None);
            worker.set_onerror(None);
        }
        if let Some(closures) = self.closures.take() {
            wasm_bindgen_futures::spawn_local(async move { drop(closures) });
        }
        self.outbox.clear();
        self.lengths.clear();
        self.early.clear();
    }
}

/// One message from the worker, turned into the transport's event.
fn from_worker(shared: &Rc<RefCell<Shared>>, data: &JsValue) {
    let message: &Array = data.unchecked_ref();
    let number = |i: u32| message.get(i).as_f64().unwrap_or(0.0);
    let event = match number(0) as u8 {
        READY => {
            let mut shared = shared.borrow_mut();
            shared.ready = true;
            if let Some(worker) = shared.worker.clone() {
                for early in std::mem::take(&mut shared.early) {
                    post(&worker, early, None);
                }
            }
            shared.flush();
            return;
        }
        OPEN => {
            shared.borrow_mut().opened = true;
            TransportEvent::Open
        }
        DATA => match message.get(1).dyn_into::<ArrayBuffer>() {
            Ok(buffer) => TransportEvent::Binary(Uint8Array::new(&buffer).to_vec()),
            Err(_) => return,
        },
        TEXT => TransportEvent::Text,
        CLOSED => {
            // The worker ends itself after this message.
            shared.borrow_mut().detach();
            TransportEvent::Closed {
                code: number(1) as u16,
                reason: message.get(2).as_string().unwrap_or_default(),
                opened: message.get(3).as_bool().unwrap_or(false),
            }
        }
        REFUSED => {
            let mut shared = shared.borrow_mut();
            shared.detach();
            TransportEvent::Refused(OpenError::Refused {
                url: shared.url.clone(),
                detail: message.get(1).as_string().unwrap_or_default(),
            })
        }
        SENT => {
            let mut shared = shared.borrow_mut();
            shared.unacked = shared.unacked.saturating_sub(number(1) as u32);
            shared.buffered = number(2) as u32;
            return;
        }
        BUFFERED => {
            shared.borrow_mut().buffered = number(1) as u32;
            return;
        }
        _ => return,
    };
    let handler = shared.borrow().handler.clone();
    handler(event);
}

/// The worker did not start (or died): before the socket opened, the same socket is opened
/// on the page; after, it is a dropped connection. No later socket tries a worker.
fn worker_failed(shared: &Rc<RefCell<Shared>>) {
    set_enabled(false);
    let (handler, url, opened) = {
        let mut shared = shared.borrow_mut();
        if let Some(worker) = &shared.worker {
            worker.terminate();
        }
        shared.detach();
        (shared.handler.clone(), shared.url.clone(), shared.opened)
    };
    web_sys::console::warn_1(
        &"the socket worker failed; WebSockets open on the page from now on".into(),
    );
    if opened {
        handler(TransportEvent::Closed {
            code: 1006,
            reason: "the page's socket worker stopped".to_string(),
            opened: true,
        });
        return;
    }
    match Direct::open(&url, handler.clone()) {
        Ok(direct) => shared.borrow_mut().fallback = Some(direct),
        Err(error) => handler(TransportEvent::Refused(error)),
    }
}

fn message(parts: &[JsValue]) -> Array {
    parts.iter().collect()
}

fn post(worker: &Worker, message: Array, transfer: Option<&Array>) {
    let result = match transfer {
        Some(transfer) => worker.post_message_with_transfer(&message, transfer),
        None => worker.post_message(&message),
    };
    if let Err(e) = result {
        web_sys::console::warn_1(&e);
    }
}
