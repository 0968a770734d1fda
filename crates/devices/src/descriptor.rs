//! The seed's two JSON classes: `MessageDescriptor` (a reading) and `DeviceDescriptor` (what a
//! device is). The crate docs show their JSON forms.

use serde::{Deserialize, Serialize};

use crate::decode::{decode, DecodeError, Field, Kind};

/// One sensor reading, the seed's `MessageDescriptor`:
/// `{"timestamp":1732240000000,"type":"temperature","value":21.5}`.
///
/// A non-finite `value` (NaN, infinity) has no JSON form: it is written as `null`, which
/// [`MessageDescriptor::from_json`] then refuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageDescriptor {
    /// When the reading was taken, in Unix milliseconds.
    pub timestamp: u64,
    /// What was measured: `"temperature"`, `"humidity"`, …
    pub r#type: String,
    pub value: f64,
}

impl MessageDescriptor {
    const FIELDS: [Field; 3] = [
        Field::required("timestamp", Kind::Unsigned),
        Field::required("type", Kind::String),
        Field::required("value", Kind::Number),
    ];

    pub fn new(timestamp: u64, r#type: impl Into<String>, value: f64) -> Self {
        Self {
            timestamp,
            r#type: r#type.into(),
            value,
        }
    }

    /// The JSON form, fields in the order shown above.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// Reads the JSON form; unknown fields are ignored.
    pub fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        decode(payload, &Self::FIELDS, "timestamp, type and value")
    }
}

/// What a device is, the seed's `DeviceDescriptor`, published retained on
/// `device/<id>/info`:
/// `{"device_id":"lab-device-1","producer":"mqtt-playground","software_version":"0.1.0",
/// "device_type":"smart-object","resources":["temperature","humidity","light","brightness"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDescriptor {
    pub device_id: String,
    /// Who made it.
    pub producer: String,
    pub software_version: String,
    pub device_type: String,
    /// The names of its resources (sensors and actuators).
    pub resources: Vec<String>,
}

impl DeviceDescriptor {
    const FIELDS: [Field; 5] = [
        Field::required("device_id", Kind::String),
        Field::required("producer", Kind::String),
        Field::required("software_version", Kind::String),
        Field::required("device_type", Kind::String),
        Field::required("resources", Kind::Strings),
    ];

    /// The JSON form, fields in the order shown above.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// Reads the JSON form; unknown fields are ignored.
    pub fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        decode(
            payload,
            &Self::FIELDS,
            "device_id, producer, software_version, device_type and resources",
        )
    }
}

/// serde_json fails only for maps with non-string keys and for serializers that fail; the
/// crate's types have neither.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("strings, numbers and arrays always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    const READING: &str = r#"{"timestamp":1732240000000,"type":"temperature","value":21.5}"#;
    const INFO: &str = r#"{"device_id":"d1","producer":"acme","software_version":"1.2.0","device_type":"thermostat","resources":["temperature","light"]}"#;

    fn info() -> DeviceDescriptor {
        DeviceDescriptor {
            device_id: "d1".into(),
            producer: "acme".into(),
            software_version: "1.2.0".into(),
            device_type: "thermostat".into(),
            resources: vec!["temperature".into(), "light".into()],
        }
    }

    fn message_error(payload: &str) -> String {
        MessageDescriptor::from_json(payload.as_bytes())
            .expect_err(payload)
            .to_string()
    }

    #[test]
    fn a_reading_has_exactly_the_seeds_json_form_both_ways() {
        let reading = MessageDescriptor::new(1_732_240_000_000, "temperature", 21.5);
        assert_eq!(reading.to_json(), READING);
        assert_eq!(
            MessageDescriptor::from_json(READING.as_bytes()),
            Ok(reading)
        );
    }

    #[test]
    fn whole_readings_and_extra_fields_are_accepted() {
        let json = r#"{"value":21,"type":"t","timestamp":0,"unit":"C"}"#;
        let reading = MessageDescriptor::from_json(json.as_bytes()).expect("valid");
        assert_eq!(reading, MessageDescriptor::new(0, "t", 21.0));
        assert_eq!(
            reading.to_json(),
            r#"{"timestamp":0,"type":"t","value":21.0}"#
        );
    }

    #[test]
    fn a_device_descriptor_has_exactly_its_json_form_both_ways() {
        assert_eq!(info().to_json(), INFO);
        assert_eq!(DeviceDescriptor::from_json(INFO.as_bytes()), Ok(info()));
    }

    #[test]
    fn a_payload_that_is_not_text_or_not_json_says_so() {
        let not_utf8 = MessageDescriptor::from_json(&[b'{', 0xff, b'}']).unwrap_err();
        assert_eq!(not_utf8, DecodeError::NotUtf8 { offset: 1 });
        assert_eq!(
            not_utf8.to_string(),
            "the payload is not UTF-8 text (byte 1 is not valid UTF-8)"
        );
        assert!(message_error("{\"timestamp\":").starts_with("the payload is not JSON: "));
        assert_eq!(
            message_error(" "),
            "the payload is empty; expected a JSON object with timestamp, type and value"
        );
    }

    #[test]
    fn a_bare_number_from_the_first_exercise_is_named_for_what_it_is() {
        assert_eq!(
            message_error("21.5"),
            "the payload is the number 21.5, not a JSON object with timestamp, type and value"
        );
        assert!(message_error("[1]").starts_with("the payload is an array, not"));
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            message_error(r#"{"timestamp":1,"type":"temperature"}"#),
            "the JSON has no \"value\" field"
        );
        let no_resources =
            r#"{"device_id":"d","producer":"p","software_version":"1","device_type":"t"}"#;
        assert_eq!(
            DeviceDescriptor::from_json(no_resources.as_bytes()).unwrap_err(),
            DecodeError::MissingField { field: "resources" }
        );
    }

    #[test]
    fn wrong_types_name_the_field_the_expectation_and_the_value() {
        assert_eq!(
            message_error(r#"{"timestamp":1,"type":"temperature","value":"hot"}"#),
            "field \"value\" should be a number, not \"hot\""
        );
        assert_eq!(
            message_error(r#"{"timestamp":-5,"type":"t","value":1}"#),
            "field \"timestamp\" should be a whole number of milliseconds (0 or more), not -5"
        );
        assert_eq!(
            message_error(r#"{"timestamp":1,"type":7,"value":1}"#),
            "field \"type\" should be a string, not 7"
        );
        let mixed = INFO.replace(r#""light""#, "3");
        assert_eq!(
            DeviceDescriptor::from_json(mixed.as_bytes())
                .unwrap_err()
                .to_string(),
            "field \"resources\" should be an array of strings, not [\"temperature\",3]"
        );
    }

    #[test]
    fn long_offending_values_are_cut_short() {
        let long = format!(
            r#"{{"timestamp":1,"type":"t","value":"{}"}}"#,
            "x".repeat(100)
        );
        let text = message_error(&long);
        assert!(text.ends_with("xxx…"), "{text}");
        assert!(text.len() < 100, "{text}");
    }
}
