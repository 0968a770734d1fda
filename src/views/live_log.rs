//! The log as the UI sees it: a [`MessageLog`] in a [`Batched`] cell, so however many
//! entries arrive, its readers re-run at most once per animation frame.
//!
//! Entries are stored the moment they are decoded (an effect watching a "latest
//! message" signal would see only the last of a burst). Only the re-render is batched.
//! In a hidden tab animation frames stop: storage stays bounded and the view catches up
//! when the tab is shown again.

use super::batched::Batched;
use crate::state::log::{Body, Direction, LogSink, LogStats, MessageLog, DEFAULT_CAPACITY};

/// A `Copy` handle on a live log.
#[derive(Clone, Copy)]
pub struct LiveLog {
    log: Batched<MessageLog>,
}

impl LiveLog {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            log: Batched::new(MessageLog::new(capacity)),
        }
    }

    /// Appends an entry now; the view learns about it on the next animation frame.
    pub fn push(&self, direction: Direction, body: Body) {
        let at = js_sys::Date::now();
        self.log.update(|log| log.push(at, direction, body));
    }

    /// A note (connection changes, errors) rather than a message.
    pub fn note(&self, direction: Direction, text: impl Into<String>) {
        self.push(direction, Body::Note(text.into()));
    }

    /// Reads the log; tracked, so views re-run once per frame with new entries.
    pub fn with<R>(&self, f: impl FnOnce(&MessageLog) -> R) -> R {
        self.log.with(f)
    }

    /// Counters for the header.
    pub fn stats(&self) -> LogStats {
        self.log.with(MessageLog::stats)
    }

    /// Empties the log and its counters.
    pub fn clear(&self) {
        self.log.update(MessageLog::clear);
    }
}

impl LogSink for LiveLog {
    fn push(&mut self, direction: Direction, body: Body) {
        LiveLog::push(self, direction, body);
    }
}

impl Default for LiveLog {
    fn default() -> Self {
        Self::new()
    }
}
