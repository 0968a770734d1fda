//! MQTT 5 SUBSCRIBE and UNSUBSCRIBE: subscription options and properties on the wire, the
//! per-filter reason codes of SUBACK and UNSUBACK, and the features CONNACK says the
//! broker lacks.
mod v5_common;

use mqtt_session::{
    CloseReason, CommandError, Event, ProtocolError, QoS, ReasonCode, RetainHandling,
    SubscribeProperties, SubscribeResult, Subscription,
};
use mqttbytes::v5::{self, Packet, SubscribeReasonCode, UnsubAckReason};
use v5_common::{closed, disconnect_reason, options, v311_connected, warnings, Harness};

fn connected() -> Harness {
    Harness::connected(options("sub"))
}

fn connected_with(properties: v5::ConnAckProperties) -> Harness {
    Harness::connected_with(options("sub"), properties)
}

fn subscribe_with(
    h: &mut Harness,
    filters: Vec<Subscription>,
    properties: SubscribeProperties,
) -> Result<u16, CommandError> {
    let result = h.session.subscribe_with(h.now, filters, properties);
    h.drain();
    result
}

fn subscribe_of(packet: &Packet) -> &v5::Subscribe {
    match packet {
        Packet::Subscribe(s) => s,
        other => panic!("expected a SUBSCRIBE, got {other:?}"),
    }
}

fn suback(pkid: u16, codes: Vec<SubscribeReasonCode>) -> Packet {
    Packet::SubAck(v5::SubAck::new(pkid, codes))
}

fn unsuback(pkid: u16, reasons: Vec<UnsubAckReason>) -> Packet {
    let mut ack = v5::UnsubAck::new(pkid);
    ack.reasons = reasons;
    Packet::UnsubAck(ack)
}

#[test]
fn subscription_options_and_properties_go_out_as_given() {
    let mut h = connected();
    let filters = vec![
        Subscription {
            filter: "a/+".into(),
            qos: QoS::AtMostOnce,
            no_local: true,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        },
        Subscription {
            filter: "b/#".into(),
            qos: QoS::AtLeastOnce,
            no_local: false,
            retain_as_published: true,
            retain_handling: RetainHandling::SendIfNew,
        },
        Subscription {
            filter: "c".into(),
            qos: QoS::ExactlyOnce,
            no_local: true,
            retain_as_published: true,
            retain_handling: RetainHandling::DoNotSend,
        },
    ];
    let properties = SubscribeProperties {
        subscription_identifier: Some(268_435_455),
        user_properties: vec![("who".into(), "me".into()), ("who".into(), "you".into())],
    };
    let pkid = subscribe_with(&mut h, filters, properties).unwrap();
    let sent = h.take_sent();
    let s = subscribe_of(&sent[0]);
    assert_eq!(s.pkid, pkid);
    let wire: Vec<_> = s
        .filters
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.qos,
                f.nolocal,
                f.preserve_retain,
                f.retain_forward_rule.clone(),
            )
        })
        .collect();
    assert_eq!(
        wire,
        vec![
            (
                "a/+",
                mqttbytes::QoS::AtMostOnce,
                true,
                false,
                v5::RetainForwardRule::OnEverySubscribe
            ),
            (
                "b/#",
                mqttbytes::QoS::AtLeastOnce,
                false,
                true,
                v5::RetainForwardRule::OnNewSubscribe
            ),
            (
                "c",
                mqttbytes::QoS::ExactlyOnce,
                true,
                true,
                v5::RetainForwardRule::Never
            ),
        ]
    );
    assert_eq!(
        s.properties,
        Some(v5::SubscribeProperties {
            id: Some(268_435_455),
            user_properties: vec![("who".into(), "me".into()), ("who".into(), "you".into())],
        })
    );
}

#[test]
fn a_plain_subscribe_has_default_options_and_an_empty_property_block() {
    let mut h = connected();
    let pkid = h
        .session
        .subscribe(h.now, vec![("sensors/#".into(), QoS::AtLeastOnce)])
        .unwrap();
    h.drain();
    let raw = h.take_raw();
    // 82 len | id | 00 (no property) | 00 09 "sensors/#" | options 01
    let mut expected = vec![0x82, 15, 0, pkid as u8, 0, 0, 9];
    expected.extend_from_slice(b"sensors/#");
    expected.push(0x01);
    assert_eq!(&raw[0][..], &expected[..]);
}

