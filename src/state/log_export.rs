//! The log's messages as a file and back: JSON Lines and CSV (RFC 4180).
//!
//! One message per line (JSON Lines) or record (CSV): `time_ms` (Unix milliseconds),
//! `direction` (`in`/`out`), `topic`, `qos`, `retain`, `payload_base64` (the exact bytes)
//! and, when the message had any, its MQTT 5 `properties` as a JSON object. CSV adds a
//! `payload` column with the text of UTF-8 payloads, for people; reading back uses
//! `payload_base64` only. Notes are not exported. Reading back never panics: a line that
//! is not a log entry is counted and the first such problem is named.

use bytes::Bytes;
use mqtt_session::{PublishProperties, QoS};
use serde_json::{Map, Value};

use super::base64;
use super::log::{Body, Direction, LogEntry};

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 8] = [
    "time_ms",
    "direction",
    "topic",
    "qos",
    "retain",
    "payload",
    "payload_base64",
    "properties",
];

/// The messages among `entries` as JSON Lines.
pub fn to_jsonl<'a>(entries: impl IntoIterator<Item = &'a LogEntry>) -> String {
    let mut out = String::new();
    for (entry, message) in messages(entries) {
        out.push_str(&format!(
            "{{\"time_ms\":{},\"direction\":\"{}\",\"topic\":{},\"qos\":{},\"retain\":{},\"payload_base64\":\"{}\"",
            time(entry.at_ms),
            direction(entry.direction),
            json_string(message.topic),
            message.qos as u8,
            message.retain,
            base64::encode(message.payload),
        ));
        if let Some(p) = message.properties {
            out.push_str(",\"properties\":");
            out.push_str(&properties_json(p));
        }
        out.push_str("}\n");
    }
    out
}

/// The messages among `entries` as CSV: a header, then one record per message, CRLF
/// line ends, fields quoted when they need it.
pub fn to_csv<'a>(entries: impl IntoIterator<Item = &'a LogEntry>) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for (entry, message) in messages(entries) {
        let fields = [
            time(entry.at_ms),
            direction(entry.direction).to_string(),
            message.topic.to_string(),
            (message.qos as u8).to_string(),
            message.retain.to_string(),
            std::str::from_utf8(message.payload)
                .unwrap_or_default()
                .to_string(),
            base64::encode(message.payload),
            message.properties.map(properties_json).unwrap_or_default(),
        ];
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    out
}

struct Message<'a> {
    topic: &'a str,
    qos: QoS,
    retain: bool,
    payload: &'a [u8],
    properties: Option<&'a PublishProperties>,
}

fn messages<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
) -> impl Iterator<Item = (&'a LogEntry, Message<'a>)> {
    entries.into_iter().filter_map(|entry| match &entry.body {
        Body::Message {
            topic,
            qos,
            retain,
            payload,
            properties,
        } if matches!(entry.direction, Direction::In | Direction::Out) => Some((
            entry,
            Message {
                topic,
                qos: *qos,
                retain: *retain,
                payload,
                properties: properties.as_deref(),
            },
        )),
        _ => None,
    })
}

fn time(at_ms: f64) -> String {
    if at_ms.is_finite() {
        at_ms.to_string()
    } else {
        "0".to_string()
    }
}

fn direction(direction: Direction) -> &'static str {
    match direction {
        Direction::Out => "out",
        _ => "in",
    }
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn properties_json(p: &PublishProperties) -> String {
    let mut fields = Vec::new();
    if let Some(n) = p.payload_format_indicator {
        fields.push(format!("\"payload_format_indicator\":{n}"));
    }
    if let Some(n) = p.message_expiry_interval {
        fields.push(format!("\"message_expiry_interval\":{n}"));
    }
    if let Some(n) = p.topic_alias {
        fields.push(format!("\"topic_alias\":{n}"));
    }
    if let Some(t) = &p.response_topic {
        fields.push(format!("\"response_topic\":{}", json_string(t)));
    }
    if let Some(data) = &p.correlation_data {
        fields.push(format!(
            "\"correlation_data_base64\":\"{}\"",
            base64::encode(data)
        ));
    }
    if !p.user_properties.is_empty() {
        let pairs: Vec<String> = p
            .user_properties
            .iter()
            .map(|(k, v)| format!("[{},{}]", json_string(k), json_string(v)))
            .collect();
        fields.push(format!("\"user_properties\":[{}]", pairs.join(",")));
    }
    if !p.subscription_identifiers.is_empty() {
        let ids: Vec<String> = p
            .subscription_identifiers
            .iter()
            .map(u32::to_string)
            .collect();
        fields.push(format!("\"subscription_identifiers\":[{}]", ids.join(",")));
    }
    if let Some(t) = &p.content_type {
        fields.push(format!("\"content_type\":{}", json_string(t)));
    }
    format!("{{{}}}", fields.join(","))
}

