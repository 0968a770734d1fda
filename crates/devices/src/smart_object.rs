//! The seed's fifth exercise: an MQTT smart object with sensors, actuators, telemetry,
//! retained events and actions, simulated without IO.

use core::time::Duration;

use mqtt_session::{Instant, QoS};

use crate::action::{Action, ActionError, Switch};
use crate::descriptor::{DeviceDescriptor, MessageDescriptor};
use crate::event::DeviceEvent;
use crate::rng::SplitMix64;
use crate::topics::{device_info_topic, event_topic, telemetry_topic};
use crate::walk::{HUMIDITY, TEMPERATURE};

/// The resources of a [`SmartObject`], in the order its telemetry is published:
/// temperature (°C) and humidity (%) are sensors that drift at random; the light (telemetry
/// value 1 = on, 0 = off) and its brightness (0 to 100 %) are actuators.
pub const RESOURCES: [&str; 4] = ["temperature", "humidity", "light", "brightness"];

/// Brightness at start and after a reset, in percent.
pub const DEFAULT_BRIGHTNESS: u8 = 100;

/// One MQTT publish for the caller's session: `session.publish(now, &p.topic,
/// p.payload.into(), p.qos, p.retain)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
}

impl Publish {
    fn json(topic: String, json: String, qos: QoS, retain: bool) -> Self {
        Self {
            topic,
            payload: json.into_bytes(),
            qos,
            retain,
        }
    }
}

/// A simulated smart object: no sockets, no clock, no entropy. Time comes in as `now`,
/// randomness from the seed, and what the device would send comes out as [`Publish`]es.
///
/// * [`SmartObject::start`] once connected (again after a reconnect): the retained
///   [`DeviceDescriptor`] on `device/<id>/info` and a retained `status` event
///   (`"value":"online"`) on `device/<id>/event`. Connect with [`SmartObject::last_will`]
///   so that the broker turns that event into `"offline"` if the device vanishes.
/// * At [`SmartObject::poll_timeout`], call [`SmartObject::handle_timeout`]: one
///   [`MessageDescriptor`] per resource on `device/<id>/telemetry/<resource>`, QoS 0, not
///   retained. The first is due one interval after `start`; a late call publishes once,
///   not once per missed interval, and keeps the cadence.
/// * For each message on `device/<id>/action`, call [`SmartObject::handle_action`]: the
///   changed resources' telemetry and a retained event, or an `error` event saying why the
///   action was refused.
///
/// Timestamps are Unix milliseconds: `now` plus the origin given to
/// [`SmartObject::with_unix_origin`] (0 by default, when `now` is already Unix time).
#[derive(Debug, Clone)]
pub struct SmartObject {
    id: String,
    interval_ms: u64,
    unix_origin_ms: u64,
    rng: SplitMix64,
    temperature: f64,
    humidity: f64,
    light_on: bool,
    brightness: u8,
    /// `None` until started.
    next_telemetry: Option<Instant>,
}

impl SmartObject {
    /// A device named `id` (one topic level: no `/`, `+`, `#`) whose sensors are seeded with
    /// `seed`, publishing telemetry every `telemetry_interval` (at least 1 ms).
    pub fn new(id: impl Into<String>, seed: u64, telemetry_interval: Duration) -> Self {
        let mut rng = SplitMix64::new(seed);
        let temperature = TEMPERATURE.start_from(&mut rng);
        let humidity = HUMIDITY.start_from(&mut rng);
        Self {
            id: id.into(),
            interval_ms: u64::try_from(telemetry_interval.as_millis())
                .map_or(u64::MAX, |ms| ms.max(1)),
            unix_origin_ms: 0,
            rng,
            temperature,
            humidity,
            light_on: false,
            brightness: DEFAULT_BRIGHTNESS,
            next_telemetry: None,
        }
    }

