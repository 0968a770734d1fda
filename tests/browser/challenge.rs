//! The Challenge view, driven as a user would, against the lab's challenge service and
//! against mosquitto with the service attached (both started by `cargo xtask test`).

use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

use crate::support::*;

const START: Route = Route::Client;

fn mount() -> (
    Element,
    leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable>,
) {
    let root = test_root();
    let handle = mount_to(
        root.clone(),
        || view! { <Shell start=START follow_hash=false /> },
    );
    (root.into(), handle)
}

async fn open_challenge(root: &Element) {
    click(root, "nav-challenge");
    until("the challenge view", 5.0, || {
        !all_by_testid(root, "challenge-start").is_empty()
    })
    .await;
}

fn phase(root: &Element) -> String {
    attr_of(root, "challenge-phase", "data-state")
}

/// Runs the challenge through the page and returns the number of replies it shows.
async fn complete(url: &str, user: Option<(&str, &str)>, qos: &str) -> u32 {
    let (root, _mounted) = mount();
    open_challenge(&root).await;
    type_into(&root, "connect-url", url);
    if let Some((name, password)) = user {
        type_into(&root, "connect-username", name);
        type_into(&root, "connect-password", password);
    }
    let user_id = format!("{}", (js_sys::Math::random() * 1e9) as u64);
    type_into(&root, "challenge-user-id", &user_id);
    choose(&root, "challenge-qos", qos);
    click(&root, "challenge-start");
    until("the challenge to finish", 60.0, || {
        matches!(phase(&root).as_str(), "done" | "failed")
    })
    .await;
    let text = text_of(&root, "challenge-phase");
    assert_eq!(phase(&root), "done", "{text}");
    assert!(text.contains("Well done my IoT!"), "{text}");
    let replies: u32 = text_of(&root, "challenge-replies")
        .trim()
        .parse()
        .expect("a number of replies");
    assert!(replies > 0, "the service always sends at least one command");
    if qos != "0" {
        // Acks race the final message through the broker, and the run disconnects on
        // "Well done": the last few may never be counted.
        let acks: u32 = text_of(&root, "challenge-acks")
            .trim()
            .parse()
            .expect("a number of acks");
        assert!(
            acks > 0 && acks <= replies,
            "{acks} acks for {replies} replies at QoS {qos}"
        );
    }
    // The traffic log shows the final message (rendered on the next animation frame).
    until("the final message in the traffic log", 5.0, || {
        all_by_testid(&root, "log-entry").iter().any(|e| {
            e.text_content()
                .unwrap_or_default()
                .contains("Well done my IoT!")
        })
    })
    .await;
    replies
}

#[wasm_bindgen_test]
async fn the_challenge_completes_against_the_lab_at_every_qos() {
    for qos in ["0", "1", "2"] {
        complete(lab_url(), None, qos).await;
    }
}

#[wasm_bindgen_test]
async fn the_challenge_completes_against_mosquitto_with_the_seed_credentials() {
    for qos in ["0", "2"] {
        complete(mosquitto_url(), Some(mosquitto_user()), qos).await;
    }
}

#[wasm_bindgen_test]
async fn a_refused_login_fails_the_challenge_with_the_reason() {
    let (root, _mounted) = mount();
    open_challenge(&root).await;
    type_into(&root, "connect-url", mosquitto_url());
    type_into(&root, "connect-username", "student");
    type_into(&root, "connect-password", "wrong");
    type_into(&root, "challenge-user-id", "12345");
    click(&root, "challenge-start");
    until("failed", 15.0, || phase(&root) == "failed").await;
    let text = text_of(&root, "challenge-phase");
    assert!(text.contains("refused"), "{text}");
}

#[wasm_bindgen_test]
async fn an_invalid_user_id_is_refused_before_connecting() {
    let (root, _mounted) = mount();
    open_challenge(&root).await;
    type_into(&root, "challenge-user-id", "a/b");
    click(&root, "challenge-start");
    until("an error", 5.0, || {
        !all_by_testid(&root, "log-entry").is_empty()
    })
    .await;
    assert_eq!(phase(&root), "idle");
}
