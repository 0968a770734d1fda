//! Shared helpers: broker addresses (given at compile time by `cargo xtask test`), a
//! bounded wait for conditions, and DOM helpers that act as a user would.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use mqtt_playground::driver::client::{BrokerSettings, ClientEvent, MqttClient};
use mqtt_session::{Event, QoS};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

// `option_env!` rather than `env!`: the crate must still build (for clippy) without the
// brokers; a test run without them fails with the message below.
/// The lab's WebSocket URL, e.g. `ws://127.0.0.1:40123/mqtt`.
#[allow(clippy::option_env_unwrap)]
pub fn lab_url() -> &'static str {
    option_env!("MQTT_LAB_WS_URL")
        .expect("MQTT_LAB_WS_URL is not set: run the browser tests with `cargo xtask test`")
}

/// mosquitto's WebSocket URL (password file with the seed's user).
#[allow(clippy::option_env_unwrap)]
pub fn mosquitto_url() -> &'static str {
    option_env!("MQTT_MOSQUITTO_WS_URL")
        .expect("MQTT_MOSQUITTO_WS_URL is not set: run the browser tests with `cargo xtask test`")
}

/// The lab's WebSocket listener in front of mosquitto (`lab --upstream`): the same broker and
/// logins as [`mosquitto_url`], and `/control/cut` on its port cuts the connections made
/// through it.
#[allow(clippy::option_env_unwrap)]
pub fn mosquitto_cut_url() -> &'static str {
    option_env!("MQTT_MOSQUITTO_CUT_WS_URL").expect(
        "MQTT_MOSQUITTO_CUT_WS_URL is not set: run the browser tests with `cargo xtask test`",
    )
}

/// A WebSocket URL on which nothing listens (given by `cargo xtask test`, which
/// checked it was free).
pub fn closed_port_url() -> String {
    let port = option_env!("MQTT_CLOSED_PORT").unwrap_or("1");
    format!("ws://127.0.0.1:{port}/mqtt")
}

pub fn mosquitto_user() -> (&'static str, &'static str) {
    (
        option_env!("MQTT_MOSQUITTO_USERNAME").unwrap_or("student"),
        option_env!("MQTT_MOSQUITTO_PASSWORD").unwrap_or("i_make_mqtt_cool"),
    )
}

/// A topic prefix no other test (or earlier run against a long-lived broker) uses.
pub fn unique(prefix: &str) -> String {
    watch_page_errors();
    let n = (js_sys::Math::random() * 1e9) as u64;
    format!("playground-test/{prefix}/{n}")
}

pub fn settings(url: &str, user: Option<(&str, &str)>) -> BrokerSettings {
    BrokerSettings {
        username: user.map(|u| u.0.to_string()).unwrap_or_default(),
        password: user.map(|u| u.1.to_string()).unwrap_or_default(),
        keep_alive_secs: 30,
        clean_session: true,
        reconnect: false,
        ..BrokerSettings::new(url, unique("c").replace('/', "-"))
    }
}

/// Polls `condition` every 10 ms; fails the test after `seconds`. A guard against hangs,
/// not a delay: the test goes on the moment the condition holds.
pub async fn until(what: &str, seconds: f64, mut condition: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !condition() {
        if js_sys::Date::now() - start > seconds * 1000.0 {
            panic!("timed out after {seconds} s waiting for: {what}");
        }
        TimeoutFuture::new(10).await;
    }
}

/// A client plus everything it reported.
pub struct Recorder {
    pub client: MqttClient,
    pub events: Rc<RefCell<Vec<ClientEvent>>>,
}

impl Recorder {
    pub fn connect(settings: &BrokerSettings) -> Self {
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        let client = MqttClient::connect(settings, move |e| sink.borrow_mut().push(e))
            .expect("the client starts");
        Self { client, events }
    }

    /// Waits for a session event matching `pick` and returns what it extracted.
    pub async fn wait_for<T>(&self, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> T {
        self.wait_for_within(what, 10.0, pick).await
    }

    pub async fn wait_for_within<T>(
        &self,
        what: &str,
        seconds: f64,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        let mut found = None;
        until(what, seconds, || {
            found = self.events.borrow().iter().find_map(|e| match e {
                ClientEvent::Session(e) => pick(e),
                _ => None,
            });
            found.is_some()
        })
        .await;
        found.expect("found")
    }

    /// A client connected with `settings` whose subscription to `filter` is acknowledged.
    pub async fn subscribed(settings: &BrokerSettings, filter: &str, qos: QoS) -> Self {
        let r = Self::connected(settings).await;
        r.client.subscribe(filter, qos).expect("subscribe");
        r.wait_for("SUBACK", |e| {
            matches!(e, Event::Subscribed { .. }).then_some(())
        })
        .await;
        r
    }

    /// The numbers received on `topic` so far (payloads that are decimal numbers), sorted:
    /// the exactly-once tests compare them with what was published.
    pub fn numbers_on(&self, topic: &str) -> Vec<u32> {
        let mut numbers = self.numbers_in_order(topic);
        numbers.sort_unstable();
        numbers
    }

    /// The same numbers in the order they arrived.
    pub fn numbers_in_order(&self, topic: &str) -> Vec<u32> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Session(Event::Message(m)) if m.topic == topic => {
                    std::str::from_utf8(&m.payload).ok()?.parse().ok()
                }
                _ => None,
            })
            .collect()
    }

    pub async fn connected(settings: &BrokerSettings) -> Self {
        let r = Self::connect(settings);
        r.wait_for("CONNACK", |e| match e {
            Event::Connected { .. } => Some(()),
            Event::Closed(reason) => panic!("connection failed: {reason}"),
            _ => None,
        })
        .await;
        r
    }
}

