//! Share links in the page: make one from the client view's form and subscriptions, and
//! open one (`#client?share=…`): fill the form, add the subscriptions, connect. What a link
//! may hold is decided in [`crate::state::share_link`].

use leptos::prelude::*;
use mqtt_session::QoS;

use super::client_state::ClientState;
use super::connect_panel::connect_with_form;
use super::prefs::BrokerPrefs;
use crate::state::log::Direction;
use crate::state::share_link::{share_param, SharedSetup};

/// The share parameter of this page's URL fragment, if it has one.
pub fn share_in_location() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    share_param(&hash).map(str::to_string)
}

/// The link that sets up the client view as it is now: this page's address with the setup
/// in its fragment.
pub fn share_link(state: ClientState, prefs: BrokerPrefs) -> String {
    let subscriptions: Vec<(String, QoS)> = state.model.with_untracked(|m| {
        m.subscriptions
            .iter()
            .map(|row| (row.filter.clone(), row.qos))
            .collect()
    });
    let fragment = SharedSetup::new(&prefs.form(), subscriptions).fragment();
    let page = web_sys::window()
        .and_then(|w| {
            let location = w.location();
            Some(format!(
                "{}{}{}",
                location.origin().ok()?,
                location.pathname().ok()?,
                location.search().ok()?
            ))
        })
        .unwrap_or_default();
    format!("{page}{fragment}")
}

/// Opens a share link's setup: the form takes its settings (the user name and password are
/// emptied, so nothing typed for another broker goes to this one), its subscriptions are
/// added, and the client view connects. A damaged link is shown in the status line.
pub fn open_share(param: &str, state: ClientState, prefs: BrokerPrefs) {
    let setup = match SharedSetup::decode(param) {
        Ok(setup) => setup,
        Err(e) => return state.failed_to_start(&e.to_string()),
    };
    prefs.apply(&setup.form, None);
    state.log.note(
        Direction::Info,
        format!(
            "opened a share link: {} with {} subscription(s)",
            setup.form.url,
            setup.subscriptions.len()
        ),
    );
    for (filter, qos) in &setup.subscriptions {
        if let Err(e) = state.subscribe(filter, *qos) {
            state.log.note(Direction::Error, e.to_string());
        }
    }
    connect_with_form(state, prefs);
}