#[test]
fn suback_reason_codes_give_one_result_per_filter() {
    let mut h = connected();
    let codes = [
        (
            SubscribeReasonCode::QoS0,
            SubscribeResult::Granted(QoS::AtMostOnce),
        ),
        (
            SubscribeReasonCode::QoS1,
            SubscribeResult::Granted(QoS::AtLeastOnce),
        ),
        (
            SubscribeReasonCode::QoS2,
            SubscribeResult::Granted(QoS::ExactlyOnce),
        ),
        (
            SubscribeReasonCode::Unspecified,
            SubscribeResult::Refused(ReasonCode(0x80)),
        ),
        (
            SubscribeReasonCode::ImplementationSpecific,
            SubscribeResult::Refused(ReasonCode(0x83)),
        ),
        (
            SubscribeReasonCode::NotAuthorized,
            SubscribeResult::Refused(ReasonCode::NOT_AUTHORIZED),
        ),
        (
            SubscribeReasonCode::TopicFilterInvalid,
            SubscribeResult::Refused(ReasonCode(0x8F)),
        ),
        (
            SubscribeReasonCode::PkidInUse,
            SubscribeResult::Refused(ReasonCode(0x91)),
        ),
        (
            SubscribeReasonCode::QuotaExceeded,
            SubscribeResult::Refused(ReasonCode(0x97)),
        ),
        (
            SubscribeReasonCode::SharedSubscriptionsNotSupported,
            SubscribeResult::Refused(ReasonCode(0x9E)),
        ),
        (
            SubscribeReasonCode::SubscriptionIdNotSupported,
            SubscribeResult::Refused(ReasonCode(0xA1)),
        ),
        (
            SubscribeReasonCode::WildcardSubscriptionsNotSupported,
            SubscribeResult::Refused(ReasonCode(0xA2)),
        ),
    ];
    let filters: Vec<(String, QoS)> = (0..codes.len())
        .map(|i| (format!("f/{i}"), QoS::ExactlyOnce))
        .collect();
    let pkid = h.session.subscribe(h.now, filters.clone()).unwrap();
    h.drain();
    h.broker_sends(suback(pkid, codes.iter().map(|(c, _)| *c).collect()));
    let results: Vec<(String, SubscribeResult)> = filters
        .iter()
        .zip(codes.iter())
        .map(|((f, _), (_, r))| (f.clone(), *r))
        .collect();
    assert_eq!(h.take_events(), vec![Event::Subscribed { pkid, results }]);
    let granted: Vec<(&str, QoS)> = h.session.store().subscriptions().collect();
    assert_eq!(
        granted,
        vec![
            ("f/0", QoS::AtMostOnce),
            ("f/1", QoS::AtLeastOnce),
            ("f/2", QoS::ExactlyOnce),
        ],
        "only granted filters are recorded"
    );
    assert!(!h.session.store().is_in_use(pkid));
}

#[test]
fn a_suback_reason_string_is_a_warning_before_the_results() {
    let mut h = connected();
    let pkid = h
        .session
        .subscribe(h.now, vec![("secret".into(), QoS::AtMostOnce)])
        .unwrap();
    h.drain();
    let mut ack = v5::SubAck::new(pkid, vec![SubscribeReasonCode::NotAuthorized]);
    ack.properties = Some(v5::SubAckProperties {
        reason_string: Some("acl denies secret".into()),
        user_properties: vec![],
    });
    h.broker_sends(Packet::SubAck(ack));
    assert_eq!(
        h.take_events(),
        vec![
            Event::Warning(format!(
                "SUBACK {pkid}: the broker's reason: \"acl denies secret\""
            )),
            Event::Subscribed {
                pkid,
                results: vec![(
                    "secret".into(),
                    SubscribeResult::Refused(ReasonCode::NOT_AUTHORIZED)
                )],
            },
        ]
    );
}

#[test]
fn a_suback_with_the_wrong_number_of_codes_closes_with_disconnect_0x82() {
    let mut h = connected();
    let pkid = h
        .session
        .subscribe(
            h.now,
            vec![("a".into(), QoS::AtMostOnce), ("b".into(), QoS::AtMostOnce)],
        )
        .unwrap();
    h.drain();
    h.take_sent();
    h.broker_sends(suback(pkid, vec![SubscribeReasonCode::QoS0]));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::SubAckCountMismatch {
                pkid,
                got: 1,
                want: 2
            }
        ))]
    );
    assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x82);
}

