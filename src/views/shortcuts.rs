//! Keyboard shortcuts: one `keydown` listener on the window turns key presses into
//! [`Shortcut`]s (decided in `state::shortcuts`) and carries them out by pressing the
//! page's own buttons, so a shortcut does exactly what its button does (and nothing when
//! the button is disabled or not on screen). `?` shows the list.

use leptos::html::{Button, Span};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::state::shortcuts::{shortcut_for, KeyPress, Shortcut, SHORTCUTS};

/// The element this shell was mounted in: the nearest ancestor of `anchor` that holds the
/// view. Several shells can share a page (the browser tests mount one per test): each acts
/// only on key presses inside its own.
fn shell_root(anchor: &Element) -> Option<Element> {
    let mut at = anchor.parent_element();
    while let Some(el) = at {
        if el.query_selector("main.layout").ok().flatten().is_some() {
            return Some(el);
        }
        at = el.parent_element();
    }
    None
}

/// Whether the focus is in a field that takes text (where `/` and `?` are typed).
fn is_typing(target: Option<&Element>) -> bool {
    let Some(el) = target else {
        return false;
    };
    match el.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => !matches!(
            el.get_attribute("type").as_deref(),
            Some("checkbox" | "radio" | "button" | "submit" | "reset" | "range" | "color")
        ),
        _ => el
            .dyn_ref::<HtmlElement>()
            .is_some_and(HtmlElement::is_content_editable),
    }
}

fn by_testid(root: &Element, id: &str) -> Option<HtmlElement> {
    root.query_selector(&format!("[data-testid='{id}']"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

/// The `?` button, the list of shortcuts, and the listener.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let open = RwSignal::new(false);
    let anchor = NodeRef::<Span>::new();
    let help_button = NodeRef::<Button>::new();
    let close_button = NodeRef::<Button>::new();

    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(root) = anchor.get_untracked().and_then(|a| shell_root(&a)) else {
            return;
        };
        let target: Option<Element> = ev.target().and_then(|t| t.dyn_into().ok());
        if target.as_ref().is_some_and(|t| !root.contains(Some(t))) {
            let outside = target
                .as_ref()
                .is_some_and(|t| !matches!(t.tag_name().as_str(), "BODY" | "HTML"));
            if outside {
                return; // another shell's key press
            }
        }
        let (key, code) = (ev.key(), ev.code());
        let press = KeyPress {
            key: &key,
            code: &code,
            ctrl: ev.ctrl_key(),
            alt: ev.alt_key(),
            meta: ev.meta_key(),
            shift: ev.shift_key(),
            typing: is_typing(target.as_ref()),
        };
        let done = match shortcut_for(&press) {
            Some(Shortcut::Connect) => by_testid(&root, "connect-button")
                .map(|b| b.click())
                .is_some(),
            Some(Shortcut::ClearLog) => by_testid(&root, "log-clear").map(|b| b.click()).is_some(),
            Some(Shortcut::FocusFilter) => by_testid(&root, "log-filter")
                .map(|f| f.focus().is_ok())
                .unwrap_or(false),
            Some(Shortcut::ToggleHelp) => {
                open.update(|o| *o = !*o);
                true
            }
            Some(Shortcut::CloseHelp) if open.get_untracked() => {
                open.set(false);
                if let Some(b) = help_button.get_untracked() {
                    let _ = b.focus(); // focus back where the list was opened from
                }
                true
            }
            Some(Shortcut::CloseHelp) | None => false,
        };
        if done {
            ev.prevent_default();
        }
    });
    on_cleanup(move || listener.remove());

    // Moving the focus is touching the DOM: an effect.
    Effect::new(move |_| {
        if open.get() {
            if let Some(b) = close_button.get() {
                let _ = b.focus(); // the dialog was just drawn, its button can take focus
            }
        }
    });

    view! {
        <span class="shortcuts-anchor" node_ref=anchor>
            <button
                type="button"
                class="topbar-button"
                data-testid="shortcuts-button"
                title="Keyboard shortcuts (?)"
                aria-label="Keyboard shortcuts"
                aria-expanded=move || open.get().to_string()
                node_ref=help_button
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "?"
            </button>
            <Show when=move || open.get()>
                <div
                    class="shortcuts"
                    role="dialog"
                    aria-label="Keyboard shortcuts"
                    data-testid="shortcuts"
                >
                    <div class="shortcuts-head">
                        <h2>"Keyboard shortcuts"</h2>
                        <button
                            type="button"
                            class="icon"
                            aria-label="Close"
                            data-testid="shortcuts-close"
                            node_ref=close_button
                            on:click=move |_| open.set(false)
                        >
                            "×"
                        </button>
                    </div>
                    <dl>
                        {SHORTCUTS
                            .iter()
                            .map(|(keys, what)| {
                                view! {
                                    <div>
                                        <dt>
                                            <kbd>{*keys}</kbd>
                                        </dt>
                                        <dd>{*what}</dd>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </dl>
                </div>
            </Show>
        </span>
    }
}
