//! The ARIA live region for incoming messages: `ClientState` tells the [`Announcer`] of each
//! message; the plain [`Announcements`] decides when to speak (at most one summary every few
//! seconds) and a [`DeadlineTimer`] speaks what a burst left pending. The user can turn it
//! off (remembered in localStorage).

use leptos::prelude::*;

use super::client_state::ClientState;
use crate::driver::clock::now;
use crate::driver::deadline::DeadlineTimer;
use crate::state::announce::{Announcements, MIN_INTERVAL_MS};

/// localStorage key of the setting ("off" when turned off).
const STORAGE_KEY: &str = "mqtt-playground.announce";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// A `Copy` handle on the announcements: what the live region says, and the switch.
#[derive(Clone, Copy)]
pub struct Announcer {
    model: StoredValue<Announcements, LocalStorage>,
    timer: StoredValue<DeadlineTimer, LocalStorage>,
    /// The sentence in the live region.
    pub text: RwSignal<String>,
    pub enabled: RwSignal<bool>,
}

impl Announcer {
    pub fn new() -> Self {
        let on = storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .is_none_or(|v| v != "off");
        Self {
            model: StoredValue::new_local(Announcements::new(on)),
            timer: StoredValue::new_local(DeadlineTimer::new()),
            text: RwSignal::new(String::new()),
            enabled: RwSignal::new(on),
        }
    }

    /// A message arrived on `topic`. Changes the live region's signal only when a sentence
    /// is due (at most once per interval), never per message.
    pub fn message(&self, topic: &str) {
        let said = self
            .model
            .try_update_value(|m| m.on_message(topic, now()))
            .flatten();
        self.say(said);
    }

    /// Turns announcements on or off, and remembers it.
    pub fn set_enabled(&self, on: bool) {
        self.model.update_value(|m| m.set_enabled(on));
        self.enabled.set(on);
        if !on {
            self.text.set(String::new());
        }
        if let Some(s) = storage() {
            // Best effort: without storage the setting lasts until the page is closed.
            let _ = if on {
                s.remove_item(STORAGE_KEY)
            } else {
                s.set_item(STORAGE_KEY, "off")
            };
        }
        self.say(None);
    }

    fn say(&self, sentence: Option<String>) {
        if let Some(text) = sentence {
            self.text.try_set(text);
        }
        let Some(deadline) = self.model.try_with_value(Announcements::deadline) else {
            return; // torn down
        };
        let this = *self;
        self.timer.update_value(|t| {
            t.follow(deadline, move || {
                let due = this.model.try_update_value(|m| m.poll(now())).flatten();
                this.say(due);
            })
        });
    }
}

impl Default for Announcer {
    fn default() -> Self {
        Self::new()
    }
}

/// The live region (visually hidden) and its switch.
#[component]
pub fn LiveRegion() -> impl IntoView {
    let announcer = expect_context::<ClientState>().announcer;
    view! {
        <label
            class="check topbar-check"
            title=format!(
                "Screen readers hear a summary of incoming messages, at most every {} s",
                MIN_INTERVAL_MS / 1000,
            )
        >
            <input
                type="checkbox"
                data-testid="aria-live-toggle"
                prop:checked=move || announcer.enabled.get()
                on:change=move |ev| announcer.set_enabled(event_target_checked(&ev))
            />
            <span>"Announce messages"</span>
        </label>
        <div
            class="sr-only"
            role="status"
            aria-live="polite"
            aria-atomic="true"
            data-testid="aria-live"
        >
            {move || announcer.text.get()}
        </div>
    }
}
