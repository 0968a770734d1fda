//! The smart object on a virtual clock: announcement, telemetry cadence, every action, and
//! refused actions.

use core::time::Duration;

use devices::{
    DeviceDescriptor, DeviceEvent, Instant, MessageDescriptor, Publish, QoS, SmartObject,
    DEFAULT_BRIGHTNESS, RESOURCES,
};
use serde_json::Value;

const INTERVAL: Duration = Duration::from_millis(2000);
/// 2024-11-22T01:46:40Z, so timestamps read as plausible Unix milliseconds.
const ORIGIN: u64 = 1_732_240_000_000;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn started() -> SmartObject {
    let mut device = SmartObject::new("d1", 7, INTERVAL).with_unix_origin(ORIGIN);
    device.start(at(0));
    device
}

fn reading(publish: &Publish) -> MessageDescriptor {
    MessageDescriptor::from_json(&publish.payload).expect("telemetry is a MessageDescriptor")
}

fn event(publish: &Publish) -> DeviceEvent {
    assert_eq!(publish.topic, "device/d1/event");
    assert_eq!((publish.qos, publish.retain), (QoS::AtLeastOnce, true));
    DeviceEvent::from_json(&publish.payload).expect("an event")
}

/// The one event among `publishes`, which must come last.
fn last_event(publishes: &[Publish]) -> DeviceEvent {
    event(publishes.last().expect("an event"))
}

