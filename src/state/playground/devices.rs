//! What the device consumers know: one card per device (the Devices exercise) and the one
//! device the smart-object controller watches.

use std::collections::{BTreeMap, VecDeque};

use devices::{DecodeError, DeviceDescriptor, DeviceEvent, MessageDescriptor};

use super::CHART_POINTS;
use crate::state::log::PayloadView;

/// The device id in `device/<id>/...`.
pub fn device_of(topic: &str) -> Option<&str> {
    topic
        .strip_prefix("device/")?
        .split('/')
        .next()
        .filter(|id| !id.is_empty())
}

/// What the Devices consumer knows about one device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceCard {
    pub info: Option<Result<DeviceDescriptor, DecodeError>>,
    pub latest: Option<f64>,
    pub readings: u64,
    pub values: VecDeque<f64>,
}

impl DeviceCard {
    /// The info line: type, producer and version, or why there is none.
    pub fn info_text(&self) -> String {
        match &self.info {
            Some(Ok(d)) => format!(
                "{} · {} · v{}",
                d.device_type, d.producer, d.software_version
            ),
            Some(Err(e)) => format!("info not readable: {e}"),
            None => "no info (yet)".to_string(),
        }
    }
}

/// The Devices consumer: one card per device id seen.
#[derive(Debug, Default, PartialEq)]
pub struct DeviceCards {
    pub cards: BTreeMap<String, DeviceCard>,
}

impl DeviceCards {
    /// Records a message on `device/<id>/info` or a reading on `device/<id>/...`; other
    /// topics are not a device's.
    pub fn record(&mut self, topic: &str, payload: &[u8]) {
        let Some(id) = device_of(topic) else { return };
        let card = self.cards.entry(id.to_string()).or_default();
        if topic.ends_with("/info") {
            card.info = Some(DeviceDescriptor::from_json(payload));
        } else if let Ok(reading) = MessageDescriptor::from_json(payload) {
            card.latest = Some(reading.value);
            card.readings += 1;
            if card.values.len() == CHART_POINTS {
                card.values.pop_front();
            }
            card.values.push_back(reading.value);
        }
    }
}

/// Whether a smart object is connected, as its retained `status` event says: `online` when
/// it starts, `offline` from its last will (the broker publishes it when the device's
/// connection dies) or from a clean stop. Any other event or telemetry means it is up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Presence {
    #[default]
    Unknown,
    Online,
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Unknown => "unknown",
            Presence::Online => "online",
            Presence::Offline => "offline",
        }
    }
}

/// What the smart-object controller knows about one device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchedDevice {
    pub info: Option<String>,
    pub telemetry: BTreeMap<String, f64>,
    pub event: Option<String>,
    pub presence: Presence,
    pub messages: u64,
}

impl WatchedDevice {
    /// Records one message under `device/<id>/`.
    pub fn record(&mut self, topic: &str, payload: &[u8]) {
        self.messages += 1;
        if topic.ends_with("/info") {
            self.info = Some(match DeviceDescriptor::from_json(payload) {
                Ok(d) => format!(
                    "{} · {} · v{} · {}",
                    d.device_type,
                    d.producer,
                    d.software_version,
                    d.resources.join(", ")
                ),
                Err(e) => format!("info not readable: {e}"),
            });
        } else if topic.ends_with("/event") {
            self.event = Some(match DeviceEvent::from_json(payload) {
                Ok(e) => {
                    self.presence = match (e.r#type.as_str(), e.value.as_str()) {
                        ("status", Some("offline")) => Presence::Offline,
                        _ => Presence::Online,
                    };
                    format!(
                        "{}: {}{}",
                        e.r#type,
                        e.value,
                        e.message.map(|m| format!(" ({m})")).unwrap_or_default()
                    )
                }
                Err(_) => format!("raw: {}", PayloadView::of(payload, 200).text()),
            });
        } else if topic.contains("/telemetry/") {
            if let Ok(reading) = MessageDescriptor::from_json(payload) {
                let resource = topic.rsplit('/').next().unwrap_or_default();
                self.telemetry.insert(resource.to_string(), reading.value);
                self.presence = Presence::Online;
            }
        }
    }
}

/// Devices the controller keeps track of; more are ignored (bounded memory on a broker
/// with many devices).
pub const MAX_DEVICES: usize = 200;

/// Every smart object the controller has heard of (retained info and events, telemetry under
/// `device/+/...`), by id.
#[derive(Debug, Default, PartialEq)]
pub struct DeviceDirectory {
    pub devices: BTreeMap<String, WatchedDevice>,
}

