//! The Playground's five exercises, driven through the page against the lab (devices and
//! all) and, for the namespaces, against mosquitto with its ACL.

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

use crate::support::*;

fn mount(url: &str) -> (Element, impl Drop) {
    let root = test_root();
    let handle = mount_to(
        root.clone(),
        || view! { <Shell start=Route::Playground follow_hash=false /> },
    );
    let root: Element = root.into();
    type_into(&root, "connect-url", url);
    (root, Unmount(Some(handle)))
}

struct Unmount<T>(Option<T>);
impl<T> Drop for Unmount<T> {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// The two brokers every exercise runs against: the lab, and mosquitto with its password
/// file and ACL (as the seed's user).
fn brokers() -> [(&'static str, Option<(&'static str, &'static str)>); 2] {
    [(lab_url(), None), (mosquitto_url(), Some(mosquitto_user()))]
}

fn mount_on(url: &str, user: Option<(&str, &str)>) -> (Element, impl Drop) {
    let (root, mounted) = mount(url);
    if let Some((name, password)) = user {
        type_into(&root, "connect-username", name);
        type_into(&root, "connect-password", password);
    }
    (root, mounted)
}

fn panel(root: &Element, name: &str) -> Element {
    by_testid(root, &format!("scenario-{name}"))
}

fn count(panel: &Element, id: &str) -> u64 {
    text_of(panel, id).trim().parse().unwrap_or(0)
}

async fn connected(panel: &Element, side: &str) {
    until(&format!("the {side} to connect"), 10.0, || {
        panel
            .query_selector(&format!(".{side} .status[data-state='connected']"))
            .ok()
            .flatten()
            .is_some()
    })
    .await;
}

#[wasm_bindgen_test]
async fn simple_numbers_flow_from_producer_to_consumer() {
    for (url, user) in brokers() {
        simple_on(url, user).await;
    }
}

async fn simple_on(url: &str, user: Option<(&str, &str)>) {
    let (root, _m) = mount_on(url, user);
    let p = panel(&root, "simple");
    click(&p, "consumer-start");
    connected(&p, "consumer").await;
    type_into(&p, "producer-count", "300");
    click(&p, "producer-start");
    until("the producer to finish", 20.0, || {
        text_of(&p, "producer-progress").contains("300 sent at")
    })
    .await;
    // The consumer takes `#`: at least our 300, plus whatever else is on the broker.
    until("300 messages in the consumer", 20.0, || {
        count(&p, "consumer-count") >= 300
    })
    .await;
    assert!(!all_by_testid(&p, "consumer-entry").is_empty());
    assert_ne!(text_of(&p, "consumer-latest"), "–");
}

#[wasm_bindgen_test]
async fn json_readings_are_decoded_and_malformed_ones_shown_with_their_bytes() {
    for (url, user) in brokers() {
        json_on(url, user).await;
    }
}

async fn json_on(url: &str, user: Option<(&str, &str)>) {
    let (root, _m) = mount_on(url, user);
    let p = panel(&root, "json");
    type_into(&p, "consumer-filter", "sensor/temperature");
    click(&p, "consumer-start");
    connected(&p, "consumer").await;
    type_into(&p, "producer-count", "5");
    click(&p, "producer-start");
    until("decoded readings", 10.0, || {
        all_by_testid(&p, "consumer-entry").iter().any(|e| {
            e.get_attribute("data-state").as_deref() == Some("ok")
                && e.text_content().unwrap_or_default().contains("temperature")
        })
    })
    .await;
    click(&p, "action-malformed");
    until("an error row", 10.0, || {
        all_by_testid(&p, "consumer-entry").iter().any(|e| {
            e.get_attribute("data-state").as_deref() == Some("error")
                && e.text_content().unwrap_or_default().contains("yesterday")
        })
    })
    .await;
}

#[wasm_bindgen_test]
async fn device_cards_come_from_retained_info_and_live_readings() {
    for (url, user) in brokers() {
        devices_on(url, user).await;
    }
}

async fn devices_on(url: &str, user: Option<(&str, &str)>) {
    let (root, _m) = mount_on(url, user);
    let p = panel(&root, "device");
    let id = unique("dev").replace('/', "-");
    type_into(&p, "producer-device-id", &id);
    type_into(&p, "producer-count", "5");
    click(&p, "producer-start");
    let start = js_sys::Date::now();
    while !text_of(&p, "producer-progress").contains("sent at")
        && js_sys::Date::now() - start < 10_000.0
    {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    let progress = text_of(&p, "producer-progress");
    let status = p
        .query_selector(".producer")
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    assert!(progress.contains("5 sent at"), "{url}: {status}");
    // The consumer connects after the device published: its card comes from retained info.
    click(&p, "consumer-start");
    until("our device's card with its info", 10.0, || {
        all_by_testid(&p, "device-card").iter().any(|c| {
            c.get_attribute("data-device").as_deref() == Some(id.as_str())
                && c.text_content()
                    .unwrap_or_default()
                    .contains("temperature-sensor")
        })
    })
    .await;
    if user.is_some() {
        return; // the simulated devices live on the lab only
    }
    until("a simulated lab device", 10.0, || {
        all_by_testid(&p, "device-card")
            .iter()
            .any(|c| c.get_attribute("data-device").as_deref() == Some("lab-device-1"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_namespace_is_enforced_by_mosquitto_and_reported_as_not_by_the_lab() {
    let (root, _m) = mount(mosquitto_url());
    type_into(&root, "connect-username", "alice");
    type_into(&root, "connect-password", "alice-password");
    let p = panel(&root, "auth");
    // The exercise appears once there is a user name to name the namespace after.
    until("the exercise for alice", 5.0, || {
        !all_by_testid(&p, "consumer-start").is_empty()
    })
    .await;
    click(&p, "consumer-start");
    connected(&p, "consumer").await;
    type_into(&p, "producer-count", "50");
    click(&p, "producer-start");
    until("alice's 50 readings", 15.0, || {
        count(&p, "consumer-count") >= 50
    })
    .await;
    type_into(&p, "probe-user", "bob");
    click(&p, "action-probe");
    until("the probe's verdict", 15.0, || {
        text_if_any(&p, "probe-verdict").starts_with("Enforced")
    })
    .await;
    let verdict = text_of(&p, "probe-verdict");
    assert!(
        verdict.contains("MQTT 3.1.1 has no negative acknowledgement"),
        "{verdict}"
    );

    let (root, _m) = mount(lab_url());
    type_into(&root, "connect-username", "alice");
    let p = panel(&root, "auth");
    click(&p, "action-probe");
    until("the probe's verdict", 15.0, || {
        text_if_any(&p, "probe-verdict").starts_with("Not enforced")
    })
    .await;
}

/// Under MQTT 5 the verdict comes from the broker's own answer: mosquitto's ACL refuses
/// alice's publish into bob's namespace with PUBACK 0x87, and the page says so.
#[wasm_bindgen_test]
async fn under_mqtt5_the_probe_reports_the_brokers_refusal() {
    let (root, _m) = mount(mosquitto_url());
    choose(&root, "connect-protocol", "5");
    type_into(&root, "connect-username", "alice");
    type_into(&root, "connect-password", "alice-password");
    let p = panel(&root, "auth");
    type_into(&p, "probe-user", "bob");
    click(&p, "action-probe");
    until("the probe's verdict", 15.0, || {
        !matches!(text_if_any(&p, "probe-verdict").as_str(), "" | "probing…")
    })
    .await;
    let verdict = text_of(&p, "probe-verdict");
    assert!(verdict.contains("not authorized"), "{verdict}");
    assert!(
        verdict.starts_with(
            "Enforced: the broker refused the publish into /iot/user/bob/sensor/temperature: \
             0x87 not authorized"
        ),
        "{verdict}"
    );
    assert!(!verdict.contains("3.1.1"), "{verdict}");
    assert!(
        all_by_testid(&p, "endpoint-problem").is_empty(),
        "{}",
        text_if_any(&p, "endpoint-problem")
    );
}

#[wasm_bindgen_test]
async fn the_smart_object_obeys_actions_from_the_controller() {
    for (url, user) in brokers() {
        smart_on(url, user).await;
    }
}

async fn smart_on(url: &str, user: Option<(&str, &str)>) {
    let (root, _m) = mount_on(url, user);
    let p = panel(&root, "smart");
    let id = unique("lamp").replace('/', "-");
    type_into(&p, "producer-device-id", &id);
    click(&p, "producer-start");
    connected(&p, "producer").await;
    click(&p, "consumer-start");
    connected(&p, "consumer").await;
    // The controller finds the devices present and picks the page's own.
    until("the device's info", 10.0, || {
        attr_of(&p, "device-card", "data-device") == id
            && text_of(&p, "device-card").contains("smart-object")
    })
    .await;
    click(&p, "action-light-on");
    until("the light-on event", 10.0, || {
        text_of(&p, "smart-event").contains("\"on\"")
    })
    .await;
    click(&p, "action-light-toggle");
    until("the toggled event", 10.0, || {
        text_of(&p, "smart-event").contains("\"off\"")
    })
    .await;
}

/// Errors surface where the user acted: a device id that cannot be one topic level (its
/// topics and its last will would be refused) is refused before connecting, and the
/// sentence says so under the device's status instead of being dropped.
#[wasm_bindgen_test]
async fn a_device_id_that_cannot_be_a_topic_level_is_refused_under_the_endpoint() {
    let (root, _m) = mount(lab_url());
    let p = panel(&root, "smart");
    type_into(&p, "producer-device-id", "a+b");
    click(&p, "producer-start");
    until("the refusal to be shown", 10.0, || {
        text_if_any(&p, "endpoint-problem").contains("device id 'a+b' cannot be one topic level")
    })
    .await;
}
