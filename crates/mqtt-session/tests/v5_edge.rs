//! MQTT 5 at the edges: the broker's DISCONNECT (short forms included) and AUTH, damaged
//! property blocks, the reconnect policy after a server DISCONNECT, and a session resumed
//! across connections and restarts with its message properties.
mod v5_common;

use bytes::Bytes;
use mqtt_session::{
    AbandonReason, CloseReason, ConnectRefusal, Direction, Event, Instant, Output, PacketKind,
    Phase, ProtocolError, PublishProperties, QoS, ReasonCode, Reconnect, ReconnectPolicy,
    ReconnectState, Session, Stop, StoreSnapshot, SNAPSHOT_VERSION,
};
use mqttbytes::v5::{self, ConnectReturnCode, Packet};
use v5_common::{
    abandoned, closed, connack, disconnect_reason, frame, mqtt_string, no_publish_properties,
    options, persistent_options, publish_of, Harness,
};

fn connected() -> Harness {
    Harness::connected(options("edge"))
}

fn server_disconnect(reason: u8) -> CloseReason {
    CloseReason::ServerDisconnect {
        reason: ReasonCode(reason),
        reason_string: None,
        server_reference: None,
    }
}

fn assert_malformed(h: &mut Harness, detail: &str) {
    let events = h.take_events();
    assert_eq!(
        events,
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::Malformed(detail.into())
        ))]
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        disconnect_reason(&sent[0]),
        0x81,
        "DISCONNECT malformed packet"
    );
}

// ----- the broker's DISCONNECT -----

#[test]
fn the_two_byte_disconnect_closes_at_once() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x00))]
    );
    assert_eq!(h.session.phase(), Phase::Disconnected);
    assert!(
        h.take_sent().is_empty(),
        "no DISCONNECT back to a DISCONNECT"
    );
    assert_eq!(h.session.buffered_inbound(), 0);
}

#[test]
fn the_three_byte_session_taken_over_closes_at_once() {
    // mosquitto's `e0 01 8e`: mqttbytes alone would take it for an incomplete packet and
    // wait for bytes that never come.
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x01, 0x8E]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x8E))]
    );
    assert_eq!(h.session.phase(), Phase::Disconnected);
    assert!(h.take_sent().is_empty());
}

#[test]
fn a_disconnect_reports_its_reason_string_and_server_reference() {
    let mut h = connected();
    h.broker_sends(Packet::Disconnect(v5::Disconnect {
        reason_code: v5::DisconnectReasonCode::ServerMoved,
        properties: Some(v5::DisconnectProperties {
            session_expiry_interval: None,
            reason_string: Some("we moved".into()),
            user_properties: vec![("k".into(), "v".into())],
            server_reference: Some("mqtt.example.org".into()),
        }),
    }));
    let reason = CloseReason::ServerDisconnect {
        reason: ReasonCode::SERVER_MOVED,
        reason_string: Some("we moved".into()),
        server_reference: Some("mqtt.example.org".into()),
    };
    assert_eq!(h.take_events(), vec![Event::Closed(reason.clone())]);
    assert_eq!(
        reason.to_string(),
        "the broker disconnected this client: 0x9d server moved: the broker points to \
         another server (\"we moved\"); it points to mqtt.example.org"
    );
}

#[test]
fn every_disconnect_reason_code_is_reported_as_received() {
    for code in [
        0x04, 0x80, 0x81, 0x82, 0x87, 0x89, 0x8B, 0x8D, 0x93, 0x98, 0x9F, 0xA0, 0x42,
    ] {
        let mut h = connected();
        h.broker_sends_bytes(&[0xE0, 0x01, code]);
        assert_eq!(
            h.take_events(),
            vec![Event::Closed(server_disconnect(code))]
        );
    }
}

#[test]
fn a_disconnect_with_an_empty_property_block_and_session_expiry_is_read() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x02, 0x8B, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x8B))]
    );
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x07, 0x98, 0x05, 0x11, 0, 0, 0, 0]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x98))]
    );
}

