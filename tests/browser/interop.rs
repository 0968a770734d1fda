//! The broker matrix: the same checks against every broker `cargo xtask interop` starts
//! (mosquitto, aedes, amqtt, ejabberd, rmqtt and the lab's embedded broker); `cargo xtask test`
//! runs them against its quick set (the lab, mosquitto, aedes).
//!
//! The brokers arrive at compile time in `MQTT_INTEROP_TARGETS`, one per `;`:
//! `name|ws url|user|password|features`, features a `,` list of `anonymous`, `password`,
//! `retain`, `v5`, `challenge` (a challenge service is attached). Each test is one check and
//! runs it against every broker: a broker without the feature gets "not supported" (and, where
//! the page has something to say about the refusal, the check makes sure it does). Each
//! outcome is posted to `MQTT_INTEROP_REPORT_URL` when set (xtask's collector, which prints
//! the table and writes docs/interop.md); a test fails when any broker failed its check.

use std::future::Future;

use bytes::Bytes;
use leptos::mount::mount_to;
use leptos::prelude::*;
use mqtt_playground::app::{Route, Shell};
use mqtt_playground::driver::client::{BrokerSettings, ClientEvent};
use mqtt_playground::state::connection::Status;
use mqtt_session::{Event, ProtocolVersion, PublishProperties, QoS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

mod raw_ws;
use raw_ws::{mqtt311, RawWs};

/// One broker under test.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    url: String,
    login: Option<(String, String)>,
    features: Vec<String>,
}

impl Target {
    fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// Settings for a client of this broker: with the login when it has one.
    fn settings(&self) -> BrokerSettings {
        let login = self.login.as_ref().map(|(u, p)| (u.as_str(), p.as_str()));
        settings(&self.url, login)
    }
}

fn targets() -> Vec<Target> {
    let Some(list) = option_env!("MQTT_INTEROP_TARGETS") else {
        web_sys::console::log_1(&"MQTT_INTEROP_TARGETS is not set: no broker to check".into());
        return Vec::new();
    };
    list.split(';')
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            let parts: Vec<&str> = t.split('|').collect();
            let field = |i: usize| parts.get(i).copied().unwrap_or("").trim().to_string();
            let (user, password) = (field(2), field(3));
            Target {
                name: field(0),
                url: field(1),
                login: (!user.is_empty()).then_some((user, password)),
                features: field(4).split(',').map(|f| f.trim().to_string()).collect(),
            }
        })
        .collect()
}

/// What one check found on one broker.
enum Outcome {
    Pass(String),
    Fail(String),
    NotSupported(String),
}

impl Outcome {
    fn status(&self) -> (&'static str, &str) {
        match self {
            Outcome::Pass(note) => ("pass", note),
            Outcome::Fail(why) => ("fail", why),
            Outcome::NotSupported(why) => ("not supported", why),
        }
    }
}

/// Runs `check` against every broker, reports each outcome, and fails the test if any failed.
async fn matrix<F, Fut>(check: &str, run: F)
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut failures = Vec::new();
    for target in targets() {
        let name = target.name.clone();
        let outcome = run(target).await;
        let (status, note) = outcome.status();
        web_sys::console::log_1(&format!("{check} on {name}: {status} {note}").into());
        report(check, &name, status, note).await;
        if let Outcome::Fail(why) = &outcome {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{check} failed on {failures:?}");
}

/// Posts `check<TAB>broker<TAB>status<TAB>note` to xtask's collector (a simple CORS request:
/// text/plain, no preflight; the collector allows any origin).
async fn report(check: &str, broker: &str, status: &str, note: &str) {
    let Some(url) = option_env!("MQTT_INTEROP_REPORT_URL") else {
        return;
    };
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    let body = format!(
        "{}\t{}\t{}\t{}",
        clean(check),
        clean(broker),
        status,
        clean(note)
    );
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let window = web_sys::window().expect("window");
    let sent = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(url, &init));
    if let Err(e) = sent.await {
        web_sys::console::warn_2(&"could not report to the collector".into(), &e);
    }
}