/// RFC 4180: quoted (quotes doubled) when it holds a comma, a quote, CR or LF.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// One message read back from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEntry {
    pub at_ms: f64,
    pub direction: Direction,
    pub body: Body,
}

/// What a file held.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Import {
    pub entries: Vec<ImportedEntry>,
    /// Lines (records) that are not log entries.
    pub invalid: usize,
    /// The first of them: `line N: why`.
    pub first_problem: Option<String>,
    /// `JSON Lines` or `CSV`.
    pub format: &'static str,
}

impl Import {
    fn problem(&mut self, line: usize, why: impl std::fmt::Display) {
        self.invalid += 1;
        if self.first_problem.is_none() {
            self.first_problem = Some(format!("line {line}: {why}"));
        }
    }

    /// What happened, for the log.
    pub fn sentence(&self, file_name: &str) -> String {
        let n = self.entries.len();
        let mut out = format!(
            "imported {n} message{} from {file_name} ({})",
            if n == 1 { "" } else { "s" },
            self.format
        );
        if let Some(first) = &self.first_problem {
            let m = self.invalid;
            out.push_str(&format!(
                "; {m} line{} {} not a log entry and {} skipped (first: {first})",
                if m == 1 { "" } else { "s" },
                if m == 1 { "was" } else { "were" },
                if m == 1 { "was" } else { "were" },
            ));
        }
        out
    }
}

/// Reads a JSON Lines or CSV export (told apart by the first line: `{` starts JSON Lines).
pub fn import(text: &str) -> Import {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let jsonl = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_none_or(|l| l.trim_start().starts_with('{'));
    if jsonl {
        import_jsonl(text)
    } else {
        import_csv(text)
    }
}

fn import_jsonl(text: &str) -> Import {
    let mut import = Import {
        format: "JSON Lines",
        ..Import::default()
    };
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(fields)) => entry_of(&fields),
            Ok(_) => Err("not a JSON object".to_string()),
            Err(e) => Err(format!("not JSON ({e})")),
        };
        match entry {
            Ok(entry) => import.entries.push(entry),
            Err(why) => import.problem(index + 1, why),
        }
    }
    import
}

fn import_csv(text: &str) -> Import {
    let mut import = Import {
        format: "CSV",
        ..Import::default()
    };
    let mut records = csv_records(text).into_iter();
    let header = match records.next() {
        Some((_, Ok(header)))
            if ["direction", "topic", "qos", "payload_base64"]
                .iter()
                .all(|c| header.iter().any(|h| h == c)) =>
        {
            header
        }
        Some((line, _)) => {
            import.problem(
                line,
                "neither a JSON Lines entry nor the header of a CSV export (time_ms,direction,topic,…)",
            );
            return import;
        }
        None => return import,
    };
    for (line, record) in records {
        let fields = match record {
            Ok(fields) if fields.len() == header.len() => fields,
            Ok(fields) => {
                import.problem(
                    line,
                    format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        header.len()
                    ),
                );
                continue;
            }
            Err(why) => {
                import.problem(line, why);
                continue;
            }
        };
        let mut object = Map::new();
        for (name, field) in header.iter().zip(fields) {
            let value = match name.as_str() {
                "time_ms" => field
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::String(field), Value::Number),
                "qos" => field
                    .parse::<u64>()
                    .map_or(Value::String(field), Value::from),
                "retain" => match field.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(field),
                },
                "properties" if field.is_empty() => continue,
                "properties" => match serde_json::from_str(&field) {
                    Ok(value) => value,
                    Err(_) => Value::String(field),
                },
                _ => Value::String(field),
            };
            object.insert(name.clone(), value);
        }
        match entry_of(&object) {
            Ok(entry) => import.entries.push(entry),
            Err(why) => import.problem(line, why),
        }
    }
    import
}