#[test]
fn a_disconnect_while_waiting_for_connack_is_reported_as_such() {
    let mut h = Harness::new(options("early"));
    h.open();
    h.broker_sends_bytes(&[0xE0, 0x01, 0x9F]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x9F))]
    );
    assert!(h.take_sent().is_empty());
}

#[test]
fn bytes_after_a_disconnect_are_ignored() {
    let mut h = connected();
    let mut bytes = vec![0xE0, 0x00];
    bytes.extend_from_slice(&v5_common::encode(&Packet::Publish(v5_common::inbound(
        QoS::AtMostOnce,
        0,
        "late",
    ))));
    h.broker_sends_bytes(&bytes);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(server_disconnect(0x00))]
    );
}

#[test]
fn a_disconnect_is_traced_as_a_control_packet() {
    let mut h = connected();
    h.session.set_trace_control_packets(true);
    h.broker_sends_bytes(&[0xE0, 0x01, 0x8E]);
    assert_eq!(
        h.take_events(),
        vec![
            Event::Control {
                direction: Direction::Received,
                packet: PacketKind::Disconnect
            },
            Event::Closed(server_disconnect(0x8E)),
        ]
    );
}

#[test]
fn a_disconnect_with_bytes_after_its_properties_is_malformed() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x03, 0x80, 0x00, 0xAA]);
    assert_malformed(&mut h, "DISCONNECT has bytes after its properties");
}

#[test]
fn a_disconnect_with_a_property_it_may_not_carry_is_malformed() {
    let mut h = connected();
    // Payload format indicator (0x01) belongs to PUBLISH.
    h.broker_sends_bytes(&[0xE0, 0x04, 0x80, 0x02, 0x01, 0x01]);
    assert_malformed(&mut h, "property 0x01 is not allowed in DISCONNECT");
}

#[test]
fn a_disconnect_with_reserved_flags_is_refused() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xE1, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::ReservedFlags {
                packet: "DISCONNECT",
                flags: 1,
                expected: 0
            }
        ))]
    );
}

#[test]
fn the_client_disconnect_is_the_two_byte_normal_form() {
    let mut h = connected();
    h.session.disconnect(h.now);
    h.drain();
    let raw = h.take_raw();
    assert_eq!(&raw[0][..], &[0xE0, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::ClientDisconnect)]
    );
}

// ----- reconnect policy after a server DISCONNECT -----

fn policy_after(reason: &CloseReason) -> ReconnectState {
    let now = Instant::from_millis(0);
    let mut reconnect = Reconnect::new(ReconnectPolicy::default(), 3);
    reconnect.start(now);
    reconnect.poll_output();
    reconnect.handle_connected(now);
    reconnect.handle_closed(now, reason);
    reconnect.state().clone()
}

#[test]
fn a_session_taken_over_stops_reconnecting() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xE0, 0x01, 0x8E]);
    let events = h.take_events();
    let reason = closed(&events).expect("closed");
    assert_eq!(
        policy_after(reason),
        ReconnectState::Stopped(Stop::Disconnected(ReasonCode(0x8E)))
    );
    assert_eq!(
        Stop::Disconnected(ReasonCode(0x8E)).to_string(),
        "not retrying: the broker disconnected this client: 0x8e session taken over: \
         another client connected with the same client id"
    );
}

#[test]
fn server_disconnects_that_retrying_would_repeat_stop_and_the_others_retry() {
    for (code, stops) in [
        (0x8A, true),
        (0x8E, true),
        (0x9C, true),
        (0x9D, true),
        (0x00, false),
        (0x80, false),
        (0x89, false),
        (0x8B, false),
        (0x8D, false),
        (0x98, false),
        (0xA0, false),
    ] {
        let state = policy_after(&server_disconnect(code));
        match (stops, &state) {
            (true, ReconnectState::Stopped(Stop::Disconnected(r))) if r.0 == code => {}
            (false, ReconnectState::Waiting { .. }) => {}
            _ => panic!("{code:#04x}: {state:?}"),
        }
    }
}