    /// Sets the Unix time, in milliseconds, of `Instant::from_millis(0)` on the caller's
    /// clock, so that timestamps are wall-clock time while `now` stays monotonic.
    pub fn with_unix_origin(mut self, unix_ms: u64) -> Self {
        self.unix_origin_ms = unix_ms;
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn telemetry_interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    /// °C, to one decimal.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// %, to one decimal.
    pub fn humidity(&self) -> f64 {
        self.humidity
    }

    pub fn light_on(&self) -> bool {
        self.light_on
    }

    /// 0 to 100 %.
    pub fn brightness(&self) -> u8 {
        self.brightness
    }

    /// What this device publishes on `device/<id>/info`.
    pub fn descriptor(&self) -> DeviceDescriptor {
        DeviceDescriptor {
            device_id: self.id.clone(),
            producer: "mqtt-playground".into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            device_type: "smart-object".into(),
            resources: RESOURCES.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// The last will to connect with: `{"type":"status","value":"offline"}` on
    /// `device/<id>/event`, retained, so it replaces the retained `online` event.
    pub fn last_will(&self) -> Publish {
        let json = DeviceEvent::offline().to_json();
        Publish::json(event_topic(&self.id), json, QoS::AtLeastOnce, true)
    }

    /// Announces the device and starts the telemetry cadence at `now`.
    pub fn start(&mut self, now: Instant) -> Vec<Publish> {
        self.next_telemetry = Some(now + self.telemetry_interval());
        let info = self.descriptor().to_json();
        let light = if self.light_on { "on" } else { "off" };
        let message = format!(
            "{} is online: light {light}, brightness {} %",
            self.id, self.brightness
        );
        vec![
            Publish::json(device_info_topic(&self.id), info, QoS::AtLeastOnce, true),
            self.event(now, "status", "online".into(), message),
        ]
    }

    /// When telemetry is next due; `None` before [`SmartObject::start`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_telemetry
    }

    /// Telemetry for every resource if it is due at `now`, nothing otherwise.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Publish> {
        let Some(due) = self.next_telemetry.filter(|due| *due <= now) else {
            return Vec::new();
        };
        let missed = (now.as_millis() - due.as_millis()) / self.interval_ms;
        let next = due
            .as_millis()
            .saturating_add(self.interval_ms.saturating_mul(missed + 1));
        self.next_telemetry = Some(Instant::from_millis(next));
        self.temperature = TEMPERATURE.step_from(self.temperature, &mut self.rng);
        self.humidity = HUMIDITY.step_from(self.humidity, &mut self.rng);
        RESOURCES.iter().map(|r| self.telemetry(now, r)).collect()
    }

    /// Carries out the action in `payload` (see [`Action`]): the changed resources'
    /// telemetry, then a retained event; or only an `error` event, whose value is the
    /// refused payload (as text, cut short) and whose message says why.
    pub fn handle_action(&mut self, now: Instant, payload: &[u8]) -> Vec<Publish> {
        match Action::from_json(payload) {
            Ok(action) => self.apply(now, action),
            Err(error) => vec![self.refuse(now, payload, &error)],
        }
    }

    /// Carries out an action already parsed (e.g. from a button): as
    /// [`SmartObject::handle_action`].
    pub fn apply(&mut self, now: Instant, action: Action) -> Vec<Publish> {
        match action {
            Action::Light(switch) => {
                let was_on = self.light_on;
                self.light_on = match switch {
                    Switch::On => true,
                    Switch::Off => false,
                    Switch::Toggle => !was_on,
                };
                let state = if self.light_on { "on" } else { "off" };
                let verb = if was_on == self.light_on {
                    "already"
                } else {
                    "switched"
                };
                let event = self.event(now, "light", state.into(), format!("light {verb} {state}"));
                vec![self.telemetry(now, "light"), event]
            }
            Action::Brightness(level) => {
                self.brightness = level;
                let message = format!("brightness set to {level} %");
                let event = self.event(now, "brightness", level.into(), message);
                vec![self.telemetry(now, "brightness"), event]
            }
            Action::Reset => {
                self.light_on = false;
                self.brightness = DEFAULT_BRIGHTNESS;
                let message = format!("reset: light off, brightness {DEFAULT_BRIGHTNESS} %");
                vec![
                    self.telemetry(now, "light"),
                    self.telemetry(now, "brightness"),
                    self.event(now, "reset", "defaults".into(), message),
                ]
            }
        }
    }

    fn refuse(&self, now: Instant, payload: &[u8], error: &ActionError) -> Publish {
        const LIMIT: usize = 100;
        let text = String::from_utf8_lossy(payload);
        let shown: String = match text.char_indices().nth(LIMIT) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.into_owned(),
        };
        self.event(now, "error", shown.into(), error.to_string())
    }

    fn timestamp(&self, now: Instant) -> u64 {
        self.unix_origin_ms.saturating_add(now.as_millis())
    }

    /// The current reading of `resource` (one of [`RESOURCES`]) as telemetry.
    fn telemetry(&self, now: Instant, resource: &str) -> Publish {
        let value = match resource {
            "temperature" => self.temperature,
            "humidity" => self.humidity,
            "light" => f64::from(u8::from(self.light_on)),
            _ => f64::from(self.brightness),
        };
        let reading = MessageDescriptor::new(self.timestamp(now), resource, value);
        let topic = telemetry_topic(&self.id, resource);
        Publish::json(topic, reading.to_json(), QoS::AtMostOnce, false)
    }

    fn event(
        &self,
        now: Instant,
        kind: &str,
        value: serde_json::Value,
        message: String,
    ) -> Publish {
        let event = DeviceEvent::new(self.timestamp(now), kind, value, message);
        Publish::json(
            event_topic(&self.id),
            event.to_json(),
            QoS::AtLeastOnce,
            true,
        )
    }
}