#[test]
fn start_announces_the_descriptor_and_an_online_status_both_retained() {
    let mut device = SmartObject::new("d1", 7, INTERVAL).with_unix_origin(ORIGIN);
    assert_eq!(device.poll_timeout(), None);
    let announce = device.start(at(500));
    assert_eq!(announce.len(), 2);
    let info = &announce[0];
    assert_eq!(info.topic, "device/d1/info");
    assert_eq!((info.qos, info.retain), (QoS::AtLeastOnce, true));
    let descriptor = DeviceDescriptor::from_json(&info.payload).expect("a descriptor");
    assert_eq!(descriptor, device.descriptor());
    assert_eq!(descriptor.resources, RESOURCES);
    let status = event(&announce[1]);
    assert_eq!(status.timestamp, Some(ORIGIN + 500));
    assert_eq!(
        (status.r#type.as_str(), status.value.as_str()),
        ("status", Some("online"))
    );
    assert_eq!(
        status.message.as_deref(),
        Some("d1 is online: light off, brightness 100 %")
    );
}

#[test]
fn the_last_will_replaces_the_online_event_with_offline() {
    let will = SmartObject::new("d1", 7, INTERVAL).last_will();
    assert_eq!(will.topic, "device/d1/event");
    assert!(will.retain);
    assert_eq!(will.payload, br#"{"type":"status","value":"offline"}"#);
}

#[test]
fn telemetry_comes_every_interval_one_reading_per_resource() {
    let mut device = started();
    assert_eq!(device.poll_timeout(), Some(at(2000)));
    assert!(device.handle_timeout(at(1999)).is_empty(), "not yet due");
    for tick in 1..=5u64 {
        let now = at(tick * 2000);
        assert_eq!(device.poll_timeout(), Some(now));
        let telemetry = device.handle_timeout(now);
        let topics: Vec<&str> = telemetry.iter().map(|p| p.topic.as_str()).collect();
        assert_eq!(
            topics,
            [
                "device/d1/telemetry/temperature",
                "device/d1/telemetry/humidity",
                "device/d1/telemetry/light",
                "device/d1/telemetry/brightness",
            ]
        );
        for (publish, resource) in telemetry.iter().zip(RESOURCES) {
            assert_eq!((publish.qos, publish.retain), (QoS::AtMostOnce, false));
            let reading = reading(publish);
            assert_eq!(reading.r#type, resource);
            assert_eq!(reading.timestamp, ORIGIN + tick * 2000);
        }
        assert_eq!(reading(&telemetry[0]).value, device.temperature());
        assert_eq!(reading(&telemetry[2]).value, 0.0, "the light is off");
        assert_eq!(reading(&telemetry[3]).value, 100.0);
        assert!(device.handle_timeout(now).is_empty(), "once per interval");
    }
}

#[test]
fn a_late_timeout_publishes_once_and_keeps_the_cadence() {
    let mut device = started();
    assert_eq!(device.handle_timeout(at(7500)).len(), RESOURCES.len());
    assert_eq!(device.poll_timeout(), Some(at(8000)));
}

#[test]
fn sensors_drift_a_little_stay_in_range_and_replay_from_the_seed() {
    let mut a = started();
    let mut b = started();
    let mut c = SmartObject::new("d1", 8, INTERVAL);
    c.start(at(0));
    let (mut moved, mut differs) = (false, false);
    for tick in 1..=1000u64 {
        let (before_t, before_h) = (a.temperature(), a.humidity());
        let now = at(tick * 2000);
        assert_eq!(a.handle_timeout(now), b.handle_timeout(now));
        c.handle_timeout(now);
        assert!(
            (a.temperature() - before_t).abs() <= 0.31,
            "{before_t} -> {}",
            a.temperature()
        );
        assert!((a.humidity() - before_h).abs() <= 1.51);
        assert!((15.0..=30.0).contains(&a.temperature()));
        assert!((20.0..=80.0).contains(&a.humidity()));
        moved |= a.temperature() != before_t;
        differs |= a.temperature() != c.temperature();
    }
    assert!(moved && differs);
}

#[test]
fn the_light_switches_on_off_and_toggles_with_telemetry_and_a_retained_event() {
    let mut device = started();
    let cases = [
        (
            r#"{"action":"light","value":"on"}"#,
            true,
            "light switched on",
        ),
        (
            r#"{"action":"light","value":"on"}"#,
            true,
            "light already on",
        ),
        (
            r#"{"action":"light","value":"toggle"}"#,
            false,
            "light switched off",
        ),
        (
            r#"{"action":"light","value":"toggle"}"#,
            true,
            "light switched on",
        ),
        (
            r#"{"action":"light","value":"off"}"#,
            false,
            "light switched off",
        ),
    ];
    for (i, (action, on, message)) in cases.into_iter().enumerate() {
        let now = at(100 + i as u64);
        let answer = device.handle_action(now, action.as_bytes());
        assert_eq!(device.light_on(), on, "{action}");
        assert_eq!(answer.len(), 2);
        assert_eq!(answer[0].topic, "device/d1/telemetry/light");
        assert_eq!(reading(&answer[0]).value, if on { 1.0 } else { 0.0 });
        let state = if on { "on" } else { "off" };
        let expected = DeviceEvent::new(ORIGIN + 100 + i as u64, "light", state, message);
        assert_eq!(last_event(&answer), expected);
    }
}

#[test]
fn the_exact_light_event_json() {
    let mut device = started();
    let answer = device.handle_action(at(0), br#"{"action":"light","value":"on"}"#);
    assert_eq!(
        String::from_utf8_lossy(&answer[1].payload),
        r#"{"timestamp":1732240000000,"type":"light","value":"on","message":"light switched on"}"#
    );
}

#[test]
fn brightness_is_set_and_reset_restores_the_defaults() {
    let mut device = started();
    let answer = device.handle_action(at(10), br#"{"action":"brightness","value":40}"#);
    assert_eq!(device.brightness(), 40);
    assert_eq!(answer[0].topic, "device/d1/telemetry/brightness");
    assert_eq!(reading(&answer[0]).value, 40.0);
    let set = last_event(&answer);
    assert_eq!(
        (set.r#type.as_str(), &set.value),
        ("brightness", &Value::from(40))
    );
    assert_eq!(set.message.as_deref(), Some("brightness set to 40 %"));

    device.handle_action(at(11), br#"{"action":"light","value":"on"}"#);
    let answer = device.handle_action(at(12), br#"{"action":"reset"}"#);
    assert!(!device.light_on());
    assert_eq!(device.brightness(), DEFAULT_BRIGHTNESS);
    let topics: Vec<&str> = answer.iter().map(|p| p.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "device/d1/telemetry/light",
            "device/d1/telemetry/brightness",
            "device/d1/event"
        ]
    );
    assert_eq!(reading(&answer[1]).value, 100.0);
    let reset = last_event(&answer);
    assert_eq!(reset.r#type, "reset");
    assert_eq!(
        reset.message.as_deref(),
        Some("reset: light off, brightness 100 %")
    );
}

#[test]
fn invalid_actions_change_nothing_and_publish_an_error_event_saying_why() {
    let mut device = started();
    let cases: [(&[u8], &str); 6] = [
        (b"light on", "the payload is not JSON: "),
        (br#"{"action":"fly"}"#, "unknown action \"fly\""),
        (
            br#"{"action":"light","value":"dim"}"#,
            "takes \"on\", \"off\" or \"toggle\", not \"dim\"",
        ),
        (
            br#"{"action":"brightness","value":101}"#,
            "a whole number from 0 to 100, not 101",
        ),
        (br#"{"value":"on"}"#, "the JSON has no \"action\" field"),
        (&[0xff, 0xfe], "not UTF-8"),
    ];
    for (payload, why) in cases {
        let answer = device.handle_action(at(5), payload);
        assert_eq!(answer.len(), 1, "only the event");
        let error = last_event(&answer);
        assert_eq!(error.r#type, "error");
        assert_eq!(error.value, Value::from(String::from_utf8_lossy(payload)));
        let message = error.message.expect("a message");
        assert!(message.contains(why), "{message:?} should contain {why:?}");
    }
    assert!(!device.light_on());
    assert_eq!(device.brightness(), DEFAULT_BRIGHTNESS);
}

#[test]
fn a_huge_refused_payload_is_quoted_cut_short() {
    let mut device = started();
    let payload = "x".repeat(10_000);
    let error = last_event(&device.handle_action(at(0), payload.as_bytes()));
    let shown = error.value.as_str().expect("text");
    assert!(
        shown.chars().count() <= 101 && shown.ends_with('…'),
        "{shown}"
    );
}

#[test]
fn actions_work_before_start_and_restarting_re_announces() {
    let mut device = SmartObject::new("d1", 7, INTERVAL);
    device.handle_action(at(0), br#"{"action":"brightness","value":5}"#);
    assert_eq!(device.brightness(), 5);
    let announce = device.start(at(3000));
    let status = event(&announce[1]);
    assert_eq!(
        status.message.as_deref(),
        Some("d1 is online: light off, brightness 5 %")
    );
    assert_eq!(device.poll_timeout(), Some(at(5000)));
}

#[test]
fn a_zero_interval_is_one_millisecond() {
    let mut device = SmartObject::new("d1", 7, Duration::ZERO);
    device.start(at(0));
    assert_eq!(device.poll_timeout(), Some(at(1)));
    assert_eq!(device.handle_timeout(at(1)).len(), RESOURCES.len());
    assert_eq!(device.poll_timeout(), Some(at(2)));
}
