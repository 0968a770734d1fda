//! The bridged connections alive right now, so the control endpoint (`control.rs`) can cut
//! them on demand: browser tests use it to check that the page reconnects by itself.
//!
//! Each link registers when the bridge takes it, is named by its MQTT client id once its
//! CONNECT has gone through the bridge, and leaves the registry when it ends, however it ends.
//! A cut fires the link's one-shot signal; the bridge then drops both of its sockets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// The registry of live links, shared by the front door (which cuts) and every bridged
/// connection (which registers). Cloning shares it.
#[derive(Clone, Default)]
pub(crate) struct LiveLinks {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Default)]
struct Registry {
    next_key: u64,
    links: HashMap<u64, Entry>,
}

struct Entry {
    /// The client id of the link's CONNECT; `None` until it has been seen.
    client_id: Option<String>,
    cut: oneshot::Sender<()>,
}

impl LiveLinks {
    /// Registers a new link: its entry (named later, removed on drop) and the signal that
    /// fires when it is cut.
    pub(crate) fn register(&self) -> (Registration, CutSignal) {
        let (cut, signal) = oneshot::channel();
        let mut registry = self.lock();
        let key = registry.next_key;
        registry.next_key += 1;
        let entry = Entry {
            client_id: None,
            cut,
        };
        registry.links.insert(key, entry);
        let registration = Registration {
            key,
            links: self.clone(),
        };
        (registration, CutSignal(signal))
    }

    /// Cuts every link whose client id starts with `prefix`, or every link when `prefix` is
    /// `None` (links that have not sent their CONNECT yet have no id, so a prefix never
    /// matches them). Returns how many were cut.
    pub(crate) fn cut(&self, prefix: Option<&str>) -> usize {
        let mut registry = self.lock();
        let chosen: Vec<u64> = registry
            .links
            .iter()
            .filter(|(_, entry)| match (prefix, &entry.client_id) {
                (None, _) => true,
                (Some(prefix), Some(id)) => id.starts_with(prefix),
                (Some(_), None) => false,
            })
            .map(|(key, _)| *key)
            .collect();
        chosen
            .into_iter()
            .filter_map(|key| registry.links.remove(&key))
            // Fails only for a link already on its way out (its bridge has stopped listening
            // for a cut and is about to drop its registration): not counted.
            .map(|entry| entry.cut.send(()))
            .filter(Result::is_ok)
            .count()
    }

    /// How many links are registered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().links.len()
    }

    /// The registry's lock. No code panics while holding it, and every update leaves the map
    /// consistent, so a poisoned lock is still safe to use.
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One link's place in the registry; dropping it removes the link.
pub(crate) struct Registration {
    key: u64,
    links: LiveLinks,
}

impl Registration {
    /// Records the client id of the link's CONNECT, which cuts by prefix match against.
    pub(crate) fn name(&self, client_id: String) {
        if let Some(entry) = self.links.lock().links.get_mut(&self.key) {
            entry.client_id = Some(client_id);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.links.lock().links.remove(&self.key);
    }
}

/// Fires when the link is cut.
#[must_use = "a link cannot be cut unless its signal is awaited"]
pub(crate) struct CutSignal(oneshot::Receiver<()>);

impl CutSignal {
    /// Resolves once the link is cut.
    pub(crate) async fn cut(self) {
        // The sender leaves the registry only to be fired, or when the link's own
        // registration drops, so an error also means the link is done with.
        self.0.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True if `signal` has fired, without waiting.
    fn fired(signal: &mut CutSignal) -> bool {
        signal.0.try_recv().is_ok()
    }

    #[test]
    fn a_prefix_cuts_only_the_links_whose_client_id_starts_with_it() {
        let links = LiveLinks::default();
        let (alpha, mut alpha_cut) = links.register();
        alpha.name("test-a-1".to_owned());
        let (beta, mut beta_cut) = links.register();
        beta.name("test-b-1".to_owned());
        let (_unnamed, mut unnamed_cut) = links.register();

        assert_eq!(links.cut(Some("test-a")), 1);
        assert!(fired(&mut alpha_cut));
        assert!(!fired(&mut beta_cut));
        assert!(!fired(&mut unnamed_cut));
        assert_eq!(links.len(), 2, "the cut link left the registry");
        assert_eq!(links.cut(Some("test-a")), 0, "a link is cut once");
    }

    #[test]
    fn no_prefix_cuts_every_link_even_unnamed_ones() {
        let links = LiveLinks::default();
        let (named, mut named_cut) = links.register();
        named.name("anyone".to_owned());
        let (_unnamed, mut unnamed_cut) = links.register();

        assert_eq!(links.cut(None), 2);
        assert!(fired(&mut named_cut));
        assert!(fired(&mut unnamed_cut));
        assert_eq!(links.len(), 0);
    }

    #[test]
    fn a_link_leaves_the_registry_when_its_registration_drops() {
        let links = LiveLinks::default();
        let (registration, _signal) = links.register();
        registration.name("gone".to_owned());
        drop(registration);
        assert_eq!(links.len(), 0);
        assert_eq!(links.cut(None), 0);
    }
}
