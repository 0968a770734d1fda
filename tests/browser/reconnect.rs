//! Connections that survive: the lab cuts the page's live connection (`/control/cut`, an
//! abrupt TCP drop the browser sees as close code 1006) and the page must come back by
//! itself, with its subscriptions, and send what was published while it was down. The lab
//! cuts connections to its own broker, and to mosquitto through its listener in front of it
//! (`mosquitto_cut_url`).

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use mqtt_playground::driver::client::ClientEvent;
use mqtt_session::{Event, QoS};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

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

fn granted(root: &Element) -> bool {
    all_by_testid(root, "subscription").iter().any(|row| {
        row.get_attribute("data-state")
            .unwrap_or_default()
            .contains("granted")
    })
}

fn state(root: &Element) -> String {
    attr_of(root, "connection-status", "data-state")
}

#[wasm_bindgen_test]
async fn a_cut_connection_comes_back_by_itself_with_its_subscriptions_and_offline_publishes() {
    let (root, _mounted) = mount_client_view();
    let id = unique("cut").replace('/', "-");
    type_into(&root, "connect-url", lab_url());
    type_into(&root, "connect-client-id", &id);
    click(&root, "connect-clean-session"); // off: the broker keeps the session
    click(&root, "connect-button");
    until("connected", 10.0, || state(&root) == "connected").await;

    let topic = unique("cut-topic");
    type_into(&root, "subscribe-topic", &topic);
    choose(&root, "subscribe-qos", "1");
    click(&root, "subscribe-button");
    until("granted", 10.0, || granted(&root)).await;

    assert_eq!(
        cut(lab_url(), &id).await,
        1,
        "exactly this page's connection is cut"
    );
    until("reconnecting", 5.0, || state(&root) == "reconnecting").await;
    assert!(text_of(&root, "reconnect-countdown").contains("next try in"));

    // Published while the connection is down: queued, and sent when it is back.
    type_into(&root, "publish-topic", &topic);
    type_into(&root, "publish-payload", "sent while offline");
    choose(&root, "publish-qos", "1");
    click(&root, "publish-button");
    until("queued", 5.0, || {
        text_of(&root, "offline-queue-count") == "1"
    })
    .await;

    until("connected again by itself", 10.0, || {
        state(&root) == "connected"
    })
    .await;
    until("the subscription restored", 10.0, || granted(&root)).await;
    until(
        "the queued message back through the subscription",
        10.0,
        || {
            all_by_testid(&root, "log-entry").iter().any(|e| {
                let text = e.text_content().unwrap_or_default();
                text.contains("sent while offline") && text.contains('←')
            })
        },
    )
    .await;
    assert_eq!(text_of(&root, "offline-queue-count"), "0");
}

#[wasm_bindgen_test]
async fn reconnect_now_skips_the_wait_and_stop_ends_it() {
    let (root, _mounted) = mount_client_view();
    let id = unique("now").replace('/', "-");
    type_into(&root, "connect-url", lab_url());
    type_into(&root, "connect-client-id", &id);
    click(&root, "connect-button");
    until("connected", 10.0, || state(&root) == "connected").await;
    assert_eq!(cut(lab_url(), &id).await, 1);
    until("reconnecting", 5.0, || state(&root) == "reconnecting").await;
    click(&root, "reconnect-now");
    until("connected again", 5.0, || state(&root) == "connected").await;
    assert_eq!(cut(lab_url(), &id).await, 1);
    until("reconnecting again", 5.0, || state(&root) == "reconnecting").await;
    click(&root, "disconnect-button");
    until("stopped", 5.0, || state(&root) == "idle").await;
}

/// The driver across a cut, at QoS 2 with a persistent session, through a cut in front of
/// mosquitto: mosquitto keeps the session, takes the resent PUBLISHes (DUP) and PUBRELs, and
/// forwards each message once to a subscriber connected to it directly.
///
/// Not run against the lab's embedded rumqttd 0.20: it keeps no inbound QoS 2 state across
/// connections, drops a client that resends a PUBREL it does not know [MQTT-4.4.0-1], and
/// can lose messages whose PUBREL it never saw (ARCHITECTURE.md, Brokers).
#[wasm_bindgen_test]
async fn qos_2_messages_in_flight_at_a_cut_in_front_of_mosquitto_arrive_exactly_once() {
    let user = Some(mosquitto_user());
    exactly_once_across_a_cut(mosquitto_cut_url(), mosquitto_url(), user).await;
}

