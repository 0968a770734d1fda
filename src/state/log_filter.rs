//! Which log entries the view shows: a filter (topic filter or text, direction, QoS) and
//! an index of the matching entries that follows the log incrementally.
//!
//! The rule for the filter box, also in its tooltip: input that contains a wildcard (`+`,
//! `#`) or a `/` and is a valid MQTT topic filter is matched against topics as a
//! subscription would be (`mqtt_session::topic::matches`); anything else is text, found
//! in the topic or the payload, ignoring ASCII case. Notes (connection changes, errors)
//! are shown only while no filter is set: they have no topic, direction or QoS to match.
//!
//! [`MatchIndex`] keeps the ids of the matching entries. Each refresh (once per animation
//! frame) forgets the ids the ring dropped and tests only the entries pushed since, so a
//! flood costs one test per message; a new filter rescans the kept entries once. With no
//! filter there is no index at all: positions are the ring's own.

use std::collections::VecDeque;

use mqtt_session::topic::{matches, validate_topic_filter};
use mqtt_session::QoS;

use super::log::{Body, Direction, LogEntry, MessageLog};

/// Which way the shown messages went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirectionFilter {
    #[default]
    All,
    In,
    Out,
}

impl DirectionFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            DirectionFilter::All => "all",
            DirectionFilter::In => "in",
            DirectionFilter::Out => "out",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "in" => DirectionFilter::In,
            "out" => DirectionFilter::Out,
            _ => DirectionFilter::All,
        }
    }
}

/// What the user set above the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFilter {
    /// The filter box as typed.
    pub query: String,
    pub direction: DirectionFilter,
    /// `None`: any QoS.
    pub qos: Option<QoS>,
}

impl LogFilter {
    /// Whether anything is filtered out (notes are, as soon as something is set).
    pub fn is_active(&self) -> bool {
        self.matcher() != Matcher::default()
    }

    /// The filter compiled for testing many entries.
    pub fn matcher(&self) -> Matcher {
        Matcher {
            query: Query::parse(&self.query),
            direction: self.direction,
            qos: self.qos,
        }
    }
}

/// How the filter box is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Query {
    /// Empty box.
    #[default]
    Any,
    /// A topic filter, matched as a subscription would match.
    Topic(String),
    /// Text found in the topic or the payload, ASCII case ignored (kept lowercase).
    Text(String),
}

impl Query {
    pub fn parse(input: &str) -> Self {
        let input = input.trim();
        if input.is_empty() {
            Query::Any
        } else if input.contains(['+', '#', '/']) && validate_topic_filter(input).is_ok() {
            Query::Topic(input.to_string())
        } else {
            Query::Text(input.to_ascii_lowercase())
        }
    }

    /// A word for the view: how the box's content is being read.
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Any => "",
            Query::Topic(_) => "topic filter",
            Query::Text(_) => "text",
        }
    }
}

/// A compiled [`LogFilter`]: the default shows everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matcher {
    query: Query,
    direction: DirectionFilter,
    qos: Option<QoS>,
}

