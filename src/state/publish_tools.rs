//! The publish panel's tools: the history of the last publishes, saved snippets (kept in
//! `localStorage` as JSON) and the progress of a repeated publish.

use std::collections::VecDeque;

use mqtt_session::QoS;
use serde_json::Value;

use super::connect_form::{json_text, parse_json, Fields, FormatError, Writer};
use super::properties::{FieldError, MessageFields};

/// Publishes kept in the history.
pub const HISTORY_KEPT: usize = 50;
/// Snippets kept; saving one more is refused.
pub const MAX_SNIPPETS: usize = 100;
/// `localStorage` key of the snippets.
pub const SNIPPETS_KEY: &str = "mqtt-playground.snippets.v1";

/// The publish form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub topic: String,
    pub payload: String,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 properties (used when publishing under MQTT 5).
    pub properties: MessageFields,
}

/// One line of the history: a publish, and how many times in a row it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub draft: Draft,
    pub times: u32,
}

/// The last [`HISTORY_KEPT`] publishes, newest first; the same publish made again right
/// away (a repeat) adds to the count of its line instead of a new line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishHistory {
    pub entries: VecDeque<HistoryEntry>,
    /// Entries so far, also the dropped ones (a stable key for each line).
    pub recorded: u64,
}

impl PublishHistory {
    pub fn record(&mut self, draft: &Draft) {
        if let Some(newest) = self.entries.front_mut() {
            if newest.draft == *draft {
                newest.times = newest.times.saturating_add(1);
                return;
            }
        }
        self.recorded += 1;
        self.entries.push_front(HistoryEntry {
            draft: draft.clone(),
            times: 1,
        });
        self.entries.truncate(HISTORY_KEPT);
    }
}

/// A draft saved under a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub name: String,
    pub draft: Draft,
}

/// Why a snippet could not be saved or the saved ones read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnippetError {
    #[error("give the snippet a name or a topic first")]
    NoName,
    #[error("at most {MAX_SNIPPETS} snippets are kept: delete one first")]
    Full,
    #[error("the saved snippets cannot be read: {0}")]
    Format(#[from] FormatError),
}

/// The saved snippets, in the order first saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippets {
    pub list: Vec<Snippet>,
}

impl Snippets {
    /// Saves `draft` under `name` (the topic when empty), replacing one of that name; the
    /// name used.
    pub fn save(&mut self, name: &str, draft: &Draft) -> Result<String, SnippetError> {
        let name = match name.trim() {
            "" => draft.topic.trim(),
            name => name,
        };
        if name.is_empty() {
            return Err(SnippetError::NoName);
        }
        let full = self.list.len() >= MAX_SNIPPETS;
        match self.list.iter_mut().find(|s| s.name == name) {
            Some(snippet) => snippet.draft = draft.clone(),
            None if full => return Err(SnippetError::Full),
            None => self.list.push(Snippet {
                name: name.to_string(),
                draft: draft.clone(),
            }),
        }
        Ok(name.to_string())
    }

    pub fn delete(&mut self, name: &str) {
        self.list.retain(|s| s.name != name);
    }

    pub fn to_json(&self) -> String {
        let list = self
            .list
            .iter()
            .map(|s| {
                let d = &s.draft;
                let p = &d.properties;
                let properties = Writer::default()
                    .text("content_type", &p.content_type, "")
                    .text("response_topic", &p.response_topic, "")
                    .text("correlation_data", &p.correlation_data, "")
                    .text("message_expiry", &p.message_expiry, "")
                    .flag("utf8", p.utf8, false)
                    .text("user_properties", &p.user_properties, "")
                    .done();
                let object = Writer::default()
                    .value("name", Value::from(s.name.as_str()))
                    .value("topic", Value::from(d.topic.as_str()))
                    .value("payload", Value::from(d.payload.as_str()))
                    .number("qos", d.qos as u8, 0)
                    .flag("retain", d.retain, false)
                    .object("properties", properties)
                    .done();
                Value::Object(object)
            })
            .collect();
        json_text(&Value::Array(list))
    }

    pub fn from_json(text: &str) -> Result<Self, SnippetError> {
        let value = parse_json(text)?;
        let items = value.as_array().ok_or(FormatError::WrongType {
            field: "(the document)".into(),
            expected: "a list",
        })?;
        let mut snippets = Snippets::default();
        for item in items.iter().take(MAX_SNIPPETS) {
            let f = Fields::of(item, "snippet")?;
            let mut name = String::new();
            let mut qos = 0;
            let mut draft = Draft {
                topic: String::new(),
                payload: String::new(),
                qos: QoS::AtMostOnce,
                retain: false,
                properties: MessageFields::default(),
            };
            f.text("name", &mut name)?;
            f.text("topic", &mut draft.topic)?;
            f.text("payload", &mut draft.payload)?;
            f.qos("qos", &mut qos)?;
            draft.qos = QoS::from_u8(qos).unwrap_or(QoS::AtMostOnce);
            f.flag("retain", &mut draft.retain)?;
            if let Some(p) = f.object("properties")? {
                let m = &mut draft.properties;
                p.text("content_type", &mut m.content_type)?;
                p.text("response_topic", &mut m.response_topic)?;
                p.text("correlation_data", &mut m.correlation_data)?;
                p.text("message_expiry", &mut m.message_expiry)?;
                p.flag("utf8", &mut m.utf8)?;
                p.text("user_properties", &mut m.user_properties)?;
            }
            if let Err(SnippetError::NoName) = snippets.save(&name, &draft) {
                continue; // nameless and topicless: nothing to show
            }
        }
        Ok(snippets)
    }
}