/// A publisher with clean session off and `reconnect` on, connected through `cut_listener`,
/// publishes QoS 2 messages, is cut, comes back by itself and publishes a marker; a
/// subscriber connected at `subscriber_url` must receive each message exactly once.
async fn exactly_once_across_a_cut(
    cut_listener: &str,
    subscriber_url: &str,
    user: Option<(&str, &str)>,
) {
    let topic = unique("exactly-once");
    let receiver =
        Recorder::subscribed(&settings(subscriber_url, user), &topic, QoS::ExactlyOnce).await;

    let mut publisher_settings = settings(cut_listener, user);
    publisher_settings.clean_session = false;
    publisher_settings.reconnect = true;
    let publisher = Recorder::connected(&publisher_settings).await;
    const N: u32 = 40;
    for i in 0..N {
        publisher
            .client
            .publish(&topic, i.to_string().into_bytes(), QoS::ExactlyOnce, false)
            .expect("publish");
    }
    assert_eq!(cut(cut_listener, &publisher_settings.client_id).await, 1);
    let connections = || {
        publisher
            .events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Session(Event::Connected { session_present }) => {
                    Some(*session_present)
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    until("the publisher to reconnect", 10.0, || {
        connections().len() == 2
    })
    .await;
    assert_eq!(
        connections(),
        [false, true],
        "a new session, then the same one again"
    );
    let received = || receiver.numbers_on(&topic);
    // Everything but the acks, to explain a failure.
    let publisher_saw = || {
        publisher
            .events
            .borrow()
            .iter()
            .filter(|e| !matches!(e, ClientEvent::Session(Event::Delivered { .. })))
            .cloned()
            .collect::<Vec<_>>()
    };
    // A marker after the reconnect: a duplicate resent at the reconnect would be
    // forwarded before it, so once it is here every copy that will come has come.
    if let Err(error) = publisher
        .client
        .publish(&topic, b"999".to_vec(), QoS::ExactlyOnce, false)
    {
        panic!(
            "publish the marker: {error}; the publisher saw {:?}",
            publisher_saw()
        );
    }
    let marker = || received().contains(&999);
    let start = js_sys::Date::now();
    while !marker() && js_sys::Date::now() - start < 10_000.0 {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    assert!(
        marker(),
        "no marker after 10 s; received {:?}; the publisher saw {:?}",
        received(),
        publisher_saw()
    );
    let abandoned = publisher
        .events
        .borrow()
        .iter()
        .filter(|e| matches!(e, ClientEvent::Session(Event::Abandoned(_))))
        .count();
    assert_eq!(abandoned, 0, "the session was resumed, nothing abandoned");
    let expected: Vec<u32> = (0..N).chain([999]).collect();
    assert_eq!(received(), expected, "each exactly once");
}

/// The promise, through the page in front of mosquitto: QoS 2 messages published in
/// the client view while its connection is down wait in the offline queue and, once it is
/// back, arrive exactly once at a subscriber connected to mosquitto directly.
#[wasm_bindgen_test]
async fn qos_2_messages_published_while_offline_arrive_exactly_once() {
    let (name, password) = mosquitto_user();
    let topic = unique("offline-qos2");
    let receiver = Recorder::subscribed(
        &settings(mosquitto_url(), Some((name, password))),
        &topic,
        QoS::ExactlyOnce,
    )
    .await;

    let (root, _mounted) = mount_client_view();
    let id = unique("offline").replace('/', "-");
    type_into(&root, "connect-url", mosquitto_cut_url());
    type_into(&root, "connect-username", name);
    type_into(&root, "connect-password", password);
    type_into(&root, "connect-client-id", &id);
    click(&root, "connect-clean-session");
    click(&root, "connect-button");
    until("connected", 10.0, || state(&root) == "connected").await;

    assert_eq!(cut(mosquitto_cut_url(), &id).await, 1);
    until("reconnecting", 5.0, || state(&root) == "reconnecting").await;
    type_into(&root, "publish-topic", &topic);
    choose(&root, "publish-qos", "2");
    for n in 0..3 {
        type_into(&root, "publish-payload", &n.to_string());
        click(&root, "publish-button");
    }
    until("three queued", 5.0, || {
        text_of(&root, "offline-queue-count") == "3"
    })
    .await;
    until("connected again", 10.0, || state(&root) == "connected").await;
    // A marker after the flush: anything sent twice would arrive before it.
    type_into(&root, "publish-payload", "999");
    click(&root, "publish-button");
    let received = || receiver.numbers_on(&topic);
    until("the marker", 10.0, || received().contains(&999)).await;
    assert_eq!(received(), [0, 1, 2, 999], "each exactly once");
}
