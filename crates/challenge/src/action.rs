//! What either role asks its caller to do with its MQTT session.

use mqtt_session::QoS;

/// One MQTT operation for the caller to perform on its `mqtt_session::Session`.
///
/// The challenge roles never encode MQTT: they say what to subscribe to and publish, and
/// the caller's session turns that into packets. That keeps one MQTT implementation in
/// the project and lets the same role run over a WebSocket, TCP or an in-memory broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `session.subscribe(now, vec![(filter, qos)])`.
    Subscribe { filter: String, qos: QoS },
    /// `session.publish(now, &topic, payload.into(), qos, retain)`.
    Publish {
        topic: String,
        payload: String,
        qos: QoS,
        /// Always `false`: a retained command or unique id would be replayed to the next
        /// client that subscribes, which would then answer a session that is not its own.
        retain: bool,
    },
    /// `session.disconnect(now)`: the challenge is over ("we can disconnect from the broker").
    Disconnect,
}

impl Action {
    pub(crate) fn publish(topic: String, payload: impl Into<String>, qos: QoS) -> Self {
        Action::Publish {
            topic,
            payload: payload.into(),
            qos,
            retain: false,
        }
    }
}
