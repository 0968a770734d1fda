//! One deadline, one timer (in a Worker when it can: see `worker_timer`): how every sans-IO state machine's `poll_timeout` reaches
//! `setTimeout` (the MQTT session, the challenge client, the in-page smart object).
//!
//! The state machines here all tolerate an early call of their `handle_timeout` (they check
//! `now` against their own deadlines and re-report the next one). So a timer already armed
//! for an earlier instant is kept rather than re-armed: sending a packet moves the session's
//! keepalive deadline later, and re-arming on every packet would mean a `setTimeout` per
//! message in a flood.

use std::cell::Cell;
use std::rc::Rc;

use mqtt_session::Instant;

use super::clock::now;
use super::worker_timer::{self, Timer};

/// The longest delay `setTimeout` takes: larger ones overflow and fire at once.
const MAX_DELAY_MS: u32 = i32::MAX as u32;

struct Armed {
    at: Instant,
    /// Cleared when the timer fires, so a fired timer is never mistaken for an armed one.
    pending: Rc<Cell<bool>>,
    _timer: Timer,
}

/// A single timer that follows a state machine's next deadline. Dropping it cancels it.
#[derive(Default)]
#[must_use = "dropping the timer cancels it"]
pub struct DeadlineTimer {
    armed: Option<Armed>,
}

impl DeadlineTimer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows `deadline`: `None` cancels; an instant arms the timer to call `fire` then,
    /// unless it is already armed for that instant or earlier.
    pub fn follow(&mut self, deadline: Option<Instant>, fire: impl FnOnce() + 'static) {
        let Some(at) = deadline else {
            self.armed = None;
            return;
        };
        if let Some(armed) = &self.armed {
            if armed.pending.get() && armed.at <= at {
                return;
            }
        }
        let pending = Rc::new(Cell::new(true));
        let flag = pending.clone();
        let delay = at.saturating_duration_since(now()).as_millis();
        let timer = worker_timer::set_timeout(
            u32::try_from(delay)
                .unwrap_or(MAX_DELAY_MS)
                .min(MAX_DELAY_MS),
            move || {
                flag.set(false);
                fire();
            },
        );
        self.armed = Some(Armed {
            at,
            pending,
            _timer: timer,
        });
    }

    /// Cancels the timer.
    pub fn cancel(&mut self) {
        self.armed = None;
    }
}
