//! The MQTT 5 fields of the client view's forms (connect, last will, publish, subscribe) as
//! the user typed them, and their checked conversion into the session's property types.
//! Empty fields mean "not set"; every error says which field and what is wrong.

use bytes::Bytes;
use mqtt_session::topic::validate_topic_name;
use mqtt_session::{
    ConnectProperties, LastWill, PublishProperties, QoS, RetainHandling, SubscribeProperties,
    Subscription, UserProperty, WillProperties,
};

/// A field the user filled in wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

fn error(field: &'static str, problem: impl Into<String>) -> FieldError {
    FieldError {
        field,
        problem: problem.into(),
    }
}

/// `name=value`, one per line; blank lines are skipped, a name may repeat (MQTT keeps
/// user properties in order, duplicates included). The first `=` splits name from value.
pub fn parse_user_properties(
    field: &'static str,
    text: &str,
) -> Result<Vec<UserProperty>, FieldError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(error(field, format!("'{line}' is not name=value"))),
        })
        .collect()
}

/// A whole number in `min..=max`, or `None` when the field is empty.
fn parse_number(
    field: &'static str,
    text: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(error(
            field,
            format!("enter a whole number from {min} to {max}, or leave it empty"),
        )),
    }
}

fn optional_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The properties of a message (publish panel, last will) as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFields {
    pub content_type: String,
    pub response_topic: String,
    /// Sent as its UTF-8 bytes.
    pub correlation_data: String,
    /// Seconds.
    pub message_expiry: String,
    /// Payload format indicator 1: the payload is UTF-8 text.
    pub utf8: bool,
    pub user_properties: String,
}

impl MessageFields {
    pub fn to_properties(&self) -> Result<PublishProperties, FieldError> {
        let response_topic = optional_text(&self.response_topic);
        if let Some(topic) = &response_topic {
            validate_topic_name(topic).map_err(|e| error("response topic", e.to_string()))?;
        }
        Ok(PublishProperties {
            payload_format_indicator: self.utf8.then_some(1),
            message_expiry_interval: parse_number(
                "message expiry",
                &self.message_expiry,
                0,
                u64::from(u32::MAX),
            )?
            .map(|n| n as u32),
            content_type: optional_text(&self.content_type),
            response_topic,
            correlation_data: optional_text(&self.correlation_data).map(Bytes::from),
            user_properties: parse_user_properties("user properties", &self.user_properties)?,
            subscription_identifiers: Vec::new(),
            topic_alias: None,
        })
    }
}

/// The MQTT 5 part of the connection form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFields {
    /// Seconds; empty: 0 with a clean session, "never" without.
    pub session_expiry: String,
    pub receive_maximum: String,
    pub topic_alias_maximum: String,
    pub request_problem_information: bool,
    pub user_properties: String,
}

impl Default for ConnectFields {
    fn default() -> Self {
        Self {
            session_expiry: String::new(),
            receive_maximum: String::new(),
            // Lets the broker shorten repeated topics; the session resolves them.
            topic_alias_maximum: "16".to_string(),
            request_problem_information: true,
            user_properties: String::new(),
        }
    }
}

impl ConnectFields {
    pub fn to_properties(&self) -> Result<ConnectProperties, FieldError> {
        Ok(ConnectProperties {
            session_expiry_interval: parse_number(
                "session expiry",
                &self.session_expiry,
                0,
                u64::from(u32::MAX),
            )?
            .map(|n| n as u32),
            receive_maximum: parse_number("receive maximum", &self.receive_maximum, 1, 65_535)?
                .map(|n| n as u16),
            topic_alias_maximum: parse_number(
                "topic alias maximum",
                &self.topic_alias_maximum,
                0,
                65_535,
            )?
            .map(|n| n as u16),
            // The default is 1: only say it when it is 0.
            request_problem_information: (!self.request_problem_information).then_some(false),
            user_properties: parse_user_properties(
                "connect user properties",
                &self.user_properties,
            )?,
        })
    }
}

/// The last will part of the connection form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WillFields {
    /// Empty: no will.
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
    /// Seconds (MQTT 5).
    pub delay: String,
    pub message: MessageFields,
}

impl WillFields {
    /// The will, if a topic is given. MQTT 5 properties are read only when `v5`.
    pub fn to_will(&self, v5: bool) -> Result<Option<LastWill>, FieldError> {
        let topic = self.topic.trim();
        if topic.is_empty() {
            return Ok(None);
        }
        validate_topic_name(topic).map_err(|e| error("will topic", e.to_string()))?;
        let properties = if v5 {
            WillProperties {
                delay_interval: parse_number("will delay", &self.delay, 0, u64::from(u32::MAX))?
                    .map(|n| n as u32),
                message: self.message.to_properties()?,
            }
        } else {
            WillProperties::default()
        };
        Ok(Some(LastWill {
            topic: topic.to_string(),
            payload: Bytes::from(self.payload.clone().into_bytes()),
            qos: QoS::from_u8(self.qos).unwrap_or(QoS::AtMostOnce),
            retain: self.retain,
            properties,
        }))
    }
}

/// The MQTT 5 options of the subscribe form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeFields {
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0, 1 or 2.
    pub retain_handling: u8,
    pub identifier: String,
}

