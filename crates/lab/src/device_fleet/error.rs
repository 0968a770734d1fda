//! Why a simulated device did not start.

use mqtt_session::{CloseReason, CommandError, OptionsError};

/// Why a device did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    #[error("device {device}'s connect options are invalid: {error}")]
    Options { device: String, error: OptionsError },
    #[error("device {device} could not start: {reason}")]
    Closed { device: String, reason: CloseReason },
    #[error("device {device} could not {what}: {error}")]
    Command {
        device: String,
        what: String,
        error: CommandError,
    },
    #[error("the broker refused device {device}'s subscription to {filter}; its access rules must allow it")]
    Refused { device: String, filter: String },
}
