//! One simulated device on one MQTT session: the `SessionHandler` that connects a
//! `devices::SmartObject` to the TCP driver.

use devices::{
    action_topic, device_sensor_topic, telemetry_topic, DeviceEvent, Publish, SmartObject,
};
use mqtt_session::{CommandError, Event, Instant, QoS, Session, SubscribeResult};
use tokio::sync::oneshot;

use super::error::FleetError;
use crate::mqtt_tcp::SessionHandler;

/// The glue between one MQTT session and one smart object.
pub(super) struct DeviceHandler<L> {
    object: SmartObject,
    action_topic: String,
    /// Telemetry on this topic is also published as the device exercise's reading.
    temperature_topic: String,
    sensor_topic: String,
    /// Packet ids (announcements, the subscription) to be acknowledged before it is ready.
    awaiting: Vec<u16>,
    /// Told once: ready, or why not.
    ready: Option<oneshot::Sender<Result<(), FleetError>>>,
    log: L,
}

impl<L: Fn(String)> DeviceHandler<L> {
    pub(super) fn new(
        object: SmartObject,
        ready: oneshot::Sender<Result<(), FleetError>>,
        log: L,
    ) -> Self {
        let id = object.id().to_string();
        Self {
            action_topic: action_topic(&id),
            temperature_topic: telemetry_topic(&id, "temperature"),
            sensor_topic: device_sensor_topic(&id, "temperature"),
            object,
            awaiting: Vec::new(),
            ready: Some(ready),
            log,
        }
    }

    fn on_connected(&mut self, now: Instant, session: &mut Session) {
        let announce = self.object.start(now);
        self.publish_all(now, session, announce);
        let filter = self.action_topic.clone();
        match session.subscribe(now, vec![(filter.clone(), QoS::AtLeastOnce)]) {
            Ok(pkid) => self.awaiting.push(pkid),
            Err(error) => self.fail(now, session, "subscribe to ".to_string() + &filter, error),
        }
    }

    fn on_action(&mut self, now: Instant, session: &mut Session, payload: &[u8]) {
        let answer = self.object.handle_action(now, payload);
        if let Some(event) = answer
            .last()
            .and_then(|p| DeviceEvent::from_json(&p.payload).ok())
        {
            let message = event.message.unwrap_or_default();
            (self.log)(format!(
                "{}: {} ({message})",
                self.object.id(),
                event.r#type
            ));
        }
        self.publish_all(now, session, answer);
    }

    fn publish_all(&mut self, now: Instant, session: &mut Session, publishes: Vec<Publish>) {
        for publish in publishes {
            if publish.topic == self.temperature_topic {
                let reading = publish.payload.clone().into();
                let sensor =
                    session.publish(now, &self.sensor_topic, reading, QoS::AtMostOnce, false);
                if let Err(error) = sensor {
                    self.warn(format!(
                        "could not publish on {}: {error}",
                        self.sensor_topic
                    ));
                }
            }
            let Publish {
                topic,
                payload,
                qos,
                retain,
            } = publish;
            match session.publish(now, &topic, payload.into(), qos, retain) {
                Ok(Some(pkid)) if self.ready.is_some() => self.awaiting.push(pkid),
                Ok(_) => {}
                Err(error) => self.fail(now, session, format!("publish on {topic}"), error),
            }
        }
    }

    fn on_acknowledged(
        &mut self,
        now: Instant,
        session: &mut Session,
        pkid: u16,
        refused: Option<&str>,
    ) {
        if let Some(filter) = refused {
            let (device, filter) = (self.object.id().to_string(), filter.to_string());
            self.send_ready(Err(FleetError::Refused { device, filter }));
            return session.disconnect(now);
        }
        self.awaiting.retain(|id| *id != pkid);
        if self.awaiting.is_empty() {
            self.send_ready(Ok(()));
        }
    }

    /// A command failed: fatal while starting, a warning afterwards.
    fn fail(&mut self, now: Instant, session: &mut Session, what: String, error: CommandError) {
        let device = self.object.id().to_string();
        if self.ready.is_some() {
            self.send_ready(Err(FleetError::Command {
                device,
                what,
                error,
            }));
            session.disconnect(now);
        } else {
            self.warn(format!("could not {what}: {error}"));
        }
    }

    /// Tells `start_fleet` once. It stops waiting only when it gave up on the whole fleet (then
    /// this device is being stopped too), so an undelivered word is only logged.
    fn send_ready(&mut self, result: Result<(), FleetError>) {
        let Some(ready) = self.ready.take() else {
            return;
        };
        if let Err(undelivered) = ready.send(result) {
            let outcome = match undelivered {
                Ok(()) => "it is ready".to_string(),
                Err(error) => error.to_string(),
            };
            self.warn(format!(
                "nobody waits for this device to start any more ({outcome})"
            ));
        }
    }

    fn warn(&self, text: String) {
        (self.log)(format!("{}: warning: {text}", self.object.id()));
    }
}

impl<L: Fn(String)> SessionHandler for DeviceHandler<L> {
    fn handle_event(&mut self, now: Instant, event: &Event, session: &mut Session) {
        match event {
            Event::Connected { .. } => self.on_connected(now, session),
            Event::Message(message) if message.topic == self.action_topic => {
                self.on_action(now, session, &message.payload);
            }
            Event::Delivered { pkid, .. } => self.on_acknowledged(now, session, *pkid, None),
            Event::Subscribed { pkid, results } => {
                let refused = results
                    .iter()
                    .find(|(_, r)| matches!(r, SubscribeResult::Refused(_)));
                let refused = refused.map(|(filter, _)| filter.as_str());
                self.on_acknowledged(now, session, *pkid, refused);
            }
            Event::Warning(text) => self.warn(text.clone()),
            _ => {}
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.object.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant, session: &mut Session) {
        let telemetry = self.object.handle_timeout(now);
        self.publish_all(now, session, telemetry);
    }
}