#[test]
fn a_suback_for_an_unknown_id_is_a_warning() {
    let mut h = connected();
    h.broker_sends(suback(42, vec![SubscribeReasonCode::QoS0]));
    assert_eq!(
        h.take_events(),
        vec![Event::Warning(
            "SUBACK for unknown packet 42; ignored".into()
        )]
    );
}

// ----- features the broker lacks -----

#[test]
fn wildcards_are_refused_when_the_broker_has_none() {
    let mut h = connected_with(v5::ConnAckProperties {
        wildcard_subscription_available: Some(0),
        ..v5::ConnAckProperties::new()
    });
    for filter in ["a/+", "a/#", "#", "+/b"] {
        assert_eq!(
            subscribe_with(
                &mut h,
                vec![
                    Subscription::new("plain", QoS::AtMostOnce),
                    Subscription::new(filter, QoS::AtMostOnce)
                ],
                SubscribeProperties::default()
            ),
            Err(CommandError::NotSupportedByBroker("wildcards in filters")),
            "{filter}"
        );
    }
    assert!(h.take_sent().is_empty());
    assert_eq!(h.session.store().in_flight(), 0, "no packet id taken");
    assert_eq!(
        subscribe_with(
            &mut h,
            vec![Subscription::new("a/b", QoS::AtMostOnce)],
            SubscribeProperties::default()
        ),
        Ok(1)
    );
}

#[test]
fn shared_subscriptions_are_refused_when_the_broker_has_none() {
    let mut h = connected_with(v5::ConnAckProperties {
        shared_subscription_available: Some(0),
        ..v5::ConnAckProperties::new()
    });
    assert_eq!(
        subscribe_with(
            &mut h,
            vec![Subscription::new("$share/group/jobs", QoS::AtLeastOnce)],
            SubscribeProperties::default()
        ),
        Err(CommandError::NotSupportedByBroker("shared subscriptions"))
    );
    assert!(h.take_sent().is_empty());
    assert!(subscribe_with(
        &mut h,
        vec![Subscription::new("jobs", QoS::AtLeastOnce)],
        SubscribeProperties::default()
    )
    .is_ok());
}

#[test]
fn shared_subscriptions_and_wildcards_go_out_when_the_broker_has_them() {
    let mut h = connected();
    let pkid = subscribe_with(
        &mut h,
        vec![Subscription::new("$share/g/jobs/#", QoS::AtLeastOnce)],
        SubscribeProperties::default(),
    )
    .unwrap();
    let sent = h.take_sent();
    assert_eq!(subscribe_of(&sent[0]).filters[0].path, "$share/g/jobs/#");
    assert_eq!(subscribe_of(&sent[0]).pkid, pkid);
}

#[test]
fn subscription_identifiers_are_refused_when_the_broker_has_none() {
    let mut h = connected_with(v5::ConnAckProperties {
        subscription_identifiers_available: Some(0),
        ..v5::ConnAckProperties::new()
    });
    let with_id = SubscribeProperties {
        subscription_identifier: Some(1),
        user_properties: vec![],
    };
    assert_eq!(
        subscribe_with(
            &mut h,
            vec![Subscription::new("a", QoS::AtMostOnce)],
            with_id
        ),
        Err(CommandError::NotSupportedByBroker(
            "subscription identifiers"
        ))
    );
    assert!(h.take_sent().is_empty());
    let user_only = SubscribeProperties {
        subscription_identifier: None,
        user_properties: vec![("k".into(), "v".into())],
    };
    assert_eq!(
        subscribe_with(
            &mut h,
            vec![Subscription::new("a", QoS::AtMostOnce)],
            user_only
        ),
        Ok(1)
    );
}

