//! The client view's connection form as typed — everything but the password — and its JSON
//! form, shared by saved profiles and share links.
//!
//! The JSON holds only the fields that differ from the defaults (a share link stays short,
//! and a profile saved today still reads after a field is added); reading starts from the
//! defaults, ignores unknown fields and names the field that has the wrong type. There is no
//! password field: the form's password lives in `BrokerPrefs` only, so no JSON made here can
//! carry one.

use mqtt_session::ProtocolVersion;
use serde_json::{Map, Value};

use super::properties::{ConnectFields, MessageFields, WillFields};

/// What the connection form holds, the password excepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectForm {
    pub url: String,
    pub username: String,
    pub protocol: ProtocolVersion,
    /// Empty: keep the client id the page made up.
    pub client_id: String,
    /// Seconds, as typed.
    pub keep_alive: String,
    pub clean_session: bool,
    /// MQTT 5 CONNECT properties.
    pub connect: ConnectFields,
    pub will: WillFields,
}

impl Default for ConnectForm {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            protocol: ProtocolVersion::V311,
            client_id: String::new(),
            keep_alive: "60".to_string(),
            clean_session: true,
            connect: ConnectFields::default(),
            will: WillFields::default(),
        }
    }
}

/// A JSON document that is not the form it should be, as a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("it is not JSON ({0})")]
    NotJson(String),
    #[error("field \"{field}\" should be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("field \"{field}\" is missing")]
    Missing { field: &'static str },
    #[error("field \"{field}\": {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

/// Parses `text` as JSON.
pub fn parse_json(text: &str) -> Result<Value, FormatError> {
    serde_json::from_str(text).map_err(|e| FormatError::NotJson(e.to_string()))
}

/// The JSON text of `value` (compact).
pub fn json_text(value: &Value) -> String {
    value.to_string()
}

/// Reads typed fields out of one JSON object; `path` prefixes field names in errors.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// `value` as an object (`what` names it in the error).
    pub fn of(value: &'a Value, path: &'a str) -> Result<Self, FormatError> {
        match value.as_object() {
            Some(object) => Ok(Self { object, path }),
            None => Err(FormatError::WrongType {
                field: if path.is_empty() {
                    "(the document)".to_string()
                } else {
                    path.to_string()
                },
                expected: "an object",
            }),
        }
    }

    fn name(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    fn wrong(&self, field: &str, expected: &'static str) -> FormatError {
        FormatError::WrongType {
            field: self.name(field),
            expected,
        }
    }

    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    /// Overwrites `into` with the text field, if present.
    pub fn text(&self, field: &str, into: &mut String) -> Result<(), FormatError> {
        match self.get(field) {
            None => Ok(()),
            Some(Value::String(s)) => {
                into.clone_from(s);
                Ok(())
            }
            Some(_) => Err(self.wrong(field, "text")),
        }
    }

    pub fn flag(&self, field: &str, into: &mut bool) -> Result<(), FormatError> {
        match self.get(field) {
            None => Ok(()),
            Some(Value::Bool(b)) => {
                *into = *b;
                Ok(())
            }
            Some(_) => Err(self.wrong(field, "true or false")),
        }
    }

    /// A QoS: 0, 1 or 2.
    pub fn qos(&self, field: &str, into: &mut u8) -> Result<(), FormatError> {
        match self.get(field) {
            None => Ok(()),
            Some(v) => match v.as_u64().filter(|n| *n <= 2) {
                Some(n) => {
                    *into = n as u8;
                    Ok(())
                }
                None => Err(self.wrong(field, "a whole number from 0 to 2")),
            },
        }
    }

    pub fn object(&self, field: &'a str) -> Result<Option<Fields<'a>>, FormatError> {
        self.get(field)
            .map(|v| match v.as_object() {
                Some(object) => Ok(Fields {
                    object,
                    path: field,
                }),
                None => Err(self.wrong(field, "an object")),
            })
            .transpose()
    }

    pub fn array(&self, field: &str) -> Result<&'a [Value], FormatError> {
        match self.get(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.wrong(field, "a list")),
        }
    }
}

/// Builds a JSON object of the fields that differ from their defaults.
#[derive(Default)]
pub struct Writer(Map<String, Value>);

