//! What a client asks for when it connects, validated once, before anything is encoded.

use core::time::Duration;

use bytes::Bytes;

use crate::error::OptionsError;
use crate::packet::{ConnectProperties, ProtocolVersion, QoS, WillProperties};
use crate::topic::{validate_topic_name, MAX_STRING_LEN};

/// Largest inbound packet accepted by default (remaining length, bytes).
///
/// Big enough for any realistic sensor payload or image snippet; small enough that a
/// hostile broker cannot make a browser tab buffer hundreds of megabytes.
pub const DEFAULT_MAX_INBOUND_PACKET: usize = 1024 * 1024;

/// Default for [`ConnectOptions::max_inflight`]: mosquitto's default limit.
pub const DEFAULT_MAX_INFLIGHT: usize = 20;

/// User name and optional password sent in CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    /// MQTT 3.1.1 allows a password only together with a user name [MQTT-3.1.2-22];
    /// MQTT 5 allows one alone (an empty `username` then sends none).
    pub password: Option<String>,
}

/// The message the broker publishes on the client's behalf if it vanishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWill {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 only: will delay, message expiry, content type, response topic, correlation
    /// data, user properties.
    pub properties: WillProperties,
}

/// Everything CONNECT carries, plus the client's own limits and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// MQTT 3.1.1 or 5.0 on the wire; the session behaves the same otherwise.
    pub protocol: ProtocolVersion,
    /// Empty: the broker assigns one (MQTT 5 reports it in CONNACK, and the session uses
    /// it on later connections so the session can be resumed).
    pub client_id: String,
    /// MQTT 5 calls it Clean Start; the session expiry decides whether the broker keeps
    /// the session after the connection (see [`ConnectProperties`]).
    pub clean_session: bool,
    /// Keepalive interval; zero disables it [MQTT-3.1.2-10]. Whole seconds on the wire:
    /// a fraction is dropped (10.9 s is announced and pinged as 10 s), and a keepalive
    /// under one second becomes 1 s rather than 0, which would turn it off.
    pub keep_alive: Duration,
    pub credentials: Option<Credentials>,
    pub last_will: Option<LastWill>,
    /// How long to wait for CONNACK after the transport opened.
    pub connect_timeout: Duration,
    /// How long to wait for PINGRESP after a PINGREQ before declaring the link dead.
    pub ping_timeout: Duration,
    /// Inbound packets whose remaining length exceeds this close the connection.
    pub max_inbound_packet: usize,
    /// QoS 1/2 publishes sent and not yet completed (PUBACK/PUBCOMP); later ones wait in
    /// the session, in order, and go out as earlier ones complete. MQTT 3.1.1 has no
    /// flow control of its own, and brokers enforce one anyway: past its
    /// `max_inflight_messages` (20 by default) mosquitto acknowledges QoS 2 messages from a
    /// 3.1.1 client but never delivers them. At least 1.
    pub max_inflight: usize,
    /// MQTT 5 only: session expiry, receive maximum, topic alias maximum, problem
    /// information, user properties. The session also announces `max_inbound_packet` as
    /// its maximum packet size.
    pub properties: ConnectProperties,
}

impl ConnectOptions {
    /// Options with the usual defaults: clean session, 60 s keepalive, 10 s timeouts.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            protocol: ProtocolVersion::V311,
            client_id: client_id.into(),
            clean_session: true,
            keep_alive: Duration::from_secs(60),
            credentials: None,
            last_will: None,
            connect_timeout: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(10),
            max_inbound_packet: DEFAULT_MAX_INBOUND_PACKET,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            properties: ConnectProperties::default(),
        }
    }

    /// Checks every rule mqttbytes would not: string lengths, will topic, keepalive range.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.client_id.len() > MAX_STRING_LEN {
            return Err(OptionsError::ClientIdTooLong(self.client_id.len()));
        }
        // [MQTT-3.1.3-7]: a zero-length client id requires CleanSession = 1.
        if self.client_id.is_empty() && !self.clean_session {
            return Err(OptionsError::EmptyClientIdNeedsCleanSession);
        }
        if self.keep_alive.as_secs() > u64::from(u16::MAX) {
            return Err(OptionsError::KeepAliveTooLong(self.keep_alive.as_secs()));
        }
        if let Some(credentials) = &self.credentials {
            if credentials.username.is_empty()
                && (self.protocol == ProtocolVersion::V311 || credentials.password.is_none())
            {
                return Err(OptionsError::EmptyUsername);
            }
            let password_len = credentials.password.as_ref().map_or(0, String::len);
            if credentials.username.len() > MAX_STRING_LEN || password_len > MAX_STRING_LEN {
                return Err(OptionsError::CredentialsTooLong);
            }
        }
        if let Some(will) = &self.last_will {
            validate_topic_name(&will.topic).map_err(OptionsError::WillTopic)?;
            if will.payload.len() > MAX_STRING_LEN {
                return Err(OptionsError::WillPayloadTooLong(will.payload.len()));
            }
        }
        if self.protocol == ProtocolVersion::V311 {
            let will_properties = self.last_will.as_ref().map(|w| &w.properties);
            if self.properties != ConnectProperties::default()
                || will_properties.is_some_and(|p| *p != WillProperties::default())
            {
                return Err(OptionsError::NeedsMqtt5("CONNECT and will properties"));
            }
        }
        if self.properties.receive_maximum == Some(0) {
            return Err(OptionsError::ReceiveMaximumZero); // [MQTT-3.1.2-...]: 0 is an error
        }
        let strings = self.properties.user_properties.iter().chain(
            self.last_will
                .iter()
                .flat_map(|w| w.properties.message.user_properties.iter()),
        );
        for (name, value) in strings {
            if name.len() > MAX_STRING_LEN || value.len() > MAX_STRING_LEN {
                return Err(OptionsError::UserPropertyTooLong);
            }
        }
        // mqttbytes would write an over-long string with a wrong length prefix.
        if let Some(will) = &self.last_will {
            let m = &will.properties.message;
            let too_long = m
                .content_type
                .iter()
                .chain(&m.response_topic)
                .map(String::len)
                .chain(m.correlation_data.iter().map(Bytes::len))
                .any(|len| len > MAX_STRING_LEN);
            if too_long {
                return Err(OptionsError::WillPropertyTooLong);
            }
        }
        Ok(())
    }

    /// The session expiry CONNECT announces under MQTT 5: the one set, else 0 with a clean
    /// session and "never" without (MQTT 3.1.1's meaning of a persistent session).
    pub fn session_expiry(&self) -> u32 {
        match self.properties.session_expiry_interval {
            Some(secs) => secs,
            None if self.clean_session => 0,
            None => u32::MAX,
        }
    }

    /// Keepalive as it goes on the wire (whole seconds; validated to fit a `u16`).
    pub(crate) fn keep_alive_secs(&self) -> u16 {
        let secs = match self.keep_alive.as_secs() {
            0 if !self.keep_alive.is_zero() => 1,
            secs => secs,
        };
        u16::try_from(secs).unwrap_or(u16::MAX)
    }

    /// The interval the client pings at: exactly the one CONNECT announced, so a
    /// fractional keepalive is never pinged later than the broker was told. `None`: off.
    pub(crate) fn keep_alive_interval(&self) -> Option<Duration> {
        match self.keep_alive_secs() {
            0 => None,
            secs => Some(Duration::from_secs(u64::from(secs))),
        }
    }
}
