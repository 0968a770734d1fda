//! The challenge view's context: the plain [`ChallengeModel`] in a signal, the run, its
//! traffic log and a clock for the elapsed time. It outlives the view, so a run goes on
//! while the user looks at another view.

use gloo_timers::callback::Interval;
use leptos::prelude::*;

use super::live_log::LiveLog;
use crate::driver::challenge_run::{ChallengeRun, RunStartError, RunUpdate};
use crate::driver::client::BrokerSettings;
use crate::driver::clock::now_ms;
use crate::state::challenge::ChallengeModel;
use crate::state::log::Direction;
use challenge::ClientConfig;

/// Everything the challenge view shows, as a `Copy` context.
#[derive(Clone, Copy)]
pub struct ChallengeState {
    pub model: RwSignal<ChallengeModel>,
    pub log: LiveLog,
    /// The page clock, ticking while a run goes on (for the elapsed time).
    pub clock: RwSignal<f64>,
    run: StoredValue<Option<ChallengeRun>, LocalStorage>,
    ticker: StoredValue<Option<Interval>, LocalStorage>,
}

impl ChallengeState {
    pub fn new() -> Self {
        Self {
            model: RwSignal::new(ChallengeModel::new()),
            log: LiveLog::new(),
            clock: RwSignal::new(0.0),
            run: StoredValue::new_local(None),
            ticker: StoredValue::new_local(None),
        }
    }

    /// Starts a run, ending any previous one.
    pub fn start(
        &self,
        settings: &BrokerSettings,
        config: ClientConfig,
    ) -> Result<(), RunStartError> {
        if let Some(run) = self.run.get_value() {
            run.stop();
        }
        self.log.clear();
        let now = now_ms();
        self.model.update(|m| m.start(now));
        self.clock.set(now);
        self.log.note(
            Direction::Info,
            format!(
                "connecting to {} as {} for user id {}",
                settings.url.trim(),
                settings.client_id,
                config.user_id
            ),
        );
        let this = *self;
        match ChallengeRun::start(settings, config, move |update| this.apply(update)) {
            Ok(run) => {
                self.run.set_value(Some(run));
                let clock = self.clock;
                self.ticker.set_value(Some(Interval::new(100, move || {
                    clock.try_set(now_ms());
                })));
                Ok(())
            }
            Err(error) => {
                let mut log = self.log;
                self.model
                    .update(|m| m.fail_to_start(now_ms(), &error.to_string(), &mut log));
                Err(error)
            }
        }
    }

    /// Ends the run at the user's request.
    pub fn stop(&self) {
        self.model.update(|m| m.stop_requested());
        if let Some(run) = self.run.get_value() {
            run.stop();
        }
    }

    fn apply(&self, update: RunUpdate) {
        let mut log = self.log;
        self.model.try_update(|m| m.apply(update, &mut log));
        if !self.model.with_untracked(ChallengeModel::is_running) {
            self.ticker.try_set_value(None);
        }
    }
}

impl Default for ChallengeState {
    fn default() -> Self {
        Self::new()
    }
}
