//! What a connection needs to start: the broker settings the user typed, and why a start
//! can fail before anything is sent.

use std::time::Duration;

use mqtt_session::{
    ConnectOptions, ConnectProperties, Credentials, LastWill, OptionsError, ProtocolVersion,
    WillProperties,
};

use super::transport::OpenError;

/// What the user typed in the connection panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerSettings {
    pub url: String,
    pub client_id: String,
    pub username: String,
    pub password: String,
    pub keep_alive_secs: u16,
    pub clean_session: bool,
    /// Reconnect by itself after a lost connection (with backoff), until the user
    /// disconnects or the broker refuses for good.
    pub reconnect: bool,
    /// MQTT 3.1.1 or 5.
    pub protocol: ProtocolVersion,
    /// MQTT 5 CONNECT properties (not sent under 3.1.1).
    pub properties: ConnectProperties,
    /// The last will, if any (its properties are not sent under 3.1.1).
    pub will: Option<LastWill>,
}

impl BrokerSettings {
    /// Settings for `url` and `client_id` with the defaults: no credentials, 60 s
    /// keepalive, clean session, reconnecting, MQTT 3.1.1, no will.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client_id: client_id.into(),
            username: String::new(),
            password: String::new(),
            keep_alive_secs: 60,
            clean_session: true,
            reconnect: true,
            protocol: ProtocolVersion::V311,
            properties: ConnectProperties::default(),
            will: None,
        }
    }

    /// The session options these settings describe.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.client_id.trim());
        options.keep_alive = Duration::from_secs(u64::from(self.keep_alive_secs));
        options.clean_session = self.clean_session;
        options.protocol = self.protocol;
        options.last_will = self.will.clone();
        if self.protocol == ProtocolVersion::V5 {
            options.properties = self.properties.clone();
        } else if let Some(will) = options.last_will.as_mut() {
            will.properties = WillProperties::default();
        }
        let username = self.username.trim();
        if !username.is_empty() || !self.password.is_empty() {
            options.credentials = Some(Credentials {
                username: username.to_string(),
                password: (!self.password.is_empty()).then(|| self.password.clone()),
            });
        }
        options
    }
}

/// Why [`MqttClient::connect`] could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Options(#[from] OptionsError),
    #[error("{0}")]
    Open(#[from] OpenError),
}