/// Logs panics, the page's uncaught errors and rejected promises with `console.error` (once
/// per page), so that the runner prints them with a failing or stalled test's console
/// output: a trap in an event handler (a wasm panic) would otherwise leave no trace but the
/// stall.
fn watch_page_errors() {
    thread_local!(static WATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if WATCHING.replace(true) {
        return;
    }
    // A panic in a spawned task (not in a test's own future) traps there and can wedge the
    // futures executor: the test then never ends, and the runner's hook reports nothing.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        web_sys::console::error_1(&format!("panicked: {info}").into());
        report(info);
    }));
    let _ = js_sys::eval(
        "addEventListener('error', (e) => console.error('uncaught error:', e.message, \
         e.filename + ':' + e.lineno, e.error && e.error.stack)); \
         addEventListener('unhandledrejection', (e) => console.error('unhandled rejection:', \
         e.reason && (e.reason.stack || e.reason)));",
    );
}

/// A fresh element in the page for one test's component tree.
pub fn test_root() -> HtmlElement {
    watch_page_errors();
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document
        .create_element("div")
        .expect("div")
        .unchecked_into::<HtmlElement>();
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("appended");
    root
}

pub fn by_testid(root: &Element, id: &str) -> Element {
    root.query_selector(&format!("[data-testid='{id}']"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no element with data-testid='{id}'"))
}

pub fn all_by_testid(root: &Element, id: &str) -> Vec<Element> {
    let list = root
        .query_selector_all(&format!("[data-testid='{id}']"))
        .expect("valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect()
}

/// Types into an input or textarea the way a user does (value + `input` event).
pub fn type_into(root: &Element, id: &str, text: &str) {
    let el = by_testid(root, id);
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(text);
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(text);
    }
    dispatch(&el, "input");
}

/// Chooses an option of a `<select>`.
pub fn choose(root: &Element, id: &str, value: &str) {
    let el = by_testid(root, id);
    el.unchecked_ref::<web_sys::HtmlSelectElement>()
        .set_value(value);
    dispatch(&el, "change");
}

pub fn click(root: &Element, id: &str) {
    by_testid(root, id).unchecked_into::<HtmlElement>().click();
}

fn dispatch(el: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).expect("event");
    el.dispatch_event(&event).expect("dispatched");
}

pub fn text_of(root: &Element, id: &str) -> String {
    by_testid(root, id).text_content().unwrap_or_default()
}

pub fn attr_of(root: &Element, id: &str, attr: &str) -> String {
    by_testid(root, id).get_attribute(attr).unwrap_or_default()
}

/// The text of an element that may not exist yet ("" until it does).
pub fn text_if_any(root: &Element, id: &str) -> String {
    root.query_selector(&format!("[data-testid='{id}']"))
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Cuts the lab's live connections whose client id starts with `prefix`; how many. Asked on
/// the port of `listener`, the WebSocket URL the client was given ([`lab_url`] or
/// [`mosquitto_cut_url`]).
pub async fn cut(listener: &str, prefix: &str) -> u32 {
    let base = listener
        .replacen("ws://", "http://", 1)
        .trim_end_matches("/mqtt")
        .to_string();
    let url = format!("{base}/control/cut?client={prefix}");
    let window = web_sys::window().expect("window");
    // Bounded: a hung request fails this test with its URL instead of the whole run.
    let abort = web_sys::AbortController::new().expect("AbortController");
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&abort.signal()));
    let _deadline = gloo_timers::callback::Timeout::new(15_000, move || abort.abort());
    let response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .unwrap_or_else(|e| panic!("no answer from {url} within 15 s: {e:?}"));
    let response: web_sys::Response = response.unchecked_into();
    assert_eq!(response.status(), 200, "{url}");
    let body = wasm_bindgen_futures::JsFuture::from(response.text().expect("a body"))
        .await
        .expect("the body")
        .as_string()
        .unwrap_or_default();
    body.trim()
        .trim_start_matches("{\"cut\":")
        .trim_end_matches('}')
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("unexpected answer {body:?}"))
}
