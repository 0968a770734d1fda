//! The log as the UI sees it: [`MessageLog`] storage plus one signal bumped at most once
//! per animation frame, however many entries arrive in between.
//!
//! Entries are stored the moment they are decoded (an effect watching a "latest
//! message" signal would see only the last of a burst). Only the re-render is batched.
//! In a hidden tab animation frames stop: storage stays bounded and the view catches up
//! when the tab is shown again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;

use crate::log::{Body, Direction, MessageLog, DEFAULT_CAPACITY};

struct Inner {
    log: RefCell<MessageLog>,
    frame_pending: Cell<bool>,
    received: Cell<u64>,
    sent: Cell<u64>,
}

/// A `Copy` handle on the page's live log.
#[derive(Clone, Copy)]
pub struct LiveLog {
    inner: StoredValue<Rc<Inner>, LocalStorage>,
    version: RwSignal<u64>,
}

/// Counters shown above the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogStats {
    pub kept: usize,
    pub capacity: usize,
    pub dropped: u64,
    pub received: u64,
    pub sent: u64,
}

impl LiveLog {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let inner = Inner {
            log: RefCell::new(MessageLog::new(capacity)),
            frame_pending: Cell::new(false),
            received: Cell::new(0),
            sent: Cell::new(0),
        };
        Self {
            inner: StoredValue::new_local(Rc::new(inner)),
            version: RwSignal::new(0),
        }
    }

    /// Appends an entry now; the view learns about it on the next animation frame.
    pub fn push(&self, direction: Direction, body: Body) {
        let Some(inner) = self.inner.try_get_value() else {
            return; // the page is being torn down
        };
        match direction {
            Direction::In => inner.received.set(inner.received.get() + 1),
            Direction::Out => inner.sent.set(inner.sent.get() + 1),
            _ => {}
        }
        inner
            .log
            .borrow_mut()
            .push(js_sys::Date::now(), direction, body);
        if !inner.frame_pending.replace(true) {
            let version = self.version;
            let pending = Rc::downgrade(&inner);
            request_animation_frame(move || {
                if let Some(inner) = pending.upgrade() {
                    inner.frame_pending.set(false);
                    version.try_update(|v| *v += 1);
                }
            });
        }
    }

    /// A note (connection changes, errors) rather than a message.
    pub fn note(&self, direction: Direction, text: impl Into<String>) {
        self.push(direction, Body::Note(text.into()));
    }

    /// Reads the log; tracks the version signal so views re-run once per frame.
    pub fn with<R>(&self, f: impl FnOnce(&MessageLog) -> R) -> R {
        self.version.track();
        let inner = self.inner.get_value();
        let log = inner.log.borrow();
        f(&log)
    }

    /// Counters for the header.
    pub fn stats(&self) -> LogStats {
        self.version.track();
        let inner = self.inner.get_value();
        let log = inner.log.borrow();
        LogStats {
            kept: log.len(),
            capacity: log.capacity(),
            dropped: log.dropped(),
            received: inner.received.get(),
            sent: inner.sent.get(),
        }
    }

    /// Empties the log and its counters.
    pub fn clear(&self) {
        let inner = self.inner.get_value();
        inner.log.borrow_mut().clear();
        inner.received.set(0);
        inner.sent.set(0);
        self.version.update(|v| *v += 1);
    }

    /// The signal bumped once per frame with new entries.
    pub fn version(&self) -> ReadSignal<u64> {
        self.version.read_only()
    }
}

impl Default for LiveLog {
    fn default() -> Self {
        Self::new()
    }
}