impl Writer {
    pub fn text(mut self, field: &str, value: &str, default: &str) -> Self {
        if value != default {
            self.0.insert(field.into(), Value::from(value));
        }
        self
    }

    pub fn flag(mut self, field: &str, value: bool, default: bool) -> Self {
        if value != default {
            self.0.insert(field.into(), Value::from(value));
        }
        self
    }

    pub fn number(mut self, field: &str, value: u8, default: u8) -> Self {
        if value != default {
            self.0.insert(field.into(), Value::from(value));
        }
        self
    }

    /// Adds `object` unless it is empty.
    pub fn object(mut self, field: &str, object: Map<String, Value>) -> Self {
        if !object.is_empty() {
            self.0.insert(field.into(), Value::Object(object));
        }
        self
    }

    /// Adds any value as it is.
    pub fn value(mut self, field: &str, value: Value) -> Self {
        self.0.insert(field.into(), value);
        self
    }

    pub fn done(self) -> Map<String, Value> {
        self.0
    }
}

fn message_to_json(m: &MessageFields) -> Map<String, Value> {
    let d = MessageFields::default();
    Writer::default()
        .text("content_type", &m.content_type, &d.content_type)
        .text("response_topic", &m.response_topic, &d.response_topic)
        .text("correlation_data", &m.correlation_data, &d.correlation_data)
        .text("message_expiry", &m.message_expiry, &d.message_expiry)
        .flag("utf8", m.utf8, d.utf8)
        .text("user_properties", &m.user_properties, &d.user_properties)
        .done()
}

fn message_from_json(f: &Fields, m: &mut MessageFields) -> Result<(), FormatError> {
    f.text("content_type", &mut m.content_type)?;
    f.text("response_topic", &mut m.response_topic)?;
    f.text("correlation_data", &mut m.correlation_data)?;
    f.text("message_expiry", &mut m.message_expiry)?;
    f.flag("utf8", &mut m.utf8)?;
    f.text("user_properties", &mut m.user_properties)
}

impl ConnectForm {
    /// The JSON object of the fields that differ from [`ConnectForm::default`].
    pub fn to_json(&self) -> Map<String, Value> {
        let d = ConnectForm::default();
        let (c, dc) = (&self.connect, &d.connect);
        let connect = Writer::default()
            .text("session_expiry", &c.session_expiry, &dc.session_expiry)
            .text("receive_maximum", &c.receive_maximum, &dc.receive_maximum)
            .text(
                "topic_alias_maximum",
                &c.topic_alias_maximum,
                &dc.topic_alias_maximum,
            )
            .flag(
                "request_problem_information",
                c.request_problem_information,
                dc.request_problem_information,
            )
            .text("user_properties", &c.user_properties, &dc.user_properties)
            .done();
        let (w, dw) = (&self.will, &d.will);
        let will = Writer::default()
            .text("topic", &w.topic, &dw.topic)
            .text("payload", &w.payload, &dw.payload)
            .number("qos", w.qos, dw.qos)
            .flag("retain", w.retain, dw.retain)
            .text("delay", &w.delay, &dw.delay)
            .object("message", message_to_json(&w.message))
            .done();
        Writer::default()
            .text("url", &self.url, &d.url)
            .text("username", &self.username, &d.username)
            .text(
                "protocol",
                &self.protocol.to_string(),
                &d.protocol.to_string(),
            )
            .text("client_id", &self.client_id, &d.client_id)
            .text("keep_alive", &self.keep_alive, &d.keep_alive)
            .flag("clean_session", self.clean_session, d.clean_session)
            .object("connect", connect)
            .object("will", will)
            .done()
    }

