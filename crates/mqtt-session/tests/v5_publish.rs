//! MQTT 5 PUBLISH both ways: message properties, inbound topic aliases, the limits CONNACK
//! sets (maximum QoS, retain, maximum packet size, receive maximum) and the reason codes of
//! PUBACK, PUBREC, PUBREL and PUBCOMP.
mod v5_common;

use bytes::Bytes;
use mqtt_session::{
    CloseReason, CommandError, Event, Message, ProtocolError, PublishOutcome, PublishProperties,
    QoS, ReasonCode,
};
use mqttbytes::v5::{self, Packet, PubAckReason, PubRecReason};
use v5_common::{
    aliased, closed, disconnect_reason, frame, inbound, mqtt_string, no_publish_properties,
    options, puback, publish_of, pubrec, v311_connected, warnings, Harness,
};

fn connected() -> Harness {
    Harness::connected(options("pub"))
}

fn connected_with(properties: v5::ConnAckProperties) -> Harness {
    Harness::connected_with(options("pub"), properties)
}

fn every_property() -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(86_400),
        content_type: Some("application/json".into()),
        response_topic: Some("replies/pub".into()),
        correlation_data: Some(Bytes::from_static(&[0x00, 0xFF, 0x10, 0x80])),
        user_properties: vec![
            ("trace".into(), "abc".into()),
            ("unit".into(), "°C".into()),
            ("trace".into(), "def".into()),
        ],
        ..Default::default()
    }
}

fn wire_every_property() -> v5::PublishProperties {
    v5::PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(86_400),
        content_type: Some("application/json".into()),
        response_topic: Some("replies/pub".into()),
        correlation_data: Some(Bytes::from_static(&[0x00, 0xFF, 0x10, 0x80])),
        user_properties: vec![
            ("trace".into(), "abc".into()),
            ("unit".into(), "°C".into()),
            ("trace".into(), "def".into()),
        ],
        ..no_publish_properties()
    }
}

fn publish_with(
    h: &mut Harness,
    qos: QoS,
    retain: bool,
    payload: &'static [u8],
    properties: PublishProperties,
) -> Result<Option<u16>, CommandError> {
    let result = h.session.publish_with(
        h.now,
        "t",
        Bytes::from_static(payload),
        qos,
        retain,
        properties,
    );
    h.drain();
    result
}

