//! Actions: what a smart object takes on `device/<id>/action`.
//!
//! `{"action":"light","value":"on"}` (or `"off"`, `"toggle"`),
//! `{"action":"brightness","value":40}` (a whole number from 0 to 100),
//! `{"action":"reset"}`. Anything else is refused with an [`ActionError`] that says why and
//! what would have worked; the smart object publishes it as an `error` event.

use serde_json::{json, Map, Value};

use crate::decode::{describe, json_value, quote, DecodeError};

/// The three positions of the light switch an action can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
    /// On if off, off if on.
    Toggle,
}

/// One command for a smart object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Light(Switch),
    /// 0 to 100 %.
    Brightness(u8),
    /// Light off, brightness back to its default.
    Reset,
}

const LIGHT_VALUES: &str = "\"on\", \"off\" or \"toggle\"";
const BRIGHTNESS_VALUES: &str = "a whole number from 0 to 100";

/// Why a payload is not an action. Each message says what would have worked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// Not UTF-8, not JSON, not an object, or no `action` string.
    #[error(transparent)]
    Payload(#[from] DecodeError),
    #[error("unknown action {found}: the device knows \"light\", \"brightness\" and \"reset\"")]
    UnknownAction { found: String },
    #[error("the \"{action}\" action needs a \"value\": {expected}")]
    MissingValue {
        action: &'static str,
        expected: &'static str,
    },
    #[error("the \"{action}\" action takes {expected}, not {found}")]
    BadValue {
        action: &'static str,
        expected: &'static str,
        found: String,
    },
}

impl Action {
    /// Reads an action; unknown fields are ignored.
    pub fn from_json(payload: &[u8]) -> Result<Self, ActionError> {
        const EXPECTED: &str = "an \"action\" (and its \"value\")";
        let value = json_value(payload, EXPECTED)?;
        let Value::Object(object) = value else {
            return Err(DecodeError::NotAnObject {
                found: describe(&value),
                expected: EXPECTED,
            }
            .into());
        };
        let name = match object.get("action") {
            Some(Value::String(name)) => name.as_str(),
            Some(other) => {
                return Err(DecodeError::WrongType {
                    field: "action",
                    expected: "a string",
                    found: quote(other),
                }
                .into())
            }
            None => return Err(DecodeError::MissingField { field: "action" }.into()),
        };
        match name {
            "light" => light(&object),
            "brightness" => brightness(&object),
            "reset" => Ok(Action::Reset),
            _ => Err(ActionError::UnknownAction {
                found: quote(&Value::from(name)),
            }),
        }
    }

    /// The JSON form: `{"action":"light","value":"on"}`, `{"action":"reset"}`, …
    pub fn to_json(&self) -> String {
        let value = match self {
            Action::Light(switch) => json!({ "action": "light", "value": switch.name() }),
            Action::Brightness(level) => json!({ "action": "brightness", "value": level }),
            Action::Reset => json!({ "action": "reset" }),
        };
        value.to_string()
    }
}

impl Switch {
    /// `on`, `off`, `toggle`: as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Switch::On => "on",
            Switch::Off => "off",
            Switch::Toggle => "toggle",
        }
    }
}

fn light(object: &Map<String, Value>) -> Result<Action, ActionError> {
    let bad = |found: &Value| ActionError::BadValue {
        action: "light",
        expected: LIGHT_VALUES,
        found: quote(found),
    };
    match object.get("value") {
        None => Err(ActionError::MissingValue {
            action: "light",
            expected: LIGHT_VALUES,
        }),
        Some(Value::String(value)) => match value.as_str() {
            "on" => Ok(Action::Light(Switch::On)),
            "off" => Ok(Action::Light(Switch::Off)),
            "toggle" => Ok(Action::Light(Switch::Toggle)),
            _ => Err(bad(&Value::from(value.as_str()))),
        },
        Some(other) => Err(bad(other)),
    }
}

fn brightness(object: &Map<String, Value>) -> Result<Action, ActionError> {
    let Some(value) = object.get("value") else {
        return Err(ActionError::MissingValue {
            action: "brightness",
            expected: BRIGHTNESS_VALUES,
        });
    };
    // 40 and 40.0 alike: JavaScript has one number type, and either may arrive.
    match value.as_f64() {
        Some(level) if (0.0..=100.0).contains(&level) && level.fract() == 0.0 => {
            Ok(Action::Brightness(level as u8))
        }
        _ => Err(ActionError::BadValue {
            action: "brightness",
            expected: BRIGHTNESS_VALUES,
            found: quote(value),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Action, ActionError> {
        Action::from_json(json.as_bytes())
    }

    fn error(json: &str) -> String {
        parse(json).expect_err(json).to_string()
    }

    #[test]
    fn every_action_reads_and_writes_its_json_form() {
        for (json, action) in [
            (
                r#"{"action":"light","value":"on"}"#,
                Action::Light(Switch::On),
            ),
            (
                r#"{"action":"light","value":"off"}"#,
                Action::Light(Switch::Off),
            ),
            (
                r#"{"action":"light","value":"toggle"}"#,
                Action::Light(Switch::Toggle),
            ),
            (
                r#"{"action":"brightness","value":40}"#,
                Action::Brightness(40),
            ),
            (r#"{"action":"reset"}"#, Action::Reset),
        ] {
            assert_eq!(parse(json), Ok(action), "{json}");
            assert_eq!(action.to_json(), json);
        }
    }

    #[test]
    fn brightness_takes_both_ends_and_whole_floats() {
        assert_eq!(
            parse(r#"{"action":"brightness","value":0}"#),
            Ok(Action::Brightness(0))
        );
        assert_eq!(
            parse(r#"{"value":100.0,"action":"brightness"}"#),
            Ok(Action::Brightness(100))
        );
    }

    #[test]
    fn bad_actions_say_what_would_have_worked() {
        assert_eq!(
            error(r#"{"action":"fly"}"#),
            "unknown action \"fly\": the device knows \"light\", \"brightness\" and \"reset\""
        );
        assert_eq!(
            error(r#"{"action":"light"}"#),
            "the \"light\" action needs a \"value\": \"on\", \"off\" or \"toggle\""
        );
        assert_eq!(
            error(r#"{"action":"light","value":true}"#),
            "the \"light\" action takes \"on\", \"off\" or \"toggle\", not true"
        );
        assert_eq!(
            error(r#"{"action":"brightness","value":150}"#),
            "the \"brightness\" action takes a whole number from 0 to 100, not 150"
        );
        assert!(error(r#"{"action":"brightness","value":2.5}"#).ends_with("not 2.5"));
        assert!(error(r#"{"action":"brightness","value":-1}"#).ends_with("not -1"));
    }

    #[test]
    fn payloads_that_are_no_action_at_all_are_explained() {
        assert_eq!(
            error(r#"{"value":"on"}"#),
            "the JSON has no \"action\" field"
        );
        assert_eq!(
            error(r#"{"action":1}"#),
            "field \"action\" should be a string, not 1"
        );
        assert_eq!(
            error("\"on\""),
            "the payload is the string \"on\", not a JSON object with an \"action\" (and its \"value\")"
        );
        assert!(error("light on").starts_with("the payload is not JSON: "));
        assert!(error("").starts_with("the payload is empty"));
        assert!(matches!(
            parse("\u{0}\u{0}").unwrap_err(),
            ActionError::Payload(DecodeError::NotJson { .. })
        ));
    }
}