// ----- AUTH -----

#[test]
fn auth_from_the_broker_closes_with_disconnect_0x82() {
    let mut h = connected();
    // AUTH, continue authentication (0x18), empty property block.
    h.broker_sends_bytes(&[0xF0, 0x02, 0x18, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::UnexpectedAuth(ReasonCode(0x18))
        ))]
    );
    let raw = h.take_raw();
    assert_eq!(&raw[0][..], &[0xE0, 0x01, 0x82]);
}

#[test]
fn the_two_byte_auth_means_success() {
    let mut h = connected();
    h.broker_sends_bytes(&[0xF0, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::UnexpectedAuth(ReasonCode::SUCCESS)
        ))]
    );
}

#[test]
fn auth_instead_of_connack_closes_without_disconnect() {
    let mut h = Harness::new(options("auth"));
    h.open();
    h.broker_sends_bytes(&[0xF0, 0x01, 0x19]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::UnexpectedAuth(ReasonCode(0x19))
        ))]
    );
    assert!(h.take_sent().is_empty());
}

// ----- damaged property blocks -----

#[test]
fn a_property_running_past_its_block_is_malformed_instead_of_reading_the_payload() {
    // Property length 3 holds a content type that claims 5 bytes: mqttbytes alone would
    // read "abcde" out of the payload as the content type and deliver an empty message.
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0x03, 0x03, 0x00, 0x05]);
    body.extend_from_slice(b"abcde");
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(&mut h, "a string property runs past its property block");
}

#[test]
fn a_user_property_running_past_its_block_is_malformed() {
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0, 9]); // packet id 9 (QoS 1)
                                     // Length 5: user property "k" then a value length of 4 that leaves the block.
    body.extend_from_slice(&[0x05, 0x26, 0x00, 0x01, b'k', 0x00, 0x04]);
    body.extend_from_slice(b"abcd");
    h.broker_sends_bytes(&frame(0x32, &body));
    assert_malformed(&mut h, "a string property runs past its property block");
}

#[test]
fn a_fixed_size_property_cut_by_its_block_is_malformed() {
    let mut h = connected();
    let mut body = mqtt_string("t");
    // Message expiry (4 bytes) in a block of 3.
    body.extend_from_slice(&[0x03, 0x02, 0x00, 0x00]);
    body.extend_from_slice(b"payload");
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(
        &mut h,
        "property 0x02 runs past the end of its property block",
    );
}

#[test]
fn a_property_block_longer_than_the_packet_is_malformed() {
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0x20, 0x01, 0x01]);
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(&mut h, "its properties run past the end of the packet");
}

#[test]
fn an_unknown_property_identifier_is_malformed() {
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0x02, 0x07, 0x01]);
    body.extend_from_slice(b"x");
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(&mut h, "unknown property identifier 0x07");
}

#[test]
fn a_known_property_in_the_wrong_packet_is_malformed() {
    // Reason string (0x1F) is not a PUBLISH property.
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0x04, 0x1F, 0x00, 0x01, b'r']);
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(&mut h, "property 0x1f is not allowed here");
}

#[test]
fn a_string_property_that_is_not_utf8_is_malformed() {
    let mut h = connected();
    let mut body = mqtt_string("t");
    body.extend_from_slice(&[0x05, 0x03, 0x00, 0x02, 0xC3, 0x28]);
    h.broker_sends_bytes(&frame(0x30, &body));
    assert_malformed(&mut h, "a string property is not valid UTF-8");
}