fn message_of(event: &Event) -> &Message {
    match event {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

// ----- outbound properties -----

#[test]
fn every_message_property_goes_out_as_given() {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let mut h = connected();
        let pkid = publish_with(&mut h, qos, true, br#"{"t":21}"#, every_property()).unwrap();
        let sent = h.take_sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let p = publish_of(&sent[0]);
        assert_eq!(p.topic, "t");
        assert_eq!(&p.payload[..], br#"{"t":21}"#);
        assert_eq!(p.qos, qos.into());
        assert!(p.retain);
        assert!(!p.dup);
        assert_eq!(p.pkid, pkid.unwrap_or(0));
        assert_eq!(p.properties, Some(wire_every_property()), "{qos:?}");
    }
}

#[test]
fn a_message_without_properties_has_an_empty_property_block() {
    let mut h = connected();
    h.publish(QoS::AtLeastOnce, "plain");
    let raw = h.take_raw();
    // 32 len | 00 01 't' | 00 01 | 00 (no property) | "plain"
    assert_eq!(
        &raw[0][..],
        &[0x32, 11, 0, 1, b't', 0, 1, 0, b'p', b'l', b'a', b'i', b'n']
    );
}

#[test]
fn payload_format_1_with_invalid_utf8_is_refused_before_anything_is_sent() {
    let mut h = connected();
    let text = PublishProperties {
        payload_format_indicator: Some(1),
        ..Default::default()
    };
    assert_eq!(
        publish_with(&mut h, QoS::AtLeastOnce, false, &[0xC3, 0x28], text.clone()),
        Err(CommandError::PayloadNotUtf8)
    );
    assert!(h.take_sent().is_empty());
    assert_eq!(h.session.store().in_flight(), 0);
    // Valid UTF-8 is fine, and so are any bytes marked as unspecified (0).
    assert!(publish_with(&mut h, QoS::AtMostOnce, false, "é".as_bytes(), text).is_ok());
    let bytes = PublishProperties {
        payload_format_indicator: Some(0),
        ..Default::default()
    };
    assert!(publish_with(&mut h, QoS::AtMostOnce, false, &[0xC3, 0x28], bytes).is_ok());
    assert_eq!(h.take_sent().len(), 2);
}

#[test]
fn a_payload_format_indicator_other_than_0_or_1_is_refused() {
    let mut h = connected();
    let two = PublishProperties {
        payload_format_indicator: Some(2),
        ..Default::default()
    };
    assert!(publish_with(&mut h, QoS::AtMostOnce, false, b"x", two).is_err());
    assert!(h.take_sent().is_empty());
}

#[test]
fn properties_the_session_owns_or_cannot_encode_are_refused() {
    let mut h = connected();
    let alias = PublishProperties {
        topic_alias: Some(1),
        ..Default::default()
    };
    assert_eq!(
        publish_with(&mut h, QoS::AtMostOnce, false, b"x", alias),
        Err(CommandError::TopicAliasNotAllowed)
    );
    let subscription_ids = PublishProperties {
        subscription_identifiers: vec![3],
        ..Default::default()
    };
    assert_eq!(
        publish_with(&mut h, QoS::AtMostOnce, false, b"x", subscription_ids),
        Err(CommandError::TopicAliasNotAllowed)
    );
    let wildcard_response = PublishProperties {
        response_topic: Some("replies/+".into()),
        ..Default::default()
    };
    assert!(matches!(
        publish_with(&mut h, QoS::AtMostOnce, false, b"x", wildcard_response),
        Err(CommandError::InvalidTopic(_))
    ));
    for too_long in [
        PublishProperties {
            content_type: Some("c".repeat(65_536)),
            ..Default::default()
        },
        PublishProperties {
            correlation_data: Some(Bytes::from(vec![0; 65_536])),
            ..Default::default()
        },
        PublishProperties {
            user_properties: vec![("k".into(), "v".repeat(65_536))],
            ..Default::default()
        },
    ] {
        assert!(matches!(
            publish_with(&mut h, QoS::AtLeastOnce, false, b"x", too_long),
            Err(CommandError::PropertyTooLong(_))
        ));
    }
    assert!(h.take_sent().is_empty());
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn message_properties_under_mqtt311_are_refused() {
    let mut session = v311_connected(options("old"));
    let now = mqtt_session::Instant::from_millis(0);
    let result = session.publish_with(
        now,
        "t",
        Bytes::from_static(b"x"),
        QoS::AtLeastOnce,
        false,
        every_property(),
    );
    assert_eq!(result, Err(CommandError::NeedsMqtt5("message properties")));
    assert_eq!(v5_common::drain_quietly(&mut session), 0, "nothing sent");
    assert_eq!(session.store().in_flight(), 0);
    // Without properties the same publish goes out.
    let result = session.publish(now, "t", Bytes::from_static(b"x"), QoS::AtLeastOnce, false);
    assert_eq!(result, Ok(Some(1)));
}

// ----- inbound properties -----

#[test]
fn every_inbound_property_is_delivered_with_the_message() {
    let mut h = connected();
    let mut p = inbound(QoS::AtLeastOnce, 9, "21.5");
    p.properties = Some(v5::PublishProperties {
        subscription_identifiers: vec![1, 268_435_455],
        ..wire_every_property()
    });
    h.broker_sends(Packet::Publish(p));
    assert_eq!(h.take_sent(), vec![Packet::PubAck(v5::PubAck::new(9))]);
    let events = h.take_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        *message_of(&events[0]),
        Message {
            topic: "sensor/temperature".into(),
            payload: Bytes::from_static(b"21.5"),
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            pkid: 9,
            properties: PublishProperties {
                subscription_identifiers: vec![1, 268_435_455],
                ..every_property()
            },
        }
    );
}

#[test]
fn acknowledgements_of_inbound_messages_are_the_short_success_forms() {
    let mut h = connected();
    h.broker_sends(Packet::Publish(inbound(QoS::AtLeastOnce, 3, "a")));
    h.broker_sends(Packet::Publish(inbound(QoS::ExactlyOnce, 4, "b")));
    h.broker_sends(Packet::PubRel(v5::PubRel::new(4)));
    let raw: Vec<Vec<u8>> = h.take_raw().iter().map(|b| b.to_vec()).collect();
    assert_eq!(
        raw,
        vec![
            vec![0x40, 2, 0, 3],
            vec![0x50, 2, 0, 4],
            vec![0x70, 2, 0, 4],
        ]
    );
}

#[test]
fn a_payload_marked_utf8_that_is_not_is_delivered_with_a_warning() {
    let mut h = connected();
    let mut p = v5::Publish::new("t", mqttbytes::QoS::AtLeastOnce, vec![0xFF, 0xFE]);
    p.pkid = 2;
    p.properties = Some(v5::PublishProperties {
        payload_format_indicator: Some(1),
        ..no_publish_properties()
    });
    h.broker_sends(Packet::Publish(p));
    assert_eq!(h.take_sent(), vec![Packet::PubAck(v5::PubAck::new(2))]);
    let events = h.take_events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        warnings(&events),
        vec![
            "a message on 't' is marked as UTF-8 text (payload format 1) but is not valid UTF-8"
                .to_string()
        ]
    );
    assert_eq!(&message_of(&events[1]).payload[..], &[0xFF, 0xFE]);
}

// ----- inbound topic aliases -----

fn with_aliases(max: u16) -> Harness {
    let mut o = options("alias");
    o.properties.topic_alias_maximum = Some(max);
    Harness::connected(o)
}

fn delivered_topics(events: &[Event]) -> Vec<(String, Option<u16>)> {
    events
        .iter()
        .map(|e| {
            let m = message_of(e);
            (m.topic.clone(), m.properties.topic_alias)
        })
        .collect()
}

#[test]
fn a_topic_alias_is_set_by_a_publish_with_a_topic_and_used_by_one_without() {
    let mut h = with_aliases(5);
    h.broker_sends(aliased("sensors/kitchen", 3, "1"));
    h.broker_sends(aliased("", 3, "2"));
    h.broker_sends(aliased("sensors/hall", 5, "3"));
    h.broker_sends(aliased("", 5, "4"));
    h.broker_sends(aliased("", 3, "5"));
    // An alias can be set again to another topic.
    h.broker_sends(aliased("sensors/attic", 3, "6"));
    h.broker_sends(aliased("", 3, "7"));
    assert_eq!(
        delivered_topics(&h.take_events()),
        vec![
            ("sensors/kitchen".into(), Some(3)),
            ("sensors/kitchen".into(), Some(3)),
            ("sensors/hall".into(), Some(5)),
            ("sensors/hall".into(), Some(5)),
            ("sensors/kitchen".into(), Some(3)),
            ("sensors/attic".into(), Some(3)),
            ("sensors/attic".into(), Some(3)),
        ]
    );
    assert!(h.take_sent().is_empty());
}

#[test]
fn an_aliased_qos1_message_is_acknowledged_and_delivered_under_its_topic() {
    let mut h = with_aliases(2);
    h.broker_sends(aliased("a/b", 1, "set"));
    let mut p = v5::Publish::new("", mqttbytes::QoS::AtLeastOnce, "used");
    p.pkid = 8;
    p.properties = Some(v5::PublishProperties {
        topic_alias: Some(1),
        ..no_publish_properties()
    });
    h.broker_sends(Packet::Publish(p));
    assert_eq!(h.take_sent(), vec![Packet::PubAck(v5::PubAck::new(8))]);
    let events = h.take_events();
    assert_eq!(message_of(&events[1]).topic, "a/b");
    assert_eq!(message_of(&events[1]).qos, QoS::AtLeastOnce);
}

/// The session sent DISCONNECT 0x94 and then closed with a topic alias error.
fn assert_alias_refused(h: &mut Harness, alias: u16, why: &str) {
    let raw = h.take_raw();
    assert_eq!(raw.len(), 1, "{raw:?}");
    assert_eq!(
        &raw[0][..],
        &[0xE0, 0x01, 0x94],
        "DISCONNECT 0x94 topic alias invalid"
    );
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::TopicAlias {
                alias,
                why: match why {
                    "none" => "but this client allows none (topic alias maximum 0)",
                    "range" => "outside 1..topic alias maximum this client announced",
                    _ => "which it never set on this connection",
                },
            }
        ))]
    );
    assert_eq!(h.session.phase(), mqtt_session::Phase::Disconnected);
}

