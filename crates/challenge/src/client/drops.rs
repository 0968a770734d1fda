//! Living through a lost connection (`ClientConfig::survive_drops`).
//!
//! ```text
//!  Up ──Closed (not our own disconnect)──▶ Down: phase kept, deadlines paused, pending
//!   ▲                                            SUBACKs set aside (lost with the link)
//!   └──────────────Connected { session_present }──┘ deadlines resume; subscribe again what
//!                                                    the broker may not have; owed replies go
//!  NeverUp ──Closed──▶ Failed (nothing to survive yet: the reason shows at once)
//!  any ──handle_ended──▶ Failed(Closed(reason)) (the caller stopped reconnecting)
//! ```
//!
//! What a reconnect means for the run depends on what the broker kept for the client
//! while it was away: with session present and QoS 1/2, its subscriptions and every
//! message queued for them (the unique id, commands) arrive now, and the session resends
//! the replies in flight with DUP, so nothing is lost and, at QoS 2, nothing doubled.
//! Otherwise ([`NothingKept`]) whatever was sent to the client meanwhile is gone: before
//! the unique id the client logs in again; after it, it goes on and says that commands
//! may be lost (the final-message deadline ends the run if one was).
//!
//! Deadlines pause while the link is down: they measure how long the server stays
//! silent, which only a live link can tell. The server's own answer timeout keeps running
//! on its side, so a long outage still ends the run, through the resumed deadline.

use core::time::Duration;

use mqtt_session::store::OutgoingStage;
use mqtt_session::{Abandoned, CloseReason, Instant, QoS};

use super::{ChallengeClient, Failure, NothingKept, Phase, Publication, Warning};
use crate::action::Action;
use crate::protocol::Command;

/// Whether the run's connection is up, as the session's events said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// No `Connected` yet.
    NeverUp,
    Up,
    /// Lost, and lived through: what was left of the phase's deadline.
    Down {
        phase_left: Option<Duration>,
    },
}

/// A reply to publish once the connection is back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owed {
    command: Command,
    /// `Some` if the session abandoned a first copy at this stage.
    again: Option<OutgoingStage>,
}

impl ChallengeClient {
    /// `Event::Closed`: fail, or wait for the next connection in the same phase.
    pub(super) fn on_closed(&mut self, now: Instant, reason: &CloseReason) {
        let survive = self.config.survive_drops && *reason != CloseReason::ClientDisconnect;
        match self.link {
            Link::Up if survive => {
                self.stats.drops += 1;
                let phase_left = self.phase_deadline.take().map(|at| at - now);
                // The session frees pending SUBSCRIBE ids with the connection: no SUBACK
                // will come for them.
                let lost = self.subacks.drain(..).map(|(filter, _)| filter);
                self.resubscribe.extend(lost);
                self.link = Link::Down { phase_left };
            }
            Link::Down { .. } if survive => {} // A retry that did not get through.
            Link::NeverUp if self.config.survive_drops => {
                // The caller would go on retrying behind a failed run: stop it.
                if *reason != CloseReason::ClientDisconnect {
                    self.actions.push_back(Action::Disconnect);
                }
                self.enter(now, Phase::Failed(Failure::Closed(reason.clone())), None);
            }
            _ => self.fail(now, Failure::Closed(reason.clone())),
        }
    }

    /// `Event::Connected` after a lost connection: resume the phase.
    pub(super) fn on_reconnected(&mut self, now: Instant, session_present: bool) {
        let Link::Down { phase_left } = self.link else {
            return;
        };
        self.link = Link::Up;
        self.phase_deadline = phase_left.map(|left| now + left);
        let nothing_kept = if !session_present {
            Some(NothingKept::SessionLost)
        } else if self.config.qos == QoS::AtMostOnce {
            Some(NothingKept::AtMostOnce)
        } else {
            None
        };
        let mut filters = std::mem::take(&mut self.resubscribe);
        let mut need = |filter: &str| {
            if !filters.iter().any(|f| f == filter) {
                filters.push(filter.to_string());
            }
        };
        match self.phase {
            // Subscribe again and log in on the SUBACK: the login may not have gone out.
            Phase::SubscribingUuid | Phase::LoggingIn => {
                need(&self.uuid_topic);
                if self.phase == Phase::LoggingIn {
                    self.enter(now, Phase::SubscribingUuid, None);
                }
            }
            Phase::AwaitingUniqueId => {
                if let Some(why) = nothing_kept {
                    need(&self.uuid_topic);
                    self.warn(now, Warning::LoggingInAgain(why));
                    self.enter(now, Phase::SubscribingUuid, None);
                }
            }
            Phase::AwaitingCommands | Phase::ReceivingCommands => {
                if !session_present {
                    need(self.stats.unique_id.as_deref().unwrap_or_default());
                }
                if let Some(why) = nothing_kept {
                    self.warn(now, Warning::CommandsMayBeLost(why));
                }
            }
            Phase::Connecting | Phase::Done | Phase::Failed(_) => {}
        }
        for filter in filters {
            self.subscribe(now, filter);
        }
        for owed in std::mem::take(&mut self.owed) {
            self.publish_reply(owed.command, owed.again);
        }
    }

    /// `Event::Abandoned`: the session gave up a message it had not completed. If it is a
    /// reply, the server still waits for it: publish it again (now, or once back). A login
    /// is not: the phase logic logs in again when it has to.
    pub(super) fn on_abandoned(&mut self, abandoned: &Abandoned) {
        if !self.config.survive_drops {
            return; // The `Closed` that ends the run follows.
        }
        // Its packet id is free now and may be reused: forget it either way.
        let Some(command) = self.in_flight.remove(&abandoned.pkid) else {
            return;
        };
        let again = Some(abandoned.stage);
        match self.link {
            Link::Up => self.publish_reply(command, again),
            Link::Down { .. } | Link::NeverUp => self.owed.push(Owed { command, again }),
        }
    }

    /// A publish the session refused because the connection had just closed.
    pub(super) fn owe(&mut self, publication: Publication) {
        let owed = match publication {
            // Still `LoggingIn`: the reconnect goes through `SubscribingUuid` again.
            Publication::Login => return,
            Publication::Reply(command) => Owed {
                command,
                again: None,
            },
            Publication::ReplyAgain(command, stage) => Owed {
                command,
                again: Some(stage),
            },
        };
        self.owed.push(owed);
    }
}
