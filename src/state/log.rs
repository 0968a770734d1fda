//! The live log's storage: a bounded ring of entries that counts what it drops.
//!
//! Pushing is O(1) and never allocates beyond the capacity, so a flood costs memory in
//! proportion to the capacity, not to the flood. Rendering is someone else's job (see
//! `views::log_view`), done at most once per animation frame. The received/sent counters
//! count every message pushed, also the ones the ring has dropped since.

use std::collections::VecDeque;

use bytes::Bytes;
use mqtt_session::{PublishProperties, QoS};

/// Default number of entries kept.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Which way an entry went, or what kind of note it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Info,
    Error,
}

/// What an entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Message {
        topic: String,
        qos: QoS,
        retain: bool,
        payload: Bytes,
        /// MQTT 5 properties, when the message had any (boxed: most have none, and a
        /// flood of plain messages should not pay for the space).
        properties: Option<Box<PublishProperties>>,
    },
    Note(String),
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Unique and increasing: the key of the entry's row.
    pub id: u64,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub at_ms: f64,
    pub direction: Direction,
    pub body: Body,
}

/// Where the state reducers write their log lines: the page's live log, or a `Vec` in
/// tests.
pub trait LogSink {
    fn push(&mut self, direction: Direction, body: Body);

    /// A note (connection changes, errors) rather than a message.
    fn note(&mut self, direction: Direction, text: impl Into<String>)
    where
        Self: Sized,
    {
        self.push(direction, Body::Note(text.into()));
    }
}

impl LogSink for Vec<(Direction, Body)> {
    fn push(&mut self, direction: Direction, body: Body) {
        Vec::push(self, (direction, body));
    }
}

/// Every MQTT 5 property of a message as (name, value) lines for the detail view, in the
/// order of the specification's table. Binary correlation data is shown as text when it
/// is UTF-8, else as hex.
pub fn property_lines(p: &PublishProperties) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(format) = p.payload_format_indicator {
        let meaning = match format {
            0 => "0 (unspecified bytes)",
            1 => "1 (UTF-8 text)",
            _ => "invalid",
        };
        lines.push(("payload format", meaning.to_string()));
    }
    if let Some(secs) = p.message_expiry_interval {
        lines.push(("message expiry", format!("{secs} s")));
    }
    if let Some(alias) = p.topic_alias {
        lines.push(("topic alias", alias.to_string()));
    }
    if let Some(topic) = &p.response_topic {
        lines.push(("response topic", topic.clone()));
    }
    if let Some(data) = &p.correlation_data {
        lines.push((
            "correlation data",
            PayloadView::of(data, 1024).text().to_string(),
        ));
    }
    for (name, value) in &p.user_properties {
        lines.push(("user property", format!("{name} = {value}")));
    }
    for id in &p.subscription_identifiers {
        lines.push(("subscription identifier", id.to_string()));
    }
    if let Some(content_type) = &p.content_type {
        lines.push(("content type", content_type.clone()));
    }
    lines
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

/// A bounded log.
#[derive(Debug)]
pub struct MessageLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    dropped: u64,
    next_id: u64,
    received: u64,
    sent: u64,
}

impl MessageLog {
    /// An empty log keeping at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            dropped: 0,
            next_id: 0,
            received: 0,
            sent: 0,
        }
    }

    /// Appends an entry, dropping the oldest when full.
    pub fn push(&mut self, at_ms: f64, direction: Direction, body: Body) {
        match direction {
            Direction::In => self.received += 1,
            Direction::Out => self.sent += 1,
            Direction::Info | Direction::Error => {}
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(LogEntry {
            id: self.next_id,
            at_ms,
            direction,
            body,
        });
        self.next_id += 1;
    }

    /// Appends an entry read back from an exported file: kept like any other, but not
    /// counted as received or sent (the counters count this page's traffic).
    pub fn restore(&mut self, at_ms: f64, direction: Direction, body: Body) {
        let (received, sent) = (self.received, self.sent);
        self.push(at_ms, direction, body);
        (self.received, self.sent) = (received, sent);
    }

    /// The id of the oldest entry kept; the next id when the log is empty.
    pub fn first_id(&self) -> u64 {
        self.entries.front().map_or(self.next_id, |e| e.id)
    }

    /// The id the next entry will get: every entry ever pushed has a smaller one.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The entries kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter()
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries dropped because the log was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The entry at `index` (0 = oldest kept).
    pub fn get(&self, index: usize) -> Option<&LogEntry> {
        self.entries.get(index)
    }

    /// The entry with this id, if still kept.
    pub fn by_id(&self, id: u64) -> Option<&LogEntry> {
        let first = self.entries.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.entries.get(index)
    }

    /// Entries `start..end` (clamped).
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &LogEntry> {
        let end = end.min(self.entries.len());
        self.entries.range(start.min(end)..end)
    }

    /// The counters above the log.
    pub fn stats(&self) -> LogStats {
        LogStats {
            kept: self.entries.len(),
            capacity: self.capacity,
            dropped: self.dropped,
            received: self.received,
            sent: self.sent,
        }
    }

    /// Forgets every entry and every count.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
        self.received = 0;
        self.sent = 0;
    }
}

