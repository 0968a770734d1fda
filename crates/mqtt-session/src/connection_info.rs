//! What the broker said about this connection in CONNACK, and the limits that follow from
//! it: under MQTT 3.1.1 nothing is said and every default below applies.

use crate::packet::{ConnAckProperties, ProtocolVersion, QoS};

/// The connection as the broker accepted it. [`crate::Session::connection_info`] holds it
/// while connected; the session honours every limit in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub protocol: ProtocolVersion,
    pub session_present: bool,
    /// The CONNACK's properties exactly as received (empty under 3.1.1).
    pub properties: ConnAckProperties,
    /// The keepalive CONNECT asked for, in seconds.
    pub requested_keep_alive: u16,
    /// The session expiry CONNECT asked for, in seconds.
    pub requested_session_expiry: u32,
}

impl ConnectionInfo {
    /// The keepalive in force: the broker's server keep alive if it set one
    /// [MQTT-3.2.2-21], else the one CONNECT announced.
    pub fn keep_alive_secs(&self) -> u16 {
        self.properties
            .server_keep_alive
            .unwrap_or(self.requested_keep_alive)
    }

    /// QoS 1/2 messages the broker takes in flight at once from this client (65,535 when
    /// it says nothing) [MQTT-3.3.4-9].
    pub fn receive_maximum(&self) -> u16 {
        self.properties.receive_maximum.unwrap_or(u16::MAX)
    }

    /// The highest QoS the broker accepts from this client [MQTT-3.2.2-11].
    pub fn maximum_qos(&self) -> QoS {
        match self.properties.maximum_qos {
            Some(0) => QoS::AtMostOnce,
            Some(1) => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        }
    }

    /// Whether the broker keeps retained messages [MQTT-3.2.2-14].
    pub fn retain_available(&self) -> bool {
        self.properties.retain_available.unwrap_or(true)
    }

    /// The largest packet (whole, header included) the broker accepts, if it set a limit.
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.properties.maximum_packet_size
    }

    pub fn wildcard_subscription_available(&self) -> bool {
        self.properties
            .wildcard_subscription_available
            .unwrap_or(true)
    }

    pub fn shared_subscription_available(&self) -> bool {
        self.properties
            .shared_subscription_available
            .unwrap_or(true)
    }

    pub fn subscription_identifiers_available(&self) -> bool {
        self.protocol == ProtocolVersion::V5
            && self
                .properties
                .subscription_identifiers_available
                .unwrap_or(true)
    }

    /// Seconds the broker keeps the session after this connection ends: its own value if
    /// CONNACK set one [MQTT-3.2.2-...], else the one CONNECT asked for.
    pub fn session_expiry_interval(&self) -> u32 {
        self.properties
            .session_expiry_interval
            .unwrap_or(self.requested_session_expiry)
    }

    /// How many topic aliases the broker accepts from this client (0: none).
    pub fn topic_alias_maximum(&self) -> u16 {
        self.properties.topic_alias_maximum.unwrap_or(0)
    }
}