#[test]
fn a_damaged_puback_property_block_is_malformed() {
    let mut h = Harness::connected(persistent_options("edge"));
    let pkid = h.publish(QoS::AtLeastOnce, "x");
    h.take_sent();
    // Reason 0x87, property length 4 holding a reason string that claims 10 bytes.
    h.broker_sends_bytes(&[
        0x40, 0x08, 0x00, pkid as u8, 0x87, 0x04, 0x1F, 0x00, 0x0A, b'r',
    ]);
    assert_malformed(&mut h, "a string property runs past its property block");
    assert!(
        h.session.store().is_in_use(pkid),
        "a damaged PUBACK acknowledges nothing"
    );
}

#[test]
fn a_damaged_suback_property_block_is_malformed() {
    let mut h = connected();
    let pkid = h
        .session
        .subscribe(h.now, vec![("a".into(), QoS::AtMostOnce)])
        .unwrap();
    h.drain();
    h.take_sent();
    // Property length 3 holding a reason string claiming 2 bytes, then one reason code:
    // mqttbytes alone would read the reason code into the string and find no code.
    h.broker_sends_bytes(&[0x90, 0x07, 0x00, pkid as u8, 0x03, 0x1F, 0x00, 0x02, 0x00]);
    assert_malformed(&mut h, "a string property runs past its property block");
}

#[test]
fn a_damaged_connack_property_block_closes_before_connecting() {
    let mut h = Harness::new(options("bad-connack"));
    h.open();
    // Server keep alive (2 bytes) in a block of 2.
    h.broker_sends_bytes(&[0x20, 0x05, 0x00, 0x00, 0x02, 0x13, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::Malformed(
                "property 0x13 runs past the end of its property block".into()
            )
        ))]
    );
    assert!(h.take_sent().is_empty(), "not connected: no DISCONNECT");
}

#[test]
fn an_unknown_property_in_connack_closes_before_connecting() {
    let mut h = Harness::new(options("bad-connack"));
    h.open();
    h.broker_sends_bytes(&[0x20, 0x05, 0x00, 0x00, 0x02, 0x50, 0x00]);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::Malformed("unknown property identifier 0x50".into())
        ))]
    );
}

#[test]
fn an_inbound_packet_above_the_client_limit_closes_with_disconnect_0x95() {
    let mut o = options("limited");
    o.max_inbound_packet = 64;
    let mut h = Harness::connected(o);
    let p = v5::Publish::new("t", mqttbytes::QoS::AtMostOnce, vec![0u8; 100]);
    h.broker_sends(Packet::Publish(p));
    let events = h.take_events();
    assert!(
        matches!(
            closed(&events),
            Some(CloseReason::Protocol(ProtocolError::PacketTooLarge {
                max: 64,
                ..
            }))
        ),
        "{events:?}"
    );
    assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x95);
}

#[test]
fn an_unexpected_packet_closes_with_disconnect_0x82() {
    let mut h = connected();
    h.broker_sends(connack(
        ConnectReturnCode::Success,
        false,
        v5::ConnAckProperties::new(),
    ));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::Unexpected {
                packet: "CONNACK",
                expected: "connected"
            }
        ))]
    );
    assert_eq!(disconnect_reason(&h.take_sent()[0]), 0x82);
}

// ----- resume across connections -----

fn with_properties(tag: &str) -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(600),
        content_type: Some("text/plain".into()),
        response_topic: Some(format!("replies/{tag}")),
        correlation_data: Some(Bytes::copy_from_slice(tag.as_bytes())),
        user_properties: vec![("tag".into(), tag.into())],
        ..Default::default()
    }
}

fn wire(tag: &str) -> v5::PublishProperties {
    v5::PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(600),
        content_type: Some("text/plain".into()),
        response_topic: Some(format!("replies/{tag}")),
        correlation_data: Some(Bytes::copy_from_slice(tag.as_bytes())),
        user_properties: vec![("tag".into(), tag.into())],
        ..no_publish_properties()
    }
}

