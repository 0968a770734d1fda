//! Benchmark, not a test: how fast the page takes in a flood, and whether it stays
//! responsive. `cargo xtask bench` runs it (it needs the lab, like the browser tests) and
//! prints the numbers; nothing here asserts a speed.
//!
//! A second client publishes QoS 0 messages as fast as it can; the mounted app is
//! subscribed. Measured: messages per second until the log has counted them all, and the
//! animation frames that ran meanwhile (count and longest gap: a frozen page has none).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::request_animation_frame;
use mqtt_playground::driver::client::{BrokerSettings, ClientEvent, MqttClient};
use mqtt_playground::App;
use mqtt_session::{Event, QoS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const MESSAGES: u32 = 50_000;

#[allow(clippy::option_env_unwrap)]
fn lab_url() -> &'static str {
    option_env!("MQTT_LAB_WS_URL").expect("MQTT_LAB_WS_URL is not set: run `cargo xtask bench`")
}

fn settings(id: &str) -> BrokerSettings {
    let client_id = format!("bench-{id}-{}", (js_sys::Math::random() * 1e9) as u64);
    BrokerSettings {
        reconnect: false,
        ..BrokerSettings::new(lab_url(), client_id)
    }
}

async fn wait(mut done: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !done() {
        assert!(
            js_sys::Date::now() - start < 120_000.0,
            "gave up after 120 s"
        );
        TimeoutFuture::new(5).await;
    }
}

fn by_testid(root: &web_sys::Element, id: &str) -> web_sys::HtmlElement {
    root.query_selector(&format!("[data-testid='{id}']"))
        .ok()
        .flatten()
        .expect(id)
        .unchecked_into()
}

/// Records every animation frame until `stop` is set.
fn watch_frames(frames: Rc<RefCell<Vec<f64>>>, stop: Rc<RefCell<bool>>) {
    request_animation_frame(move || {
        frames.borrow_mut().push(js_sys::Date::now());
        if !*stop.borrow() {
            watch_frames(frames, stop);
        }
    });
}

/// One after the other (tests in one page run concurrently): the plain log, then the log
/// with a text filter that 1 message in 100 matches (its index is brought up to date once
/// per frame).
#[wasm_bindgen_test]
async fn flood_of_qos0_messages_into_the_live_log() {
    flood(None).await;
    flood(Some("25.5")).await;
}

async fn flood(log_filter: Option<&str>) {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let root = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let _mounted = leptos::mount::mount_to(root.clone().unchecked_into(), App);

    let input: web_sys::HtmlInputElement = by_testid(&root, "connect-url").unchecked_into();
    input.set_value(lab_url());
    input
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
    by_testid(&root, "connect-button").click();
    wait(|| {
        by_testid(&root, "connection-status")
            .get_attribute("data-state")
            .as_deref()
            == Some("connected")
    })
    .await;
    let topic = format!("bench/{}", (js_sys::Math::random() * 1e9) as u64);
    let filter: web_sys::HtmlInputElement = by_testid(&root, "subscribe-topic").unchecked_into();
    filter.set_value(&topic);
    filter
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
    by_testid(&root, "subscribe-button").click();
    wait(|| {
        root.text_content()
            .unwrap_or_default()
            .contains("granted QoS 0")
    })
    .await;

    if let Some(text) = log_filter {
        let input: web_sys::HtmlInputElement = by_testid(&root, "log-filter").unchecked_into();
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").expect("event"))
            .expect("dispatch");
    }

    let ready = Rc::new(RefCell::new(false));
    let flag = ready.clone();
    let publisher = MqttClient::connect(&settings("pub"), move |e| {
        if matches!(e, ClientEvent::Session(Event::Connected { .. })) {
            *flag.borrow_mut() = true;
        }
    })
    .expect("publisher");
    wait(|| *ready.borrow()).await;

    let frames = Rc::new(RefCell::new(Vec::new()));
    let stop = Rc::new(RefCell::new(false));
    watch_frames(frames.clone(), stop.clone());
    let counters = by_testid(&root, "log-counters");
    let expected = format!("{MESSAGES} in");
    let start = js_sys::Date::now();
    // Publish in slices so the publisher's own page work interleaves like a real producer.
    for slice in 0..(MESSAGES / 1000) {
        for i in 0..1000 {
            let n = slice * 1000 + i;
            publisher
                .publish(
                    &topic,
                    format!("{:.1}", 20.0 + f64::from(n % 100) / 10.0).into_bytes(),
                    QoS::AtMostOnce,
                    false,
                )
                .expect("publish");
        }
        TimeoutFuture::new(0).await;
    }
    let published = js_sys::Date::now();
    wait(|| {
        counters
            .text_content()
            .unwrap_or_default()
            .replace(',', "")
            .contains(&expected)
    })
    .await;
    let received = js_sys::Date::now();
    *stop.borrow_mut() = true;

    let frames = frames.borrow();
    let longest_gap = frames
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0_f64, f64::max);
    let secs = (received - start) / 1000.0;
    console_log!(
        "flood{}: {MESSAGES} QoS 0 messages published in {:.0} ms, all in the log after {:.0} ms: {:.0} messages/s; \
         {} animation frames meanwhile, longest gap between frames {:.0} ms; rows in the DOM: {}",
        log_filter
            .map(|f| format!(" into a log filtered by '{f}' ({})", counters.text_content().unwrap_or_default()))
            .unwrap_or_default(),
        published - start,
        received - start,
        f64::from(MESSAGES) / secs,
        frames.len(),
        longest_gap,
        root.query_selector_all("[data-testid='log-entry']").map(|l| l.length()).unwrap_or(0)
    );
    publisher.disconnect();
}
