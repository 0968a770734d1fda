mod common;

use common::Harness;
use mqtt_session::{CommandError, ConnectOptions, Event, QoS, ReasonCode, SubscribeResult};
use mqttbytes::v4::{self, Packet, SubscribeReasonCode};

#[test]
fn suback_reports_one_result_per_filter_including_refusals() {
    let mut h = Harness::connected(ConnectOptions::new("s"));
    let filters = vec![
        ("sensor/#".to_string(), QoS::ExactlyOnce),
        ("/iot/user/other/#".to_string(), QoS::AtLeastOnce),
    ];
    let pkid = h.session.subscribe(h.now, filters).unwrap();
    h.drain();
    let sent = h.take_sent();
    let [Packet::Subscribe(sub)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    assert_eq!(sub.pkid, pkid);
    assert_eq!(sub.filters.len(), 2);
    h.broker_sends(Packet::SubAck(v4::SubAck::new(
        pkid,
        vec![
            SubscribeReasonCode::Success(QoS::AtLeastOnce.into()),
            SubscribeReasonCode::Failure,
        ],
    )));
    assert_eq!(
        h.take_events(),
        vec![Event::Subscribed {
            pkid,
            results: vec![
                (
                    "sensor/#".into(),
                    SubscribeResult::Granted(QoS::AtLeastOnce)
                ),
                (
                    "/iot/user/other/#".into(),
                    SubscribeResult::Refused(ReasonCode(0x80))
                ),
            ]
        }]
    );
    let subs: Vec<_> = h.session.store().subscriptions().collect();
    assert_eq!(subs, vec![("sensor/#", QoS::AtLeastOnce)]);
}

#[test]
fn unsubscribe_removes_the_subscription_on_unsuback() {
    let mut h = Harness::connected(ConnectOptions::new("s"));
    let pkid = h
        .session
        .subscribe(h.now, vec![("a/+".into(), QoS::AtMostOnce)])
        .unwrap();
    h.drain();
    h.broker_sends(Packet::SubAck(v4::SubAck::new(
        pkid,
        vec![SubscribeReasonCode::Success(QoS::AtMostOnce.into())],
    )));
    h.take_sent();
    h.take_events();
    let pkid = h.session.unsubscribe(h.now, vec!["a/+".into()]).unwrap();
    h.drain();
    assert!(
        matches!(h.take_sent().as_slice(), [Packet::Unsubscribe(u)] if u.pkid == pkid && u.topics == ["a/+"])
    );
    h.broker_sends(Packet::UnsubAck(v4::UnsubAck::new(pkid)));
    assert_eq!(
        h.take_events(),
        vec![Event::Unsubscribed {
            pkid,
            filters: vec!["a/+".into()]
        }]
    );
    assert_eq!(h.session.store().subscriptions().count(), 0);
}

#[test]
fn invalid_or_empty_subscriptions_are_refused_before_encoding() {
    let mut h = Harness::connected(ConnectOptions::new("s"));
    assert_eq!(
        h.session.subscribe(h.now, vec![]),
        Err(CommandError::NoFilters)
    );
    assert!(matches!(
        h.session
            .subscribe(h.now, vec![("a/#/b".into(), QoS::AtMostOnce)]),
        Err(CommandError::InvalidFilter { .. })
    ));
    assert_eq!(
        h.session.unsubscribe(h.now, vec![]),
        Err(CommandError::NoFilters)
    );
    assert!(matches!(
        h.session
            .publish(h.now, "a/+", bytes::Bytes::new(), QoS::AtMostOnce, false),
        Err(CommandError::InvalidTopic(_))
    ));
    let long = "x".repeat(70_000);
    assert!(matches!(
        h.session
            .publish(h.now, &long, bytes::Bytes::new(), QoS::AtMostOnce, false),
        Err(CommandError::InvalidTopic(_))
    ));
    h.drain();
    assert!(
        h.take_sent().is_empty(),
        "nothing may be sent for a refused command"
    );
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn messages_arriving_before_the_suback_are_delivered() {
    let mut h = Harness::connected(ConnectOptions::new("s"));
    h.session
        .subscribe(h.now, vec![("cmd/#".into(), QoS::AtMostOnce)])
        .unwrap();
    h.drain();
    h.broker_sends(Packet::Publish(v4::Publish::new(
        "cmd/1",
        QoS::AtMostOnce.into(),
        "CMD1",
    )));
    assert!(matches!(h.take_events().as_slice(), [Event::Message(m)] if m.topic == "cmd/1"));
}