#[test]
fn alias_zero_closes_the_connection_with_disconnect_0x94() {
    let mut h = with_aliases(5);
    h.broker_sends(aliased("a", 0, "x"));
    assert_alias_refused(&mut h, 0, "range");
}

#[test]
fn an_alias_above_the_announced_maximum_closes_the_connection() {
    let mut h = with_aliases(5);
    h.broker_sends(aliased("a", 6, "x"));
    assert_alias_refused(&mut h, 6, "range");
}

#[test]
fn any_alias_closes_the_connection_when_the_client_announced_none() {
    let mut h = connected();
    h.broker_sends(aliased("a", 1, "x"));
    assert_alias_refused(&mut h, 1, "none");
}

#[test]
fn an_alias_never_set_closes_the_connection_before_the_message_is_acknowledged() {
    let mut h = with_aliases(5);
    h.broker_sends(aliased("a", 1, "set"));
    h.take_events();
    let mut p = v5::Publish::new("", mqttbytes::QoS::AtLeastOnce, "x");
    p.pkid = 4;
    p.properties = Some(v5::PublishProperties {
        topic_alias: Some(2),
        ..no_publish_properties()
    });
    h.broker_sends(Packet::Publish(p));
    // No PUBACK: only the DISCONNECT.
    assert_alias_refused(&mut h, 2, "unknown");
}

