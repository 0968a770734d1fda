//! The simulated devices on the lab's embedded broker, watched and commanded by a raw MQTT
//! client over TCP: retained info for late subscribers, telemetry, actions, the last will.

mod support;

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use devices::{DeviceDescriptor, DeviceEvent, MessageDescriptor};
use lab::device_fleet::{start_fleet, FleetConfig, RunningFleet};
use lab::RunningBroker;
use mqttbytes::v4::{Packet, Publish};
use mqttbytes::QoS;
use serde_json::Value;
use support::{guarded, start_lab, TcpClient};

/// Short, so a test sees several rounds of telemetry in well under a second.
const TELEMETRY: Duration = Duration::from_millis(50);

/// A lab with `count` devices, announced and subscribed.
async fn lab_with_devices(count: u32) -> (RunningBroker, RunningFleet) {
    let lab = start_lab().await;
    let config = FleetConfig {
        count,
        telemetry: TELEMETRY,
        seed: 11,
    };
    let log = |line: String| println!("[devices] {line}");
    let fleet = guarded(
        "devices start",
        start_fleet(&lab.tcp_addr().to_string(), &config, log),
    )
    .await
    .unwrap_or_else(|error| panic!("the devices did not start: {error}"));
    assert_eq!(
        fleet.ids(),
        ["lab-device-1", "lab-device-2"][..count as usize]
    );
    (lab, fleet)
}

/// A raw client that subscribed to some filters and hands out the messages it receives.
struct Watcher {
    client: TcpClient,
    /// Messages that arrived while waiting for something else (a SUBACK).
    early: VecDeque<Publish>,
}

impl Watcher {
    async fn subscribe(addr: SocketAddr, client_id: &str, filters: &[&str]) -> Self {
        let mut client = TcpClient::connect(addr).await;
        client.send(support::connect(client_id, 30)).await;
        support::assert_connack_success(&client.next_packet().await.expect("CONNACK"));
        let mut watcher = Self {
            client,
            early: VecDeque::new(),
        };
        for (pkid, filter) in (1..).zip(filters) {
            let subscribe = support::subscribe(pkid, filter, QoS::AtLeastOnce);
            watcher.client.send(subscribe).await;
            // Retained messages may come before the SUBACK: keep them.
            loop {
                match watcher.client.next_packet().await {
                    Some(Packet::SubAck(ack)) if ack.pkid == pkid => break,
                    Some(Packet::Publish(publish)) => watcher.take(publish).await,
                    Some(_) => {}
                    None => panic!("the broker closed the connection while subscribing"),
                }
            }
        }
        watcher
    }

    async fn take(&mut self, publish: Publish) {
        if publish.qos == QoS::AtLeastOnce {
            self.client.send(support::puback(publish.pkid)).await;
        }
        self.early.push_back(publish);
    }

    async fn next_message(&mut self) -> Publish {
        loop {
            if let Some(publish) = self.early.pop_front() {
                return publish;
            }
            match self.client.next_packet().await {
                Some(Packet::Publish(publish)) => self.take(publish).await,
                Some(_) => {}
                None => panic!("the broker closed the connection"),
            }
        }
    }

    /// The next event on `topic`, decoded.
    async fn next_event(&mut self, topic: &str) -> (DeviceEvent, bool) {
        loop {
            let message = self.next_message().await;
            if message.topic == topic {
                let event = DeviceEvent::from_json(&message.payload).expect("an event");
                return (event, message.retain);
            }
        }
    }

