//! Simulated smart objects (`devices::SmartObject`, the seed's fifth exercise) on a broker, so
//! the playground has something to watch and to command from the first minute.
//!
//! Each device is an ordinary MQTT client on its own connection (client id `lab-device-<i>`),
//! driven over TCP by [`crate::mqtt_tcp`]: it connects with a retained `offline` last will,
//! announces itself (retained info and `online` event), subscribes to its action topic,
//! publishes telemetry at every interval, and answers actions with telemetry and a retained
//! event. Beside its telemetry it publishes the device exercise's reading, a
//! `MessageDescriptor` on `device/<id>/sensor/temperature` (QoS 0, not retained), so the
//! seed's third exercise has a producer too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use devices::SmartObject;
use mqtt_session::{CloseReason, ConnectOptions, Instant, LastWill};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::error::FleetError;
use self::handler::DeviceHandler;
use crate::mqtt_tcp::MqttTcpClient;

mod error;
mod handler;

/// Devices the lab simulates unless told otherwise (`--devices`).
pub const DEFAULT_DEVICES: u32 = 3;
/// Telemetry interval unless told otherwise (`--telemetry-ms`).
pub const DEFAULT_TELEMETRY: Duration = Duration::from_millis(2000);

/// How many devices, how often they report, and the seed of their sensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetConfig {
    /// 0 = none.
    pub count: u32,
    pub telemetry: Duration,
    /// Device `i` draws from `seed + i`, so a run's readings replay from its seed.
    pub seed: u64,
}

impl FleetConfig {
    pub fn new(seed: u64) -> Self {
        Self {
            count: DEFAULT_DEVICES,
            telemetry: DEFAULT_TELEMETRY,
            seed,
        }
    }
}

/// `lab-device-<i>`, counting from 1.
pub fn device_id(i: u32) -> String {
    format!("lab-device-{i}")
}

/// The ready block's line: `3 simulated (device/lab-device-1..3, telemetry every 2000 ms)`.
pub fn describe(config: &FleetConfig) -> String {
    let ms = config.telemetry.as_millis();
    match config.count {
        0 => "off (--devices 0)".to_string(),
        1 => format!("1 simulated (device/lab-device-1, telemetry every {ms} ms)"),
        n => format!("{n} simulated (device/lab-device-1..{n}, telemetry every {ms} ms)"),
    }
}

/// Started devices: announced and subscribed. Dropping this stops them without DISCONNECT, so
/// the broker publishes their `offline` wills.
pub struct RunningFleet {
    tasks: Vec<(String, JoinHandle<CloseReason>)>,
}

impl RunningFleet {
    /// The devices' ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.tasks.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Resolves when one of the devices' connection ends, with its id and the reason, and
    /// forgets that device; never once none is left.
    pub async fn next_stopped(&mut self) -> (String, CloseReason) {
        if self.tasks.is_empty() {
            std::future::pending::<()>().await;
        }
        let handles = self.tasks.iter_mut().map(|(_, task)| task);
        let (result, index, _) = futures_util::future::select_all(handles).await;
        let reason = result.unwrap_or_else(|error| {
            CloseReason::TransportClosed(format!("the device's task failed ({error})"))
        });
        (self.tasks.remove(index).0, reason)
    }
}

impl Drop for RunningFleet {
    fn drop(&mut self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
    }
}

/// Connects `config.count` devices to the broker at `addr` and returns once every one has
/// announced itself (its retained info acknowledged) and subscribed to its action topic.
/// `log` gets one line per action answered and per warning, from the devices' tasks.
pub async fn start_fleet<L>(
    addr: &str,
    config: &FleetConfig,
    log: L,
) -> Result<RunningFleet, FleetError>
where
    L: Fn(String) + Clone + Send + 'static,
{
    let mut fleet = RunningFleet { tasks: Vec::new() };
    let mut readiness = Vec::new();
    for i in 1..=config.count {
        let id = device_id(i);
        let object = SmartObject::new(
            id.clone(),
            config.seed.wrapping_add(u64::from(i)),
            config.telemetry,
        );
        let mut options = ConnectOptions::new(id.clone());
        let will = object.last_will();
        options.last_will = Some(LastWill {
            topic: will.topic,
            payload: will.payload.into(),
            qos: will.qos,
            retain: will.retain,
            properties: Default::default(),
        });
        let client = MqttTcpClient::new(addr, options).map_err(|error| FleetError::Options {
            device: id.clone(),
            error,
        })?;
        let (ready_tx, ready_rx) = oneshot::channel();
        let mut handler = DeviceHandler::new(
            object.with_unix_origin(unix_origin(client.now())),
            ready_tx,
            log.clone(),
        );
        fleet.tasks.push((
            id.clone(),
            tokio::spawn(async move { client.run(&mut handler).await }),
        ));
        readiness.push((id, ready_rx));
    }
    for (index, (device, ready)) in readiness.into_iter().enumerate() {
        match ready.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error),
            // The handler is dropped without a word only when `run` returned.
            Err(_) => {
                let reason = match (&mut fleet.tasks[index].1).await {
                    Ok(reason) => reason,
                    Err(error) => {
                        CloseReason::TransportClosed(format!("its task failed ({error})"))
                    }
                };
                return Err(FleetError::Closed { device, reason });
            }
        }
    }
    Ok(fleet)
}

/// The Unix time in milliseconds of the driver's `Instant` 0, so that readings carry
/// wall-clock timestamps: the one clock read the devices need, here in the IO layer.
fn unix_origin(now: Instant) -> u64 {
    let unix_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    unix_now.saturating_sub(now.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_block_names_the_devices_and_their_cadence() {
        let mut config = FleetConfig::new(1);
        assert_eq!(
            describe(&config),
            "3 simulated (device/lab-device-1..3, telemetry every 2000 ms)"
        );
        config.count = 1;
        config.telemetry = Duration::from_millis(50);
        assert_eq!(
            describe(&config),
            "1 simulated (device/lab-device-1, telemetry every 50 ms)"
        );
        config.count = 0;
        assert_eq!(describe(&config), "off (--devices 0)");
    }
}
