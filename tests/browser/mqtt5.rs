//! MQTT 5 against mosquitto 2.0.11 (the repo's password file and ACL): the driver
//! (`MqttClient` with `ProtocolVersion::V5`) first, then the client view as a user drives it.
//!
//! Every fact a test pins about mosquitto was observed here; where the broker could
//! legitimately do otherwise the test says what it saw, so a change of broker shows up as
//! a failing assertion rather than a silent difference.

use bytes::Bytes;
use mqtt_playground::driver::client::{BrokerSettings, ClientEvent};
use mqtt_session::{
    CloseReason, ConnAckProperties, Event, Message, ProtocolVersion, PublishProperties, QoS,
    ReasonCode, RetainHandling, SubscribeProperties, SubscribeResult, Subscription,
};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

const ALICE: (&str, &str) = ("alice", "alice-password");
const BOB: (&str, &str) = ("bob", "bob-password");

/// Driver settings for mosquitto under MQTT 5.
fn v5(user: (&str, &str)) -> BrokerSettings {
    BrokerSettings {
        protocol: ProtocolVersion::V5,
        ..settings(mosquitto_url(), Some(user))
    }
}

fn session_events(r: &Recorder) -> Vec<Event> {
    r.events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Session(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// Every message received on `topic`, in order.
fn messages_on(r: &Recorder, topic: &str) -> Vec<Message> {
    session_events(r)
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(m) if m.topic == topic => Some(m),
            _ => None,
        })
        .collect()
}

fn delivered(r: &Recorder, pkid: u16) -> bool {
    session_events(r)
        .iter()
        .any(|e| matches!(e, Event::Delivered { pkid: p, .. } if *p == pkid))
}

fn outcomes(r: &Recorder, pkid: u16) -> Vec<ReasonCode> {
    session_events(r)
        .into_iter()
        .filter_map(|e| match e {
            Event::PublishOutcome(o) if o.pkid == pkid => Some(o.reason),
            _ => None,
        })
        .collect()
}

/// Subscribes with options and properties; the broker's answer for the filter.
async fn subscribe(
    r: &Recorder,
    subscription: Subscription,
    properties: SubscribeProperties,
) -> SubscribeResult {
    let filter = subscription.filter.clone();
    let pkid = r
        .client
        .subscribe_with(subscription, properties)
        .expect("subscribe");
    r.wait_for(&format!("SUBACK for {filter}"), |e| match e {
        Event::Subscribed { pkid: p, results } if *p == pkid => Some(results[0].1),
        _ => None,
    })
    .await
}

async fn subscribe_plain(r: &Recorder, filter: &str, qos: QoS) {
    let result = subscribe(r, Subscription::new(filter, qos), Default::default()).await;
    assert_eq!(result, SubscribeResult::Granted(qos), "{filter}");
}

/// Publishes at QoS 1 or 2 and waits for the flow to end (`Delivered`, or a refusal).
async fn publish_acked(
    r: &Recorder,
    topic: &str,
    payload: &[u8],
    qos: QoS,
    retain: bool,
    properties: PublishProperties,
) -> u16 {
    let pkid = r
        .client
        .publish_with(topic, payload.to_vec(), qos, retain, properties)
        .expect("publish")
        .expect("a packet id at QoS 1/2");
    r.wait_for(&format!("the end of message {pkid}'s flow"), |e| match e {
        Event::Delivered { pkid: p, .. } if *p == pkid => Some(()),
        Event::PublishOutcome(o) if o.pkid == pkid && o.reason.is_failure() => Some(()),
        _ => None,
    })
    .await;
    pkid
}

async fn wait_for_message(r: &Recorder, what: &str, topic: &str, payload: &[u8]) -> Message {
    r.wait_for(what, |e| match e {
        Event::Message(m) if m.topic == topic && m.payload[..] == *payload => Some(m.clone()),
        _ => None,
    })
    .await
}

/// Every MQTT 5 publish property a client may set, with values that would show a
/// truncation, a reordering or a lost duplicate.
fn all_properties(reply_to: &str) -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        content_type: Some("application/json; charset=utf-8".into()),
        response_topic: Some(reply_to.into()),
        correlation_data: Some(Bytes::from_static(&[0x00, 0x01, 0xfe, 0xff, b'r', b'q'])),
        user_properties: vec![
            ("unit".into(), "celsius".into()),
            ("sensor".into(), "t-1 (Küche)".into()),
            ("unit".into(), "kelvin".into()),
            ("empty".into(), String::new()),
        ],
        subscription_identifiers: Vec::new(),
        topic_alias: None,
    }
}

// ---- connect -----------------------------------------------------------------------------

