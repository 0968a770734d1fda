//! The client view as a daily tool, part 2: profiles that survive a remount without their
//! password, share links that set up and connect a fresh view, the last will (the client
//! view's, and the playground smart object's online/offline), and the publish panel's
//! repeat, history, snippets and clear-retained — driven as a user would, against the lab
//! and mosquitto (through the lab's listener in front of it, which can cut connections).

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use mqtt_playground::driver::client::ClientEvent;
use mqtt_playground::state::base64;
use mqtt_playground::state::share_link::share_param;
use mqtt_session::{Event, QoS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlInputElement};

use crate::support::*;

/// A fresh page's view `start` in an element of its own, opening `share` if given;
/// unmounted when the guard drops.
fn mount(start: Route, share: Option<String>) -> (Element, impl Drop) {
    let root = test_root();
    let handle = mount_to(
        root.clone(),
        move || view! { <Shell start=start follow_hash=false share=share /> },
    );
    (root.into(), Unmount(Some(handle)))
}

fn mount_client_view() -> (Element, impl Drop) {
    mount(Route::Client, None)
}

struct Unmount<T>(Option<T>);
impl<T> Drop for Unmount<T> {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

fn input(root: &Element, id: &str) -> HtmlInputElement {
    by_testid(root, id).unchecked_into()
}

fn value_of(root: &Element, id: &str) -> String {
    let el = by_testid(root, id);
    match el.dyn_ref::<HtmlInputElement>() {
        Some(input) => input.value(),
        None => el
            .dyn_ref::<web_sys::HtmlTextAreaElement>()
            .map(|a| a.value())
            .or_else(|| {
                el.dyn_ref::<web_sys::HtmlSelectElement>()
                    .map(|s| s.value())
            })
            .unwrap_or_default(),
    }
}

fn state(root: &Element) -> String {
    attr_of(root, "connection-status", "data-state")
}

fn granted(root: &Element) -> bool {
    all_by_testid(root, "subscription").iter().any(|row| {
        row.get_attribute("data-state")
            .unwrap_or_default()
            .contains("granted")
    })
}

/// The `profile-entry` row named `name`.
fn profile(root: &Element, name: &str) -> Option<Element> {
    all_by_testid(root, "profile-entry")
        .into_iter()
        .find(|e| e.get_attribute("data-name").as_deref() == Some(name))
}

/// Every key and value of `localStorage` and `sessionStorage`, as `(storage, key, value)`.
fn everything_stored() -> Vec<(&'static str, String, String)> {
    let window = web_sys::window().expect("window");
    let storages = [
        ("localStorage", window.local_storage()),
        ("sessionStorage", window.session_storage()),
    ];
    let mut all = Vec::new();
    for (kind, storage) in storages {
        let storage = storage.ok().flatten().expect("storage");
        for i in 0..storage.length().unwrap_or(0) {
            if let Some(key) = storage.key(i).ok().flatten() {
                let value = storage.get_item(&key).ok().flatten().unwrap_or_default();
                all.push((kind, key, value));
            }
        }
    }
    all
}

fn stored_anywhere(text: &str) -> Vec<(&'static str, String)> {
    everything_stored()
        .into_iter()
        .filter(|(_, key, value)| key.contains(text) || value.contains(text))
        .map(|(kind, key, _)| (kind, key))
        .collect()
}

fn secret() -> String {
    unique("pw").replace('/', "-")
}

#[wasm_bindgen_test]
async fn a_saved_profile_survives_a_remount_and_no_storage_holds_its_password() {
    let name = unique("profile").replace('/', "-");
    let password = secret();
    let will_topic = unique("will");
    let (root, mounted) = mount_client_view();
    type_into(&root, "connect-url", mosquitto_url());
    type_into(&root, "connect-username", mosquitto_user().0);
    type_into(&root, "connect-password", &password);
    type_into(&root, "connect-keepalive", "42");
    click(&root, "connect-clean-session"); // off
    choose(&root, "connect-protocol", "5");
    type_into(&root, "connect-will-topic", &will_topic);
    type_into(&root, "connect-will-payload", "bye");
    choose(&root, "connect-will-qos", "1");
    type_into(&root, "profile-name", &name);
    click(&root, "profile-save");
    until("the profile is listed", 5.0, || {
        profile(&root, &name).is_some()
    })
    .await;
    assert!(text_of(&root, "profile-note").contains("without a password"));
    let leaks = stored_anywhere(&password);
    assert!(leaks.is_empty(), "the password is stored under {leaks:?}");
    drop(mounted);

    let (root, _mounted) = mount_client_view();
    assert_eq!(value_of(&root, "connect-password"), "");
    let entry = profile(&root, &name).expect("the profile survives the remount");
    click(&entry, "profile-load");
    until("the form is filled", 5.0, || {
        value_of(&root, "connect-url") == mosquitto_url()
    })
    .await;
    assert_eq!(value_of(&root, "connect-username"), mosquitto_user().0);
    assert_eq!(
        value_of(&root, "connect-password"),
        "",
        "no password comes back"
    );
    assert_eq!(value_of(&root, "connect-keepalive"), "42");
    assert!(!input(&root, "connect-clean-session").checked());
    assert_eq!(value_of(&root, "connect-protocol"), "5");
    assert_eq!(value_of(&root, "connect-will-topic"), will_topic);
    assert_eq!(value_of(&root, "connect-will-payload"), "bye");
    assert_eq!(value_of(&root, "connect-will-qos"), "1");

    // The loaded profile connects once the password is typed.
    type_into(&root, "connect-password", mosquitto_user().1);
    click(&root, "connect-button");
    until("connected with the profile", 10.0, || {
        state(&root) == "connected"
    })
    .await;
    click(&root, "disconnect-button");
    click(&entry, "profile-delete");
    until("deleted", 5.0, || profile(&root, &name).is_none()).await;
}

#[wasm_bindgen_test]
async fn remember_in_this_tab_keeps_the_password_in_session_storage_only() {
    let name = unique("remembered").replace('/', "-");
    let renamed = format!("{name}-renamed");
    let password = secret();
    let (root, mounted) = mount_client_view();
    type_into(&root, "connect-password", &password);
    type_into(&root, "profile-name", &name);
    click(&root, "profile-remember-password");
    click(&root, "profile-save");
    until("the profile is listed", 5.0, || {
        profile(&root, &name).is_some()
    })
    .await;
    let found = stored_anywhere(&password);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "sessionStorage");
    assert!(found[0].1.contains(&name));
    drop(mounted);