#[test]
fn aliases_belong_to_one_connection() {
    let mut h = with_aliases(5);
    h.broker_sends(aliased("a/b", 1, "set"));
    h.take_events();
    h.cut();
    h.take_events();
    h.reconnect(false);
    h.take_events();
    h.broker_sends(aliased("", 1, "stale"));
    assert_alias_refused(&mut h, 1, "unknown");
}

#[test]
fn a_publish_with_neither_topic_nor_alias_is_refused() {
    let mut h = connected();
    let p = v5::Publish::new("", mqttbytes::QoS::AtMostOnce, "x");
    h.broker_sends(Packet::Publish(p));
    let events = h.take_events();
    assert!(
        matches!(
            closed(&events),
            Some(CloseReason::Protocol(ProtocolError::InvalidTopic(_)))
        ),
        "{events:?}"
    );
    assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x90);
}

// ----- limits from CONNACK -----

#[test]
fn a_qos_above_the_broker_maximum_is_refused() {
    let mut h = connected_with(v5::ConnAckProperties {
        max_qos: Some(0),
        ..v5::ConnAckProperties::new()
    });
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        assert_eq!(
            publish_with(&mut h, qos, false, b"x", PublishProperties::default()),
            Err(CommandError::QoSNotSupported { max: 0 })
        );
    }
    assert!(h.take_sent().is_empty());
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtMostOnce,
            false,
            b"x",
            PublishProperties::default()
        ),
        Ok(None)
    );

    let mut h = connected_with(v5::ConnAckProperties {
        max_qos: Some(1),
        ..v5::ConnAckProperties::new()
    });
    assert_eq!(
        publish_with(
            &mut h,
            QoS::ExactlyOnce,
            false,
            b"x",
            PublishProperties::default()
        ),
        Err(CommandError::QoSNotSupported { max: 1 })
    );
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtLeastOnce,
            false,
            b"x",
            PublishProperties::default()
        ),
        Ok(Some(1)),
        "the refused publish took no packet id"
    );
}