/// A payload as a person should see it: text when it is UTF-8, hex otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadView {
    Text(String),
    Hex(String),
}

impl PayloadView {
    /// At most `limit` bytes of `payload`, ready for a text node.
    pub fn of(payload: &[u8], limit: usize) -> Self {
        let shown = &payload[..payload.len().min(limit)];
        match std::str::from_utf8(shown) {
            Ok(text) => PayloadView::Text(text.to_string()),
            // Cut in the middle of a character by `limit`: still text.
            Err(e) if e.error_len().is_none() && shown.len() < payload.len() => {
                PayloadView::Text(String::from_utf8_lossy(&shown[..e.valid_up_to()]).into_owned())
            }
            Err(_) => PayloadView::Hex(hex(shown)),
        }
    }

    pub fn text(&self) -> &str {
        match self {
            PayloadView::Text(t) | PayloadView::Hex(t) => t,
        }
    }

    pub fn is_hex(&self) -> bool {
        matches!(self, PayloadView::Hex(_))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(log: &mut MessageLog, n: u32) {
        log.push(0.0, Direction::Info, Body::Note(n.to_string()));
    }

    #[test]
    fn a_full_log_drops_the_oldest_and_counts_them() {
        let mut log = MessageLog::new(3);
        for n in 0..5 {
            note(&mut log, n);
        }
        assert_eq!(log.len(), 3);
        assert_eq!(log.dropped(), 2);
        assert_eq!(log.get(0).map(|e| e.id), Some(2));
        assert_eq!(log.by_id(4).map(|e| e.id), Some(4));
        assert!(log.by_id(1).is_none());
        assert_eq!(log.range(1, 99).count(), 2);
    }

    #[test]
    fn counters_count_every_message_also_the_dropped_ones() {
        let mut log = MessageLog::new(2);
        for _ in 0..3 {
            log.push(0.0, Direction::In, Body::Note(String::new()));
        }
        log.push(0.0, Direction::Out, Body::Note(String::new()));
        note(&mut log, 9);
        let stats = log.stats();
        assert_eq!((stats.received, stats.sent, stats.kept), (3, 1, 2));
        assert_eq!(stats.dropped, 3);
        log.restore(0.0, Direction::In, Body::Note(String::new()));
        assert_eq!(
            (log.stats().received, log.first_id(), log.next_id()),
            (3, 4, 6)
        );
        log.clear();
        assert_eq!((log.first_id(), log.next_id()), (6, 6));
        assert_eq!(
            log.stats(),
            LogStats {
                capacity: 2,
                ..LogStats::default()
            }
        );
    }

    #[test]
    fn payloads_are_text_when_utf8_and_hex_otherwise() {
        assert_eq!(
            PayloadView::of("21.5 °C".as_bytes(), 100),
            PayloadView::Text("21.5 °C".into())
        );
        assert_eq!(
            PayloadView::of(&[0xff, 0x00, 0x10], 100),
            PayloadView::Hex("ff 00 10".into())
        );
        // A limit that cuts a character is still shown as text.
        assert_eq!(
            PayloadView::of("é".as_bytes(), 1),
            PayloadView::Text(String::new())
        );
    }
}
