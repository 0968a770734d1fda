//! `localStorage` (kept across visits) and `sessionStorage` (this tab only) as small,
//! fallible calls: a browser may disable either or refuse a write (quota), and each failure
//! becomes a sentence the page can show.

use web_sys::Storage;

/// Which of the page's two storages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Kept across visits, shared by the origin's tabs.
    Local,
    /// This tab only, gone when it closes.
    Session,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Local => "localStorage",
            Kind::Session => "sessionStorage",
        }
    }

    fn open(self) -> Result<Storage, String> {
        let window = web_sys::window().ok_or("no window")?;
        let storage = match self {
            Kind::Local => window.local_storage(),
            Kind::Session => window.session_storage(),
        };
        match storage {
            Ok(Some(storage)) => Ok(storage),
            _ => Err(format!(
                "this browser does not let the page use {}",
                self.name()
            )),
        }
    }

    /// The value under `key`, if any (`None` also when the storage cannot be used).
    pub fn read(self, key: &str) -> Option<String> {
        self.open().ok()?.get_item(key).ok().flatten()
    }

    /// Stores `value` under `key`.
    pub fn write(self, key: &str, value: &str) -> Result<(), String> {
        self.open()?.set_item(key, value).map_err(|_| {
            format!(
                "{} refused to store it (full, or disabled for this site)",
                self.name()
            )
        })
    }

    /// Removes `key`; best effort (a storage that cannot be used holds nothing to remove).
    pub fn remove(self, key: &str) {
        if let Ok(storage) = self.open() {
            if storage.remove_item(key).is_err() {
                // Nothing more to do: the entry is unreachable for this page too.
            }
        }
    }
}
