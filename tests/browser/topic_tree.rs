//! The topic tree, the theme toggle, the shortcuts and the live region, driven as a user
//! drives them. Retention is judged by mosquitto, the reference broker: a retained message
//! published by another client shows as retained in the page's tree, "Clear retained"
//! removes it from the broker (a fresh subscriber gets nothing), and the tree says so.

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use mqtt_playground::driver::client::ClientEvent;
use mqtt_session::{Event, QoS};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlElement};

use crate::support::*;

/// The client view in an element of its own; unmounted when the guard drops.
fn mount_client_view() -> (Element, impl Drop) {
    let root = test_root();
    let handle = mount_to(
        root.clone(),
        || view! { <Shell start=Route::Client follow_hash=false /> },
    );
    (root.into(), Unmount(Some(handle)))
}

struct Unmount<T>(Option<T>);
impl<T> Drop for Unmount<T> {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

async fn connect_page(root: &Element, url: &str, user: Option<(&str, &str)>) {
    type_into(root, "connect-url", url);
    if let Some((name, password)) = user {
        type_into(root, "connect-username", name);
        type_into(root, "connect-password", password);
    }
    click(root, "connect-button");
    until("the page to connect", 10.0, || {
        attr_of(root, "connection-status", "data-state") == "connected"
    })
    .await;
}

async fn subscribe_page(root: &Element, filter: &str) {
    type_into(root, "subscribe-topic", filter);
    choose(root, "subscribe-qos", "1");
    click(root, "subscribe-button");
    until("the subscription to be granted", 10.0, || {
        all_by_testid(root, "subscription").iter().any(|row| {
            row.get_attribute("data-state")
                .unwrap_or_default()
                .contains("granted")
        })
    })
    .await;
}

/// The tree's row for `topic`, if it is drawn.
fn node(root: &Element, topic: &str) -> Option<Element> {
    all_by_testid(root, "topic-node")
        .into_iter()
        .find(|n| n.get_attribute("data-topic").as_deref() == Some(topic))
}

fn node_text(root: &Element, topic: &str) -> String {
    node(root, topic)
        .and_then(|n| n.text_content())
        .unwrap_or_default()
}

fn has_retained_marker(root: &Element, topic: &str) -> bool {
    node(root, topic).is_some_and(|n| {
        n.query_selector("[data-testid='topic-retained']")
            .ok()
            .flatten()
            .is_some()
    })
}

/// Publishes and waits for the broker's acknowledgement (QoS 1).
async fn publish_acked(r: &Recorder, topic: &str, payload: &str, retain: bool) {
    let pkid = r
        .client
        .publish(topic, payload.as_bytes().to_vec(), QoS::AtLeastOnce, retain)
        .expect("publish")
        .expect("a packet id at QoS 1");
    r.wait_for("PUBACK", |e| {
        matches!(e, Event::Delivered { pkid: p, .. } if *p == pkid).then_some(())
    })
    .await;
}

/// A key press on `target`, as the browser dispatches it (bubbling to the window).
fn press(target: &Element, key: &str, code: &str, alt: bool) {
    let init = js_sys::Object::new();
    for (name, value) in [
        ("key", JsValue::from_str(key)),
        ("code", JsValue::from_str(code)),
        ("altKey", JsValue::from_bool(alt)),
        ("bubbles", JsValue::TRUE),
        ("cancelable", JsValue::TRUE),
    ] {
        js_sys::Reflect::set(&init, &JsValue::from_str(name), &value).expect("set");
    }
    let window = web_sys::window().expect("window");
    let constructor: js_sys::Function = js_sys::Reflect::get(&window, &"KeyboardEvent".into())
        .expect("KeyboardEvent")
        .unchecked_into();
    let event: web_sys::Event =
        js_sys::Reflect::construct(&constructor, &js_sys::Array::of2(&"keydown".into(), &init))
            .expect("a KeyboardEvent")
            .unchecked_into();
    target.dispatch_event(&event).expect("dispatched");
}

#[wasm_bindgen_test]
async fn a_retained_topic_shows_in_the_tree_and_clear_retained_removes_it_from_mosquitto() {
    let user = Some(mosquitto_user());
    let topic = unique("tree");
    let parent = topic.rsplit_once('/').expect("levels").0.to_string();

    // Another client leaves a retained number on the topic.
    let publisher = Recorder::connected(&settings(mosquitto_url(), user)).await;
    publish_acked(&publisher, &topic, "21.5", true).await;

    let (root, _mounted) = mount_client_view();
    connect_page(&root, mosquitto_url(), user).await;
    subscribe_page(&root, &topic).await;
    until("the topic's node with its retained marker", 10.0, || {
        has_retained_marker(&root, &topic)
    })
    .await;
    assert!(
        node_text(&root, &topic).contains("21.5"),
        "{}",
        node_text(&root, &topic)
    );

    // Two more numbers (forwarded with RETAIN=0: the marker stays), then the history and
    // the chart of the selected topic.
    publish_acked(&publisher, &topic, "22.5", false).await;
    publish_acked(&publisher, &topic, "20", false).await;
    until("three messages on the node", 10.0, || {
        node_text(&root, &topic).contains("3 msgs")
    })
    .await;
    assert!(has_retained_marker(&root, &topic));
    node(&root, &topic)
        .expect("the node")
        .unchecked_into::<HtmlElement>()
        .click();
    until("the history of the selected topic", 10.0, || {
        text_if_any(&root, "topic-history").contains("22.5")
    })
    .await;
    let history = by_testid(&root, "topic-history");
    assert_eq!(history.child_element_count(), 3);
    let first = history
        .first_element_child()
        .and_then(|li| li.text_content())
        .unwrap_or_default();
    assert!(first.contains("20"), "newest first: {first}");
    let chart = by_testid(&root, "topic-chart");
    let points = chart
        .query_selector("polyline")
        .ok()
        .flatten()
        .and_then(|p| p.get_attribute("points"))
        .unwrap_or_default();
    assert_eq!(
        points.split(' ').count(),
        3,
        "one point per number: {points}"
    );

    // Folding the parent level hides the topic; unfolding shows it again.
    let toggle = node(&root, &parent)
        .and_then(|n| {
            n.query_selector("[data-testid='topic-node-toggle']")
                .ok()
                .flatten()
        })
        .expect("the parent level has a toggle");
    toggle.clone().unchecked_into::<HtmlElement>().click();
    until("the topic to be folded away", 10.0, || {
        node(&root, &topic).is_none()
    })
    .await;
    toggle.unchecked_into::<HtmlElement>().click();
    until("the topic to be shown again", 10.0, || {
        node(&root, &topic).is_some()
    })
    .await;

    // Clear it: the page publishes an empty retained message, which mosquitto forwards to
    // the page's own subscription (a fourth message) once it has dropped the retained one.
    click(&root, "clear-retained");
    until("the retained marker to go", 10.0, || {
        !has_retained_marker(&root, &topic)
    })
    .await;
    until("the empty message to come back", 10.0, || {
        node_text(&root, &topic).contains("4 msgs")
    })
    .await;
    assert!(
        text_if_any(&root, "topic-detail").contains("No retained message"),
        "{}",
        text_if_any(&root, "topic-detail")
    );

    // A fresh subscriber gets no retained message: the first message it receives is the
    // one it publishes itself after its SUBACK.
    let fresh =
        Recorder::subscribed(&settings(mosquitto_url(), user), &topic, QoS::AtLeastOnce).await;
    publish_acked(&fresh, &topic, "after", false).await;
    fresh
        .wait_for("its own message", |e| match e {
            Event::Message(m) if m.payload.as_ref() == b"after" => Some(()),
            _ => None,
        })
        .await;
    let received: Vec<(bool, Vec<u8>)> = fresh
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Session(Event::Message(m)) => Some((m.retain, m.payload.to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(
        received,
        [(false, b"after".to_vec())],
        "no retained message is left"
    );
}

#[wasm_bindgen_test]
async fn topic_levels_fold_by_keyboard_and_the_live_region_announces_until_turned_off() {
    let (root, _mounted) = mount_client_view();
    connect_page(&root, lab_url(), None).await;
    let prefix = unique("tree-keys");
    subscribe_page(&root, &format!("{prefix}/#")).await;
    let topic = format!("{prefix}/a/b");
    type_into(&root, "publish-topic", &topic);
    type_into(&root, "publish-payload", "one");
    click(&root, "publish-button");
    until("the node", 10.0, || node(&root, &topic).is_some()).await;
    until("the live region to announce it", 10.0, || {
        text_of(&root, "aria-live") == format!("1 new message, on {topic}")
    })
    .await;

    // Left on a level folds it, right unfolds it; Enter selects a topic.
    let level = format!("{prefix}/a");
    press(
        &node(&root, &level).expect("the level"),
        "ArrowLeft",
        "ArrowLeft",
        false,
    );
    until("folded", 10.0, || node(&root, &topic).is_none()).await;
    press(
        &node(&root, &level).expect("the level"),
        "ArrowRight",
        "ArrowRight",
        false,
    );
    until("unfolded", 10.0, || node(&root, &topic).is_some()).await;
    press(
        &node(&root, &topic).expect("the node"),
        "Enter",
        "Enter",
        false,
    );
    until("the detail of the topic", 10.0, || {
        text_if_any(&root, "topic-detail-topic") == topic
    })
    .await;

    // Turned off: nothing is said any more.
    click(&root, "aria-live-toggle");
    until("the live region to be emptied", 10.0, || {
        text_of(&root, "aria-live").is_empty()
    })
    .await;
    type_into(&root, "publish-payload", "two");
    click(&root, "publish-button");
    until("the second message in the tree", 10.0, || {
        node_text(&root, &topic).contains("2 msgs")
    })
    .await;
    assert_eq!(text_of(&root, "aria-live"), "", "turned off");
    click(&root, "aria-live-toggle"); // back on (the setting is remembered)
}

#[wasm_bindgen_test]
async fn shortcuts_list_opens_with_question_mark_and_alt_l_clears_the_log() {
    let (root, _mounted) = mount_client_view();
    let anywhere = by_testid(&root, "log");
    press(&anywhere, "?", "Slash", false);
    until("the list of shortcuts", 10.0, || {
        text_if_any(&root, "shortcuts").contains("Alt+C")
    })
    .await;
    press(&by_testid(&root, "shortcuts"), "Escape", "Escape", false);
    until("the list to close", 10.0, || {
        root.query_selector("[data-testid='shortcuts']")
            .ok()
            .flatten()
            .is_none()
    })
    .await;

    // "?" typed into a field is just a character.
    press(&by_testid(&root, "publish-topic"), "?", "Slash", false);
    assert!(root
        .query_selector("[data-testid='shortcuts']")
        .ok()
        .flatten()
        .is_none());

    // Alt+C connects with the panel's settings; Alt+L clears the log.
    type_into(&root, "connect-url", lab_url());
    press(&by_testid(&root, "connect-url"), "ç", "KeyC", true);
    until("connected by Alt+C", 10.0, || {
        attr_of(&root, "connection-status", "data-state") == "connected"
    })
    .await;
    until("log entries", 10.0, || {
        !all_by_testid(&root, "log-entry").is_empty()
    })
    .await;
    press(&anywhere, "l", "KeyL", true);
    until("an empty log", 10.0, || {
        all_by_testid(&root, "log-entry").is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_theme_toggle_sets_data_theme_and_changes_the_background() {
    // The test runner's page has no stylesheet: load the app's.
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let style = document.create_element("style").expect("style");
    style.set_text_content(Some(include_str!("../../style/main.css")));
    document
        .head()
        .expect("head")
        .append_child(&style)
        .expect("added");

    let (root, _mounted) = mount_client_view();
    let html = document.document_element().expect("<html>");
    let theme = || html.get_attribute("data-theme").unwrap_or_default();
    let background = || {
        let panel = by_testid(&root, "topic-tree");
        web_sys::window()
            .and_then(|w| w.get_computed_style(&panel).ok().flatten())
            .and_then(|s| s.get_property_value("background-color").ok())
            .unwrap_or_default()
    };
    until("a theme", 10.0, || !theme().is_empty()).await;
    let mut seen: Vec<(String, String)> = Vec::new();
    for _ in 0..3 {
        let before = theme();
        click(&root, "theme-toggle");
        until("the theme to change", 10.0, || theme() != before).await;
        seen.push((theme(), background()));
    }
    style.remove();
    let themes: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(themes, ["dark", "light", "system"]);
    assert_eq!(seen[1].1, "rgb(255, 255, 255)", "light panels are white");
    assert_ne!(seen[0].1, seen[1].1, "dark panels are not: {seen:?}");
    assert_eq!(
        seen[2].1, seen[1].1,
        "the headless browser's system is light"
    );
}
