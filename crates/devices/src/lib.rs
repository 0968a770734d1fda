//! The playground's data model and a simulated smart object, shared by the web app and the
//! lab.
//!
//! Everything here is pure: **no IO, no clock reads, no async, no entropy**. Payloads go in
//! as bytes and come out as JSON text; time comes in as the caller's `now`
//! ([`Instant`], the MQTT session's clock); the simulated sensors draw from a seed. So the
//! same code runs natively, in wasm32, and in tests with a virtual clock.
//!
//! # JSON forms
//!
//! A reading, the seed's `MessageDescriptor` ([`MessageDescriptor`]), on
//! `sensor/temperature`, `device/<id>/sensor/temperature` and
//! `device/<id>/telemetry/<resource>`:
//!
//! ```json
//! {"timestamp":1732240000000,"type":"temperature","value":21.5}
//! ```
//!
//! `timestamp` is Unix milliseconds, `type` what was measured, `value` a number.
//!
//! A device, the seed's `DeviceDescriptor` ([`DeviceDescriptor`]), retained on
//! `device/<id>/info`:
//!
//! ```json
//! {"device_id":"lab-device-1","producer":"mqtt-playground","software_version":"0.1.0",
//!  "device_type":"smart-object","resources":["temperature","humidity","light","brightness"]}
//! ```
//!
//! (on one line on the wire). A smart object's event ([`DeviceEvent`]), retained on
//! `device/<id>/event`; a last will leaves out `timestamp` and `message`:
//!
//! ```json
//! {"timestamp":1732240000000,"type":"light","value":"on","message":"light switched on"}
//! {"type":"status","value":"offline"}
//! ```
//!
//! An action ([`Action`]) on `device/<id>/action`:
//!
//! ```json
//! {"action":"light","value":"on"}      "on", "off" or "toggle"
//! {"action":"brightness","value":40}   a whole number from 0 to 100
//! {"action":"reset"}                   light off, brightness 100
//! ```
//!
//! Fields are written in the order shown; when reading, order does not matter and unknown
//! fields are ignored. A payload that is not what was expected gets a [`DecodeError`] that
//! says what is wrong: "the JSON has no \"value\" field", "field \"value\" should be a
//! number, not \"hot\"", "the payload is the number 21.5, not a JSON object with
//! timestamp, type and value".
//!
//! # Topics
//!
//! [`device_info_topic`], [`device_sensor_topic`], [`telemetry_topic`], [`event_topic`],
//! [`action_topic`] for devices, [`auth_sensor_topic`] and [`auth_filter`] for the
//! authenticated exercise.
//!
//! # Driving a smart object
//!
//! ```
//! use core::time::Duration;
//! use devices::{Instant, SmartObject};
//!
//! let mut device = SmartObject::new("kitchen", 42, Duration::from_secs(2));
//! // Connect with `device.last_will()`; once connected, subscribe to
//! // `devices::action_topic("kitchen")` and publish what `start` returns.
//! let announce = device.start(Instant::from_millis(0));
//! assert_eq!(announce[0].topic, "device/kitchen/info");
//! // When the clock reaches `poll_timeout`, publish the telemetry.
//! let due = device.poll_timeout().unwrap();
//! let telemetry = device.handle_timeout(due);
//! assert_eq!(telemetry.len(), 4); // temperature, humidity, light, brightness
//! // For every message on the action topic, publish the answer.
//! let answer = device.handle_action(due, br#"{"action":"light","value":"on"}"#);
//! assert!(device.light_on());
//! assert_eq!(answer.last().unwrap().topic, "device/kitchen/event");
//! ```
//!
//! **After every call, publish what it returned, in order, and re-read
//! [`SmartObject::poll_timeout`].**

mod action;
mod decode;
mod descriptor;
mod event;
mod rng;
mod smart_object;
mod topics;
mod walk;

pub use action::{Action, ActionError, Switch};
pub use decode::DecodeError;
pub use descriptor::{DeviceDescriptor, MessageDescriptor};
pub use event::DeviceEvent;
pub use mqtt_session::{Instant, QoS};
pub use smart_object::{Publish, SmartObject, DEFAULT_BRIGHTNESS, RESOURCES};
pub use topics::{
    action_topic, auth_filter, auth_sensor_topic, device_info_topic, device_sensor_topic,
    event_topic, telemetry_topic,
};
