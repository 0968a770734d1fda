//! What a connection needs to start: the broker settings the user typed, and why a start
//! can fail before anything is sent.

use std::time::Duration;

use mqtt_session::{ConnectOptions, Credentials, OptionsError};

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
}

impl BrokerSettings {
    /// The session options these settings describe.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.client_id.trim());
        options.keep_alive = Duration::from_secs(u64::from(self.keep_alive_secs));
        options.clean_session = self.clean_session;
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