#[test]
fn retain_is_refused_when_the_broker_keeps_no_retained_messages() {
    let mut h = connected_with(v5::ConnAckProperties {
        retain_available: Some(0),
        ..v5::ConnAckProperties::new()
    });
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtLeastOnce,
            true,
            b"x",
            PublishProperties::default()
        ),
        Err(CommandError::RetainNotSupported)
    );
    assert!(h.take_sent().is_empty());
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtLeastOnce,
            false,
            b"x",
            PublishProperties::default()
        ),
        Ok(Some(1))
    );
}

#[test]
fn a_publish_larger_than_the_broker_maximum_packet_size_is_refused_before_anything_is_sent() {
    let mut h = connected_with(v5::ConnAckProperties {
        max_packet_size: Some(100),
        ..v5::ConnAckProperties::new()
    });
    let revision = h.session.store_revision();
    // QoS 1 to "t": 2-byte fixed header + topic 3 + id 2 + property length 1 + payload.
    let too_big: &'static [u8] = &[b'x'; 93];
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtLeastOnce,
            false,
            too_big,
            PublishProperties::default()
        ),
        Err(CommandError::PacketTooLarge {
            size: 101,
            max: 100
        })
    );
    assert!(h.take_sent().is_empty(), "nothing transmitted");
    assert_eq!(h.session.store().in_flight(), 0, "no packet id consumed");
    assert_eq!(
        h.session.store_revision(),
        revision,
        "the store did not change"
    );
    // Exactly the maximum goes out, with the first packet id.
    let just_fits: &'static [u8] = &[b'x'; 92];
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtLeastOnce,
            false,
            just_fits,
            PublishProperties::default()
        ),
        Ok(Some(1))
    );
    let raw = h.take_raw();
    assert_eq!(raw[0].len(), 100);
}

#[test]
fn properties_count_towards_the_maximum_packet_size() {
    let mut h = connected_with(v5::ConnAckProperties {
        max_packet_size: Some(100),
        ..v5::ConnAckProperties::new()
    });
    // 92 payload bytes fit without properties; a 1-byte payload format property (2 bytes)
    // makes the packet 102 bytes.
    let payload: &'static [u8] = &[b'x'; 92];
    let format = PublishProperties {
        payload_format_indicator: Some(0),
        ..Default::default()
    };
    assert_eq!(
        publish_with(&mut h, QoS::AtLeastOnce, false, payload, format),
        Err(CommandError::PacketTooLarge {
            size: 102,
            max: 100
        })
    );
    // QoS 0 has no packet id: two bytes fewer.
    let qos0: &'static [u8] = &[b'x'; 94];
    assert_eq!(
        publish_with(
            &mut h,
            QoS::AtMostOnce,
            false,
            qos0,
            PublishProperties::default()
        ),
        Ok(None)
    );
    assert_eq!(h.take_raw()[0].len(), 100);
}

#[test]
fn the_receive_maximum_limits_messages_in_flight_and_acks_release_the_queue() {
    let mut h = connected_with(v5::ConnAckProperties {
        receive_max: Some(2),
        ..v5::ConnAckProperties::new()
    });
    let ids: Vec<u16> = (0..5).map(|_| h.publish(QoS::AtLeastOnce, "m")).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    let sent: Vec<u16> = h.take_sent().iter().map(|p| publish_of(p).pkid).collect();
    assert_eq!(sent, vec![1, 2], "two in flight, the rest queued");
    assert_eq!(h.session.store().in_flight_publishes(), 2);
    assert_eq!(h.session.store().queued_publishes(), 3);

    h.broker_sends(Packet::PubAck(v5::PubAck::new(1)));
    let sent: Vec<u16> = h.take_sent().iter().map(|p| publish_of(p).pkid).collect();
    assert_eq!(sent, vec![3]);
    // A refusal also frees the window.
    h.broker_sends(puback(2, PubAckReason::QuotaExceeded, None));
    let sent: Vec<u16> = h.take_sent().iter().map(|p| publish_of(p).pkid).collect();
    assert_eq!(sent, vec![4]);
    // So does a QoS 2 flow that ends at PUBREC with a failure.
    let q2 = h.publish(QoS::ExactlyOnce, "q2");
    assert!(h.take_sent().is_empty(), "window full: queued");
    h.broker_sends(Packet::PubAck(v5::PubAck::new(3)));
    h.broker_sends(Packet::PubAck(v5::PubAck::new(4)));
    let sent: Vec<u16> = h.take_sent().iter().map(|p| publish_of(p).pkid).collect();
    assert_eq!(sent, vec![5, q2]);
    h.broker_sends(pubrec(q2, PubRecReason::NotAuthorized, None));
    assert!(h.take_sent().is_empty(), "no PUBREL after a failed PUBREC");
    assert_eq!(h.session.store().in_flight_publishes(), 1);
    assert_eq!(h.session.store().queued_publishes(), 0);
}