#[test]
fn a_subscription_identifier_must_be_between_1_and_268435455() {
    let mut h = connected();
    for id in [0, 268_435_456, u32::MAX] {
        assert_eq!(
            subscribe_with(
                &mut h,
                vec![Subscription::new("a", QoS::AtMostOnce)],
                SubscribeProperties {
                    subscription_identifier: Some(id),
                    user_properties: vec![],
                }
            ),
            Err(CommandError::InvalidSubscriptionIdentifier),
            "{id}"
        );
    }
    assert!(h.take_sent().is_empty());
    for id in [1, 127, 128, 16_383, 16_384, 268_435_455] {
        subscribe_with(
            &mut h,
            vec![Subscription::new("a", QoS::AtMostOnce)],
            SubscribeProperties {
                subscription_identifier: Some(id),
                user_properties: vec![],
            },
        )
        .unwrap();
        let sent = h.take_sent();
        assert_eq!(
            subscribe_of(&sent[0])
                .properties
                .as_ref()
                .and_then(|p| p.id),
            Some(id as usize)
        );
    }
}

#[test]
fn an_over_long_user_property_is_refused_before_anything_is_encoded() {
    // mqttbytes would write it with a wrong length prefix: a corrupt SUBSCRIBE.
    let mut h = connected();
    for (name, value) in [
        ("k".to_string(), "v".repeat(65_536)),
        ("k".repeat(65_536), "v".to_string()),
    ] {
        assert!(matches!(
            subscribe_with(
                &mut h,
                vec![Subscription::new("a", QoS::AtMostOnce)],
                SubscribeProperties {
                    subscription_identifier: None,
                    user_properties: vec![(name, value)],
                }
            ),
            Err(CommandError::PropertyTooLong(_))
        ));
    }
    assert!(h.take_sent().is_empty());
    assert_eq!(h.session.store().in_flight(), 0, "no packet id taken");
    // The longest allowed value goes out intact.
    subscribe_with(
        &mut h,
        vec![Subscription::new("a", QoS::AtMostOnce)],
        SubscribeProperties {
            subscription_identifier: None,
            user_properties: vec![("k".into(), "v".repeat(65_535))],
        },
    )
    .unwrap();
    let sent = h.take_sent();
    let properties = subscribe_of(&sent[0]).properties.clone().unwrap();
    assert_eq!(properties.user_properties[0].1.len(), 65_535);
}

#[test]
fn a_subscribe_larger_than_the_broker_maximum_packet_size_is_refused() {
    let mut h = connected_with(v5::ConnAckProperties {
        max_packet_size: Some(20),
        ..v5::ConnAckProperties::new()
    });
    let result = subscribe_with(
        &mut h,
        vec![Subscription::new(
            "a/very/long/topic/filter/#",
            QoS::AtMostOnce,
        )],
        SubscribeProperties::default(),
    );
    assert!(result.is_err());
    assert!(h.take_sent().is_empty());
}

#[test]
fn subscription_options_and_identifiers_under_mqtt311_are_refused() {
    let mut session = v311_connected(options("old"));
    let now = mqtt_session::Instant::from_millis(0);
    let mut no_local = Subscription::new("a", QoS::AtMostOnce);
    no_local.no_local = true;
    let mut retain_as_published = Subscription::new("a", QoS::AtMostOnce);
    retain_as_published.retain_as_published = true;
    let mut retain_handling = Subscription::new("a", QoS::AtMostOnce);
    retain_handling.retain_handling = RetainHandling::DoNotSend;
    for filter in [no_local, retain_as_published, retain_handling] {
        assert!(matches!(
            session.subscribe_with(now, vec![filter], SubscribeProperties::default()),
            Err(CommandError::NeedsMqtt5(_))
        ));
    }
    assert!(matches!(
        session.subscribe_with(
            now,
            vec![Subscription::new("a", QoS::AtMostOnce)],
            SubscribeProperties {
                subscription_identifier: Some(1),
                user_properties: vec![],
            }
        ),
        Err(CommandError::NeedsMqtt5(_))
    ));
    assert_eq!(v5_common::drain_quietly(&mut session), 0);
    assert_eq!(session.store().in_flight(), 0);
    assert_eq!(
        session.subscribe_with(
            now,
            vec![Subscription::new("a", QoS::AtMostOnce)],
            SubscribeProperties::default()
        ),
        Ok(1)
    );
}

// ----- UNSUBSCRIBE -----

