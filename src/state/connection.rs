//! A connection's status line, shared by the client view and every playground endpoint:
//! the one place where an event of the connection becomes the sentence the user reads.

use mqtt_session::CloseReason;

/// The `data-state` of a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Idle,
    Connecting,
    Connected,
    /// The connection was lost; the client tries again by itself.
    Reconnecting,
    Failed,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Idle => "idle",
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Failed => "failed",
        }
    }

    /// Connecting, connected or reconnecting: the Connect button is off, Disconnect on.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            ConnState::Connecting | ConnState::Connected | ConnState::Reconnecting
        )
    }
}

/// A status line: a state and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: ConnState,
    pub text: String,
}

impl Status {
    pub fn idle() -> Self {
        Self::new(ConnState::Idle, "not connected")
    }

    pub fn connecting(url: &str) -> Self {
        Self::new(ConnState::Connecting, format!("connecting to {url}…"))
    }

    pub fn transport_open() -> Self {
        Self::new(
            ConnState::Connecting,
            "WebSocket open, waiting for the broker's CONNACK…",
        )
    }

    pub fn connected(session_present: bool) -> Self {
        let resumed = if session_present {
            " (session resumed)"
        } else {
            ""
        };
        Self::new(ConnState::Connected, format!("connected{resumed}"))
    }

    /// The connection was lost and retry `retry` waits for its time.
    pub fn reconnecting(retry: u32, reason: &CloseReason) -> Self {
        let hint = broker_hint(reason)
            .map(|h| format!("{h}. "))
            .unwrap_or_default();
        Self::new(
            ConnState::Reconnecting,
            format!(
                "connection lost: {}{hint}Reconnecting (attempt {retry})…",
                sentence(reason)
            ),
        )
    }

    /// Retry `retry` is opening a WebSocket.
    pub fn retrying(retry: u32) -> Self {
        Self::new(
            ConnState::Reconnecting,
            format!("reconnecting: attempt {retry}, opening the WebSocket…"),
        )
    }

    /// After the client's last event: idle when the user disconnected, failed with the
    /// reason otherwise.
    pub fn closed(reason: &CloseReason) -> Self {
        match reason {
            CloseReason::ClientDisconnect => Self::new(ConnState::Idle, "disconnected"),
            other => match broker_hint(other) {
                Some(hint) => Self::new(ConnState::Failed, format!("{}{hint}", sentence(other))),
                None => Self::new(ConnState::Failed, other.to_string()),
            },
        }
    }

    /// The connection could not start, or the form was invalid.
    pub fn failed(text: impl Into<String>) -> Self {
        Self::new(ConnState::Failed, text)
    }

    fn new(state: ConnState, text: impl Into<String>) -> Self {
        Self {
            state,
            text: text.into(),
        }
    }
}

impl Default for Status {
    fn default() -> Self {
        Self::idle()
    }
}

/// `reason` as a sentence followed by a space: a full stop added unless it ends with one.
fn sentence(reason: &CloseReason) -> String {
    let text = reason.to_string();
    if text.ends_with(['.', '?', '!']) {
        format!("{text} ")
    } else {
        format!("{text}. ")
    }
}