    /// Reads what [`ConnectForm::to_json`] wrote; missing fields keep their defaults.
    pub fn from_json(f: &Fields) -> Result<Self, FormatError> {
        let mut form = ConnectForm::default();
        f.text("url", &mut form.url)?;
        f.text("username", &mut form.username)?;
        let mut protocol = String::new();
        f.text("protocol", &mut protocol)?;
        form.protocol = match protocol.as_str() {
            "" | "3.1.1" => ProtocolVersion::V311,
            "5" => ProtocolVersion::V5,
            other => {
                return Err(FormatError::Invalid {
                    field: "protocol",
                    problem: format!("'{other}' is neither \"3.1.1\" nor \"5\""),
                })
            }
        };
        f.text("client_id", &mut form.client_id)?;
        f.text("keep_alive", &mut form.keep_alive)?;
        f.flag("clean_session", &mut form.clean_session)?;
        if let Some(c) = f.object("connect")? {
            let connect = &mut form.connect;
            c.text("session_expiry", &mut connect.session_expiry)?;
            c.text("receive_maximum", &mut connect.receive_maximum)?;
            c.text("topic_alias_maximum", &mut connect.topic_alias_maximum)?;
            c.flag(
                "request_problem_information",
                &mut connect.request_problem_information,
            )?;
            c.text("user_properties", &mut connect.user_properties)?;
        }
        if let Some(w) = f.object("will")? {
            let will = &mut form.will;
            w.text("topic", &mut will.topic)?;
            w.text("payload", &mut will.payload)?;
            w.qos("qos", &mut will.qos)?;
            w.flag("retain", &mut will.retain)?;
            w.text("delay", &mut will.delay)?;
            if let Some(m) = w.object("message")? {
                message_from_json(&m, &mut will.message)?;
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A form with every field away from its default.
    pub(crate) fn full_form() -> ConnectForm {
        ConnectForm {
            url: "wss://broker.example:8884/mqtt".into(),
            username: "teacher".into(),
            protocol: ProtocolVersion::V5,
            client_id: "class-1".into(),
            keep_alive: "45".into(),
            clean_session: false,
            connect: ConnectFields {
                session_expiry: "3600".into(),
                receive_maximum: "10".into(),
                topic_alias_maximum: "0".into(),
                request_problem_information: false,
                user_properties: "room=B12\nlesson=3".into(),
            },
            will: WillFields {
                topic: "class/1/status".into(),
                payload: "offline \"é\"".into(),
                qos: 1,
                retain: true,
                delay: "5".into(),
                message: MessageFields {
                    content_type: "text/plain".into(),
                    response_topic: "r".into(),
                    correlation_data: "c".into(),
                    message_expiry: "60".into(),
                    utf8: true,
                    user_properties: "a=b".into(),
                },
            },
        }
    }

    fn round_trip(form: &ConnectForm) -> ConnectForm {
        let text = json_text(&Value::Object(form.to_json()));
        let value = parse_json(&text).unwrap();
        ConnectForm::from_json(&Fields::of(&value, "").unwrap()).unwrap()
    }

    #[test]
    fn every_field_survives_a_round_trip() {
        let form = full_form();
        assert_eq!(round_trip(&form), form);
    }

    #[test]
    fn defaults_are_left_out_and_come_back() {
        assert!(ConnectForm::default().to_json().is_empty());
        assert_eq!(round_trip(&ConnectForm::default()), ConnectForm::default());
        let form = ConnectForm {
            keep_alive: "30".into(),
            ..ConnectForm::default()
        };
        assert_eq!(
            json_text(&Value::Object(form.to_json())),
            r#"{"keep_alive":"30"}"#
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_wrong_types_named() {
        let read = |text: &str| {
            let value = parse_json(text)?;
            ConnectForm::from_json(&Fields::of(&value, "")?)
        };
        assert_eq!(
            read(r#"{"url":"ws://h/mqtt","colour":"blue"}"#)
                .unwrap()
                .url,
            "ws://h/mqtt"
        );
        assert_eq!(
            read(r#"{"keep_alive":60}"#).unwrap_err().to_string(),
            "field \"keep_alive\" should be text"
        );
        assert_eq!(
            read(r#"{"will":{"qos":3}}"#).unwrap_err().to_string(),
            "field \"will.qos\" should be a whole number from 0 to 2"
        );
        assert_eq!(
            read(r#"{"protocol":"4"}"#).unwrap_err().to_string(),
            "field \"protocol\": '4' is neither \"3.1.1\" nor \"5\""
        );
        assert_eq!(
            read("[1]").unwrap_err().to_string(),
            "field \"(the document)\" should be an object"
        );
        assert!(matches!(read("{"), Err(FormatError::NotJson(_))));
    }
}
