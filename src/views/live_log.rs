//! The log as the UI sees it: a [`MessageLog`] in a [`Batched`] cell, so however many
//! entries arrive, its readers re-run at most once per animation frame.
//!
//! Entries are stored the moment they are decoded (an effect watching a "latest
//! message" signal would see only the last of a burst). Only the re-render is batched.
//! In a hidden tab animation frames stop: storage stays bounded and the view catches up
//! when the tab is shown again.
//!
//! Beside the entries it keeps what the user set about showing them (the filter, the
//! subscriptions' aliases), so they survive switching views like the entries do.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::batched::Batched;
use crate::state::log::{Body, Direction, LogSink, LogStats, MessageLog, DEFAULT_CAPACITY};
use crate::state::log_export::{import, to_csv, to_jsonl};
use crate::state::log_filter::LogFilter;

/// A `Copy` handle on a live log.
#[derive(Clone, Copy)]
pub struct LiveLog {
    log: Batched<MessageLog>,
    /// What the log view shows.
    pub filter: RwSignal<LogFilter>,
    /// Short labels of subscriptions, by filter.
    pub aliases: RwSignal<BTreeMap<String, String>>,
    /// The subscription filters whose colours received messages take (the client view's).
    subscriptions: Option<Signal<Vec<String>>>,
}

/// A file format of [`LiveLog::export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    JsonLines,
    Csv,
}

impl LiveLog {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            log: Batched::new(MessageLog::new(capacity)),
            filter: RwSignal::new(LogFilter::default()),
            aliases: RwSignal::new(BTreeMap::new()),
            subscriptions: None,
        }
    }

    /// Received messages take the colour of the first of these filters they match.
    pub fn coloured_by(self, subscriptions: Signal<Vec<String>>) -> Self {
        Self {
            subscriptions: Some(subscriptions),
            ..self
        }
    }

    /// The filters that colour the rows (tracked); empty when none.
    pub fn subscriptions(&self) -> Vec<String> {
        self.subscriptions.map(|s| s.get()).unwrap_or_default()
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

    /// Reads the log as it is now, without re-running when it changes.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&MessageLog) -> R) -> R {
        self.log.with_untracked(f)
    }

    /// Counters for the header.
    pub fn stats(&self) -> LogStats {
        self.log.with(MessageLog::stats)
    }

    /// Empties the log and its counters.
    pub fn clear(&self) {
        self.log.update(MessageLog::clear);
    }

    /// The messages the filter shows (all kept ones without a filter), as a file.
    pub fn export(&self, format: ExportFormat) -> String {
        let matcher = self.filter.with_untracked(LogFilter::matcher);
        self.log.with_untracked(|log| {
            let shown = log.iter().filter(|e| matcher.matches(e));
            match format {
                ExportFormat::JsonLines => to_jsonl(shown),
                ExportFormat::Csv => to_csv(shown),
            }
        })
    }

    /// Appends the messages of an exported file (not counted as received or sent) and
    /// notes what happened; returns that sentence.
    pub fn import(&self, text: &str, file_name: &str) -> String {
        let imported = import(text);
        let sentence = imported.sentence(file_name);
        let failed = imported.entries.is_empty() && imported.invalid > 0;
        self.log.update(|log| {
            for entry in imported.entries {
                log.restore(entry.at_ms, entry.direction, entry.body);
            }
        });
        let kind = if failed {
            Direction::Error
        } else {
            Direction::Info
        };
        self.note(kind, sentence.clone());
        sentence
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