impl Matcher {
    /// Nothing is filtered out.
    pub fn shows_all(&self) -> bool {
        *self == Matcher::default()
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn matches(&self, entry: &LogEntry) -> bool {
        if self.shows_all() {
            return true;
        }
        let Body::Message {
            topic,
            qos,
            payload,
            ..
        } = &entry.body
        else {
            return false; // notes only without a filter
        };
        let direction = match self.direction {
            DirectionFilter::All => true,
            DirectionFilter::In => entry.direction == Direction::In,
            DirectionFilter::Out => entry.direction == Direction::Out,
        };
        direction
            && self.qos.is_none_or(|q| q == *qos)
            && match &self.query {
                Query::Any => true,
                Query::Topic(filter) => matches(topic, filter),
                Query::Text(needle) => {
                    contains_ignoring_case(topic.as_bytes(), needle.as_bytes())
                        || contains_ignoring_case(payload, needle.as_bytes())
                }
            }
    }
}

/// Whether `needle` (lowercase) occurs in `haystack`, ASCII case ignored. Bytes, not
/// characters: a payload that is not UTF-8 can still be searched.
fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if haystack.len() < needle.len() {
        return false;
    }
    (0..=haystack.len() - needle.len()).any(|start| {
        haystack[start].to_ascii_lowercase() == first
            && haystack[start + 1..start + needle.len()]
                .iter()
                .zip(rest)
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

/// The entries a [`Matcher`] accepts, by id, kept up to date with the log.
#[derive(Debug, Default)]
pub struct MatchIndex {
    matcher: Matcher,
    /// Ids of the matching entries still kept, oldest first (unused while showing all).
    ids: VecDeque<u64>,
    /// Every entry with a smaller id has been tested.
    scanned: u64,
}

impl MatchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows the log: forgets the ids it dropped and tests the entries pushed since the
    /// last refresh; with a new matcher, tests every entry kept.
    pub fn refresh(&mut self, log: &MessageLog, matcher: &Matcher) {
        if *matcher != self.matcher {
            self.matcher = matcher.clone();
            self.ids.clear();
            self.scanned = 0;
        }
        if self.matcher.shows_all() {
            self.ids.clear();
            self.scanned = log.next_id();
            return;
        }
        let first = log.first_id();
        while self.ids.front().is_some_and(|&id| id < first) {
            self.ids.pop_front();
        }
        for id in self.scanned.max(first)..log.next_id() {
            if log.by_id(id).is_some_and(|e| self.matcher.matches(e)) {
                self.ids.push_back(id);
            }
        }
        self.scanned = log.next_id();
    }

    /// Entries shown.
    pub fn len(&self, log: &MessageLog) -> usize {
        if self.matcher.shows_all() {
            log.len()
        } else {
            self.ids.len()
        }
    }

    /// The entry shown at `position` (0 = oldest).
    pub fn get<'a>(&self, log: &'a MessageLog, position: usize) -> Option<&'a LogEntry> {
        if self.matcher.shows_all() {
            log.get(position)
        } else {
            log.by_id(*self.ids.get(position)?)
        }
    }