/// mosquitto 2.0.11 accepts MQTT 5 and its CONNACK says exactly two things with its
/// default configuration: receive maximum 20 (`max_inflight_messages`) and topic alias
/// maximum 10 (`max_topic_alias`). Everything else is the spec's default: retain and
/// QoS 2 available, no packet size limit, wildcards, shared subscriptions and
/// subscription identifiers available, the keepalive we asked for.
#[wasm_bindgen_test]
async fn mqtt5_mosquitto_connects_and_reports_its_limits() {
    let r = Recorder::connected(&v5(mosquitto_user())).await;
    let info = r
        .client
        .connection_info()
        .expect("connection info while connected");
    assert_eq!(info.protocol, ProtocolVersion::V5);
    assert!(!info.session_present);
    assert_eq!(
        info.properties,
        ConnAckProperties {
            receive_maximum: Some(20),
            topic_alias_maximum: Some(10),
            ..Default::default()
        },
        "mosquitto's CONNACK properties"
    );
    assert_eq!(info.receive_maximum(), 20);
    assert_eq!(info.topic_alias_maximum(), 10);
    assert!(info.retain_available());
    assert_eq!(info.maximum_qos(), QoS::ExactlyOnce);
    assert_eq!(info.maximum_packet_size(), None);
    assert!(info.wildcard_subscription_available());
    assert!(info.shared_subscription_available());
    assert!(info.subscription_identifiers_available());
    assert_eq!(info.keep_alive_secs(), 30);
    assert_eq!(info.session_expiry_interval(), 0, "clean start, no expiry");
    r.client.disconnect();
}

/// The same user name and password work under both versions, and a wrong password under
/// MQTT 5 is a CONNACK reason code the page can name.
#[wasm_bindgen_test]
async fn mqtt5_mosquitto_refuses_a_wrong_password_with_a_reason_code() {
    let r = Recorder::connect(&BrokerSettings {
        protocol: ProtocolVersion::V5,
        ..settings(mosquitto_url(), Some(("student", "not-the-password")))
    });
    let reason = r
        .wait_for("the refusal", |e| match e {
            Event::Closed(reason) => Some(reason.clone()),
            _ => None,
        })
        .await;
    let text = reason.to_string();
    // mosquitto 2.0.11 answers a wrong password with CONNACK 0x87 "not authorized" under
    // MQTT 5 too (not 0x86 "bad user name or password"), as it answers 5 under 3.1.1.
    assert!(
        matches!(
            reason,
            CloseReason::Refused(mqtt_session::ConnectRefusal::NotAuthorized)
        ),
        "{text}"
    );
    assert!(text.contains("user name"), "{text}");
}

/// mosquitto answers a keepalive of 0 ("never") under MQTT 5 with a server keep alive.
#[wasm_bindgen_test]
async fn mqtt5_mosquitto_keep_alive_zero_gets_a_server_keep_alive() {
    let r = Recorder::connected(&BrokerSettings {
        keep_alive_secs: 0,
        ..v5(mosquitto_user())
    })
    .await;
    let info = r.client.connection_info().expect("connection info");
    assert_eq!(info.properties.server_keep_alive, Some(65535));
    assert_eq!(
        info.keep_alive_secs(),
        65535,
        "the broker's value is in force"
    );
    r.client.disconnect();
}

// ---- publish with properties ----------------------------------------------------------------

/// QoS 0, 1 and 2: a second client receives the payload and every property exactly
/// (the message expiry counts down, so it may have lost a second on the way).
#[wasm_bindgen_test]
async fn mqtt5_properties_survive_round_trips_at_qos_0_1_and_2() {
    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    let subscriber = Recorder::connected(&v5(mosquitto_user())).await;
    let topic = unique("v5-props");
    subscribe_plain(&subscriber, &topic, QoS::ExactlyOnce).await;

    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let sent = all_properties(&format!("{topic}/reply/{}", qos as u8));
        let payload = format!("{{\"qos\":{}}}", qos as u8);
        let pkid = publisher
            .client
            .publish_with(
                &topic,
                payload.clone().into_bytes(),
                qos,
                false,
                sent.clone(),
            )
            .expect("publish");
        let got = wait_for_message(
            &subscriber,
            &format!("the QoS {} message", qos as u8),
            &topic,
            payload.as_bytes(),
        )
        .await;
        assert_eq!(got.qos, qos);
        assert!(!got.retain);
        let expiry = got.properties.message_expiry_interval;
        assert!(
            matches!(expiry, Some(3599..=3600)),
            "message expiry {expiry:?}"
        );
        let expected = PublishProperties {
            message_expiry_interval: expiry,
            ..sent
        };
        assert_eq!(got.properties, expected, "properties at QoS {}", qos as u8);

        if let Some(pkid) = pkid {
            publisher
                .wait_for("PUBACK/PUBCOMP", |e| match e {
                    Event::Delivered { pkid: p, qos: q } if *p == pkid => Some(*q),
                    _ => None,
                })
                .await;
            // A subscriber was there: no "no matching subscribers" (or anything else).
            assert_eq!(outcomes(&publisher, pkid), vec![]);
        }
    }
    assert_eq!(
        messages_on(&subscriber, &topic).len(),
        3,
        "each message once"
    );
}