    let (root, _mounted) = mount_client_view();
    let entry = profile(&root, &name).expect("listed");
    click(&entry, "profile-rename");
    until("the rename field", 5.0, || {
        entry
            .query_selector("[data-testid='profile-rename-input']")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    type_into(&entry, "profile-rename-input", &renamed);
    click(&entry, "profile-rename-confirm");
    until("renamed", 5.0, || profile(&root, &renamed).is_some()).await;
    assert!(profile(&root, &name).is_none());
    let entry = profile(&root, &renamed).expect("listed under its new name");
    click(&entry, "profile-load");
    until("the remembered password is back", 5.0, || {
        value_of(&root, "connect-password") == password
    })
    .await;
    assert!(input(&root, "profile-remember-password").checked());
    click(&entry, "profile-delete");
    until("deleted", 5.0, || profile(&root, &renamed).is_none()).await;
    assert!(
        stored_anywhere(&password).is_empty(),
        "deleting forgets the password"
    );
}

#[wasm_bindgen_test]
async fn profiles_are_imported_from_a_json_file() {
    let name = unique("imported").replace('/', "-");
    let (root, _mounted) = mount_client_view();
    let json = format!(
        r#"{{"format":"mqtt-playground profiles","version":1,"profiles":[{{"name":"{name}","url":"ws://example.invalid/mqtt","keep_alive":"7"}}]}}"#
    );
    let parts = js_sys::Array::of1(&json.into());
    let file = web_sys::File::new_with_str_sequence(&parts, "profiles.json").expect("a file");
    let transfer = web_sys::DataTransfer::new().expect("a DataTransfer");
    transfer.items().add_with_file(&file).expect("added");
    let picker = input(&root, "profile-import");
    picker.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let change = web_sys::Event::new_with_event_init_dict("change", &init).expect("event");
    picker.dispatch_event(&change).expect("dispatched");
    until("the imported profile is listed", 5.0, || {
        profile(&root, &name).is_some()
    })
    .await;
    assert!(text_of(&root, "profile-note").contains("imported 1 new profile"));
    let entry = profile(&root, &name).expect("listed");
    click(&entry, "profile-load");
    until("loaded", 5.0, || {
        value_of(&root, "connect-keepalive") == "7"
    })
    .await;
    assert_eq!(value_of(&root, "connect-url"), "ws://example.invalid/mqtt");
    click(&entry, "profile-delete");
}

#[wasm_bindgen_test]
async fn a_share_link_fills_a_fresh_view_and_connects_with_its_subscriptions() {
    let password = secret();
    let topic = unique("shared");
    let will_topic = unique("shared-will");
    let (a, _a) = mount_client_view();
    type_into(&a, "connect-url", lab_url());
    type_into(&a, "connect-username", "someone-specific");
    type_into(&a, "connect-password", &password);
    type_into(&a, "connect-keepalive", "45");
    click(&a, "connect-clean-session"); // off
    type_into(&a, "connect-will-topic", &will_topic);
    type_into(&a, "connect-will-payload", "gone");
    click(&a, "connect-will-retain");
    type_into(&a, "subscribe-topic", &topic);
    choose(&a, "subscribe-qos", "1");
    click(&a, "subscribe-button"); // not connected: listed, sent on connect
    click(&a, "share-link");
    until("the link is shown", 5.0, || {
        a.query_selector("[data-testid='share-link-url']")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let link = value_of(&a, "share-link-url");
    let client_id = value_of(&a, "connect-client-id");
    assert!(client_id.starts_with("playground-"), "{client_id}");
    let fragment = &link[link.find('#').expect("a fragment")..];
    let param = share_param(fragment)
        .expect("a share parameter")
        .to_string();
    // What the link carries, read without the page's decoder (which drops secrets itself).
    let mut standard = param.replace('-', "+").replace('_', "/");
    while standard.len() % 4 != 0 {
        standard.push('=');
    }
    let json = String::from_utf8(base64::decode(&standard).expect("base64url")).expect("UTF-8");
    for secret in [password.as_str(), "someone-specific", client_id.as_str()] {
        assert!(!json.contains(secret), "the link holds '{secret}': {json}");
    }
    assert!(
        json.contains(&topic) && json.contains(&will_topic),
        "{json}"
    );

    let (b, _b) = mount(Route::Client, Some(param));
    until("the form filled by the link", 5.0, || {
        value_of(&b, "connect-url") == lab_url()
    })
    .await;
    assert_eq!(value_of(&b, "connect-keepalive"), "45");
    assert!(!input(&b, "connect-clean-session").checked());
    assert_eq!(value_of(&b, "connect-will-topic"), will_topic);
    assert_eq!(value_of(&b, "connect-will-payload"), "gone");
    assert!(input(&b, "connect-will-retain").checked());
    assert_eq!(value_of(&b, "connect-password"), "");
    assert_eq!(value_of(&b, "connect-username"), "");
    assert_ne!(value_of(&b, "connect-client-id"), client_id);
    until("connected by the link", 10.0, || state(&b) == "connected").await;
    until("its subscription granted", 10.0, || granted(&b)).await;

    let sender = Recorder::connected(&settings(lab_url(), None)).await;
    sender
        .client
        .publish(&topic, b"hello class".to_vec(), QoS::AtLeastOnce, false)
        .expect("publish");
    until("the message in the shared view's log", 10.0, || {
        all_by_testid(&b, "log-entry")
            .iter()
            .any(|e| e.text_content().unwrap_or_default().contains("hello class"))
    })
    .await;
    click(&b, "disconnect-button");
}

#[wasm_bindgen_test]
async fn a_damaged_share_link_says_so_and_connects_nowhere() {
    let (root, _m) = mount(Route::Client, Some("not*base64".into()));
    until("the status says why", 5.0, || state(&root) == "failed").await;
    assert!(
        text_of(&root, "connection-status").contains("this share link is damaged"),
        "{}",
        text_of(&root, "connection-status")
    );
}

#[wasm_bindgen_test]
async fn the_last_will_arrives_when_the_pages_link_dies_and_clear_retained_removes_it() {
    let (user, password) = mosquitto_user();
    let id = unique("will").replace('/', "-");
    let will_topic = unique("will-topic");
    let watcher = Recorder::subscribed(
        &settings(mosquitto_url(), Some((user, password))),
        &will_topic,
        QoS::AtLeastOnce,
    )
    .await;
    let (root, _m) = mount_client_view();
    type_into(&root, "connect-url", mosquitto_cut_url());
    type_into(&root, "connect-username", user);
    type_into(&root, "connect-password", password);
    type_into(&root, "connect-client-id", &id);
    type_into(&root, "connect-will-topic", &will_topic);
    type_into(&root, "connect-will-payload", "gone");
    choose(&root, "connect-will-qos", "1");
    click(&root, "connect-will-retain");
    click(&root, "connect-button");
    until("connected", 10.0, || state(&root) == "connected").await;
    assert!(
        watcher
            .events
            .borrow()
            .iter()
            .all(|e| !matches!(e, ClientEvent::Session(Event::Message(_)))),
        "no will while the link lives"
    );

    assert_eq!(cut(mosquitto_cut_url(), &id).await, 1);
    watcher
        .wait_for("the will", |e| match e {
            Event::Message(m) if m.topic == will_topic && &m.payload[..] == b"gone" => Some(()),
            _ => None,
        })
        .await;
    // Retained: a later subscriber sees it too.
    let late = Recorder::subscribed(
        &settings(mosquitto_url(), Some((user, password))),
        &will_topic,
        QoS::AtLeastOnce,
    )
    .await;
    let retained = late
        .wait_for("the retained will", |e| match e {
            Event::Message(m) if m.topic == will_topic => Some(m.retain),
            _ => None,
        })
        .await;
    assert!(retained, "the will is retained");

    // The page comes back by itself; "Clear retained" removes the will from the broker.
    until("connected again", 10.0, || state(&root) == "connected").await;
    type_into(&root, "publish-topic", &will_topic);
    click(&root, "publish-clear-retained");
    watcher
        .wait_for("the empty retained message", |e| match e {
            Event::Message(m) if m.topic == will_topic && m.payload.is_empty() => Some(()),
            _ => None,
        })
        .await;
    click(&root, "disconnect-button");
}

#[wasm_bindgen_test]
async fn the_smart_objects_card_shows_online_then_offline_from_its_will() {
    let (user, password) = mosquitto_user();
    let (root, _m) = mount(Route::Playground, None);
    type_into(&root, "connect-url", mosquitto_cut_url());
    type_into(&root, "connect-username", user);
    type_into(&root, "connect-password", password);
    let p = by_testid(&root, "scenario-smart");
    let id = unique("willed-lamp").replace('/', "-");
    let side_state = |side: &str| {
        p.query_selector(&format!(".{side} .status"))
            .ok()
            .flatten()
            .and_then(|s| s.get_attribute("data-state"))
            .unwrap_or_default()
    };
    type_into(&p, "producer-device-id", &id);
    click(&p, "producer-start");
    until("the device connected", 10.0, || {
        side_state("producer") == "connected"
    })
    .await;
    click(&p, "consumer-start");
    until("the controller connected", 10.0, || {
        side_state("consumer") == "connected"
    })
    .await;
    let presence = || attr_of(&p, "device-presence", "data-state");
    until("the page's own device is chosen and online", 10.0, || {
        attr_of(&p, "device-card", "data-device") == id && presence() == "online"
    })
    .await;
    assert_eq!(value_of(&p, "consumer-device"), id);

    // The device's link dies: the broker publishes its will, the card says offline; the
    // device reconnects by itself and says online again.
    assert!(cut(mosquitto_cut_url(), "smart-object").await >= 1);
    until("offline from the will", 10.0, || presence() == "offline").await;
    until("online again after reconnecting", 10.0, || {
        presence() == "online"
    })
    .await;
    // A clean stop says offline too (the broker discards the will on DISCONNECT).
    click(&p, "producer-stop");
    let start = js_sys::Date::now();
    while presence() != "offline" {
        assert!(
            js_sys::Date::now() - start < 10_000.0,
            "not offline 10 s after a clean stop: device {:?}, problem {:?}, event {:?}",
            side_state("producer"),
            text_if_any(&p, "endpoint-problem"),
            text_if_any(&p, "smart-event"),
        );
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    assert_eq!(
        attr_of(&p, "device-card", "data-device"),
        id,
        "the controller stays on the page's device after it stopped"
    );
}

#[wasm_bindgen_test]
async fn repeat_publishes_n_messages_the_history_lists_them_and_a_disconnect_stops_it() {
    let (root, _m) = mount_client_view();
    type_into(&root, "connect-url", lab_url());
    click(&root, "connect-button");
    until("connected", 10.0, || state(&root) == "connected").await;
    let topic = unique("repeat");
    let receiver = Recorder::subscribed(&settings(lab_url(), None), &topic, QoS::AtLeastOnce).await;

    type_into(&root, "publish-topic", &topic);
    type_into(&root, "publish-payload", "tick");
    choose(&root, "publish-qos", "1");
    type_into(&root, "publish-repeat-count", "5");
    type_into(&root, "publish-repeat-interval", "20");
    click(&root, "publish-repeat-start");
    until("the repeat is done", 10.0, || {
        text_if_any(&root, "publish-repeat-progress").contains("repeat done: 5 sent")
    })
    .await;
    let received = || {
        receiver
            .events
            .borrow()
            .iter()
            .filter(|e| {
                matches!(e, ClientEvent::Session(Event::Message(m)) if m.topic == topic && &m.payload[..] == b"tick")
            })
            .count()
    };
    until("five messages received", 10.0, || received() == 5).await;
    let history = all_by_testid(&root, "publish-history-entry");
    assert_eq!(history.len(), 1, "one line for the repeated message");
    let line = history[0].text_content().unwrap_or_default();
    assert!(
        line.contains(&topic) && line.contains("tick") && line.contains("×5"),
        "{line}"
    );

    // Another publish makes a second line; a click on the first puts it back in the form.
    type_into(&root, "publish-payload", "other");
    click(&root, "publish-button");
    until("two history lines", 5.0, || {
        all_by_testid(&root, "publish-history-entry").len() == 2
    })
    .await;
    let tick_line = all_by_testid(&root, "publish-history-entry")
        .into_iter()
        .find(|e| e.text_content().unwrap_or_default().contains("tick"))
        .expect("the repeated line");
    tick_line.unchecked_into::<web_sys::HtmlElement>().click();
    until("the form refilled", 5.0, || {
        value_of(&root, "publish-payload") == "tick"
    })
    .await;

    // A long repeat stops when the connection goes.
    type_into(&root, "publish-repeat-count", "1000");
    type_into(&root, "publish-repeat-interval", "50");
    click(&root, "publish-repeat-start");
    until("repeating", 5.0, || {
        text_if_any(&root, "publish-repeat-progress").contains("repeating")
    })
    .await;
    click(&root, "disconnect-button");
    until("stopped by the disconnect", 5.0, || {
        text_if_any(&root, "publish-repeat-progress").contains("the connection was lost")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_snippet_survives_a_remount_and_refills_the_form() {
    let name = unique("snippet").replace('/', "-");
    let (root, mounted) = mount_client_view();
    type_into(&root, "publish-topic", "lamp/1/set");
    type_into(&root, "publish-payload", "{\"on\":true}");
    choose(&root, "publish-qos", "2");
    type_into(&root, "snippet-name", &name);
    click(&root, "snippet-save");
    let find = |root: &Element| {
        all_by_testid(root, "snippet-entry")
            .into_iter()
            .find(|e| e.text_content().unwrap_or_default() == name)
    };
    until("the snippet is listed", 5.0, || find(&root).is_some()).await;
    drop(mounted);

    let (root, _m) = mount_client_view();
    let entry = find(&root).expect("kept in localStorage");
    entry.unchecked_into::<web_sys::HtmlElement>().click();
    until("the form refilled", 5.0, || {
        value_of(&root, "publish-topic") == "lamp/1/set"
    })
    .await;
    assert_eq!(value_of(&root, "publish-payload"), "{\"on\":true}");
    assert_eq!(value_of(&root, "publish-qos"), "2");
    let row = find(&root)
        .and_then(|e| e.parent_element())
        .expect("its row");
    click(&row, "snippet-delete");
    until("deleted", 5.0, || find(&root).is_none()).await;
}