/// Most messages one repeat may publish.
pub const MAX_REPEAT: u32 = 100_000;
/// Longest pause between two repeated messages, in ms (one hour).
pub const MAX_INTERVAL_MS: u32 = 3_600_000;

/// The repeat fields: how many messages, and ms between two (0: as fast as the connection
/// takes them).
pub fn parse_repeat(count: &str, interval_ms: &str) -> Result<(u32, u32), FieldError> {
    let count = match count.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => n,
        _ => {
            return Err(FieldError {
                field: "repeat count",
                problem: format!("enter a whole number from 1 to {MAX_REPEAT}"),
            })
        }
    };
    let interval = match interval_ms.trim() {
        "" => 0,
        text => match text.parse::<u32>() {
            Ok(ms) if ms <= MAX_INTERVAL_MS => ms,
            _ => {
                return Err(FieldError {
                    field: "repeat interval",
                    problem: format!("enter whole milliseconds from 0 to {MAX_INTERVAL_MS}"),
                })
            }
        },
    };
    Ok((count, interval))
}

/// Where a repeat stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepeatState {
    Running,
    Done,
    /// Stopped before the end, and why.
    Stopped(String),
}

/// One repeated publish: `total` messages, one every `interval_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatRun {
    pub total: u32,
    pub sent: u32,
    pub interval_ms: u32,
    pub state: RepeatState,
}

impl RepeatRun {
    pub fn start(total: u32, interval_ms: u32) -> Self {
        Self {
            total,
            sent: 0,
            interval_ms,
            state: RepeatState::Running,
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == RepeatState::Running
    }

    /// One more message went out; ends the run after the last.
    pub fn sent_one(&mut self) {
        if !self.is_running() {
            return;
        }
        self.sent += 1;
        if self.sent >= self.total {
            self.state = RepeatState::Done;
        }
    }

    /// Ends the run early (the user's stop, a lost connection, a refused publish).
    pub fn stop(&mut self, why: impl Into<String>) {
        if self.is_running() {
            self.state = RepeatState::Stopped(why.into());
        }
    }

    /// When the next message is due, in ms after the run's start (pacing from the start, so
    /// timer lateness does not add up).
    pub fn next_due_ms(&self) -> f64 {
        f64::from(self.sent) * f64::from(self.interval_ms)
    }

    /// The progress line.
    pub fn text(&self) -> String {
        let (sent, total) = (self.sent, self.total);
        match &self.state {
            RepeatState::Running => format!("repeating: {sent} of {total} sent"),
            RepeatState::Done => format!("repeat done: {total} sent"),
            RepeatState::Stopped(why) => format!("repeat stopped after {sent} of {total}: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(topic: &str, payload: &str) -> Draft {
        Draft {
            topic: topic.into(),
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: MessageFields::default(),
        }
    }

    #[test]
    fn history_keeps_the_last_fifty_newest_first_and_counts_repeats() {
        let mut history = PublishHistory::default();
        for i in 0..60 {
            history.record(&draft("t", &i.to_string()));
        }
        assert_eq!(history.entries.len(), HISTORY_KEPT);
        assert_eq!(history.entries[0].draft.payload, "59");
        assert_eq!(history.entries[49].draft.payload, "10");
        history.record(&draft("t", "59"));
        history.record(&draft("t", "59"));
        assert_eq!(history.entries[0].times, 3);
        assert_eq!(history.entries.len(), HISTORY_KEPT);
        assert_eq!(history.recorded, 60);
    }

    #[test]
    fn snippets_round_trip_and_default_their_name_to_the_topic() {
        let mut snippets = Snippets::default();
        let mut d = draft("lamp/1/set", "{\"on\":true}");
        d.qos = QoS::ExactlyOnce;
        d.retain = true;
        d.properties.content_type = "application/json".into();
        assert_eq!(snippets.save(" ", &d), Ok("lamp/1/set".into()));
        assert_eq!(
            snippets.save("off", &draft("lamp/1/set", "off")),
            Ok("off".into())
        );
        assert_eq!(
            snippets.save("", &draft(" ", "x")),
            Err(SnippetError::NoName)
        );
        let text = snippets.to_json();
        assert_eq!(Snippets::from_json(&text), Ok(snippets.clone()));
        snippets.delete("off");
        assert_eq!(snippets.list.len(), 1);
        assert!(Snippets::from_json("{}").is_err());
    }

    #[test]
    fn repeat_fields_are_checked() {
        assert_eq!(parse_repeat("10", "250"), Ok((10, 250)));
        assert_eq!(parse_repeat("3", ""), Ok((3, 0)));
        assert_eq!(parse_repeat("0", "1").unwrap_err().field, "repeat count");
        assert_eq!(
            parse_repeat("5", "-1").unwrap_err().field,
            "repeat interval"
        );
    }

    #[test]
    fn a_repeat_counts_to_its_end_or_stops_with_a_reason() {
        let mut run = RepeatRun::start(3, 100);
        run.sent_one();
        assert_eq!(run.next_due_ms(), 100.0);
        assert_eq!(run.text(), "repeating: 1 of 3 sent");
        run.sent_one();
        run.sent_one();
        assert_eq!(run.state, RepeatState::Done);
        run.sent_one();
        assert_eq!(run.sent, 3);
        let mut run = RepeatRun::start(5, 0);
        run.sent_one();
        run.stop("the connection was lost");
        run.stop("later reasons do not overwrite the first");
        assert_eq!(
            run.text(),
            "repeat stopped after 1 of 5: the connection was lost"
        );
    }
}
