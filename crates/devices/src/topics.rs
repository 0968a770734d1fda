//! The playground's topic names, in one place so producers and consumers agree.
//!
//! An id, resource or user name is used as one topic level: it must not contain `/`, `+`
//! or `#` (the session refuses the resulting topic when publishing).

/// `device/<id>/info`: the device's [`crate::DeviceDescriptor`], retained.
pub fn device_info_topic(id: &str) -> String {
    format!("device/{id}/info")
}

/// `device/<id>/sensor/<sensor>` (e.g. `temperature`): the device exercise's
/// [`crate::MessageDescriptor`] readings, QoS 0, not retained.
pub fn device_sensor_topic(id: &str, sensor: &str) -> String {
    format!("device/{id}/sensor/{sensor}")
}

/// `device/<id>/telemetry/<resource>`: a smart object's periodic readings, not retained.
pub fn telemetry_topic(id: &str, resource: &str) -> String {
    format!("device/{id}/telemetry/{resource}")
}

/// `device/<id>/event`: a smart object's [`crate::DeviceEvent`]s, retained.
pub fn event_topic(id: &str) -> String {
    format!("device/{id}/event")
}

/// `device/<id>/action`: where a smart object takes its [`crate::Action`]s.
pub fn action_topic(id: &str) -> String {
    format!("device/{id}/action")
}

/// `/iot/user/<username>/sensor/temperature`: the authenticated exercise's readings. The
/// leading `/` is the seed's: it makes an empty first level, a topic distinct from
/// `iot/user/…`.
pub fn auth_sensor_topic(username: &str) -> String {
    format!("/iot/user/{username}/sensor/temperature")
}

/// `/iot/user/<username>/#`: everything under one user's namespace.
pub fn auth_filter(username: &str) -> String {
    format!("/iot/user/{username}/#")
}

#[cfg(test)]
mod tests {
    use mqtt_session::topic::{matches, validate_topic_filter, validate_topic_name};

    use super::*;

    #[test]
    fn topics_are_spelled_as_the_seed_spells_them() {
        assert_eq!(device_info_topic("d1"), "device/d1/info");
        assert_eq!(
            device_sensor_topic("d1", "temperature"),
            "device/d1/sensor/temperature"
        );
        assert_eq!(
            telemetry_topic("d1", "humidity"),
            "device/d1/telemetry/humidity"
        );
        assert_eq!(event_topic("d1"), "device/d1/event");
        assert_eq!(action_topic("d1"), "device/d1/action");
        assert_eq!(
            auth_sensor_topic("student"),
            "/iot/user/student/sensor/temperature"
        );
        assert_eq!(auth_filter("student"), "/iot/user/student/#");
    }

    #[test]
    fn the_consumers_filters_match_the_producers_topics() {
        for topic in [
            device_info_topic("d1"),
            device_sensor_topic("d1", "temperature"),
            auth_sensor_topic("student"),
        ] {
            assert_eq!(validate_topic_name(&topic), Ok(()), "{topic}");
        }
        assert_eq!(validate_topic_filter(&auth_filter("student")), Ok(()));
        assert!(matches(&device_info_topic("d1"), "device/+/info"));
        assert!(matches(
            &device_sensor_topic("d1", "temperature"),
            "device/+/sensor/#"
        ));
        assert!(matches(
            &auth_sensor_topic("student"),
            &auth_filter("student")
        ));
        assert!(!matches(
            &auth_sensor_topic("other"),
            &auth_filter("student")
        ));
    }
}