#[test]
fn the_client_window_applies_when_it_is_smaller_than_the_receive_maximum() {
    let mut o = options("small-window");
    o.max_inflight = 1;
    let mut h = Harness::connected_with(
        o,
        v5::ConnAckProperties {
            receive_max: Some(10),
            ..v5::ConnAckProperties::new()
        },
    );
    h.publish(QoS::AtLeastOnce, "a");
    h.publish(QoS::AtLeastOnce, "b");
    assert_eq!(h.take_sent().len(), 1);
    assert_eq!(h.session.store().queued_publishes(), 1);
}

#[test]
fn qos0_messages_are_not_limited_by_the_receive_maximum() {
    let mut h = connected_with(v5::ConnAckProperties {
        receive_max: Some(1),
        ..v5::ConnAckProperties::new()
    });
    h.publish(QoS::AtLeastOnce, "in flight");
    for _ in 0..3 {
        publish_with(
            &mut h,
            QoS::AtMostOnce,
            false,
            b"q0",
            PublishProperties::default(),
        )
        .unwrap();
    }
    assert_eq!(h.take_sent().len(), 4);
}

#[test]
fn queued_messages_keep_their_properties_when_released() {
    let mut h = connected_with(v5::ConnAckProperties {
        receive_max: Some(1),
        ..v5::ConnAckProperties::new()
    });
    h.publish(QoS::AtLeastOnce, "first");
    let second = publish_with(&mut h, QoS::AtLeastOnce, false, b"second", every_property())
        .unwrap()
        .unwrap();
    h.take_sent();
    h.broker_sends(Packet::PubAck(v5::PubAck::new(1)));
    let sent = h.take_sent();
    let p = publish_of(&sent[0]);
    assert_eq!(p.pkid, second);
    assert_eq!(p.properties, Some(wire_every_property()));
}

// ----- reason codes of acknowledgements -----

#[test]
fn a_puback_refusal_is_an_outcome_and_not_a_delivery() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "denied");
    h.take_sent();
    h.broker_sends(puback(pkid, PubAckReason::NotAuthorized, Some("acl: t")));
    assert_eq!(
        h.take_events(),
        vec![Event::PublishOutcome(PublishOutcome {
            pkid,
            reason: ReasonCode::NOT_AUTHORIZED,
            reason_string: Some("acl: t".into()),
        })]
    );
    assert!(!h.session.store().is_in_use(pkid), "the message is done");
    assert_eq!(h.session.store().in_flight_publishes(), 0);
    assert!(h.take_sent().is_empty());
}

#[test]
fn every_puback_failure_code_ends_the_message_without_delivery() {
    for reason in [
        PubAckReason::UnspecifiedError,
        PubAckReason::ImplementationSpecificError,
        PubAckReason::NotAuthorized,
        PubAckReason::TopicNameInvalid,
        PubAckReason::PacketIdentifierInUse,
        PubAckReason::QuotaExceeded,
        PubAckReason::PayloadFormatInvalid,
    ] {
        let mut h = connected();
        let pkid = h.publish(QoS::AtLeastOnce, "x");
        h.broker_sends(puback(pkid, reason, None));
        assert_eq!(
            h.take_events(),
            vec![Event::PublishOutcome(PublishOutcome {
                pkid,
                reason: ReasonCode(reason as u8),
                reason_string: None,
            })],
            "{reason:?}"
        );
        assert_eq!(h.session.store().in_flight(), 0);
    }
}

