//! The page's keyboard shortcuts: which key does what, decided from a key press described
//! as plain data, and the list the `?` dialog shows. `views::shortcuts` listens and acts.
//!
//! Letters are matched by `code` (the physical key), so Alt+C works on layouts where
//! Option+C types "ç". `/` and `?` are ordinary characters: they only act when the user is
//! not typing in a field.

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// Connect with the connection panel's settings.
    Connect,
    /// Focus the log's filter box.
    FocusFilter,
    /// Empty the log.
    ClearLog,
    /// Show or hide the list of shortcuts.
    ToggleHelp,
    /// Close the list of shortcuts.
    CloseHelp,
}

/// A key press, as `KeyboardEvent` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyPress<'a> {
    /// `KeyboardEvent.key`: the character or key name ("/", "?", "Escape").
    pub key: &'a str,
    /// `KeyboardEvent.code`: the physical key ("KeyC").
    pub code: &'a str,
    pub ctrl: bool,
    pub alt: bool,
    pub meta: bool,
    pub shift: bool,
    /// The focus is in a text field (input, textarea, select, contenteditable).
    pub typing: bool,
}

/// The shortcut `press` triggers, if any.
pub fn shortcut_for(press: &KeyPress) -> Option<Shortcut> {
    let plain = !press.ctrl && !press.alt && !press.meta;
    if press.alt && !press.ctrl && !press.meta && !press.shift {
        return match press.code {
            "KeyC" => Some(Shortcut::Connect),
            "KeyL" => Some(Shortcut::ClearLog),
            _ => None,
        };
    }
    match press.key {
        "Escape" if plain => Some(Shortcut::CloseHelp),
        "/" if plain && !press.typing => Some(Shortcut::FocusFilter),
        "?" if plain && !press.typing => Some(Shortcut::ToggleHelp),
        _ => None,
    }
}

/// The shortcuts the `?` dialog lists: keys, and what they do.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Alt+C", "Connect (with the settings in the Broker panel)"),
    ("Enter", "Connect, in a field of the Broker panel"),
    ("Ctrl+Enter", "Publish, in the payload (⌘+Enter on a Mac)"),
    ("/", "Focus the log filter"),
    ("Alt+L", "Clear the log"),
    ("Tab, Enter", "Reach a log row or a topic, open it"),
    ("← →", "Fold, unfold a topic level"),
    ("?", "Show or hide this list"),
    ("Esc", "Close this list"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn press(key: &'static str, code: &'static str) -> KeyPress<'static> {
        KeyPress {
            key,
            code,
            ..KeyPress::default()
        }
    }

    #[test]
    fn alt_letters_act_by_physical_key_even_while_typing() {
        let alt_c = KeyPress {
            alt: true,
            typing: true,
            ..press("ç", "KeyC")
        };
        assert_eq!(shortcut_for(&alt_c), Some(Shortcut::Connect));
        let alt_l = KeyPress {
            alt: true,
            ..press("l", "KeyL")
        };
        assert_eq!(shortcut_for(&alt_l), Some(Shortcut::ClearLog));
        let ctrl_alt_c = KeyPress {
            ctrl: true,
            ..alt_c
        };
        assert_eq!(
            shortcut_for(&ctrl_alt_c),
            None,
            "AltGr on Windows is Ctrl+Alt"
        );
        assert_eq!(shortcut_for(&press("c", "KeyC")), None);
    }

    #[test]
    fn slash_and_question_mark_act_only_outside_text_fields() {
        assert_eq!(
            shortcut_for(&press("/", "Slash")),
            Some(Shortcut::FocusFilter)
        );
        let shifted = KeyPress {
            shift: true,
            ..press("?", "Slash")
        };
        assert_eq!(shortcut_for(&shifted), Some(Shortcut::ToggleHelp));
        for key in ["/", "?"] {
            let typing = KeyPress {
                typing: true,
                ..press(key, "Slash")
            };
            assert_eq!(shortcut_for(&typing), None, "{key} is typed into the field");
        }
        let ctrl_slash = KeyPress {
            ctrl: true,
            ..press("/", "Slash")
        };
        assert_eq!(shortcut_for(&ctrl_slash), None);
    }

    #[test]
    fn escape_closes_the_list_from_anywhere() {
        let esc = KeyPress {
            typing: true,
            ..press("Escape", "Escape")
        };
        assert_eq!(shortcut_for(&esc), Some(Shortcut::CloseHelp));
    }
}
