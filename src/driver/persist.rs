//! Survives a reload: with clean session off, the session's in-flight store is kept in
//! `localStorage`, so a new page with the same broker URL and client id resends what the
//! broker has not acknowledged.
//!
//! `localStorage` is synchronous, which is why it is used: [`Persistence::save_if_changed`]
//! runs before each batch of transmits is handed to the WebSocket, so a message is saved
//! before it can reach the broker, and an ack's effect is saved before the packet that
//! follows it (a PUBREL, a PUBCOMP) leaves. The entry holds only
//! [`StoreSnapshot::encode`] in base64, never the password; it is removed when nothing is
//! in flight, and whenever clean session is on.
//!
//! A failing storage (disabled, quota exceeded, unreadable entry) is reported once as a
//! sentence, and the client goes on without persistence.

use mqtt_session::{Session, StoreSnapshot};
use web_sys::Storage;

use super::settings::BrokerSettings;
use crate::state::broker_url::without_userinfo;

/// Where the saved session of one broker URL + client id lives in `localStorage`. User
/// information in the URL (`ws://user:password@host/`) is left out.
pub fn storage_key(url: &str, client_id: &str) -> String {
    format!(
        "mqtt-playground.session.v1\n{}\n{}",
        without_userinfo(url.trim()),
        client_id.trim()
    )
}

/// Saves one client's session in `localStorage` (or does nothing when off).
pub struct Persistence {
    /// `None`: off (clean session on, no storage, or storage failed once).
    storage: Option<Storage>,
    key: String,
    /// The store revision last saved (or loaded).
    saved: u64,
    /// A problem not reported yet.
    problem: Option<String>,
}

impl Persistence {
    /// Opens the storage for `settings` and reads the saved session, if any. With clean
    /// session on, a saved entry is removed: the broker discards that session too
    /// [MQTT-3.1.2-6].
    pub fn open(settings: &BrokerSettings) -> (Self, Option<StoreSnapshot>) {
        let key = storage_key(&settings.url, &settings.client_id);
        let mut this = Self {
            storage: None,
            key,
            saved: 0,
            problem: None,
        };
        let storage = match web_sys::window().map(|w| w.local_storage()) {
            Some(Ok(Some(storage))) => storage,
            Some(Err(error)) if !settings.clean_session => {
                this.problem = Some(format!(
                    "this browser does not let the page use localStorage ({}): messages in flight \
                     will not survive a reload",
                    describe(&error)
                ));
                return (this, None);
            }
            _ => return (this, None),
        };
        if settings.clean_session {
            // Best effort: a clean session never reads the entry again.
            let _ = storage.remove_item(&this.key);
            return (this, None);
        }
        let snapshot = match storage.get_item(&this.key) {
            Ok(Some(text)) => match decode_base64(&text)
                .ok_or_else(|| "it is not base64".to_string())
                .and_then(|bytes| StoreSnapshot::decode(&bytes).map_err(|e| e.to_string()))
            {
                Ok(snapshot) => Some(snapshot),
                Err(why) => {
                    this.problem = Some(format!(
                        "the messages saved in this browser for this broker and client id could \
                         not be read ({why}); they were dropped"
                    ));
                    // Best effort: the next save overwrites it anyway.
                    let _ = storage.remove_item(&this.key);
                    None
                }
            },
            Ok(None) => None,
            Err(error) => {
                this.problem = Some(format!(
                    "could not read localStorage ({}): messages in flight will not survive a reload",
                    describe(&error)
                ));
                return (this, None);
            }
        };
        this.storage = Some(storage);
        (this, snapshot)
    }

    /// The store revision the saved entry matches: call once the session is built.
    pub fn loaded(&mut self, session: &Session) {
        self.saved = session.store_revision();
    }

    /// Saves the store if it changed since the last save (removes the entry when nothing
    /// is in flight). Call before handing transmits to the socket. Returns a problem to
    /// report, once: after a failed save persistence is off for this client.
    pub fn save_if_changed(&mut self, session: &Session) -> Option<String> {
        if let Some(storage) = &self.storage {
            let revision = session.store_revision();
            if revision != self.saved {
                let snapshot = session.snapshot();
                let result = if snapshot.is_empty() {
                    storage.remove_item(&self.key)
                } else {
                    storage.set_item(&self.key, &encode_base64(&snapshot.encode()))
                };
                match result {
                    Ok(()) => self.saved = revision,
                    Err(error) => {
                        // An older entry would resend messages already acknowledged.
                        let _ = storage.remove_item(&self.key);
                        self.storage = None;
                        self.problem = Some(format!(
                            "could not save the messages in flight in this browser ({}): they \
                             will not survive a reload",
                            describe(&error)
                        ));
                    }
                }
            }
        }
        self.problem.take()
    }
}

/// The name and message of a DOM exception (`QuotaExceededError: …`), else its text.
fn describe(error: &wasm_bindgen::JsValue) -> String {
    let text = js_sys::Error::from(error.clone()).to_string();
    text.as_string()
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "no reason given".to_string())
}

/// Standard base64 with padding (`localStorage` holds strings only): one copy, in `state`.
pub use crate::state::base64::{decode as decode_base64, encode as encode_base64};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_storage_key_names_url_and_client_id_without_credentials_in_the_url() {
        assert_eq!(
            storage_key(" ws://localhost:9001/mqtt ", "me"),
            "mqtt-playground.session.v1\nws://localhost:9001/mqtt\nme"
        );
        let key = storage_key("wss://student:secret@broker.example/mqtt", "me");
        assert!(!key.contains("secret"), "{key}");
        assert!(key.contains("wss://broker.example/mqtt"), "{key}");
        assert_ne!(
            storage_key("ws://a/mqtt", "x"),
            storage_key("ws://b/mqtt", "x")
        );
    }
}