fn publish_tagged(h: &mut Harness, qos: QoS, tag: &'static str) -> u16 {
    let pkid = h
        .session
        .publish_with(
            h.now,
            "t",
            Bytes::from_static(tag.as_bytes()),
            qos,
            false,
            with_properties(tag),
        )
        .unwrap()
        .unwrap();
    h.drain();
    pkid
}

#[test]
fn a_resumed_session_resends_with_dup_and_the_message_properties() {
    let mut h = Harness::connected(persistent_options("resume"));
    let one = publish_tagged(&mut h, QoS::AtLeastOnce, "one");
    let two = publish_tagged(&mut h, QoS::ExactlyOnce, "two");
    let three = publish_tagged(&mut h, QoS::ExactlyOnce, "three");
    h.broker_sends(Packet::PubRec(v5::PubRec::new(three)));
    h.cut();
    assert!(abandoned(&h.take_events()).is_empty());
    let connect = h.reconnect(true);
    assert!(!connect.clean_session);
    assert_eq!(
        connect.properties.and_then(|p| p.session_expiry_interval),
        Some(u32::MAX)
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    for (packet, (pkid, tag)) in sent.iter().zip([(one, "one"), (two, "two")]) {
        let p = publish_of(packet);
        assert_eq!((p.pkid, p.dup), (pkid, true));
        assert_eq!(&p.payload[..], tag.as_bytes());
        assert_eq!(p.properties, Some(wire(tag)), "{tag}");
    }
    assert_eq!(sent[2], Packet::PubRel(v5::PubRel::new(three)));
    // The resent messages complete as usual.
    h.broker_sends(Packet::PubAck(v5::PubAck::new(one)));
    h.broker_sends(Packet::PubRec(v5::PubRec::new(two)));
    h.broker_sends(Packet::PubComp(v5::PubComp::new(two)));
    h.broker_sends(Packet::PubComp(v5::PubComp::new(three)));
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_session_expiry_of_zero_abandons_messages_with_their_properties_at_close() {
    let mut h = connected();
    let pkid = publish_tagged(&mut h, QoS::AtLeastOnce, "gone");
    h.cut();
    let events = h.take_events();
    assert_eq!(abandoned(&events), vec![pkid]);
    match &events[0] {
        Event::Abandoned(a) => {
            assert_eq!(a.reason, AbandonReason::CleanSessionEnded);
            assert_eq!(a.properties, with_properties("gone"));
            assert_eq!(&a.payload[..], b"gone");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(events.last(), Some(Event::Closed(_))));
}

#[test]
fn a_broker_that_lost_the_session_gets_the_messages_handed_back_with_their_properties() {
    let mut h = Harness::connected(persistent_options("lost"));
    let pkid = publish_tagged(&mut h, QoS::ExactlyOnce, "lost");
    h.cut();
    h.take_events();
    h.reconnect(false);
    let events = h.take_events();
    assert_eq!(abandoned(&events), vec![pkid]);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Abandoned(a) if a.reason == AbandonReason::BrokerLostSession
            && a.properties == with_properties("lost")
    )));
    assert!(h.take_sent().is_empty(), "nothing resent");
}

#[test]
fn queued_messages_go_out_after_the_resends_within_the_new_receive_maximum() {
    let mut h = Harness::connected_with(
        persistent_options("queue"),
        v5::ConnAckProperties {
            receive_max: Some(1),
            ..v5::ConnAckProperties::new()
        },
    );
    let first = publish_tagged(&mut h, QoS::AtLeastOnce, "first");
    let second = publish_tagged(&mut h, QoS::AtLeastOnce, "second");
    let third = publish_tagged(&mut h, QoS::AtLeastOnce, "third");
    assert_eq!(h.session.store().queued_publishes(), 2);
    h.cut();
    h.reconnect_with(
        true,
        v5::ConnAckProperties {
            receive_max: Some(2),
            ..v5::ConnAckProperties::new()
        },
    );
    let sent: Vec<(u16, bool)> = h
        .take_sent()
        .iter()
        .map(|p| (publish_of(p).pkid, publish_of(p).dup))
        .collect();
    assert_eq!(sent, vec![(first, true), (second, false)]);
    h.broker_sends(Packet::PubAck(v5::PubAck::new(first)));
    let sent = h.take_sent();
    assert_eq!(publish_of(&sent[0]).pkid, third);
    assert_eq!(publish_of(&sent[0]).properties, Some(wire("third")));
}