/// What real brokers are known to do when they refuse a CONNECT this way (NOTES' broker
/// table), as a sentence that follows the refusal: the user learns what to change.
pub fn broker_hint(reason: &CloseReason) -> Option<&'static str> {
    use mqtt_session::ConnectRefusal::*;
    match reason {
        CloseReason::Refused(NotAuthorized | BadUserNameOrPassword) => Some(
            "Some brokers refuse every CONNECT without a password, even for an anonymous \
             login (ejabberd does): if you left the password empty, enter a user name and \
             password",
        ),
        CloseReason::Refused(UnacceptableProtocolVersion) => Some(
            "Brokers that speak MQTT 3.1.1 only (aedes, the lab's embedded broker) refuse an \
             MQTT 5 CONNECT this way: choose MQTT 3.1.1",
        ),
        CloseReason::ConnectTimeout(_) => Some(
            "If you chose MQTT 5: some brokers that speak MQTT 3.1.1 only never answer an \
             MQTT 5 CONNECT (amqtt 0.12 stays silent): choose MQTT 3.1.1",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod hint_tests {
    use super::*;
    use mqtt_session::ConnectRefusal;

    #[test]
    fn a_refused_login_says_some_brokers_want_a_password_even_for_anonymous_logins() {
        let status = Status::closed(&CloseReason::Refused(ConnectRefusal::NotAuthorized));
        assert_eq!(status.state, ConnState::Failed);
        assert!(status.text.contains("not authorized"), "{}", status.text);
        assert!(status.text.contains("ejabberd"), "{}", status.text);
    }

    #[test]
    fn a_refused_protocol_version_suggests_mqtt_3_1_1() {
        let refusal = CloseReason::Refused(ConnectRefusal::UnacceptableProtocolVersion);
        let text = Status::closed(&refusal).text;
        assert!(text.contains("choose MQTT 3.1.1"), "{text}");
        assert!(text.contains("aedes"), "{text}");
    }

    #[test]
    fn a_silent_broker_may_be_a_3_1_1_broker_ignoring_mqtt_5() {
        let text = Status::closed(&CloseReason::ConnectTimeout(10)).text;
        assert!(text.contains("choose MQTT 3.1.1"), "{text}");
        assert!(!text.contains("?."), "{text}");
        let text = Status::reconnecting(2, &CloseReason::ConnectTimeout(10)).text;
        assert!(text.contains("amqtt"), "{text}");
        assert!(text.ends_with("Reconnecting (attempt 2)…"), "{text}");
    }

    #[test]
    fn other_closes_carry_no_broker_hint() {
        let refusal = CloseReason::Refused(ConnectRefusal::ServerUnavailable);
        assert_eq!(broker_hint(&refusal), None);
        assert_eq!(broker_hint(&CloseReason::KeepAliveTimeout(30)), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_the_user_asked_for_is_idle_and_any_other_is_a_failure_with_its_reason() {
        let by_user = Status::closed(&CloseReason::ClientDisconnect);
        assert_eq!(
            (by_user.state, by_user.text.as_str()),
            (ConnState::Idle, "disconnected")
        );
        let lost = Status::closed(&CloseReason::KeepAliveTimeout(90));
        assert_eq!(lost.state, ConnState::Failed);
        assert!(lost.text.contains("stopped answering"), "{}", lost.text);
    }

    #[test]
    fn reconnecting_is_busy_and_says_why_and_which_attempt() {
        let s = Status::reconnecting(3, &CloseReason::KeepAliveTimeout(30));
        assert_eq!(s.state.as_str(), "reconnecting");
        assert!(s.state.is_busy());
        assert!(s.text.contains("attempt 3"), "{}", s.text);
        assert!(s.text.contains("stopped answering"), "{}", s.text);
    }

    #[test]
    fn a_resumed_session_says_so() {
        assert_eq!(Status::connected(true).text, "connected (session resumed)");
        assert_eq!(Status::connected(false).text, "connected");
        assert!(Status::connected(false).state.is_busy());
    }
}

/// What the broker said about the connection (CONNACK), as (name, value) rows for the
/// connection info panel; the limits the session honours, with their defaults spelled
/// out when the broker said nothing.
pub fn connection_info_rows(info: &mqtt_session::ConnectionInfo) -> Vec<(&'static str, String)> {
    use mqtt_session::ProtocolVersion;
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let p = &info.properties;
    let mut rows = vec![
        ("protocol", format!("MQTT {}", info.protocol)),
        ("session present", yes_no(info.session_present)),
        ("keepalive", {
            let secs = info.keep_alive_secs();
            match p.server_keep_alive {
                Some(_) => format!("{secs} s (set by the broker)"),
                None => format!("{secs} s"),
            }
        }),
    ];
    if info.protocol == ProtocolVersion::V311 {
        return rows;
    }
    if let Some(id) = &p.assigned_client_identifier {
        rows.push(("assigned client id", id.clone()));
    }
    let expiry = info.session_expiry_interval();
    rows.push((
        "session expiry",
        match expiry {
            0 => "0 s (ends with the connection)".to_string(),
            u32::MAX => "never".to_string(),
            secs => format!("{secs} s"),
        },
    ));
    rows.push(("receive maximum", info.receive_maximum().to_string()));
    rows.push(("maximum QoS", (info.maximum_qos() as u8).to_string()));
    rows.push(("retain available", yes_no(info.retain_available())));
    rows.push((
        "maximum packet size",
        info.maximum_packet_size()
            .map_or("no limit".to_string(), |n| format!("{n} bytes")),
    ));
    rows.push((
        "topic alias maximum",
        info.topic_alias_maximum().to_string(),
    ));
    rows.push((
        "wildcard subscriptions",
        yes_no(info.wildcard_subscription_available()),
    ));
    rows.push((
        "shared subscriptions",
        yes_no(info.shared_subscription_available()),
    ));
    rows.push((
        "subscription identifiers",
        yes_no(info.subscription_identifiers_available()),
    ));
    if let Some(text) = &p.reason_string {
        rows.push(("reason string", text.clone()));
    }
    if let Some(text) = &p.server_reference {
        rows.push(("server reference", text.clone()));
    }
    if let Some(text) = &p.response_information {
        rows.push(("response information", text.clone()));
    }
    for (name, value) in &p.user_properties {
        rows.push(("user property", format!("{name} = {value}")));
    }
    rows
}

#[cfg(test)]
mod info_tests {
    use super::connection_info_rows;
    use mqtt_session::{ConnAckProperties, ConnectionInfo, ProtocolVersion};

    fn info(protocol: ProtocolVersion, properties: ConnAckProperties) -> ConnectionInfo {
        ConnectionInfo {
            protocol,
            session_present: false,
            properties,
            requested_keep_alive: 60,
            requested_session_expiry: 0,
        }
    }

    #[test]
    fn mqtt_311_shows_only_what_it_has() {
        let rows = connection_info_rows(&info(ProtocolVersion::V311, ConnAckProperties::default()));
        let names: Vec<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["protocol", "session present", "keepalive"]);
    }

    #[test]
    fn mqtt_5_spells_out_defaults_and_the_brokers_values() {
        let rows = connection_info_rows(&info(
            ProtocolVersion::V5,
            ConnAckProperties {
                server_keep_alive: Some(20),
                receive_maximum: Some(10),
                maximum_qos: Some(1),
                assigned_client_identifier: Some("auto-1".into()),
                ..ConnAckProperties::default()
            },
        ));
        let get = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| r.1.clone());
        assert_eq!(
            get("keepalive").as_deref(),
            Some("20 s (set by the broker)")
        );
        assert_eq!(get("receive maximum").as_deref(), Some("10"));
        assert_eq!(get("maximum QoS").as_deref(), Some("1"));
        assert_eq!(get("retain available").as_deref(), Some("yes"));
        assert_eq!(get("maximum packet size").as_deref(), Some("no limit"));
        assert_eq!(get("assigned client id").as_deref(), Some("auto-1"));
        assert_eq!(
            get("session expiry").as_deref(),
            Some("0 s (ends with the connection)")
        );
    }
}
