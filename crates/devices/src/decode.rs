//! Turning a payload into one of the crate's JSON types, with an error that says what is
//! wrong in a sentence.
//!
//! serde alone would say "invalid type: string \"hot\", expected f64 at line 1 column 40"
//! and leave the reader to find the field. So the payload is first read as a
//! [`serde_json::Value`] and checked against a small table of fields (which ones are
//! required, what kind each holds); only a payload that passes goes through serde. The
//! table sits beside each type, and the round-trip tests keep the two in step.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a payload is not the JSON this crate expected. Each message is a sentence a user can
/// act on, naming the field and quoting the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("the payload is empty; expected a JSON object with {expected}")]
    Empty { expected: &'static str },
    #[error("the payload is not UTF-8 text (byte {offset} is not valid UTF-8)")]
    NotUtf8 { offset: usize },
    #[error("the payload is not JSON: {detail}")]
    NotJson { detail: String },
    #[error("the payload is {found}, not a JSON object with {expected}")]
    NotAnObject {
        found: String,
        expected: &'static str,
    },
    #[error("the JSON has no \"{field}\" field")]
    MissingField { field: &'static str },
    #[error("field \"{field}\" should be {expected}, not {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: String,
    },
}

/// What one field holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A whole number `>= 0` that fits a `u64` (timestamps).
    Unsigned,
    /// Any JSON number.
    Number,
    String,
    /// An array of strings.
    Strings,
    /// Anything at all (the event's value).
    Any,
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Unsigned => value.is_u64(),
            Kind::Number => value.is_number(),
            Kind::String => value.is_string(),
            Kind::Strings => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            Kind::Any => true,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Unsigned => "a whole number of milliseconds (0 or more)",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Strings => "an array of strings",
            Kind::Any => "any JSON value",
        }
    }
}

/// One field of a JSON object: its name, what it holds, whether it may be left out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
}

impl Field {
    pub(crate) const fn required(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            required: true,
        }
    }

    pub(crate) const fn optional(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            required: false,
        }
    }
}

/// Reads `payload` as a JSON object with `fields` (`expected` names them for messages, e.g.
/// "timestamp, type and value"). Unknown fields are ignored, so a producer may add its own.
pub(crate) fn decode<T: DeserializeOwned>(
    payload: &[u8],
    fields: &[Field],
    expected: &'static str,
) -> Result<T, DecodeError> {
    let value = json_value(payload, expected)?;
    let Some(object) = value.as_object() else {
        return Err(DecodeError::NotAnObject {
            found: describe(&value),
            expected,
        });
    };
    for field in fields {
        match object.get(field.name) {
            None | Some(Value::Null) if !field.required => {}
            None => return Err(DecodeError::MissingField { field: field.name }),
            Some(found) if !field.kind.accepts(found) => {
                return Err(DecodeError::WrongType {
                    field: field.name,
                    expected: field.kind.expected(),
                    found: quote(found),
                })
            }
            Some(_) => {}
        }
    }
    // The table accepted it, so serde will too; should the two ever disagree, serde's own
    // words are still better than a panic.
    serde_json::from_value(value).map_err(|error| DecodeError::NotJson {
        detail: error.to_string(),
    })
}

/// The payload as UTF-8 JSON: the first two of the three ways a payload can be wrong.
pub(crate) fn json_value(payload: &[u8], expected: &'static str) -> Result<Value, DecodeError> {
    let text = std::str::from_utf8(payload).map_err(|error| DecodeError::NotUtf8 {
        offset: error.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(DecodeError::Empty { expected });
    }
    serde_json::from_str(text).map_err(|error| DecodeError::NotJson {
        detail: error.to_string(),
    })
}

/// `the number 21.5`, `the string "hot"`, `an array`: what a non-object payload is.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            let kind = match value {
                Value::Bool(_) => "the boolean",
                Value::Number(_) => "the number",
                _ => "the string",
            };
            format!("{kind} {}", quote(value))
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// The value as JSON text, cut to a readable length.
pub(crate) fn quote(value: &Value) -> String {
    const LIMIT: usize = 40;
    let text = value.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
