//! Topic name and topic filter rules of MQTT 3.1.1 §4.7, checked before anything is
//! encoded (mqttbytes writes over-long strings with a wrong length prefix).

use thiserror::Error;

/// Longest UTF-8 string MQTT can carry: its length prefix is two bytes [MQTT-1.5.3].
pub const MAX_STRING_LEN: usize = 65_535;

/// Why a topic name or filter cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TopicError {
    /// [MQTT-4.7.3-1]
    #[error("the topic is empty")]
    Empty,
    #[error("the topic is {0} bytes long; MQTT allows at most 65,535")]
    TooLong(usize),
    /// [MQTT-4.7.3-2]
    #[error("the topic contains a NUL character (U+0000)")]
    ContainsNul,
    /// [MQTT-3.3.2-2]
    #[error("a topic to publish to cannot contain the wildcards '+' or '#'")]
    WildcardInTopicName,
    /// [MQTT-4.7.1-2]
    #[error("'#' must be the last level of a filter, alone (like 'a/b/#')")]
    MisplacedMultiLevelWildcard,
    /// [MQTT-4.7.1-3]
    #[error("'+' must fill a whole level of a filter (like 'a/+/c')")]
    MisplacedSingleLevelWildcard,
}

fn check_string(s: &str) -> Result<(), TopicError> {
    if s.is_empty() {
        return Err(TopicError::Empty);
    }
    if s.len() > MAX_STRING_LEN {
        return Err(TopicError::TooLong(s.len()));
    }
    if s.contains('\0') {
        return Err(TopicError::ContainsNul);
    }
    Ok(())
}

/// Checks a topic name used in a PUBLISH.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicError> {
    check_string(topic)?;
    if topic.contains(['+', '#']) {
        return Err(TopicError::WildcardInTopicName);
    }
    Ok(())
}

/// Checks a topic filter used in a SUBSCRIBE or UNSUBSCRIBE.
pub fn validate_topic_filter(filter: &str) -> Result<(), TopicError> {
    check_string(filter)?;
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        if level.contains('#') && (level != "#" || !is_last) {
            return Err(TopicError::MisplacedMultiLevelWildcard);
        }
        if level.contains('+') && level != "+" {
            return Err(TopicError::MisplacedSingleLevelWildcard);
        }
    }
    Ok(())
}

/// Does `topic` match `filter`? Topics starting with `$` are not matched by a filter
/// starting with a wildcard [MQTT-4.7.2-1].
pub fn matches(topic: &str, filter: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for f in filter.split('/') {
        if f == "#" {
            return true;
        }
        match topic_levels.next() {
            Some(_) if f == "+" => {}
            Some(t) if t == f => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_wildcard_rules() {
        for ok in [
            "#",
            "+",
            "a/#",
            "a/+/c",
            "+/+",
            "/",
            "a//b",
            "sport/tennis/+",
        ] {
            assert_eq!(validate_topic_filter(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            validate_topic_filter("a/#/b"),
            Err(TopicError::MisplacedMultiLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("a#"),
            Err(TopicError::MisplacedMultiLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("a+/b"),
            Err(TopicError::MisplacedSingleLevelWildcard)
        );
        assert_eq!(validate_topic_filter(""), Err(TopicError::Empty));
    }

    #[test]
    fn topic_names_refuse_wildcards_nul_and_overlong_strings() {
        assert_eq!(validate_topic_name("a/b"), Ok(()));
        assert_eq!(
            validate_topic_name("a/+"),
            Err(TopicError::WildcardInTopicName)
        );
        assert_eq!(validate_topic_name("a\0b"), Err(TopicError::ContainsNul));
        let long = "x".repeat(MAX_STRING_LEN + 1);
        assert_eq!(
            validate_topic_name(&long),
            Err(TopicError::TooLong(MAX_STRING_LEN + 1))
        );
    }

    #[test]
    fn matching_handles_wildcards_and_dollar_topics() {
        assert!(matches("a/b/c", "a/+/c"));
        assert!(matches("a/b/c", "a/#"));
        assert!(matches("a", "a/#"));
        assert!(!matches("a/b", "a"));
        assert!(!matches("a", "a/b"));
        assert!(!matches("$SYS/x", "#"));
        assert!(matches("$SYS/x", "$SYS/#"));
    }
}
