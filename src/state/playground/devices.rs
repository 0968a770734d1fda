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

/// What the smart-object controller shows about the device it watches.
#[derive(Debug, Default, PartialEq)]
pub struct WatchedDevice {
    pub info: Option<String>,
    pub telemetry: BTreeMap<String, f64>,
    pub event: Option<String>,
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
                Ok(e) => format!(
                    "{}: {}{}",
                    e.r#type,
                    e.value,
                    e.message.map(|m| format!(" ({m})")).unwrap_or_default()
                ),
                Err(_) => format!("raw: {}", PayloadView::of(payload, 200).text()),
            });
        } else if topic.contains("/telemetry/") {
            if let Ok(reading) = MessageDescriptor::from_json(payload) {
                let resource = topic.rsplit('/').next().unwrap_or_default();
                self.telemetry.insert(resource.to_string(), reading.value);
            }
        }
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
}
