//! The run's connection: its client id, and what the connection line shows.

/// The MQTT client id of a run for `user_id`: the user id (what a client id may hold of
/// it) and a random suffix, the same across the run's reconnects so the broker keeps its
/// session, different from one run to the next so no run inherits another's. The lab's
/// `/control/cut?client=challenge-<user id>-` reaches exactly the runs of one user.
pub fn client_id(user_id: &str, suffix: u32) -> String {
    let user: String = user_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    format!("challenge-{user}-{suffix:08x}")
}

/// The run's connection as the connection line shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Connection {
    /// No run yet.
    #[default]
    Idle,
    /// The run's first connection is being made.
    Connecting,
    /// CONNACK accepted; after a drop, whether the broker kept the session.
    Connected { session_present: bool },
    /// Lost; retry number `retry` is due at `at` (page clock, ms).
    Reconnecting { retry: u32, at: f64, reason: String },
    /// No more connections for this run.
    Closed,
}

/// The `data-state` of the connection line.
pub fn connection_slug(connection: &Connection) -> &'static str {
    match connection {
        Connection::Idle => "idle",
        Connection::Connecting => "connecting",
        Connection::Connected { .. } => "connected",
        Connection::Reconnecting { .. } => "reconnecting",
        Connection::Closed => "closed",
    }
}