    /// Entries shown whose id is below `id`: where the view stopped when it was paused at
    /// `id` (the log's next id then).
    pub fn count_before(&self, log: &MessageLog, id: u64) -> usize {
        if self.matcher.shows_all() {
            let before = id.saturating_sub(log.first_id());
            usize::try_from(before).map_or(log.len(), |n| n.min(log.len()))
        } else {
            self.ids.partition_point(|&shown| shown < id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(topic: &str, payload: &[u8], qos: QoS) -> Body {
        Body::Message {
            topic: topic.into(),
            qos,
            retain: false,
            payload: Bytes::copy_from_slice(payload),
            properties: None,
        }
    }

    fn log_of(entries: &[(Direction, Body)]) -> MessageLog {
        let mut log = MessageLog::new(100);
        for (direction, body) in entries {
            log.push(0.0, *direction, body.clone());
        }
        log
    }

    fn shown(log: &MessageLog, filter: &LogFilter) -> Vec<u64> {
        let mut index = MatchIndex::new();
        index.refresh(log, &filter.matcher());
        (0..index.len(log))
            .filter_map(|p| index.get(log, p).map(|e| e.id))
            .collect()
    }

    fn query(text: &str) -> LogFilter {
        LogFilter {
            query: text.into(),
            ..LogFilter::default()
        }
    }

    #[test]
    fn the_box_is_a_topic_filter_when_it_has_a_wildcard_or_a_slash_and_is_valid() {
        assert_eq!(Query::parse("  "), Query::Any);
        assert_eq!(Query::parse("a/+/c"), Query::Topic("a/+/c".into()));
        assert_eq!(Query::parse("#"), Query::Topic("#".into()));
        assert_eq!(Query::parse("a/b"), Query::Topic("a/b".into()));
        // Not a valid filter: text.
        assert_eq!(Query::parse("a/#/b"), Query::Text("a/#/b".into()));
        assert_eq!(Query::parse("C#"), Query::Text("c#".into()));
        assert_eq!(
            Query::parse("Temperature"),
            Query::Text("temperature".into())
        );
    }

    #[test]
    fn topic_filters_match_as_subscriptions_do_and_text_is_found_in_topic_or_payload() {
        let log = log_of(&[
            (
                Direction::In,
                message("device/d1/telemetry/temp", b"21.5", QoS::AtMostOnce),
            ),
            (
                Direction::In,
                message("device/d2/event", b"{\"Light\":\"on\"}", QoS::AtLeastOnce),
            ),
            (
                Direction::Out,
                message("device/d1/action", &[0xff, b'L', b'i'], QoS::AtMostOnce),
            ),
            (Direction::Info, Body::Note("connected".into())),
        ]);
        assert_eq!(shown(&log, &LogFilter::default()), [0, 1, 2, 3]);
        assert_eq!(shown(&log, &query("device/d1/#")), [0, 2]);
        assert_eq!(shown(&log, &query("device/+/event")), [1]);
        assert_eq!(shown(&log, &query("device/d1")), Vec::<u64>::new());
        assert_eq!(shown(&log, &query("LIGHT")), [1]);
        // Bytes that are not UTF-8 are searched too.
        assert_eq!(shown(&log, &query("li")), [1, 2]);
        assert_eq!(shown(&log, &query("TELEMETRY")), [0]);
        // Notes have nothing to match: shown only without a filter.
        assert_eq!(shown(&log, &query("connected")), Vec::<u64>::new());
    }

    #[test]
    fn direction_and_qos_narrow_the_messages() {
        let log = log_of(&[
            (Direction::In, message("a", b"", QoS::AtMostOnce)),
            (Direction::In, message("a", b"", QoS::ExactlyOnce)),
            (Direction::Out, message("a", b"", QoS::ExactlyOnce)),
            (Direction::Error, Body::Note("e".into())),
        ]);
        let filter = |direction, qos| LogFilter {
            direction,
            qos,
            ..LogFilter::default()
        };
        assert_eq!(shown(&log, &filter(DirectionFilter::In, None)), [0, 1]);
        assert_eq!(shown(&log, &filter(DirectionFilter::Out, None)), [2]);
        let both = filter(DirectionFilter::In, Some(QoS::ExactlyOnce));
        assert_eq!(shown(&log, &both), [1]);
        assert!(both.is_active());
        assert!(!LogFilter::default().is_active());
        assert!(!query("   ").is_active());
    }

    #[test]
    fn the_index_follows_the_ring_incrementally_and_rescans_on_a_new_filter() {
        let mut log = MessageLog::new(4);
        let mut index = MatchIndex::new();
        let even = query("even");
        for n in 0..10u32 {
            let word = if n % 2 == 0 { "even" } else { "odd" };
            log.push(
                0.0,
                Direction::In,
                message("t", word.as_bytes(), QoS::AtMostOnce),
            );
            index.refresh(&log, &even.matcher());
        }
        // Kept: ids 6..=9; shown: the even ones among them.
        let ids: Vec<u64> = (0..index.len(&log))
            .filter_map(|p| index.get(&log, p).map(|e| e.id))
            .collect();
        assert_eq!(ids, [6, 8]);
        assert_eq!(index.count_before(&log, 8), 1);
        assert_eq!(index.count_before(&log, 10), 2);

        index.refresh(&log, &query("odd").matcher());
        assert_eq!(index.len(&log), 2);
        index.refresh(&log, &Matcher::default());
        assert_eq!(index.len(&log), 4);
        assert_eq!(index.count_before(&log, 8), 2);
        assert_eq!(index.count_before(&log, 100), 4);

        log.clear();
        index.refresh(&log, &even.matcher());
        assert_eq!(index.len(&log), 0);
        log.push(0.0, Direction::In, message("t", b"even", QoS::AtMostOnce));
        index.refresh(&log, &even.matcher());
        assert_eq!(index.get(&log, 0).map(|e| e.id), Some(10));
    }

    #[test]
    fn ten_thousand_entries_filter_in_one_pass() {
        let mut log = MessageLog::new(10_000);
        for n in 0..10_000u32 {
            let topic = format!("device/lab-device-{}/telemetry/temperature", n % 15);
            let payload = format!("{{\"timestamp\":1732240000000,\"value\":{n}}}");
            log.push(
                0.0,
                Direction::In,
                message(&topic, payload.as_bytes(), QoS::AtMostOnce),
            );
        }
        let mut index = MatchIndex::new();
        index.refresh(&log, &query("device/lab-device-3/#").matcher());
        assert_eq!(index.len(&log), 667);
        index.refresh(&log, &query("\"value\":9999").matcher());
        assert_eq!(index.len(&log), 1);
    }
}
