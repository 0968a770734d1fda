//! The log as a daily tool, with `#` subscribed on a busy broker (the lab's simulated
//! devices publish every 2 s): find one message by filter, read its payload as pretty
//! JSON, hex and base64, pause, colour and alias, export and import back.
//!
//! The log view is mounted on a `ClientState` of the test's own, so the test can call the
//! same export/import functions the buttons and the file input call (a file dialog cannot
//! be driven).

use std::cell::Cell;
use std::rc::Rc;

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::state::connection::ConnState;
use mqtt_playground::views::{ClientState, ExportFormat, LogView};
use mqtt_session::QoS;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlSelectElement};

use crate::support::*;

/// A log view of a fresh client state; unmounted when the guard drops.
fn mount_log() -> (Element, ClientState, impl Drop) {
    let root = test_root();
    let slot = Rc::new(Cell::new(None));
    let out = slot.clone();
    let handle = mount_to(root.clone(), move || {
        let state = ClientState::new();
        provide_context(state);
        out.set(Some(state));
        view! { <LogView log=state.log /> }
    });
    let state = slot.take().expect("mounted");
    (root.into(), state, Unmount(Some(handle)))
}

struct Unmount<T>(Option<T>);
impl<T> Drop for Unmount<T> {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// Connected to `url` with `#` subscribed, and something from the devices received.
async fn connected_with_everything(
    state: ClientState,
    root: &Element,
    url: &str,
    user: Option<(&str, &str)>,
) {
    state
        .subscribe("#", QoS::AtMostOnce)
        .expect("a valid filter");
    state.connect(settings(url, user));
    until("connected", 10.0, || {
        state.model.with_untracked(|m| m.status.state) == ConnState::Connected
    })
    .await;
    until("the broker's traffic in the log", 10.0, || {
        all_by_testid(root, "log-entry").len() > 3
    })
    .await;
}

fn rows(root: &Element) -> Vec<String> {
    all_by_testid(root, "log-entry")
        .iter()
        .map(|e| e.text_content().unwrap_or_default())
        .collect()
}

/// The text of the payload view after choosing `kind`.
async fn payload_as(root: &Element, kind: &str) -> String {
    choose(root, "payload-view", kind);
    leptos::task::tick().await;
    text_of(root, "payload-text")
}

#[wasm_bindgen_test]
async fn one_message_is_found_by_filter_and_read_as_json_hex_and_base64() {
    let (root, state, _mounted) = mount_log();
    connected_with_everything(state, &root, lab_url(), None).await;

    let topic = unique("log-tools");
    let other = Recorder::connected(&settings(lab_url(), None)).await;
    let json = br#"{"t":21.5,"ok":true}"#;
    other
        .client
        .publish(
            &format!("{topic}/json"),
            json.to_vec(),
            QoS::AtMostOnce,
            false,
        )
        .expect("publish");
    until("the message among the devices' traffic", 10.0, || {
        rows(&root).iter().any(|r| r.contains(&topic))
    })
    .await;

    // A topic filter with a wildcard: exactly that message; notes are hidden too.
    type_into(&root, "log-filter", &format!("{topic}/+"));
    until("read as a topic filter", 5.0, || {
        text_of(&root, "log-filter-kind") == "topic filter"
    })
    .await;
    until("only the message shown", 5.0, || rows(&root).len() == 1).await;
    assert!(rows(&root)[0].contains(&format!("{topic}/json")));
    let counters = text_of(&root, "log-counters");
    assert!(counters.ends_with(" · 1 shown"), "{counters}");
    // Plain text is looked for in topics and payloads, case ignored.
    type_into(&root, "log-filter", "LOG-TOOLS");
    until("read as text", 5.0, || {
        text_of(&root, "log-filter-kind") == "text"
    })
    .await;
    until("the text found in the topic", 5.0, || {
        rows(&root).len() == 1
    })
    .await;
    type_into(&root, "log-filter", r#""ok":true"#);
    until("the text found in the payload", 5.0, || {
        rows(&root).len() == 1
    })
    .await;
    // Direction and QoS narrow it further.
    choose(&root, "log-filter-direction", "out");
    until("nothing sent", 5.0, || rows(&root).is_empty()).await;
    assert_eq!(
        root.query_selector(".log-scroll .empty")
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .as_deref(),
        Some("No message matches the filter.")
    );
    choose(&root, "log-filter-direction", "in");
    choose(&root, "log-filter-qos", "2");
    until("nothing at QoS 2", 5.0, || rows(&root).is_empty()).await;
    choose(&root, "log-filter-qos", "0");
    until("the message again", 5.0, || rows(&root).len() == 1).await;
    // The counters stay exact while filtered.
    let received = |root: &Element| -> u64 {
        text_of(root, "log-counters")
            .split(" in")
            .next()
            .unwrap_or_default()
            .replace(',', "")
            .parse()
            .unwrap_or(0)
    };
    let before = received(&root);
    until("the devices counted while filtered", 10.0, || {
        received(&root) > before
    })
    .await;
    assert_eq!(rows(&root).len(), 1);

    // Received through `#`, the first (and only) subscription: its colour and alias.
    let row = by_testid(&root, "log-entry");
    assert!(row.class_list().contains("sub-0"), "{}", row.class_name());
    type_into(&root, "log-alias", "all");
    until("the alias on the row", 5.0, || {
        text_if_any(&root, "log-entry-alias") == "all"
    })
    .await;

    // The detail: text by default, then JSON, hex and base64 of the exact bytes.
    click(&root, "log-entry");
    until("the detail", 5.0, || {
        text_if_any(&root, "payload-text") == r#"{"t":21.5,"ok":true}"#
    })
    .await;
    let select = by_testid(&root, "payload-view");
    assert_eq!(select.unchecked_ref::<HtmlSelectElement>().value(), "text");
    assert_eq!(
        payload_as(&root, "json").await,
        "{\n  \"t\": 21.5,\n  \"ok\": true\n}"
    );
    assert_eq!(
        payload_as(&root, "hex").await,
        "00000000  7b 22 74 22 3a 32 31 2e  35 2c 22 6f 6b 22 3a 74  |{\"t\":21.5,\"ok\":t|\n\
         00000010  72 75 65 7d                                       |rue}|"
    );
    assert_eq!(
        payload_as(&root, "base64").await,
        "eyJ0IjoyMS41LCJvayI6dHJ1ZX0="
    );
    // The detail stays put while the log moves on (a select rebuilt every frame could not
    // be used).
    let before = received(&root);
    until("more traffic", 10.0, || received(&root) > before).await;
    assert!(select.is_same_node(Some(&by_testid(&root, "payload-view"))));

    // Export what is shown and read it back into a cleared log.
    let jsonl = state.log.export(ExportFormat::JsonLines);
    assert_eq!(jsonl.lines().count(), 1, "{jsonl}");
    assert!(
        jsonl.contains(&format!(
            r#""direction":"in","topic":"{topic}/json","qos":0,"retain":false,"payload_base64":"eyJ0IjoyMS41LCJvayI6dHJ1ZX0="}}"#
        )),
        "{jsonl}"
    );
    click(&root, "log-export-jsonl"); // a download; it must not disturb the page
    state.disconnect();
    until("disconnected", 5.0, || {
        state.model.with_untracked(|m| m.status.state) != ConnState::Connected
    })
    .await;
    click(&root, "log-clear");
    until("nothing shown", 5.0, || rows(&root).is_empty()).await;
    let sentence = state
        .log
        .import(&format!("{jsonl}not a log line\n"), "saved.jsonl");
    assert_eq!(
        sentence,
        "imported 1 message from saved.jsonl (JSON Lines); 1 line was not a log entry and was \
         skipped (first: line 2: not JSON (expected ident at line 1 column 2))"
    );
    until("the imported message", 5.0, || {
        rows(&root)
            .iter()
            .any(|r| r.contains(&format!("{topic}/json")))
    })
    .await;
    let row = by_testid(&root, "log-entry");
    assert!(row.class_list().contains("in"), "{}", row.class_name());
    click(&root, "log-entry");
    until("the detail of the imported message", 5.0, || {
        !text_if_any(&root, "payload-text").is_empty()
    })
    .await;
    assert_eq!(
        payload_as(&root, "base64").await,
        "eyJ0IjoyMS41LCJvayI6dHJ1ZX0="
    );
    // Imported messages were not received by this page: the counters say so.
    type_into(&root, "log-filter", "");
    choose(&root, "log-filter-direction", "all");
    choose(&root, "log-filter-qos", "any");
    until("the notes back without a filter", 5.0, || {
        rows(&root).iter().any(|r| r.contains("imported 1 message"))
    })
    .await;
    assert!(text_of(&root, "log-counters").starts_with("0 in"));
}

#[wasm_bindgen_test]
async fn paused_the_rows_stay_still_and_new_messages_are_counted() {
    let (root, state, _mounted) = mount_log();
    connected_with_everything(state, &root, lab_url(), None).await;
    click(&root, "log-pause");
    leptos::task::tick().await;
    let still = rows(&root);
    let counters = text_of(&root, "log-counters");
    assert_eq!(text_of(&root, "log-pause"), "Resume · 0 new");
    until("new messages counted while paused", 10.0, || {
        text_of(&root, "log-pause") != "Resume · 0 new"
    })
    .await;
    assert_ne!(text_of(&root, "log-counters"), counters, "counters go on");
    assert_eq!(rows(&root), still, "the rows do not move");
    click(&root, "log-pause");
    until("the new rows after resuming", 5.0, || rows(&root) != still).await;
    assert_eq!(text_of(&root, "log-pause"), "Pause");
    state.disconnect();
}

/// Bytes that are not UTF-8 through mosquitto: hex by default, base64 exact, and the
/// JSON view says why it cannot be JSON.
#[wasm_bindgen_test]
async fn a_binary_payload_is_a_hex_dump_by_default_against_mosquitto() {
    let (root, state, _mounted) = mount_log();
    let user = mosquitto_user();
    state
        .subscribe(&format!("{}/#", unique("log-bin")), QoS::AtLeastOnce)
        .expect("valid");
    let topic = state
        .model
        .with_untracked(|m| m.subscriptions[0].filter.trim_end_matches("/#").to_string());
    state.connect(settings(mosquitto_url(), Some(user)));
    until("subscribed", 10.0, || {
        state.model.with_untracked(|m| {
            m.status.state == ConnState::Connected
                && m.subscriptions.iter().all(|s| {
                    matches!(
                        s.state,
                        mqtt_playground::state::client::SubState::Granted(_)
                    )
                })
        })
    })
    .await;
    state
        .publish(
            &format!("{topic}/bin"),
            vec![0x00, 0x01, 0xfe, 0xff, b'M', b'Q', b'T', b'T', 0x80],
            QoS::AtLeastOnce,
            false,
        )
        .expect("publish");
    until("received", 10.0, || {
        rows(&root)
            .iter()
            .any(|r| r.contains(&topic) && r.contains('←'))
    })
    .await;
    choose(&root, "log-filter-direction", "in");
    until("only the received one", 5.0, || rows(&root).len() == 1).await;
    click(&root, "log-entry");
    until("the detail", 5.0, || {
        !text_if_any(&root, "payload-text").is_empty()
    })
    .await;
    assert_eq!(
        text_of(&root, "payload-text"),
        "00000000  00 01 fe ff 4d 51 54 54  80                       |....MQTT.|"
    );
    assert_eq!(payload_as(&root, "base64").await, "AAH+/01RVFSA");
    payload_as(&root, "json").await;
    assert_eq!(
        text_of(&root, "payload-remark"),
        "not JSON: not UTF-8 (byte 2 is not part of a character)"
    );
    state.disconnect();
}
