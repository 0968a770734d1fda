//! The stepper: the steps of a run and the phases that start each.

use challenge::Phase;

/// The stepper's steps.
pub const STEPS: [&str; 6] = [
    "Connect",
    "Subscribe <user id>/UUID",
    "Log in",
    "Unique id",
    "Commands",
    "Well done my IoT!",
];

/// The `data-state` of the phase banner; `idle` before any run.
pub fn phase_slug(phase: Option<&Phase>) -> &'static str {
    match phase {
        None => "idle",
        Some(Phase::Connecting) => "connecting",
        Some(Phase::SubscribingUuid) => "subscribing-uuid",
        Some(Phase::LoggingIn) => "logging-in",
        Some(Phase::AwaitingUniqueId) => "awaiting-unique-id",
        Some(Phase::AwaitingCommands) => "awaiting-commands",
        Some(Phase::ReceivingCommands) => "receiving-commands",
        Some(Phase::Done) => "done",
        Some(Phase::Failed(_)) => "failed",
    }
}

/// The step a phase is in; `STEPS.len()` once done; `None` for a failure (the step it
/// failed in is the last one started).
pub(super) fn step_of(phase: &Phase) -> Option<usize> {
    Some(match phase {
        Phase::Connecting => 0,
        Phase::SubscribingUuid => 1,
        Phase::LoggingIn => 2,
        Phase::AwaitingUniqueId => 3,
        Phase::AwaitingCommands | Phase::ReceivingCommands => 4,
        Phase::Done => STEPS.len(),
        Phase::Failed(_) => return None,
    })
}