#[test]
fn resends_stay_within_a_lower_receive_maximum() {
    let mut h = Harness::connected(persistent_options("shrink"));
    let mut ids = Vec::new();
    for tag in ["a", "b", "c"] {
        ids.push(publish_tagged(&mut h, QoS::AtLeastOnce, tag));
    }
    h.cut();
    h.reconnect_with(
        true,
        v5::ConnAckProperties {
            receive_max: Some(1),
            ..v5::ConnAckProperties::new()
        },
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1, "at most one QoS 1/2 PUBLISH in flight");
    assert_eq!(
        (publish_of(&sent[0]).pkid, publish_of(&sent[0]).dup),
        (ids[0], true)
    );
    // Each ack lets the next one go, in first-sent order, still marked as a resend.
    for next in [ids[1], ids[2]] {
        h.broker_sends(Packet::PubAck(v5::PubAck::new(previous(&ids, next))));
        let sent = h.take_sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(
            (publish_of(&sent[0]).pkid, publish_of(&sent[0]).dup),
            (next, true)
        );
    }
}

fn previous(ids: &[u16], id: u16) -> u16 {
    let i = ids.iter().position(|x| *x == id).expect("known id");
    ids[i - 1]
}

// ----- snapshot -----

#[test]
fn a_snapshot_keeps_message_properties_across_a_restart() {
    let mut h = Harness::connected_with(
        persistent_options("reload"),
        v5::ConnAckProperties {
            receive_max: Some(2),
            ..v5::ConnAckProperties::new()
        },
    );
    let one = publish_tagged(&mut h, QoS::AtLeastOnce, "one");
    let two = publish_tagged(&mut h, QoS::ExactlyOnce, "two");
    let queued = publish_tagged(&mut h, QoS::AtLeastOnce, "queued");
    let plain = h.publish(QoS::AtLeastOnce, "plain");
    assert_eq!(h.session.store().queued_publishes(), 2);

    let bytes = h.session.snapshot().encode();
    assert_eq!(bytes[0], SNAPSHOT_VERSION);
    let snapshot = StoreSnapshot::decode(&bytes).expect("reads back");
    assert_eq!(snapshot, h.session.snapshot());
    assert_eq!(snapshot.outgoing(), 4);

    let session =
        Session::with_snapshot(persistent_options("reload"), snapshot).expect("valid options");
    let mut after = Harness::from_session(session);
    after.reconnect(true);
    let sent = after.take_sent();
    let summary: Vec<(u16, bool, Option<v5::PublishProperties>)> = sent
        .iter()
        .map(|p| {
            let p = publish_of(p);
            (p.pkid, p.dup, p.properties.clone())
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (one, true, Some(wire("one"))),
            (two, true, Some(wire("two"))),
            (queued, false, Some(wire("queued"))),
            (plain, false, None),
        ]
    );
}

#[test]
fn a_snapshot_of_a_message_with_65536_user_properties_reads_back() {
    let mut h = Harness::connected(persistent_options("many"));
    let properties = PublishProperties {
        user_properties: vec![(String::new(), String::new()); 65_536],
        ..Default::default()
    };
    let published = h.session.publish_with(
        h.now,
        "t",
        Bytes::new(),
        QoS::AtLeastOnce,
        false,
        properties,
    );
    h.drain();
    if published.is_err() {
        return; // Refusing such a message at publish is a fix too.
    }
    let bytes = h.session.snapshot().encode();
    assert_eq!(StoreSnapshot::decode(&bytes), Ok(h.session.snapshot()));
}