/// RFC 4180 records, each with the line it starts on. A quote left open ends the file
/// with one bad record.
fn csv_records(text: &str) -> Vec<(usize, Result<Vec<String>, String>)> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                let record = std::mem::take(&mut fields);
                if record.len() > 1 || !record[0].is_empty() {
                    records.push((start_line, Ok(record)));
                }
                line += 1;
                start_line = line;
            }
            c => field.push(c),
        }
    }
    if quoted {
        records.push((start_line, Err("a quoted field is not closed".to_string())));
    } else if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start_line, Ok(fields)));
    }
    records
}

/// A log entry from the fields of one exported message.
fn entry_of(fields: &Map<String, Value>) -> Result<ImportedEntry, String> {
    let at_ms = fields
        .get("time_ms")
        .and_then(Value::as_f64)
        .ok_or("time_ms is missing or not a number")?;
    let direction = match fields.get("direction").and_then(Value::as_str) {
        Some("in") => Direction::In,
        Some("out") => Direction::Out,
        _ => return Err("direction must be \"in\" or \"out\"".to_string()),
    };
    let topic = fields
        .get("topic")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("topic is missing or empty")?;
    let qos = fields
        .get("qos")
        .and_then(Value::as_u64)
        .and_then(|q| u8::try_from(q).ok())
        .and_then(QoS::from_u8)
        .ok_or("qos must be 0, 1 or 2")?;
    let retain = match fields.get("retain") {
        None => false,
        Some(v) => v.as_bool().ok_or("retain must be true or false")?,
    };
    let payload = fields
        .get("payload_base64")
        .and_then(Value::as_str)
        .and_then(base64::decode)
        .ok_or("payload_base64 is missing or not base64")?;
    let properties = match fields.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(properties_of(p)?),
        Some(_) => return Err("properties must be an object".to_string()),
    };
    Ok(ImportedEntry {
        at_ms,
        direction,
        body: Body::Message {
            topic: topic.to_string(),
            qos,
            retain,
            payload: Bytes::from(payload),
            properties: properties.filter(|p| !p.is_empty()).map(Box::new),
        },
    })
}

fn properties_of(p: &Map<String, Value>) -> Result<PublishProperties, String> {
    fn number<T: TryFrom<u64>>(p: &Map<String, Value>, name: &str) -> Result<Option<T>, String> {
        p.get(name)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| T::try_from(n).ok())
                    .ok_or_else(|| format!("properties.{name} is not a number in range"))
            })
            .transpose()
    }
    fn text(p: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
        p.get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("properties.{name} is not a string"))
            })
            .transpose()
    }
    let correlation_data = text(p, "correlation_data_base64")?
        .map(|t| base64::decode(&t).ok_or("properties.correlation_data_base64 is not base64"))
        .transpose()?
        .map(Bytes::from);
    let user_properties = match p.get("user_properties") {
        None => Vec::new(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
                _ => Err("properties.user_properties must be [name, value] pairs".to_string()),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("properties.user_properties must be a list".to_string()),
    };
    let subscription_identifiers = match p.get("subscription_identifiers") {
        None => Vec::new(),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| {
                id.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("properties.subscription_identifiers must be numbers".to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("properties.subscription_identifiers must be a list".to_string()),
    };
    Ok(PublishProperties {
        payload_format_indicator: number(p, "payload_format_indicator")?,
        message_expiry_interval: number(p, "message_expiry_interval")?,
        content_type: text(p, "content_type")?,
        response_topic: text(p, "response_topic")?,
        correlation_data,
        user_properties,
        subscription_identifiers,
        topic_alias: number(p, "topic_alias")?,
    })
}

#[cfg(test)]
mod tests;