#[test]
fn no_matching_subscribers_is_an_outcome_and_a_delivery() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "nobody listens");
    h.broker_sends(puback(pkid, PubAckReason::NoMatchingSubscribers, None));
    assert_eq!(
        h.take_events(),
        vec![
            Event::PublishOutcome(PublishOutcome {
                pkid,
                reason: ReasonCode::NO_MATCHING_SUBSCRIBERS,
                reason_string: None,
            }),
            Event::Delivered {
                pkid,
                qos: QoS::AtLeastOnce
            },
        ]
    );
}

#[test]
fn a_success_with_a_reason_string_is_reported_then_delivered() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    h.broker_sends(puback(pkid, PubAckReason::Success, Some("stored")));
    assert_eq!(
        h.take_events(),
        vec![
            Event::PublishOutcome(PublishOutcome {
                pkid,
                reason: ReasonCode::SUCCESS,
                reason_string: Some("stored".into()),
            }),
            Event::Delivered {
                pkid,
                qos: QoS::AtLeastOnce
            },
        ]
    );
}

#[test]
fn a_plain_puback_is_only_a_delivery() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    h.broker_sends(Packet::PubAck(v5::PubAck::new(pkid)));
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::AtLeastOnce
        }]
    );
}

#[test]
fn a_puback_with_only_user_properties_is_only_a_delivery() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    let mut ack = v5::PubAck::new(pkid);
    ack.properties = Some(v5::PubAckProperties {
        reason_string: None,
        user_properties: vec![("k".into(), "v".into())],
    });
    h.broker_sends(Packet::PubAck(ack));
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::AtLeastOnce
        }]
    );
}

#[test]
fn a_pubrec_failure_ends_the_qos2_flow_without_pubrel() {
    let mut h = connected();
    let pkid = h.publish(QoS::ExactlyOnce, "denied");
    h.take_sent();
    h.broker_sends(pubrec(pkid, PubRecReason::NotAuthorized, Some("no")));
    assert!(h.take_sent().is_empty(), "no PUBREL");
    assert_eq!(
        h.take_events(),
        vec![Event::PublishOutcome(PublishOutcome {
            pkid,
            reason: ReasonCode::NOT_AUTHORIZED,
            reason_string: Some("no".into()),
        })]
    );
    assert!(!h.session.store().is_in_use(pkid));
    // A PUBCOMP for it now is unexpected: warned about and ignored.
    h.broker_sends(Packet::PubComp(v5::PubComp::new(pkid)));
    assert_eq!(warnings(&h.take_events()).len(), 1);
}

