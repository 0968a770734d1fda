//! The theme toggle: system → dark → light, remembered in localStorage and written as
//! `data-theme` on `<html>`. The colours are `style/main.css`'s: with "system" the
//! stylesheet follows `prefers-color-scheme` by itself, before the app has even loaded.

use leptos::prelude::*;

use crate::state::theme::Theme;

/// localStorage key of the choice.
const STORAGE_KEY: &str = "mqtt-playground.theme";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The stored choice (system when none, or when storage is unavailable).
pub fn stored_theme() -> Theme {
    let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    Theme::parse(stored.as_deref())
}

/// Writes `theme` as `<html data-theme=…>`.
fn apply(theme: Theme) {
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        // Setting an attribute on <html> does not fail for a valid name.
        let _ = html.set_attribute("data-theme", theme.as_str());
    }
}

fn remember(theme: Theme) {
    if let Some(s) = storage() {
        // Best effort: without storage the choice lasts until the page is closed.
        let _ = match theme {
            Theme::System => s.remove_item(STORAGE_KEY),
            _ => s.set_item(STORAGE_KEY, theme.as_str()),
        };
    }
}

/// A button that cycles the theme.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(stored_theme());
    // Touches the document: an effect.
    Effect::new(move |_| apply(theme.get()));
    let icon = move || match theme.get() {
        Theme::System => "◐",
        Theme::Dark => "☾",
        Theme::Light => "☀",
    };
    view! {
        <button
            type="button"
            class="topbar-button"
            data-testid="theme-toggle"
            data-choice=move || theme.get().as_str()
            title=move || theme.get().label()
            aria-label=move || theme.get().label()
            on:click=move |_| {
                let next = theme.get_untracked().next();
                theme.set(next);
                remember(next);
            }
        >
            <span aria-hidden="true">{icon}</span>
            " "
            {move || theme.get().as_str()}
        </button>
    }
}