impl DeviceDirectory {
    /// Records a message on `device/<id>/...`; other topics are not a device's.
    pub fn record(&mut self, topic: &str, payload: &[u8]) {
        let Some(id) = device_of(topic) else { return };
        if !self.devices.contains_key(id) && self.devices.len() >= MAX_DEVICES {
            return;
        }
        self.devices
            .entry(id.to_string())
            .or_default()
            .record(topic, payload);
    }

    /// The device the controls act on: the user's choice, else the page's own device (while
    /// it runs, and after it stopped), else the first one heard of.
    pub fn target(&self, chosen: Option<&str>, own: Option<&str>) -> Option<String> {
        chosen
            .or(own)
            .or_else(|| self.devices.keys().next().map(String::as_str))
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(value: f64) -> Vec<u8> {
        MessageDescriptor::new(1, "temperature", value)
            .to_json()
            .into_bytes()
    }

    #[test]
    fn device_ids_come_from_the_second_level() {
        assert_eq!(device_of("device/a/info"), Some("a"));
        assert_eq!(device_of("device//info"), None);
        assert_eq!(device_of("sensor/a"), None);
    }

    #[test]
    fn each_device_gets_a_card_with_its_info_and_readings() {
        let mut cards = DeviceCards::default();
        cards.record("device/a/sensor/temperature", &reading(20.0));
        cards.record("device/a/info", b"not json");
        cards.record("device/b/sensor/temperature", &reading(21.0));
        cards.record("elsewhere/x", &reading(0.0));
        assert_eq!(cards.cards.len(), 2);
        let a = &cards.cards["a"];
        assert_eq!((a.readings, a.latest), (1, Some(20.0)));
        assert!(a.info_text().starts_with("info not readable"));
        assert_eq!(cards.cards["b"].info_text(), "no info (yet)");
    }

    #[test]
    fn the_watched_device_keeps_telemetry_per_resource_and_raw_odd_events() {
        let mut w = WatchedDevice::default();
        w.record("device/d/telemetry/temperature", &reading(22.0));
        w.record("device/d/event", &[0xff, 0x01]);
        assert_eq!(w.telemetry.get("temperature"), Some(&22.0));
        assert_eq!(w.event.as_deref(), Some("raw: ff 01"));
        assert_eq!(w.messages, 2);
    }

    #[test]
    fn presence_follows_the_status_event_and_the_last_will() {
        let mut w = WatchedDevice::default();
        assert_eq!(w.presence, Presence::Unknown);
        let online = DeviceEvent::new(1, "status", "online", "up").to_json();
        w.record("device/d/event", online.as_bytes());
        assert_eq!(w.presence, Presence::Online);
        w.record(
            "device/d/event",
            DeviceEvent::offline().to_json().as_bytes(),
        );
        assert_eq!(w.presence, Presence::Offline);
        let light = DeviceEvent::new(2, "light", "on", "light switched on").to_json();
        w.record("device/d/event", light.as_bytes());
        assert_eq!(w.presence, Presence::Online);
        w.record(
            "device/d/event",
            DeviceEvent::offline().to_json().as_bytes(),
        );
        w.record("device/d/telemetry/temperature", &reading(22.0));
        assert_eq!(w.presence, Presence::Online);
    }

    #[test]
    fn the_directory_finds_devices_and_picks_a_target() {
        let mut dir = DeviceDirectory::default();
        assert_eq!(dir.target(None, None), None);
        dir.record("device/b/info", b"{}");
        dir.record("device/a/telemetry/light", &reading(1.0));
        dir.record("sensor/temperature", &reading(1.0));
        assert_eq!(dir.devices.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(dir.target(None, None).as_deref(), Some("a"));
        assert_eq!(dir.target(None, Some("mine")).as_deref(), Some("mine"));
        assert_eq!(dir.target(Some("b"), Some("mine")).as_deref(), Some("b"));
    }

    #[test]
    fn the_directory_is_bounded() {
        let mut dir = DeviceDirectory::default();
        for i in 0..MAX_DEVICES + 10 {
            dir.record(&format!("device/d{i}/info"), b"{}");
        }
        assert_eq!(dir.devices.len(), MAX_DEVICES);
        dir.record("device/d0/telemetry/light", &reading(1.0));
        assert_eq!(dir.devices["d0"].messages, 2);
    }
}