#[test]
fn a_pubrec_with_a_success_remark_is_reported_then_the_flow_completes() {
    let mut h = connected();
    let pkid = h.publish(QoS::ExactlyOnce, "x");
    h.take_sent();
    h.broker_sends(pubrec(pkid, PubRecReason::NoMatchingSubscribers, None));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v5::PubRel::new(pkid))]);
    assert_eq!(
        h.take_events(),
        vec![Event::PublishOutcome(PublishOutcome {
            pkid,
            reason: ReasonCode::NO_MATCHING_SUBSCRIBERS,
            reason_string: None,
        })]
    );
    h.broker_sends(Packet::PubComp(v5::PubComp::new(pkid)));
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::ExactlyOnce
        }]
    );
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_pubcomp_packet_identifier_not_found_ends_the_message_without_delivery() {
    let mut h = connected();
    let pkid = h.publish(QoS::ExactlyOnce, "x");
    h.broker_sends(Packet::PubRec(v5::PubRec::new(pkid)));
    h.take_sent();
    let mut comp = v5::PubComp::new(pkid);
    comp.reason = v5::PubCompReason::PacketIdentifierNotFound;
    h.broker_sends(Packet::PubComp(comp));
    assert_eq!(
        h.take_events(),
        vec![Event::PublishOutcome(PublishOutcome {
            pkid,
            reason: ReasonCode(0x92),
            reason_string: None,
        })]
    );
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_resent_pubrec_is_answered_with_pubrel_again() {
    let mut h = connected();
    let pkid = h.publish(QoS::ExactlyOnce, "x");
    h.broker_sends(Packet::PubRec(v5::PubRec::new(pkid)));
    h.broker_sends(Packet::PubRec(v5::PubRec::new(pkid)));
    let sent = h.take_sent();
    assert_eq!(
        sent[1..],
        [
            Packet::PubRel(v5::PubRel::new(pkid)),
            Packet::PubRel(v5::PubRel::new(pkid)),
        ]
    );
}

#[test]
fn a_pubrel_for_an_unknown_id_gets_pubcomp_packet_identifier_not_found() {
    let mut h = connected();
    h.broker_sends(Packet::PubRel(v5::PubRel::new(77)));
    let raw = h.take_raw();
    assert_eq!(&raw[0][..], &[0x70, 0x03, 0x00, 77, 0x92]);
    let mut comp = v5::PubComp::new(77);
    comp.reason = v5::PubCompReason::PacketIdentifierNotFound;
    h.broker_sends(Packet::PubRel(v5::PubRel::new(77)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(comp)]);
    assert!(h.take_events().is_empty());
}

#[test]
fn an_inbound_qos2_message_is_delivered_once_and_completed_with_success() {
    let mut h = connected();
    h.broker_sends(Packet::Publish(inbound(QoS::ExactlyOnce, 12, "once")));
    let mut dup = inbound(QoS::ExactlyOnce, 12, "once");
    dup.dup = true;
    h.broker_sends(Packet::Publish(dup));
    assert_eq!(
        h.take_sent(),
        vec![
            Packet::PubRec(v5::PubRec::new(12)),
            Packet::PubRec(v5::PubRec::new(12)),
        ]
    );
    assert_eq!(h.take_events().len(), 1, "delivered once");
    h.broker_sends(Packet::PubRel(v5::PubRel::new(12)));
    assert_eq!(h.take_sent(), vec![Packet::PubComp(v5::PubComp::new(12))]);
    assert_eq!(h.session.store().awaiting_pubrel(), 0);
}

#[test]
fn a_puback_of_remaining_length_3_carries_its_reason_code() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    // pkid then reason, no property length [MQTT-3.4.2.1].
    h.broker_sends_bytes(&[0x40, 0x03, 0x00, pkid as u8, 0x10]);
    assert_eq!(
        h.take_events(),
        vec![
            Event::PublishOutcome(PublishOutcome {
                pkid,
                reason: ReasonCode::NO_MATCHING_SUBSCRIBERS,
                reason_string: None,
            }),
            Event::Delivered {
                pkid,
                qos: QoS::AtLeastOnce
            },
        ]
    );
}

#[test]
fn a_puback_with_an_empty_property_block_is_a_plain_success() {
    let mut h = connected();
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    h.broker_sends_bytes(&[0x40, 0x04, 0x00, pkid as u8, 0x00, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Delivered {
            pkid,
            qos: QoS::AtLeastOnce
        }]
    );
}

#[test]
fn an_inbound_message_cut_byte_by_byte_keeps_its_properties() {
    let mut h = connected();
    let mut p = inbound(QoS::AtMostOnce, 0, "payload");
    p.properties = Some(wire_every_property());
    let bytes = v5_common::encode(&Packet::Publish(p));
    for byte in bytes.iter() {
        assert!(h.take_events().is_empty());
        h.broker_sends_bytes(&[*byte]);
    }
    let events = h.take_events();
    assert_eq!(message_of(&events[0]).properties, every_property());
    assert_eq!(&message_of(&events[0]).payload[..], b"payload");
}

#[test]
fn a_subscription_identifier_of_four_bytes_is_read_from_raw_bytes() {
    let mut h = connected();
    // topic "s", QoS 0, properties: subscription identifier 268,435,455 (ff ff ff 7f).
    let mut body = mqtt_string("s");
    body.extend_from_slice(&[5, 0x0B, 0xFF, 0xFF, 0xFF, 0x7F]);
    body.extend_from_slice(b"p");
    h.broker_sends_bytes(&frame(0x30, &body));
    let events = h.take_events();
    assert_eq!(
        message_of(&events[0]).properties.subscription_identifiers,
        vec![268_435_455]
    );
}
