//! The one per-animation-frame batcher: state updated per message but rendered at most once
//! per animation frame, so a flood of messages does not re-render a panel thousands of
//! times a second. The live log and every playground consumer use it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;

struct Inner<T> {
    value: RefCell<T>,
    frame_pending: Cell<bool>,
}

/// A `Copy` handle on a value whose readers re-run once per frame at most.
pub struct Batched<T: 'static> {
    inner: StoredValue<Rc<Inner<T>>, LocalStorage>,
    version: RwSignal<u64>,
}

impl<T: 'static> Clone for Batched<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static> Copy for Batched<T> {}

impl<T: 'static> Batched<T> {
    pub fn new(value: T) -> Self {
        let inner = Inner {
            value: RefCell::new(value),
            frame_pending: Cell::new(false),
        };
        Self {
            inner: StoredValue::new_local(Rc::new(inner)),
            version: RwSignal::new(0),
        }
    }

    /// Changes the value now; readers see it on the next animation frame.
    pub fn update(&self, f: impl FnOnce(&mut T)) {
        let Some(inner) = self.inner.try_get_value() else {
            return;
        };
        f(&mut inner.value.borrow_mut());
        if !inner.frame_pending.replace(true) {
            let version = self.version;
            let weak = Rc::downgrade(&inner);
            request_animation_frame(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.frame_pending.set(false);
                    version.try_update(|v| *v += 1);
                }
            });
        }
    }

    /// Reads the value (tracked: re-runs when a frame publishes changes).
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.version.track();
        self.with_untracked(f)
    }

    /// Reads the value as it is now, without re-running when it changes.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let inner = self.inner.get_value();
        let value = inner.value.borrow();
        f(&value)
    }
}
