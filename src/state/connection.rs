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
        Self::new(
            ConnState::Reconnecting,
            format!("connection lost: {reason}. Reconnecting (attempt {retry})…"),
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
            other => Self::new(ConnState::Failed, other.to_string()),
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