/// Without subscribers, mosquitto says so in the PUBACK (0x10, a success): the message is
/// still delivered as far as the session is concerned.
#[wasm_bindgen_test]
async fn mqtt5_a_publish_nobody_subscribed_to_says_no_matching_subscribers() {
    let r = Recorder::connected(&v5(mosquitto_user())).await;
    let pkid = publish_acked(
        &r,
        &unique("v5-nobody"),
        b"x",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    assert!(delivered(&r, pkid));
    assert_eq!(
        outcomes(&r, pkid),
        vec![ReasonCode::NO_MATCHING_SUBSCRIBERS]
    );
}

// ---- ACL ------------------------------------------------------------------------------------

/// The issue's motivating case: under MQTT 5 mosquitto refuses a publish outside the
/// user's namespace with PUBACK 0x87, and the session reports it (no `Delivered`); a
/// publish inside arrives at her own subscription. Bob, subscribed to his namespace,
/// never sees alice's message.
#[wasm_bindgen_test]
async fn mqtt5_acl_refuses_a_qos1_publish_outside_the_namespace_with_0x87() {
    let alice = Recorder::connected(&v5(ALICE)).await;
    let bob = Recorder::connected(&v5(BOB)).await;
    subscribe_plain(&alice, "/iot/user/alice/#", QoS::AtLeastOnce).await;
    subscribe_plain(&bob, "/iot/user/bob/#", QoS::AtLeastOnce).await;

    let intrusion = unique("intrusion");
    let refused = publish_acked(
        &alice,
        "/iot/user/bob/sensor/temperature",
        intrusion.as_bytes(),
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    assert_eq!(outcomes(&alice, refused), vec![ReasonCode::NOT_AUTHORIZED]);
    assert!(
        !delivered(&alice, refused),
        "a refused message is not delivered"
    );
    let outcome_text = session_events(&alice)
        .iter()
        .find_map(|e| match e {
            Event::PublishOutcome(o) if o.pkid == refused => Some(o.to_string()),
            _ => None,
        })
        .expect("the outcome");
    assert!(outcome_text.contains("not authorized"), "{outcome_text}");

    let own = publish_acked(
        &alice,
        "/iot/user/alice/sensor/temperature",
        b"21.5",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    assert!(delivered(&alice, own));
    assert_eq!(outcomes(&alice, own), vec![]);
    wait_for_message(
        &alice,
        "her own message",
        "/iot/user/alice/sensor/temperature",
        b"21.5",
    )
    .await;

    // Bob's marker in his own namespace: once it is here, alice's refused message (handled
    // by the broker before it) would have been too.
    publish_acked(
        &bob,
        "/iot/user/bob/marker",
        b"marker",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    wait_for_message(&bob, "bob's marker", "/iot/user/bob/marker", b"marker").await;
    let leaked = session_events(&bob)
        .iter()
        .any(|e| matches!(e, Event::Message(m) if m.payload[..] == *intrusion.as_bytes()));
    assert!(!leaked, "alice's refused message reached bob");
}

/// At QoS 2 the refusal comes in PUBREC (0x87) and ends the flow: no PUBREL, no PUBCOMP,
/// no `Delivered`, and the connection stays usable.
#[wasm_bindgen_test]
async fn mqtt5_acl_refuses_a_qos2_publish_outside_the_namespace_in_pubrec() {
    let alice = Recorder::connected(&v5(ALICE)).await;
    alice.client.set_trace_control_packets(true);
    let refused = publish_acked(
        &alice,
        "/iot/user/bob/sensor/temperature",
        b"99",
        QoS::ExactlyOnce,
        false,
        Default::default(),
    )
    .await;
    assert_eq!(outcomes(&alice, refused), vec![ReasonCode::NOT_AUTHORIZED]);
    assert!(!delivered(&alice, refused));
    // The same connection goes on: a QoS 2 message into her namespace completes.
    let own = publish_acked(
        &alice,
        "/iot/user/alice/qos2",
        b"ok",
        QoS::ExactlyOnce,
        false,
        Default::default(),
    )
    .await;
    assert!(delivered(&alice, own));
    let traced: Vec<String> = session_events(&alice)
        .iter()
        .filter_map(|e| match e {
            Event::Control { packet, .. } => Some(packet.to_string()),
            _ => None,
        })
        .collect();
    assert!(traced.contains(&format!("PUBREC {refused}")), "{traced:?}");
    assert!(
        !traced.contains(&format!("PUBREL {refused}")),
        "a failed PUBREC must not be answered with PUBREL: {traced:?}"
    );
    assert!(traced.contains(&format!("PUBCOMP {own}")), "{traced:?}");
}

/// mosquitto 2.0.11 grants a v5 SUBSCRIBE outside the namespace (reason 0x01, not 0x87)
/// and filters at delivery: nothing from bob's namespace arrives.
#[wasm_bindgen_test]
async fn mqtt5_acl_grants_a_subscription_outside_the_namespace_and_delivers_nothing() {
    let alice = Recorder::connected(&v5(ALICE)).await;
    let bob = Recorder::connected(&v5(BOB)).await;
    let result = subscribe(
        &alice,
        Subscription::new("/iot/user/bob/#", QoS::AtLeastOnce),
        Default::default(),
    )
    .await;
    assert_eq!(result, SubscribeResult::Granted(QoS::AtLeastOnce));
    let marker = unique("v5-acl-marker");
    subscribe_plain(&alice, &marker, QoS::AtLeastOnce).await;

    publish_acked(
        &bob,
        "/iot/user/bob/sensor/temperature",
        b"42",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    publish_acked(
        &bob,
        &marker,
        b"m",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    wait_for_message(&alice, "the marker", &marker, b"m").await;
    let leaked = session_events(&alice)
        .iter()
        .any(|e| matches!(e, Event::Message(m) if m.topic.starts_with("/iot/user/bob/")));
    assert!(!leaked, "alice received a message from bob's namespace");
}

// ---- subscription options ---------------------------------------------------------------------

/// No Local: a client's own publishes do not come back on that subscription; another
/// client's do.
#[wasm_bindgen_test]
async fn mqtt5_no_local_keeps_own_publishes_away() {
    let me = Recorder::connected(&v5(mosquitto_user())).await;
    let other = Recorder::connected(&v5(mosquitto_user())).await;
    let topic = unique("v5-no-local");
    let result = subscribe(
        &me,
        Subscription {
            no_local: true,
            ..Subscription::new(&topic, QoS::AtLeastOnce)
        },
        Default::default(),
    )
    .await;
    assert_eq!(result, SubscribeResult::Granted(QoS::AtLeastOnce));
    publish_acked(
        &me,
        &topic,
        b"mine",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    publish_acked(
        &other,
        &topic,
        b"theirs",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    wait_for_message(&me, "the other client's message", &topic, b"theirs").await;
    let payloads: Vec<Bytes> = messages_on(&me, &topic)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(payloads, vec![Bytes::from_static(b"theirs")]);
}

/// Retain As Published keeps the RETAIN flag on a live message; a plain subscription gets
/// it cleared [MQTT-3.3.1-9] (both on the same client, same message).
#[wasm_bindgen_test]
async fn mqtt5_retain_as_published_keeps_the_flag_on_a_live_message() {
    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    let subscriber = Recorder::connected(&v5(mosquitto_user())).await;
    let base = unique("v5-rap");
    let topic = format!("{base}/live");
    let result = subscribe(
        &subscriber,
        Subscription {
            retain_as_published: true,
            ..Subscription::new(format!("{base}/+"), QoS::AtLeastOnce)
        },
        SubscribeProperties {
            subscription_identifier: Some(1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(result, SubscribeResult::Granted(QoS::AtLeastOnce));
    let result = subscribe(
        &subscriber,
        Subscription::new(format!("{base}/#"), QoS::AtLeastOnce),
        SubscribeProperties {
            subscription_identifier: Some(2),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(result, SubscribeResult::Granted(QoS::AtLeastOnce));

    publish_acked(
        &publisher,
        &topic,
        b"r",
        QoS::AtLeastOnce,
        true,
        Default::default(),
    )
    .await;
    until("both copies", 10.0, || {
        messages_on(&subscriber, &topic).len() >= 2
    })
    .await;
    let mut by_id: Vec<(Vec<u32>, bool)> = messages_on(&subscriber, &topic)
        .into_iter()
        .map(|m| (m.properties.subscription_identifiers, m.retain))
        .collect();
    by_id.sort();
    // mosquitto 2.0.11 sends one copy per matching subscription, each with its identifier.
    assert_eq!(by_id, vec![(vec![1], true), (vec![2], false)]);
    // Clear the retained message.
    publish_acked(
        &publisher,
        &topic,
        b"",
        QoS::AtLeastOnce,
        true,
        Default::default(),
    )
    .await;
}

/// Retain Handling: 0 sends the retained message at every subscribe, 1 only when the
/// subscription is new, 2 never; live messages still arrive with 2.
#[wasm_bindgen_test]
async fn mqtt5_retain_handling_0_1_and_2() {
    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    let topic = unique("v5-retain-handling");
    publish_acked(
        &publisher,
        &topic,
        b"kept",
        QoS::AtLeastOnce,
        true,
        Default::default(),
    )
    .await;

    let retained_count = |r: &Recorder| {
        messages_on(r, &topic)
            .iter()
            .filter(|m| m.retain && m.payload[..] == *b"kept")
            .count()
    };
    let with = |handling| Subscription {
        retain_handling: handling,
        ..Subscription::new(&topic, QoS::AtLeastOnce)
    };

    // 2: never, neither at the first subscribe nor again; a live message still comes.
    let never = Recorder::connected(&v5(mosquitto_user())).await;
    subscribe(&never, with(RetainHandling::DoNotSend), Default::default()).await;
    subscribe(&never, with(RetainHandling::DoNotSend), Default::default()).await;
    // 1: once, at the first subscribe; not when the same subscription is made again.
    let once = Recorder::connected(&v5(mosquitto_user())).await;
    subscribe(&once, with(RetainHandling::SendIfNew), Default::default()).await;
    subscribe(&once, with(RetainHandling::SendIfNew), Default::default()).await;
    // 0: at every subscribe.
    let always = Recorder::connected(&v5(mosquitto_user())).await;
    subscribe(
        &always,
        with(RetainHandling::SendAtSubscribe),
        Default::default(),
    )
    .await;
    subscribe(
        &always,
        with(RetainHandling::SendAtSubscribe),
        Default::default(),
    )
    .await;

    publish_acked(
        &publisher,
        &topic,
        b"live",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    for r in [&never, &once, &always] {
        wait_for_message(r, "the live message", &topic, b"live").await;
    }
    // The live message came after anything sent at subscribe time (same connection).
    assert_eq!(retained_count(&never), 0, "retain handling 2");
    assert_eq!(retained_count(&once), 1, "retain handling 1");
    assert_eq!(retained_count(&always), 2, "retain handling 0");
    publish_acked(
        &publisher,
        &topic,
        b"",
        QoS::AtLeastOnce,
        true,
        Default::default(),
    )
    .await;
}

/// A subscription identifier comes back on every message that matched that subscription,
/// and only there.
#[wasm_bindgen_test]
async fn mqtt5_subscription_identifiers_come_back_on_messages() {
    let r = Recorder::connected(&v5(mosquitto_user())).await;
    let base = unique("v5-sub-id");
    let result = subscribe(
        &r,
        Subscription::new(format!("{base}/tagged/#"), QoS::AtLeastOnce),
        SubscribeProperties {
            subscription_identifier: Some(268_435_455),
            user_properties: vec![("why".into(), "test".into())],
        },
    )
    .await;
    assert_eq!(result, SubscribeResult::Granted(QoS::AtLeastOnce));
    subscribe_plain(&r, &format!("{base}/plain"), QoS::AtLeastOnce).await;

    let tagged = format!("{base}/tagged/a");
    let plain = format!("{base}/plain");
    r.client
        .publish(&tagged, b"t".to_vec(), QoS::AtMostOnce, false)
        .expect("publish");
    r.client
        .publish(&plain, b"p".to_vec(), QoS::AtMostOnce, false)
        .expect("publish");
    let got_tagged = wait_for_message(&r, "the tagged message", &tagged, b"t").await;
    let got_plain = wait_for_message(&r, "the plain message", &plain, b"p").await;
    assert_eq!(
        got_tagged.properties.subscription_identifiers,
        vec![268_435_455]
    );
    assert_eq!(
        got_plain.properties.subscription_identifiers,
        Vec::<u32>::new()
    );
}

/// A shared subscription: two clients in group `g` share the messages, each one to
/// exactly one of them (mosquitto 2.0.11 takes turns).
#[wasm_bindgen_test]
async fn mqtt5_a_shared_subscription_gives_each_message_to_one_member() {
    let topic = unique("v5-shared");
    let marker = format!("{topic}-marker");
    let a = Recorder::connected(&v5(mosquitto_user())).await;
    let b = Recorder::connected(&v5(mosquitto_user())).await;
    for r in [&a, &b] {
        subscribe_plain(r, &format!("$share/g/{topic}"), QoS::AtLeastOnce).await;
        subscribe_plain(r, &marker, QoS::AtLeastOnce).await;
    }
    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    const N: u32 = 20;
    for i in 0..N {
        publish_acked(
            &publisher,
            &topic,
            i.to_string().as_bytes(),
            QoS::AtLeastOnce,
            false,
            Default::default(),
        )
        .await;
    }
    publish_acked(
        &publisher,
        &marker,
        b"end",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    // Everything routed to a member before the marker is there once the marker is.
    for r in [&a, &b] {
        wait_for_message(r, "the marker", &marker, b"end").await;
    }
    let (got_a, got_b) = (a.numbers_on(&topic), b.numbers_on(&topic));
    let mut all: Vec<u32> = got_a.iter().chain(&got_b).copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..N).collect::<Vec<_>>(),
        "a: {got_a:?}, b: {got_b:?}"
    );
    assert!(
        !got_a.is_empty() && !got_b.is_empty(),
        "both members get a share: a {got_a:?}, b {got_b:?}"
    );
}

// ---- session expiry ---------------------------------------------------------------------------

/// Clean start off + a session expiry: after a disconnect the broker keeps the session
/// (session present on reconnect) with its subscription, and the QoS 1 message published
/// meanwhile arrives. With session expiry 0 the session ends with the connection.
#[wasm_bindgen_test]
async fn mqtt5_session_expiry_keeps_the_session_across_a_disconnect() {
    let topic = unique("v5-expiry");
    let id = unique("v5-expiry-client").replace('/', "-");
    let persistent = |expiry: u32| {
        let mut s = v5(mosquitto_user());
        s.client_id = id.clone();
        s.clean_session = false;
        s.properties.session_expiry_interval = Some(expiry);
        s
    };

    let first = Recorder::connected(&persistent(300)).await;
    let info = first.client.connection_info().expect("info");
    assert!(!info.session_present, "a new client id has no session");
    assert_eq!(info.session_expiry_interval(), 300);
    subscribe_plain(&first, &topic, QoS::AtLeastOnce).await;
    first.client.disconnect();
    first
        .wait_for("closed", |e| matches!(e, Event::Closed(_)).then_some(()))
        .await;

    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    publish_acked(
        &publisher,
        &topic,
        b"while away",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;

    // Back with expiry 0 this time: the session kept from before is still resumed, then
    // ends with this connection.
    let second = Recorder::connect(&persistent(0));
    let present = second
        .wait_for("CONNACK", |e| match e {
            Event::Connected { session_present } => Some(*session_present),
            Event::Closed(reason) => panic!("connection failed: {reason}"),
            _ => None,
        })
        .await;
    assert!(present, "the broker kept the session for 300 s");
    wait_for_message(
        &second,
        "the message published meanwhile",
        &topic,
        b"while away",
    )
    .await;
    second.client.disconnect();
    second
        .wait_for("closed", |e| matches!(e, Event::Closed(_)).then_some(()))
        .await;

    let third = Recorder::connect(&persistent(0));
    let present = third
        .wait_for("CONNACK", |e| match e {
            Event::Connected { session_present } => Some(*session_present),
            Event::Closed(reason) => panic!("connection failed: {reason}"),
            _ => None,
        })
        .await;
    assert!(
        !present,
        "session expiry 0: the session ended with the connection"
    );
    third.client.disconnect();
}

/// A v5 connection with a session that outlives it, cut as a network failure would (the
/// lab's listener in front of mosquitto): the client comes back by itself, mosquitto
/// still has the session, and a message published while it was down arrives.
#[wasm_bindgen_test]
async fn mqtt5_a_cut_connection_comes_back_with_its_session() {
    let id = unique("v5-cut").replace('/', "-");
    let topic = unique("v5-cut-topic");
    let mut s = BrokerSettings {
        protocol: ProtocolVersion::V5,
        ..settings(mosquitto_cut_url(), Some(mosquitto_user()))
    };
    s.client_id = id.clone();
    s.clean_session = false;
    s.reconnect = true;
    s.properties.session_expiry_interval = Some(300);
    let r = Recorder::connected(&s).await;
    subscribe_plain(&r, &topic, QoS::AtLeastOnce).await;

    let connects = |r: &Recorder| -> Vec<bool> {
        session_events(r)
            .into_iter()
            .filter_map(|e| match e {
                Event::Connected { session_present } => Some(session_present),
                _ => None,
            })
            .collect()
    };
    let closed = |r: &Recorder| {
        session_events(r)
            .iter()
            .any(|e| matches!(e, Event::Closed(_)))
    };
    // The lab names each bridged link by its CONNECT's client id.
    assert_eq!(
        cut(mosquitto_cut_url(), &id).await,
        1,
        "the v5 link was found by its client id"
    );
    until("the cut to be noticed", 10.0, || closed(&r)).await;
    let publisher = Recorder::connected(&v5(mosquitto_user())).await;
    publish_acked(
        &publisher,
        &topic,
        b"while cut",
        QoS::AtLeastOnce,
        false,
        Default::default(),
    )
    .await;
    until("the reconnection", 20.0, || connects(&r).len() >= 2).await;
    assert_eq!(
        connects(&r),
        vec![false, true],
        "session present after the cut"
    );
    wait_for_message(&r, "the message published while cut", &topic, b"while cut").await;
    r.client.disconnect();
}

// ---- the embedded broker ----------------------------------------------------------------------

/// The lab's rumqttd speaks MQTT 3.1.1 on its WebSocket bridge: a v5 CONNECT must end
/// with a reason the user can act on, quickly, not with a hang or a generic timeout.
#[wasm_bindgen_test]
async fn mqtt5_the_lab_broker_ends_a_v5_connect_with_a_clear_reason() {
    let start = js_sys::Date::now();
    let r = Recorder::connect(&BrokerSettings {
        protocol: ProtocolVersion::V5,
        ..settings(lab_url(), None)
    });
    let reason = r
        .wait_for_within("the lab's answer", 15.0, |e| match e {
            Event::Closed(reason) => Some(reason.clone()),
            Event::Connected { .. } => panic!("the lab accepted MQTT 5"),
            _ => None,
        })
        .await;
    let took = js_sys::Date::now() - start;
    let text = reason.to_string();
    assert!(
        !matches!(
            reason,
            CloseReason::ConnectTimeout(_) | CloseReason::OpenTimeout(_)
        ),
        "{text}"
    );
    assert!(took < 5_000.0, "took {took} ms: {text}");
    assert!(
        text.contains("MQTT 5") || text.contains("protocol version"),
        "the reason should say the version is the problem: {text}"
    );
}

// ---- the client view ---------------------------------------------------------------------------

mod ui {
    use leptos::mount::mount_to;
    use leptos::prelude::*;
    use mqtt_playground::app::{Route, Shell};
    use mqtt_session::QoS;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::{Element, HtmlElement};

    use super::{v5, ALICE};
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

    fn state(root: &Element) -> String {
        attr_of(root, "connection-status", "data-state")
    }

    /// Fills the broker fields (protocol first) and connects; waits for "connected".
    async fn connect(root: &Element, protocol: &str, url: &str, user: (&str, &str)) {
        choose(root, "connect-protocol", protocol);
        type_into(root, "connect-url", url);
        type_into(root, "connect-username", user.0);
        type_into(root, "connect-password", user.1);
        click(root, "connect-button");
        until("the status to say connected", 10.0, || {
            state(root) == "connected"
        })
        .await;
    }

    /// The connection info panel as (name, value) rows.
    fn info_rows(root: &Element) -> Vec<(String, String)> {
        all_by_testid(root, "connection-info-row")
            .iter()
            .map(|row| {
                let name = row.get_attribute("data-name").unwrap_or_default();
                let value = row
                    .query_selector("dd")
                    .ok()
                    .flatten()
                    .and_then(|dd| dd.text_content())
                    .unwrap_or_default();
                (name, value)
            })
            .collect()
    }

    fn info(root: &Element, name: &str) -> Option<String> {
        info_rows(root)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    async fn subscribe(root: &Element, filter: &str, qos: &str) {
        type_into(root, "subscribe-topic", filter);
        choose(root, "subscribe-qos", qos);
        click(root, "subscribe-button");
        until(&format!("'{filter}' to be granted"), 10.0, || {
            all_by_testid(root, "subscription").iter().any(|row| {
                row.get_attribute("data-state")
                    .unwrap_or_default()
                    .contains("granted")
                    && row.text_content().unwrap_or_default().contains(filter)
            })
        })
        .await;
    }

    /// Publishes with the form's current properties; waits for the outcome to leave
    /// "awaiting" and returns (data-state, text).
    async fn publish(root: &Element, topic: &str, payload: &str, qos: &str) -> (String, String) {
        type_into(root, "publish-topic", topic);
        type_into(root, "publish-payload", payload);
        choose(root, "publish-qos", qos);
        click(root, "publish-button");
        let outcome = |root: &Element| {
            root.query_selector("[data-testid='publish-outcome']")
                .ok()
                .flatten()
                .map(|e| {
                    (
                        e.get_attribute("data-state").unwrap_or_default(),
                        e.text_content().unwrap_or_default(),
                    )
                })
        };
        until(&format!("the broker's answer to '{payload}'"), 10.0, || {
            outcome(root).is_some_and(|(state, text)| {
                text.contains(&format!("'{topic}'")) && state != "awaiting" && !state.is_empty()
            })
        })
        .await;
        outcome(root).expect("an outcome")
    }

    /// Log rows received (←) on `topic` whose text contains `payload`.
    fn received(root: &Element, topic: &str, payload: &str) -> Vec<Element> {
        all_by_testid(root, "log-entry")
            .into_iter()
            .filter(|row| {
                let text = row.text_content().unwrap_or_default();
                row.class_list().contains("in") && text.contains(topic) && text.contains(payload)
            })
            .collect()
    }

    /// Opens the detail of a log row; its properties as (name, value), in order.
    async fn open_detail(root: &Element, row: &Element) -> Vec<(String, String)> {
        row.unchecked_ref::<HtmlElement>().click();
        until("the detail view", 5.0, || {
            root.query_selector("[data-testid='log-detail']")
                .ok()
                .flatten()
                .is_some()
        })
        .await;
        all_by_testid(root, "log-property")
            .iter()
            .map(|p| {
                let name = p.get_attribute("data-name").unwrap_or_default();
                let value = p
                    .query_selector("dd")
                    .ok()
                    .flatten()
                    .and_then(|dd| dd.text_content())
                    .unwrap_or_default();
                (name, value)
            })
            .collect()
    }

    fn set_checkbox(root: &Element, id: &str, on: bool) {
        let input = by_testid(root, id).unchecked_into::<web_sys::HtmlInputElement>();
        if input.checked() != on {
            input.click(); // toggles and fires `change`, as a user's click does
        }
        assert_eq!(input.checked(), on, "{id}");
    }

    /// Issue 9's "done when": against mosquitto with the shipped ACL, under MQTT 5 the page
    /// connects, a publish outside the user's namespace is reported as not authorized (QoS 1
    /// in PUBACK, QoS 2 in PUBREC), one inside arrives, and the received message's
    /// properties are all visible in its detail view.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_refusal_is_shown_and_received_properties_are_all_visible() {
        let (root, _mounted) = mount_client_view();
        connect(&root, "5", mosquitto_url(), ALICE).await;
        assert_eq!(info(&root, "protocol").as_deref(), Some("MQTT 5"));

        let own = "/iot/user/alice/sensor/temperature";
        subscribe(&root, "/iot/user/alice/#", "1").await;

        for qos in ["1", "2"] {
            // One topic per publish: the outcome line names the topic it answers.
            let payload = format!("intrusion at QoS {qos}");
            let (state, text) = publish(
                &root,
                &format!("/iot/user/bob/sensor/q{qos}"),
                &payload,
                qos,
            )
            .await;
            assert_eq!(state, "refused", "QoS {qos}: {text}");
            assert!(text.contains("not authorized"), "QoS {qos}: {text}");
        }

        let reply_to = "/iot/user/alice/replies";
        type_into(&root, "publish-content-type", "application/json");
        type_into(&root, "publish-response-topic", reply_to);
        type_into(&root, "publish-correlation-data", "req-42");
        type_into(&root, "publish-message-expiry", "3600");
        set_checkbox(&root, "publish-payload-utf8", true);
        type_into(
            &root,
            "publish-user-properties",
            "unit=celsius\nsensor=t-1 (Küche)\nunit=kelvin",
        );
        let payload = "{\"value\":21.5}";
        let (state, text) = publish(&root, own, payload, "1").await;
        assert_eq!(state, "delivered", "{text}");

        until("the message to come back into the log", 10.0, || {
            !received(&root, own, payload).is_empty()
        })
        .await;
        let rows = received(&root, own, payload);
        assert_eq!(rows.len(), 1, "received once");
        let mut properties = open_detail(&root, &rows[0]).await;
        // The expiry counts down at the broker: it may have lost a second on the way.
        for (name, value) in properties.iter_mut() {
            if name == "message expiry" && value == "3599 s" {
                *value = "3600 s".to_string();
            }
        }
        let expected: Vec<(String, String)> = [
            ("payload format", "1 (UTF-8 text)"),
            ("message expiry", "3600 s"),
            ("response topic", reply_to),
            ("correlation data", "req-42"),
            ("user property", "unit = celsius"),
            ("user property", "sensor = t-1 (Küche)"),
            ("user property", "unit = kelvin"),
            ("content type", "application/json"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(properties, expected);

        // Nothing of the refused messages came back, though alice also reads "#" of hers
        // only: the log shows no received entry from bob's namespace.
        assert!(received(&root, "/iot/user/bob/", "intrusion").is_empty());
    }

    /// The connection info panel shows what mosquitto's CONNACK said under MQTT 5, and only
    /// the basics under 3.1.1.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_connection_info_shows_what_mosquitto_said() {
        let (root, _mounted) = mount_client_view();
        connect(&root, "5", mosquitto_url(), mosquitto_user()).await;
        assert_eq!(info(&root, "protocol").as_deref(), Some("MQTT 5"));
        assert_eq!(info(&root, "receive maximum").as_deref(), Some("20"));
        assert_eq!(info(&root, "topic alias maximum").as_deref(), Some("10"));
        assert_eq!(info(&root, "retain available").as_deref(), Some("yes"));
        assert_eq!(info(&root, "maximum QoS").as_deref(), Some("2"));
        assert_eq!(info(&root, "session present").as_deref(), Some("no"));
        click(&root, "disconnect-button");
        until("idle", 10.0, || state(&root) == "idle").await;
        assert!(
            root.query_selector("[data-testid='connection-info']")
                .ok()
                .flatten()
                .is_none(),
            "the panel is shown only while connected"
        );

        connect(&root, "3.1.1", mosquitto_url(), mosquitto_user()).await;
        assert_eq!(info(&root, "protocol").as_deref(), Some("MQTT 3.1.1"));
        assert_eq!(
            info(&root, "receive maximum"),
            None,
            "3.1.1 has no CONNACK properties"
        );
    }

    /// Under 3.1.1 the same forbidden publish is acknowledged: the broker cannot say no.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_under_3_1_1_a_forbidden_publish_is_acknowledged() {
        let (root, _mounted) = mount_client_view();
        connect(&root, "3.1.1", mosquitto_url(), ALICE).await;
        let (state, text) = publish(&root, "/iot/user/bob/sensor/temperature", "x", "1").await;
        assert_eq!(state, "delivered", "{text}");
    }

    /// Subscription options from the form: No Local keeps the page's own message away, the
    /// subscription identifier comes back in a received message's detail.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_no_local_and_subscription_identifier() {
        let (root, _mounted) = mount_client_view();
        connect(&root, "5", mosquitto_url(), mosquitto_user()).await;
        let topic = unique("v5-ui-no-local");
        set_checkbox(&root, "subscribe-no-local", true);
        type_into(&root, "subscribe-identifier", "77");
        subscribe(&root, &topic, "1").await;

        let (state, text) = publish(&root, &topic, "mine", "1").await;
        assert_eq!(state, "delivered", "{text}");
        let other = crate::support::Recorder::connected(&v5(mosquitto_user())).await;
        other
            .client
            .publish(&topic, b"theirs".to_vec(), QoS::AtLeastOnce, false)
            .expect("publish");
        until("the other client's message", 10.0, || {
            !received(&root, &topic, "theirs").is_empty()
        })
        .await;
        assert!(
            received(&root, &topic, "mine").is_empty(),
            "No Local: the page's own message came back"
        );
        let row = received(&root, &topic, "theirs").remove(0);
        let properties = open_detail(&root, &row).await;
        assert_eq!(
            properties,
            vec![("subscription identifier".to_string(), "77".to_string())]
        );
    }

    /// Retain Handling 2 and Retain As Published from the form: the message retained
    /// before the subscription never arrives; a retained message published live arrives
    /// with its RETAIN flag.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_retain_handling_and_retain_as_published() {
        let (root, _mounted) = mount_client_view();
        connect(&root, "5", mosquitto_url(), mosquitto_user()).await;
        let topic = unique("v5-ui-retain");
        let other = crate::support::Recorder::connected(&v5(mosquitto_user())).await;
        other
            .client
            .publish(&topic, b"old".to_vec(), QoS::AtLeastOnce, true)
            .expect("publish");
        other
            .wait_for("PUBACK", |e| {
                matches!(e, mqtt_session::Event::Delivered { .. }).then_some(())
            })
            .await;

        choose(&root, "subscribe-retain-handling", "2");
        set_checkbox(&root, "subscribe-retain-as-published", true);
        subscribe(&root, &topic, "1").await;
        other
            .client
            .publish(&topic, b"new".to_vec(), QoS::AtLeastOnce, true)
            .expect("publish");
        until("the live retained message", 10.0, || {
            !received(&root, &topic, "new").is_empty()
        })
        .await;
        assert!(
            received(&root, &topic, "old").is_empty(),
            "retain handling 2: the retained message was sent at subscribe"
        );
        let row = received(&root, &topic, "new").remove(0);
        let meta = row
            .query_selector(".meta")
            .ok()
            .flatten()
            .and_then(|m| m.text_content())
            .unwrap_or_default();
        assert!(
            meta.contains('R'),
            "retain as published: the flag was cleared ({meta})"
        );
        // Clear the retained message.
        other
            .client
            .publish(&topic, Vec::new(), QoS::AtMostOnce, true)
            .expect("publish");
    }

    /// The lab's embedded broker speaks 3.1.1 only: choosing 5 there ends in a reason that
    /// names the version, not a hang.
    #[wasm_bindgen_test]
    async fn mqtt5_ui_the_lab_broker_says_it_needs_3_1_1() {
        let (root, _mounted) = mount_client_view();
        choose(&root, "connect-protocol", "5");
        type_into(&root, "connect-url", lab_url());
        click(&root, "connect-button");
        until("the attempt to end", 10.0, || {
            matches!(state(&root).as_str(), "failed" | "reconnecting")
        })
        .await;
        let text = text_of(&root, "connection-status");
        assert!(
            text.contains("MQTT 5") || text.contains("protocol version") || text.contains("3.1.1"),
            "the status should say the version is the problem: {text}"
        );
        click(&root, "disconnect-button");
    }
}
