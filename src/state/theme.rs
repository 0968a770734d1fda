//! The colour theme the user chose: follow the system (`prefers-color-scheme`), or always
//! dark, or always light. `views::theme` keeps the choice in localStorage and writes it as
//! `data-theme` on `<html>`; `style/main.css` does the rest.

/// The user's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Dark,
    Light,
}

impl Theme {
    /// The toggle's order: system → dark → light → system.
    pub fn next(self) -> Self {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }

    /// The value of `data-theme` and of the stored setting.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    /// A stored setting; anything unknown (or nothing) follows the system.
    pub fn parse(stored: Option<&str>) -> Self {
        match stored {
            Some("dark") => Theme::Dark,
            Some("light") => Theme::Light,
            _ => Theme::System,
        }
    }

    /// What the toggle says, and what a click does, for a screen reader too.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: as the system (click for dark)",
            Theme::Dark => "Theme: dark (click for light)",
            Theme::Light => "Theme: light (click to follow the system)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toggle_cycles_system_dark_light() {
        let seen: Vec<_> = std::iter::successors(Some(Theme::System), |t| Some(t.next()))
            .take(4)
            .collect();
        assert_eq!(
            seen,
            [Theme::System, Theme::Dark, Theme::Light, Theme::System]
        );
    }

    #[test]
    fn a_stored_choice_reads_back_and_anything_else_follows_the_system() {
        for theme in [Theme::System, Theme::Dark, Theme::Light] {
            assert_eq!(Theme::parse(Some(theme.as_str())), theme);
        }
        assert_eq!(Theme::parse(None), Theme::System);
        assert_eq!(Theme::parse(Some("solarized")), Theme::System);
    }
}