#[test]
fn unsubscribe_has_an_empty_property_block_and_its_filters() {
    let mut h = connected();
    let pkid = h
        .session
        .unsubscribe(h.now, vec!["a/b".into(), "c/#".into()])
        .unwrap();
    h.drain();
    let raw = h.take_raw();
    let mut expected = vec![0xA2, 13, 0, pkid as u8, 0, 0, 3];
    expected.extend_from_slice(b"a/b");
    expected.extend_from_slice(&[0, 3]);
    expected.extend_from_slice(b"c/#");
    assert_eq!(&raw[0][..], &expected[..]);
}

#[test]
fn unsuback_failures_are_warnings_and_the_filters_are_reported_unsubscribed() {
    let mut h = connected();
    let filters: Vec<String> = vec!["ok".into(), "never".into(), "denied".into(), "bad".into()];
    let pkid = h.session.unsubscribe(h.now, filters.clone()).unwrap();
    h.drain();
    h.broker_sends(unsuback(
        pkid,
        vec![
            UnsubAckReason::Success,
            UnsubAckReason::NoSubscriptionExisted,
            UnsubAckReason::NotAuthorized,
            UnsubAckReason::TopicFilterInvalid,
        ],
    ));
    let events = h.take_events();
    assert_eq!(
        warnings(&events),
        vec![
            format!(
                "unsubscribe from 'never': {}",
                ReasonCode::NO_SUBSCRIPTION_EXISTED
            ),
            format!("unsubscribe from 'denied': {}", ReasonCode::NOT_AUTHORIZED),
            format!("unsubscribe from 'bad': {}", ReasonCode(0x8F)),
        ]
    );
    assert_eq!(events.last(), Some(&Event::Unsubscribed { pkid, filters }));
}

#[test]
fn a_successful_unsuback_forgets_the_subscription() {
    let mut h = connected();
    let pkid = h
        .session
        .subscribe(h.now, vec![("a".into(), QoS::AtLeastOnce)])
        .unwrap();
    h.drain();
    h.broker_sends(suback(pkid, vec![SubscribeReasonCode::QoS1]));
    assert_eq!(h.session.store().subscriptions().count(), 1);
    let pkid = h.session.unsubscribe(h.now, vec!["a".into()]).unwrap();
    h.drain();
    h.take_events();
    h.broker_sends(unsuback(pkid, vec![UnsubAckReason::Success]));
    assert_eq!(
        h.take_events(),
        vec![Event::Unsubscribed {
            pkid,
            filters: vec!["a".into()]
        }]
    );
    assert_eq!(h.session.store().subscriptions().count(), 0);
}

#[test]
fn an_unsuback_with_the_wrong_number_of_reason_codes_closes_with_disconnect_0x82() {
    for reasons in [
        vec![UnsubAckReason::Success],
        vec![
            UnsubAckReason::Success,
            UnsubAckReason::Success,
            UnsubAckReason::Success,
        ],
    ] {
        let mut h = connected();
        let pkid = h
            .session
            .unsubscribe(h.now, vec!["a".into(), "b".into()])
            .unwrap();
        h.drain();
        h.take_sent();
        let got = reasons.len();
        h.broker_sends(unsuback(pkid, reasons));
        assert_eq!(
            h.take_events(),
            vec![Event::Closed(CloseReason::Protocol(
                ProtocolError::ReasonCountMismatch {
                    packet: "UNSUBACK",
                    pkid,
                    got,
                    want: 2
                }
            ))]
        );
        assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x82);
    }
}

#[test]
fn an_unsuback_without_reason_codes_is_malformed() {
    // What an MQTT 3.1.1 broker would send: MQTT 5 requires a code per filter.
    let mut h = connected();
    let pkid = h.session.unsubscribe(h.now, vec!["a".into()]).unwrap();
    h.drain();
    h.take_sent();
    h.broker_sends_bytes(&[0xB0, 0x03, 0x00, pkid as u8, 0x00]);
    let events = h.take_events();
    assert!(
        matches!(
            closed(&events),
            Some(CloseReason::Protocol(ProtocolError::Malformed(_)))
        ),
        "{events:?}"
    );
    assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x81);
}

#[test]
fn pending_subscribes_are_forgotten_at_close_under_mqtt5_too() {
    let mut h = Harness::connected(v5_common::persistent_options("pending"));
    let pkid = h
        .session
        .subscribe(h.now, vec![("a".into(), QoS::AtMostOnce)])
        .unwrap();
    h.drain();
    h.cut();
    assert!(!h.session.store().is_in_use(pkid));
}