    async fn publish(&mut self, topic: &str, payload: &[u8]) {
        let publish = support::publish(0, topic, QoS::AtMostOnce, payload.to_vec());
        self.client.send(publish).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_subscriber_gets_every_devices_retained_info() {
    let (lab, _fleet) = lab_with_devices(2).await;
    guarded("retained info", async {
        let mut watcher = Watcher::subscribe(lab.tcp_addr(), "late", &["device/+/info"]).await;
        let mut ids = BTreeSet::new();
        while ids.len() < 2 {
            let message = watcher.next_message().await;
            assert!(message.retain, "{} should be retained", message.topic);
            let info = DeviceDescriptor::from_json(&message.payload).expect("a descriptor");
            assert_eq!(message.topic, format!("device/{}/info", info.device_id));
            assert_eq!(info.device_type, "smart-object");
            ids.insert(info.device_id);
        }
        assert_eq!(
            ids,
            BTreeSet::from(["lab-device-1".into(), "lab-device-2".into()])
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_and_sensor_readings_keep_coming_from_every_device() {
    let (lab, _fleet) = lab_with_devices(2).await;
    guarded("telemetry", async {
        let filters = ["device/+/telemetry/#", "device/+/sensor/#"];
        let mut watcher = Watcher::subscribe(lab.tcp_addr(), "telemetry", &filters).await;
        let mut seen = BTreeSet::new();
        // 2 devices × (4 telemetry resources + 1 sensor reading)
        while seen.len() < 10 {
            let message = watcher.next_message().await;
            assert!(!message.retain, "{}", message.topic);
            let reading = MessageDescriptor::from_json(&message.payload).expect("a reading");
            let levels: Vec<&str> = message.topic.split('/').collect();
            let [_, device, kind, resource] = levels[..] else {
                panic!("unexpected topic {}", message.topic);
            };
            assert_eq!(reading.r#type, resource);
            assert!(reading.timestamp > 1_700_000_000_000, "Unix milliseconds");
            seen.insert(format!("{device}/{kind}/{resource}"));
        }
        assert!(seen.contains("lab-device-2/sensor/temperature"), "{seen:?}");
        assert!(
            seen.contains("lab-device-1/telemetry/brightness"),
            "{seen:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_action_is_answered_with_a_retained_event_and_telemetry() {
    let (lab, _fleet) = lab_with_devices(2).await;
    guarded("light action", async {
        let event_topic = "device/lab-device-1/event";
        let filters = [event_topic, "device/lab-device-1/telemetry/light"];
        let mut watcher = Watcher::subscribe(lab.tcp_addr(), "commander", &filters).await;
        let (online, retained) = watcher.next_event(event_topic).await;
        assert!(retained);
        assert_eq!(
            (online.r#type.as_str(), &online.value),
            ("status", &Value::from("online"))
        );

        let action = br#"{"action":"light","value":"on"}"#;
        watcher.publish("device/lab-device-1/action", action).await;
        // The broker keeps one log per filter, so the event and the telemetry may come in
        // either order; telemetry from before the action says 0.
        let (mut light, mut lit) = (None, false);
        while light.is_none() || !lit {
            let message = watcher.next_message().await;
            if message.topic == event_topic {
                light = Some(DeviceEvent::from_json(&message.payload).expect("an event"));
            } else {
                let reading = MessageDescriptor::from_json(&message.payload).expect("a reading");
                lit |= reading.value == 1.0;
            }
        }
        let light = light.expect("the light event");
        assert_eq!(
            (light.r#type.as_str(), &light.value),
            ("light", &Value::from("on"))
        );
        assert_eq!(light.message.as_deref(), Some("light switched on"));

        // The event stays: a client that comes later is told at once.
        let mut late = Watcher::subscribe(lab.tcp_addr(), "later", &[event_topic]).await;
        let (latest, retained) = late.next_event(event_topic).await;
        assert!(retained);
        assert_eq!(latest, light);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_action_yields_an_error_event_saying_why() {
    let (lab, _fleet) = lab_with_devices(1).await;
    guarded("invalid action", async {
        let event_topic = "device/lab-device-1/event";
        let mut watcher = Watcher::subscribe(lab.tcp_addr(), "clumsy", &[event_topic]).await;
        watcher.next_event(event_topic).await; // the retained "online"
        let action = br#"{"action":"light","value":"dim"}"#;
        watcher.publish("device/lab-device-1/action", action).await;
        let (error, _) = watcher.next_event(event_topic).await;
        assert_eq!(error.r#type, "error");
        assert_eq!(
            error.value,
            Value::from(r#"{"action":"light","value":"dim"}"#)
        );
        assert_eq!(
            error.message.as_deref(),
            Some("the \"light\" action takes \"on\", \"off\" or \"toggle\", not \"dim\"")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_vanishes_is_marked_offline_by_its_will() {
    let (lab, fleet) = lab_with_devices(2).await;
    guarded("last will", async {
        let event_topic = "device/lab-device-2/event";
        let mut watcher = Watcher::subscribe(lab.tcp_addr(), "mourner", &[event_topic]).await;
        watcher.next_event(event_topic).await; // the retained "online"
        drop(fleet); // connections dropped, no DISCONNECT
        let (will, _) = watcher.next_event(event_topic).await;
        assert_eq!(will, DeviceEvent::offline());
    })
    .await;
}