#[test]
fn a_snapshot_of_a_clean_session_hands_back_the_messages_with_their_properties() {
    let mut h = Harness::connected(persistent_options("reload"));
    let pkid = publish_tagged(&mut h, QoS::AtLeastOnce, "saved");
    let snapshot = StoreSnapshot::decode(&h.session.snapshot().encode()).unwrap();
    let session = Session::with_snapshot(options("reload"), snapshot).unwrap();
    let mut after = Harness::from_session(session);
    after.reconnect(false);
    let events = after.take_events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Abandoned(a) if a.pkid == pkid && a.properties == with_properties("saved")
    )));
}

#[test]
fn a_snapshot_with_damaged_property_flags_is_refused() {
    let mut h = Harness::connected(persistent_options("reload"));
    h.publish(QoS::AtLeastOnce, "plain");
    let mut bytes = h.session.snapshot().encode();
    // The presence byte of the only message comes right before the PUBREL count (2 bytes).
    let at = bytes.len() - 3;
    assert_eq!(bytes[at], 0);
    bytes[at] = 0x40;
    assert_eq!(
        StoreSnapshot::decode(&bytes),
        Err(mqtt_session::SnapshotError::Invalid(
            "unknown message properties"
        ))
    );
}

#[test]
fn a_format_1_snapshot_still_reads_with_empty_properties() {
    // Format 1: one QoS 1 message awaiting PUBACK, no properties block.
    let mut bytes = vec![1, 0, 1];
    bytes.extend_from_slice(&1u64.to_be_bytes()); // next_seq
    bytes.extend_from_slice(&1u16.to_be_bytes()); // one message
    bytes.extend_from_slice(&1u16.to_be_bytes()); // pkid
    bytes.extend_from_slice(&1u64.to_be_bytes()); // sent
    bytes.extend_from_slice(&0u64.to_be_bytes()); // released
    bytes.extend_from_slice(&[1, 1, 0]); // stage, qos, retain
    bytes.extend_from_slice(&mqtt_string("t"));
    bytes.extend_from_slice(&1u32.to_be_bytes());
    bytes.push(b'x');
    bytes.extend_from_slice(&0u16.to_be_bytes()); // no PUBREL awaited
    let snapshot = StoreSnapshot::decode(&bytes).expect("format 1 reads");
    let session = Session::with_snapshot(persistent_options("old"), snapshot).unwrap();
    let mut after = Harness::from_session(session);
    after.reconnect(true);
    let sent = after.take_sent();
    let p = publish_of(&sent[0]);
    assert_eq!((p.pkid, p.dup, &p.payload[..]), (1, true, &b"x"[..]));
    assert_eq!(p.properties, None);
}

/// aedes, amqtt and other 3.1.1-only brokers answer a level-5 CONNECT with a 3.1.1 CONNACK
/// (return code 1): that is a refusal to act on, not a malformed packet.
#[test]
fn a_3_1_1_connack_refusing_mqtt5_is_read_as_unsupported_protocol_version() {
    for (code, refusal) in [
        (0x01, ConnectRefusal::UnacceptableProtocolVersion),
        (0x05, ConnectRefusal::NotAuthorized),
        (0x84, ConnectRefusal::UnacceptableProtocolVersion),
    ] {
        let mut session = Session::new(options("old-broker")).expect("valid");
        let now = Instant::from_millis(0);
        session.handle_transport_open(now);
        while !matches!(session.poll_output(), Output::Timeout(_) | Output::Idle) {}
        session.handle_bytes(now, &[0x20, 0x02, 0x00, code]);
        let mut closed = None;
        loop {
            match session.poll_output() {
                Output::Event(Event::Closed(reason)) => closed = Some(reason),
                Output::Timeout(_) | Output::Idle => break,
                _ => {}
            }
        }
        assert_eq!(
            closed,
            Some(CloseReason::Refused(refusal)),
            "code {code:#04x}"
        );
    }
}
