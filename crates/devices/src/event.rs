//! Events: what a smart object says about itself on `device/<id>/event`, retained so a
//! consumer that connects later still learns the latest one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::{decode, DecodeError, Field, Kind};
use crate::descriptor::to_json;

/// `{"timestamp":1732240000000,"type":"light","value":"on","message":"light switched on"}`.
///
/// `type` says what happened (`status`, `light`, `brightness`, `reset`, `error`), `value` is
/// the new state (a string or a number), `message` says it in words. A last will has neither
/// timestamp nor message (`{"type":"status","value":"offline"}`): the broker sends it at a
/// time the device cannot know; absent fields are left out of the JSON, not written `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    pub r#type: String,
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl DeviceEvent {
    const FIELDS: [Field; 4] = [
        Field::optional("timestamp", Kind::Unsigned),
        Field::required("type", Kind::String),
        Field::required("value", Kind::Any),
        Field::optional("message", Kind::String),
    ];

    /// An event at `timestamp` (Unix ms), with its message.
    pub fn new(
        timestamp: u64,
        r#type: impl Into<String>,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            timestamp: Some(timestamp),
            r#type: r#type.into(),
            value: value.into(),
            message: Some(message.into()),
        }
    }

    /// The last will of a device: `{"type":"status","value":"offline"}`.
    pub fn offline() -> Self {
        Self {
            timestamp: None,
            r#type: "status".into(),
            value: "offline".into(),
            message: None,
        }
    }

    /// The JSON form, fields in the order shown above.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// Reads the JSON form; unknown fields are ignored.
    pub fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        decode(payload, &Self::FIELDS, "type and value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_has_exactly_its_json_form_both_ways() {
        let json = r#"{"timestamp":1732240000000,"type":"light","value":"on","message":"light switched on"}"#;
        let event = DeviceEvent::new(1_732_240_000_000, "light", "on", "light switched on");
        assert_eq!(event.to_json(), json);
        assert_eq!(DeviceEvent::from_json(json.as_bytes()), Ok(event));
    }

    #[test]
    fn numeric_values_stay_whole_numbers() {
        let event = DeviceEvent::new(1, "brightness", 40, "brightness set to 40 %");
        assert_eq!(
            event.to_json(),
            r#"{"timestamp":1,"type":"brightness","value":40,"message":"brightness set to 40 %"}"#
        );
    }

    #[test]
    fn the_last_will_leaves_out_what_it_cannot_know() {
        let json = r#"{"type":"status","value":"offline"}"#;
        assert_eq!(DeviceEvent::offline().to_json(), json);
        assert_eq!(
            DeviceEvent::from_json(json.as_bytes()),
            Ok(DeviceEvent::offline())
        );
    }

    #[test]
    fn an_event_without_a_value_or_with_a_bad_timestamp_is_refused() {
        let error = |json: &str| DeviceEvent::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(
            error(r#"{"type":"light"}"#),
            DecodeError::MissingField { field: "value" }
        );
        assert_eq!(
            error(r#"{"timestamp":"now","type":"light","value":1}"#).to_string(),
            "field \"timestamp\" should be a whole number of milliseconds (0 or more), not \"now\""
        );
    }
}