/// Waits up to `seconds` for `condition`; false if it never held (no panic: a failed check
/// is an outcome, not a crash).
async fn within(seconds: f64, mut condition: impl FnMut() -> bool) -> bool {
    let start = js_sys::Date::now();
    while !condition() {
        if js_sys::Date::now() - start > seconds * 1000.0 {
            return false;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    true
}

/// A client connected to `settings`, or the sentence the page shows for why not.
async fn connect(settings: &BrokerSettings) -> Result<Recorder, String> {
    let r = Recorder::connect(settings);
    let mut ended = None;
    let connected = within(15.0, || {
        r.events.borrow().iter().any(|e| match e {
            ClientEvent::Session(Event::Connected { .. }) => true,
            ClientEvent::Session(Event::Closed(reason)) | ClientEvent::Ended(reason) => {
                ended = Some(reason.clone());
                true
            }
            _ => false,
        })
    })
    .await;
    match ended {
        _ if !connected => Err("no CONNACK within 15 s".to_string()),
        Some(reason) => Err(Status::closed(&reason).text),
        None => Ok(r),
    }
}

/// The first value `pick` finds among the session events within `seconds`.
async fn event<T>(
    r: &Recorder,
    seconds: f64,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> Option<T> {
    let mut found = None;
    within(seconds, || {
        found = r.events.borrow().iter().find_map(|e| match e {
            ClientEvent::Session(e) => pick(e),
            _ => None,
        });
        found.is_some()
    })
    .await;
    found
}

async fn subscribe(r: &Recorder, filter: &str, qos: QoS) -> Result<(), String> {
    let pkid = r.client.subscribe(filter, qos).map_err(|e| e.to_string())?;
    event(r, 10.0, |e| match e {
        Event::Subscribed { pkid: p, .. } if *p == pkid => Some(()),
        _ => None,
    })
    .await
    .ok_or_else(|| format!("no SUBACK for {filter}"))
}

fn warnings(r: &Recorder) -> Vec<String> {
    r.events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Session(Event::Warning(w)) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn anonymous_login() {
    matrix("anonymous login", |t| async move {
        let mut anonymous = t.settings();
        anonymous.username.clear();
        anonymous.password.clear();
        match (connect(&anonymous).await, t.has("anonymous")) {
            (Ok(r), true) => {
                r.client.disconnect();
                Outcome::Pass(String::new())
            }
            (Ok(_), false) => Outcome::Fail("connected although anonymous logins are off".into()),
            (Err(why), true) => Outcome::Fail(why),
            // The page must say why: the refusal and what to try.
            (Err(why), false) if why.contains("password") => {
                Outcome::NotSupported(format!("Refused; the page says: \"{why}\""))
            }
            (Err(why), false) => Outcome::Fail(format!("refused without a hint: {why}")),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn password_login() {
    matrix("password login", |t| async move {
        if !t.has("password") {
            return Outcome::NotSupported("No user is configured here.".into());
        }
        match connect(&t.settings()).await {
            Ok(r) => r.client.disconnect(),
            Err(why) => return Outcome::Fail(format!("the right password was refused: {why}")),
        }
        let mut wrong = t.settings();
        wrong.password = "not-the-password".into();
        match connect(&wrong).await {
            Ok(_) => Outcome::Fail("a wrong password was accepted".into()),
            Err(why) => Outcome::Pass(format!("a wrong password: \"{why}\"")),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn another_websocket_path() {
    matrix("other WebSocket path", |t| async move {
        let mut elsewhere = t.settings();
        elsewhere.url = format!("{}/elsewhere", t.url.trim_end_matches("/mqtt"));
        match connect(&elsewhere).await {
            Ok(r) => {
                r.client.disconnect();
                Outcome::Pass("serves MQTT on any path".into())
            }
            // The browser hides the 404: the page must name the path as a likely cause.
            Err(why) if why.contains("wrong path?") => Outcome::Pass(format!(
                "serves MQTT on /mqtt only; the page says: \"{why}\""
            )),
            Err(why) => Outcome::Fail(format!("refused without a path hint: {why}")),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn qos_round_trips() {
    matrix("QoS 0/1/2 round trip", |t| async move {
        let r = match connect(&t.settings()).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        let base = unique("interop-qos");
        if let Err(why) = subscribe(&r, &format!("{base}/#"), QoS::ExactlyOnce).await {
            return Outcome::Fail(why);
        }
        let levels = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];
        for qos in levels {
            let topic = format!("{base}/q{}", qos as u8);
            if let Err(e) = r
                .client
                .publish(&topic, format!("q{}", qos as u8), qos, false)
            {
                return Outcome::Fail(format!("publish at QoS {}: {e}", qos as u8));
            }
        }
        let received = || -> Vec<(String, QoS)> {
            r.events
                .borrow()
                .iter()
                .filter_map(|e| match e {
                    ClientEvent::Session(Event::Message(m)) => Some((m.topic.clone(), m.qos)),
                    _ => None,
                })
                .collect()
        };
        let delivered = || {
            r.events
                .borrow()
                .iter()
                .filter(|e| matches!(e, ClientEvent::Session(Event::Delivered { .. })))
                .count()
        };
        if !within(10.0, || received().len() >= 3 && delivered() >= 2).await {
            return Outcome::Fail(format!(
                "within 10 s: {:?} received, {} of 2 QoS 1/2 handshakes completed",
                received(),
                delivered()
            ));
        }
        let mut upgrades = Vec::new();
        for (topic, got) in received() {
            let sent = levels
                .into_iter()
                .find(|q| topic.ends_with(&format!("/q{}", *q as u8)))
                .unwrap_or(QoS::ExactlyOnce);
            if got > sent {
                upgrades.push(format!("QoS {} arrived as QoS {}", sent as u8, got as u8));
            }
        }
        r.client.disconnect();
        if upgrades.is_empty() {
            return Outcome::Pass(String::new());
        }
        let warned = warnings(&r).iter().any(|w| w.contains("[MQTT-3.8.4-6]"));
        if warned {
            Outcome::Pass(format!(
                "broker upgrades to the subscription's QoS ({}); the page warns",
                upgrades.join(", ")
            ))
        } else {
            Outcome::Fail(format!("{} and the page said nothing", upgrades.join(", ")))
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn retained_messages() {
    matrix("retained message", |t| async move {
        if !t.has("retain") {
            return Outcome::NotSupported("Not built into the broker started here.".into());
        }
        let topic = unique("interop-retain");
        let publisher = match connect(&t.settings()).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        if let Err(e) = publisher
            .client
            .publish(&topic, "kept", QoS::AtLeastOnce, true)
        {
            return Outcome::Fail(e.to_string());
        }
        let acked = event(&publisher, 10.0, |e| {
            matches!(e, Event::Delivered { .. }).then_some(())
        })
        .await;
        if acked.is_none() {
            return Outcome::Fail("no PUBACK for the retained message".into());
        }
        // [MQTT-3.3.1-9]: only a later subscriber sees RETAIN 1.
        let late = match connect(&t.settings()).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        if let Err(why) = subscribe(&late, &topic, QoS::AtLeastOnce).await {
            return Outcome::Fail(why);
        }
        let got = event(&late, 5.0, |e| match e {
            Event::Message(m) if m.topic == topic => Some((m.retain, m.payload.clone())),
            _ => None,
        })
        .await;
        // Clear it, so a long-lived broker does not keep test data.
        let _cleared = publisher
            .client
            .publish(&topic, Bytes::new(), QoS::AtMostOnce, true);
        late.client.disconnect();
        publisher.client.disconnect();
        match got {
            Some((true, payload)) if payload == "kept" => Outcome::Pass(String::new()),
            Some((retain, payload)) => {
                Outcome::Fail(format!("got retain={retain} payload {payload:?}"))
            }
            None => Outcome::Fail("a later subscriber got nothing".into()),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn unsubscribe_stops_delivery() {
    matrix("unsubscribe", |t| async move {
        let r = match connect(&t.settings()).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        let base = unique("interop-unsub");
        let (gone, kept) = (format!("{base}/gone"), format!("{base}/kept"));
        for filter in [&gone, &kept] {
            if let Err(why) = subscribe(&r, filter, QoS::AtLeastOnce).await {
                return Outcome::Fail(why);
            }
        }
        let Ok(pkid) = r.client.unsubscribe(&gone) else {
            return Outcome::Fail("unsubscribe refused by the session".into());
        };
        let unsubscribed = event(&r, 10.0, |e| match e {
            Event::Unsubscribed { pkid: p, .. } if *p == pkid => Some(()),
            _ => None,
        })
        .await;
        if unsubscribed.is_none() {
            return Outcome::Fail("no UNSUBACK".into());
        }
        // Published in this order on one connection: once `kept` is in, `gone` would be too.
        for topic in [&gone, &kept] {
            if let Err(e) = r.client.publish(topic, "x", QoS::AtLeastOnce, false) {
                return Outcome::Fail(e.to_string());
            }
        }
        let on = |topic: &str| {
            r.events
                .borrow()
                .iter()
                .any(|e| matches!(e, ClientEvent::Session(Event::Message(m)) if m.topic == topic))
        };
        if !within(10.0, || on(&kept)).await {
            return Outcome::Fail("the subscription that stayed got nothing".into());
        }
        r.client.disconnect();
        if on(&gone) {
            Outcome::Fail("a message arrived on the filter unsubscribed from".into())
        } else {
            Outcome::Pass(String::new())
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn last_will_on_an_abrupt_close() {
    matrix("last will", |t| async move {
        let topic = unique("interop-will");
        let watcher = match connect(&t.settings()).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        if let Err(why) = subscribe(&watcher, &topic, QoS::AtLeastOnce).await {
            return Outcome::Fail(why);
        }
        // A client that vanishes: its WebSocket closes with no MQTT DISCONNECT, as when a
        // tab is closed or the network goes.
        let connect = mqtt311::connect(
            &unique("will").replace('/', "-"),
            t.login.as_ref(),
            Some((&topic, b"gone", 1)),
        );
        let raw = match RawWs::open(&t.url).await {
            Ok(raw) => raw,
            Err(why) => return Outcome::Fail(why),
        };
        raw.send(&connect);
        match raw.packets(1, 10.0).await.first() {
            Some(connack) if connack.get(3) == Some(&0) => {}
            other => return Outcome::Fail(format!("the vanishing client got {other:?}")),
        }
        raw.close();
        let will = event(&watcher, 15.0, |e| match e {
            Event::Message(m) if m.topic == topic => Some(m.payload.clone()),
            _ => None,
        })
        .await;
        watcher.client.disconnect();
        match will {
            Some(p) if p == "gone" => Outcome::Pass(String::new()),
            Some(p) => Outcome::Fail(format!("the will arrived as {p:?}")),
            None => Outcome::Fail("no will within 15 s of the close".into()),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn websocket_framing() {
    matrix("WebSocket framing", |t| async move {
        let raw = match RawWs::open(&t.url).await {
            Ok(raw) => raw,
            Err(why) => return Outcome::Fail(why),
        };
        let base = unique("interop-frames");
        let client_id = unique("frames").replace('/', "-");
        raw.send(&mqtt311::connect(&client_id, t.login.as_ref(), None));
        if raw.packets(1, 10.0).await.len() != 1 {
            return Outcome::Fail("no CONNACK".into());
        }
        // Two packets in one WebSocket message, as [MQTT-6.0.0-2] allows (NanoMQ once
        // mishandled this; the page itself always sends one packet per message).
        let mut both = mqtt311::subscribe(1, &format!("{base}/#"));
        both.extend(mqtt311::publish0(&format!("{base}/a"), b"1"));
        raw.send(&both);
        raw.send(&mqtt311::publish0(&format!("{base}/b"), b"2"));
        let packets = raw.packets(4, 10.0).await; // CONNACK, SUBACK, 2 × PUBLISH
        let frames = raw.frames.borrow().len();
        raw.close();
        let split = raw.split.get();
        let coalesced = raw.coalesced.get();
        let accepted = packets.len() == 4;
        let mut notes = vec![match (split, coalesced) {
            (false, false) => "one packet per WebSocket message".to_string(),
            (true, false) => format!("splits packets across messages ({frames} messages)"),
            (false, true) => "puts several packets in one message".to_string(),
            (true, true) => "splits and coalesces packets".to_string(),
        }];
        if !accepted {
            notes.push(format!(
                "did not act on two packets sent in one message ({} of 4 packets back)",
                packets.len()
            ));
            return Outcome::Fail(notes.join("; "));
        }
        notes.push("takes two packets in one message".into());
        Outcome::Pass(notes.join("; "))
    })
    .await;
}

#[wasm_bindgen_test]
async fn mqtt5_where_spoken() {
    matrix("MQTT 5", |t| async move {
        let mut v5 = t.settings();
        v5.protocol = ProtocolVersion::V5;
        if !t.has("v5") {
            return match connect(&v5).await {
                Ok(_) => Outcome::Fail("accepted MQTT 5 although listed as 3.1.1 only".into()),
                Err(why) if why.contains("3.1.1") => {
                    Outcome::NotSupported(format!("Refused; the page says: \"{why}\""))
                }
                Err(why) => Outcome::Fail(format!("refused MQTT 5 without a hint: {why}")),
            };
        }
        let r = match connect(&v5).await {
            Ok(r) => r,
            Err(why) => return Outcome::Fail(why),
        };
        let topic = unique("interop-v5");
        if let Err(why) = subscribe(&r, &topic, QoS::AtLeastOnce).await {
            return Outcome::Fail(why);
        }
        let properties = PublishProperties {
            content_type: Some("text/plain".into()),
            user_properties: vec![("from".into(), "interop".into())],
            ..PublishProperties::default()
        };
        if let Err(e) = r
            .client
            .publish_with(&topic, "five", QoS::AtLeastOnce, false, properties)
        {
            return Outcome::Fail(e.to_string());
        }
        let got = event(&r, 10.0, |e| match e {
            Event::Message(m) if m.topic == topic => Some(m.properties.clone()),
            _ => None,
        })
        .await;
        r.client.disconnect();
        match got {
            Some(p)
                if p.content_type.as_deref() == Some("text/plain")
                    && p.user_properties.iter().any(|(k, _)| k == "from") =>
            {
                Outcome::Pass("properties round trip".into())
            }
            Some(p) => Outcome::Fail(format!("properties lost: {p:?}")),
            None => Outcome::Fail("the MQTT 5 message did not come back".into()),
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_challenge_at_qos_1() {
    matrix("challenge at QoS 1", |t| async move {
        if !t.has("challenge") {
            return Outcome::NotSupported("No challenge service is attached.".into());
        }
        challenge(&t).await
    })
    .await;
}

/// The Challenge view, driven as a user would, at QoS 1.
async fn challenge(t: &Target) -> Outcome {
    let root: web_sys::Element = test_root().into();
    let _mounted = mount_to(
        root.clone().unchecked_into(),
        || view! { <Shell start=Route::Client follow_hash=false /> },
    );
    click(&root, "nav-challenge");
    if !within(5.0, || !all_by_testid(&root, "challenge-start").is_empty()).await {
        return Outcome::Fail("the challenge view did not open".into());
    }
    type_into(&root, "connect-url", &t.url);
    choose(&root, "connect-protocol", "3.1.1");
    let (user, password) = t.login.clone().unwrap_or_default();
    type_into(&root, "connect-username", &user);
    type_into(&root, "connect-password", &password);
    let user_id = format!("{}", (js_sys::Math::random() * 1e9) as u64);
    type_into(&root, "challenge-user-id", &user_id);
    choose(&root, "challenge-qos", "1");
    click(&root, "challenge-start");
    let phase = || attr_of(&root, "challenge-phase", "data-state");
    let ended = within(60.0, || matches!(phase().as_str(), "done" | "failed")).await;
    let text = text_of(&root, "challenge-phase");
    root.remove();
    if !ended {
        return Outcome::Fail(format!("not finished within 60 s: {text}"));
    }
    if phase() != "done" {
        return Outcome::Fail(text);
    }
    Outcome::Pass(String::new())
}

#[wasm_bindgen_test]
fn the_raw_encoder_frames_packets_as_mqtt_does() {
    let c = mqtt311::connect("c", None, None);
    assert_eq!(c[0], 0x10);
    assert_eq!(mqtt311::packet_len(&c), Some(c.len()));
    assert_eq!(mqtt311::packet_len(&c[..c.len() - 1]), None);
    let big = mqtt311::publish0("t", &[0; 200]);
    // 2 + 1 + 200 = 203 bytes: 0x4B with the continuation bit, then 1 (× 128).
    assert_eq!(&big[1..3], &[0xCB, 0x01]);
    assert_eq!(mqtt311::packet_len(&big), Some(big.len()));
}