impl SubscribeFields {
    pub fn to_subscription(
        &self,
        filter: &str,
        qos: QoS,
    ) -> Result<(Subscription, SubscribeProperties), FieldError> {
        let subscription = Subscription {
            filter: filter.to_string(),
            qos,
            no_local: self.no_local,
            retain_as_published: self.retain_as_published,
            retain_handling: match self.retain_handling {
                1 => RetainHandling::SendIfNew,
                2 => RetainHandling::DoNotSend,
                _ => RetainHandling::SendAtSubscribe,
            },
        };
        let properties = SubscribeProperties {
            subscription_identifier: parse_number(
                "subscription identifier",
                &self.identifier,
                1,
                268_435_455,
            )?
            .map(|n| n as u32),
            user_properties: Vec::new(),
        };
        Ok((subscription, properties))
    }
}

/// What a shared subscription filter means, for the hint under the subscribe form.
pub fn shared_subscription_hint(filter: &str) -> Option<String> {
    let rest = filter.trim().strip_prefix("$share/")?;
    let (group, topic_filter) = rest.split_once('/')?;
    Some(format!(
        "Shared subscription: every client subscribed with group '{group}' shares the messages \
         of '{topic_filter}' — each message goes to one of them (the broker balances the load)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_properties_are_name_value_lines_in_order_with_repeats() {
        assert_eq!(
            parse_user_properties("f", "a=1\n\n b = two=2 \na=3"),
            Ok(vec![
                ("a".into(), "1".into()),
                ("b".into(), "two=2".into()),
                ("a".into(), "3".into())
            ])
        );
        assert_eq!(
            parse_user_properties("f", "novalue")
                .unwrap_err()
                .to_string(),
            "f: 'novalue' is not name=value"
        );
        assert!(parse_user_properties("f", "=v").is_err());
    }

    #[test]
    fn empty_message_fields_are_no_properties() {
        assert!(MessageFields::default().to_properties().unwrap().is_empty());
    }

    #[test]
    fn message_fields_become_every_property() {
        let fields = MessageFields {
            content_type: "application/json".into(),
            response_topic: "reply/me".into(),
            correlation_data: "req-1".into(),
            message_expiry: "60".into(),
            utf8: true,
            user_properties: "unit=C".into(),
        };
        let p = fields.to_properties().unwrap();
        assert_eq!(p.content_type.as_deref(), Some("application/json"));
        assert_eq!(p.response_topic.as_deref(), Some("reply/me"));
        assert_eq!(p.correlation_data.as_deref(), Some(&b"req-1"[..]));
        assert_eq!(p.message_expiry_interval, Some(60));
        assert_eq!(p.payload_format_indicator, Some(1));
        assert_eq!(p.user_properties, vec![("unit".into(), "C".into())]);
    }

    #[test]
    fn bad_numbers_and_topics_name_their_field() {
        let fields = MessageFields {
            message_expiry: "-1".into(),
            ..MessageFields::default()
        };
        assert_eq!(fields.to_properties().unwrap_err().field, "message expiry");
        let fields = MessageFields {
            response_topic: "a/#".into(),
            ..MessageFields::default()
        };
        assert_eq!(fields.to_properties().unwrap_err().field, "response topic");
        let connect = ConnectFields {
            receive_maximum: "0".into(),
            ..ConnectFields::default()
        };
        assert_eq!(
            connect.to_properties().unwrap_err().field,
            "receive maximum"
        );
    }

    #[test]
    fn connect_fields_default_to_aliases_on_and_problem_information_unsaid() {
        let p = ConnectFields::default().to_properties().unwrap();
        assert_eq!(p.topic_alias_maximum, Some(16));
        assert_eq!(p.request_problem_information, None);
        assert_eq!(p.session_expiry_interval, None);
    }

    #[test]
    fn a_will_needs_a_topic_and_keeps_properties_only_under_mqtt_5() {
        assert_eq!(WillFields::default().to_will(true), Ok(None));
        let fields = WillFields {
            topic: "status/me".into(),
            payload: "offline".into(),
            qos: 1,
            retain: true,
            delay: "5".into(),
            message: MessageFields {
                content_type: "text/plain".into(),
                ..MessageFields::default()
            },
        };
        let will = fields.to_will(true).unwrap().unwrap();
        assert_eq!(will.qos, QoS::AtLeastOnce);
        assert_eq!(will.properties.delay_interval, Some(5));
        assert_eq!(
            will.properties.message.content_type.as_deref(),
            Some("text/plain")
        );
        let will = fields.to_will(false).unwrap().unwrap();
        assert_eq!(will.properties, WillProperties::default());
    }

    #[test]
    fn subscribe_options_and_identifier() {
        let fields = SubscribeFields {
            no_local: true,
            retain_as_published: true,
            retain_handling: 2,
            identifier: "7".into(),
        };
        let (s, p) = fields.to_subscription("a/+", QoS::AtLeastOnce).unwrap();
        assert!(s.no_local && s.retain_as_published);
        assert_eq!(s.retain_handling, RetainHandling::DoNotSend);
        assert_eq!(p.subscription_identifier, Some(7));
        let bad = SubscribeFields {
            identifier: "0".into(),
            ..SubscribeFields::default()
        };
        assert!(bad.to_subscription("a", QoS::AtMostOnce).is_err());
    }

    #[test]
    fn shared_subscriptions_are_explained() {
        let hint = shared_subscription_hint("$share/workers/jobs/#").unwrap();
        assert!(hint.contains("'workers'") && hint.contains("'jobs/#'"));
        assert_eq!(shared_subscription_hint("jobs/#"), None);
    }
}
