//! MQTT 5 CONNECT and CONNACK: what the session announces, what it takes from the broker's
//! answer (limits, assigned client id, server keep alive, session expiry), and refusals.
mod v5_common;

use bytes::Bytes;
use mqtt_session::{
    AbandonReason, CloseReason, ConnAckProperties, ConnectOptions, ConnectRefusal, ConnectionInfo,
    Credentials, Event, LastWill, OptionsError, Phase, ProtocolVersion, QoS, ReasonCode, Reconnect,
    ReconnectPolicy, ReconnectState, Session, Stop, WillProperties, DEFAULT_MAX_INBOUND_PACKET,
};
use mqttbytes::v5::{self, ConnectReturnCode, Packet};
use v5_common::{abandoned, closed, connack, options, persistent_options, secs, warnings, Harness};

fn connect_of(options: ConnectOptions) -> v5::Connect {
    Harness::new(options).open()
}

/// The CONNECT's properties (mqttbytes reads an empty property block as `None`).
fn properties_of(connect: &v5::Connect) -> v5::ConnectProperties {
    connect.properties.clone().unwrap_or(v5::ConnectProperties {
        session_expiry_interval: None,
        receive_maximum: None,
        max_packet_size: None,
        topic_alias_max: None,
        request_response_info: None,
        request_problem_info: None,
        user_properties: vec![],
        authentication_method: None,
        authentication_data: None,
    })
}

// ----- CONNECT -----

#[test]
fn connect_announces_protocol_level_5_and_no_session_expiry_with_a_clean_session() {
    let mut h = Harness::new(options("v5-client"));
    h.session.handle_transport_open(h.now);
    h.drain();
    let raw = h.raw[0].clone();
    let connect = match h.take_sent().as_slice() {
        [Packet::Connect(c)] => c.clone(),
        other => panic!("{other:?}"),
    };
    // Byte 8 after the 2-byte fixed header and "MQTT" is the protocol level.
    assert_eq!(&raw[2..9], &[0, 4, b'M', b'Q', b'T', b'T', 5]);
    assert_eq!(connect.protocol, mqttbytes::Protocol::V5);
    assert_eq!(connect.client_id, "v5-client");
    assert!(connect.clean_session);
    assert_eq!(connect.keep_alive, 60);
    assert_eq!(connect.login, None);
    assert_eq!(connect.last_will, None);
    let p = properties_of(&connect);
    // An absent session expiry means 0: the session ends with the connection.
    assert_eq!(p.session_expiry_interval, None);
    assert_eq!(p.receive_maximum, None);
    assert_eq!(p.topic_alias_max, None);
    assert_eq!(p.request_problem_info, None);
    assert_eq!(p.request_response_info, None);
    assert!(p.user_properties.is_empty());
    assert_eq!(p.authentication_method, None);
    assert_eq!(
        p.max_packet_size,
        Some(DEFAULT_MAX_INBOUND_PACKET as u32),
        "the session announces its inbound limit as maximum packet size"
    );
    assert_eq!(h.session.protocol(), ProtocolVersion::V5);
}

#[test]
fn a_persistent_session_without_an_expiry_asks_the_broker_to_keep_it_forever() {
    let connect = connect_of(persistent_options("keeper"));
    assert!(!connect.clean_session);
    assert_eq!(
        properties_of(&connect).session_expiry_interval,
        Some(u32::MAX),
        "MQTT 3.1.1's persistent session never expires"
    );
    assert_eq!(persistent_options("keeper").session_expiry(), u32::MAX);
}

#[test]
fn a_session_expiry_that_is_set_is_sent_as_given() {
    for clean in [true, false] {
        let mut o = options("expiring");
        o.clean_session = clean;
        o.properties.session_expiry_interval = Some(300);
        let connect = connect_of(o);
        assert_eq!(connect.clean_session, clean);
        assert_eq!(properties_of(&connect).session_expiry_interval, Some(300));
    }
    // An explicit 0 is the default of the property: nothing to send.
    let mut o = persistent_options("zero");
    o.properties.session_expiry_interval = Some(0);
    assert_eq!(o.session_expiry(), 0);
    assert_eq!(properties_of(&connect_of(o)).session_expiry_interval, None);
}

#[test]
fn receive_maximum_topic_alias_maximum_problem_information_and_user_properties_are_sent() {
    let mut o = options("props");
    o.properties.receive_maximum = Some(7);
    o.properties.topic_alias_maximum = Some(12);
    o.properties.request_problem_information = Some(false);
    o.properties.user_properties = vec![
        ("app".into(), "playground".into()),
        ("region".into(), "eu".into()),
        ("app".into(), "again".into()),
    ];
    let p = properties_of(&connect_of(o));
    assert_eq!(p.receive_maximum, Some(7));
    assert_eq!(p.topic_alias_max, Some(12));
    assert_eq!(p.request_problem_info, Some(0));
    assert_eq!(
        p.user_properties,
        vec![
            ("app".to_string(), "playground".to_string()),
            ("region".to_string(), "eu".to_string()),
            ("app".to_string(), "again".to_string()),
        ],
        "user properties keep their order, and a name may repeat"
    );

    let mut o = options("problems");
    o.properties.request_problem_information = Some(true);
    assert_eq!(properties_of(&connect_of(o)).request_problem_info, Some(1));
}

#[test]
fn the_maximum_packet_size_is_the_inbound_limit_and_absent_when_there_is_none() {
    let mut o = options("small");
    o.max_inbound_packet = 4_096;
    assert_eq!(properties_of(&connect_of(o)).max_packet_size, Some(4_096));

    let mut o = options("unlimited");
    o.max_inbound_packet = usize::MAX;
    assert_eq!(
        properties_of(&connect_of(o)).max_packet_size,
        None,
        "no limit below MQTT's own: the property is left out"
    );
}

#[test]
fn the_will_carries_every_will_property() {
    let mut o = options("mortal");
    o.last_will = Some(LastWill {
        topic: "clients/mortal/status".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: WillProperties {
            delay_interval: Some(30),
            message: mqtt_session::PublishProperties {
                payload_format_indicator: Some(1),
                message_expiry_interval: Some(3_600),
                content_type: Some("text/plain".into()),
                response_topic: Some("clients/mortal/ack".into()),
                correlation_data: Some(Bytes::from_static(&[0, 1, 0xFF])),
                user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
                ..Default::default()
            },
        },
    });
    let will = connect_of(o).last_will.expect("a will");
    assert_eq!(will.topic, "clients/mortal/status");
    assert_eq!(&will.message[..], b"offline");
    assert_eq!(will.qos, mqttbytes::QoS::AtLeastOnce);
    assert!(will.retain);
    assert_eq!(
        will.properties,
        Some(v5::WillProperties {
            delay_interval: Some(30),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(3_600),
            content_type: Some("text/plain".into()),
            response_topic: Some("clients/mortal/ack".into()),
            correlation_data: Some(Bytes::from_static(&[0, 1, 0xFF])),
            user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
        })
    );
}

#[test]
fn a_will_without_properties_has_an_empty_property_block() {
    let mut o = options("plain-will");
    o.last_will = Some(LastWill {
        topic: "w".into(),
        payload: Bytes::from_static(b"bye"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: WillProperties::default(),
    });
    let will = connect_of(o).last_will.expect("a will");
    assert_eq!(will.properties, None);
    assert_eq!(&will.message[..], b"bye");
}

#[test]
fn mqtt5_allows_a_password_without_a_user_name() {
    let mut o = options("token");
    o.credentials = Some(Credentials {
        username: String::new(),
        password: Some("s3cret".into()),
    });
    let mut h = Harness::new(o);
    h.session.handle_transport_open(h.now);
    h.drain();
    let raw = h.raw[0].clone();
    let connect = match h.take_sent().as_slice() {
        [Packet::Connect(c)] => c.clone(),
        other => panic!("{other:?}"),
    };
    // Connect flags follow the protocol level: password flag (0x40) set, user name
    // flag (0x80) clear, clean start (0x02).
    assert_eq!(raw[9], 0x40 | 0x02);
    let login = connect.login.expect("a password");
    assert_eq!(login.username, "");
    assert_eq!(login.password, "s3cret");
}

#[test]
fn a_user_name_and_password_are_both_sent() {
    let mut o = options("user");
    o.credentials = Some(Credentials {
        username: "alice".into(),
        password: Some("pw".into()),
    });
    let mut h = Harness::new(o);
    let connect = h.open();
    assert_eq!(connect.login, Some(v5::Login::new("alice", "pw")));
}

#[test]
fn credentials_with_neither_user_name_nor_password_are_refused() {
    let mut o = options("nobody");
    o.credentials = Some(Credentials {
        username: String::new(),
        password: None,
    });
    assert_eq!(Session::new(o).err(), Some(OptionsError::EmptyUsername));
}

#[test]
fn mqtt311_still_refuses_a_password_without_a_user_name() {
    let mut o = ConnectOptions::new("old");
    o.credentials = Some(Credentials {
        username: String::new(),
        password: Some("s3cret".into()),
    });
    assert_eq!(Session::new(o).err(), Some(OptionsError::EmptyUsername));
}

#[test]
fn mqtt311_options_with_mqtt5_properties_are_refused() {
    let mut with_connect_properties = ConnectOptions::new("old");
    with_connect_properties.properties.receive_maximum = Some(10);
    let mut with_user_properties = ConnectOptions::new("old");
    with_user_properties.properties.user_properties = vec![("a".into(), "b".into())];
    let mut with_session_expiry = ConnectOptions::new("old");
    with_session_expiry.properties.session_expiry_interval = Some(60);
    let mut with_will_properties = ConnectOptions::new("old");
    with_will_properties.last_will = Some(LastWill {
        topic: "w".into(),
        payload: Bytes::new(),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: WillProperties {
            delay_interval: Some(5),
            ..Default::default()
        },
    });
    for o in [
        with_connect_properties,
        with_user_properties,
        with_session_expiry,
        with_will_properties,
    ] {
        assert!(
            matches!(
                Session::new(o.clone()).err(),
                Some(OptionsError::NeedsMqtt5(_))
            ),
            "{o:?}"
        );
        let mut v5 = o;
        v5.protocol = ProtocolVersion::V5;
        assert!(Session::new(v5).is_ok());
    }
}

#[test]
fn a_receive_maximum_of_zero_and_over_long_user_properties_are_refused() {
    let mut o = options("zero");
    o.properties.receive_maximum = Some(0);
    assert_eq!(
        Session::new(o).err(),
        Some(OptionsError::ReceiveMaximumZero)
    );

    let mut o = options("long");
    o.properties.user_properties = vec![("k".into(), "v".repeat(65_536))];
    assert_eq!(
        Session::new(o).err(),
        Some(OptionsError::UserPropertyTooLong)
    );

    let mut o = options("long-will");
    o.last_will = Some(LastWill {
        topic: "w".into(),
        payload: Bytes::new(),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: WillProperties {
            message: mqtt_session::PublishProperties {
                user_properties: vec![("k".repeat(65_536), "v".into())],
                ..Default::default()
            },
            ..Default::default()
        },
    });
    assert_eq!(
        Session::new(o).err(),
        Some(OptionsError::UserPropertyTooLong)
    );
}

fn will_with(message: mqtt_session::PublishProperties) -> ConnectOptions {
    let mut o = options("will");
    o.last_will = Some(LastWill {
        topic: "w".into(),
        payload: Bytes::new(),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: WillProperties {
            delay_interval: None,
            message,
        },
    });
    o
}

#[test]
fn over_long_will_properties_are_refused_before_anything_is_encoded() {
    // mqttbytes would write them with a wrong length prefix: a corrupt CONNECT.
    for message in [
        mqtt_session::PublishProperties {
            content_type: Some("c".repeat(65_536)),
            ..Default::default()
        },
        mqtt_session::PublishProperties {
            response_topic: Some("r".repeat(65_536)),
            ..Default::default()
        },
        mqtt_session::PublishProperties {
            correlation_data: Some(Bytes::from(vec![7; 65_536])),
            ..Default::default()
        },
    ] {
        assert_eq!(
            Session::new(will_with(message)).err(),
            Some(OptionsError::WillPropertyTooLong)
        );
    }
}

#[test]
fn will_properties_of_the_longest_length_are_encoded_exactly() {
    let message = mqtt_session::PublishProperties {
        content_type: Some("c".repeat(65_535)),
        response_topic: Some("r".repeat(65_535)),
        correlation_data: Some(Bytes::from(vec![7; 65_535])),
        ..Default::default()
    };
    let will = connect_of(will_with(message)).last_will.expect("a will");
    let p = will.properties.expect("will properties");
    assert_eq!(p.content_type.map(|c| c.len()), Some(65_535));
    assert_eq!(p.response_topic.map(|r| r.len()), Some(65_535));
    assert_eq!(p.correlation_data.map(|d| d.len()), Some(65_535));
}

// ----- CONNACK -----

fn full_connack_properties() -> v5::ConnAckProperties {
    v5::ConnAckProperties {
        session_expiry_interval: Some(120),
        receive_max: Some(5),
        max_qos: Some(1),
        retain_available: Some(0),
        max_packet_size: Some(2_048),
        assigned_client_identifier: Some("auto-7".into()),
        topic_alias_max: Some(10),
        reason_string: Some("welcome".into()),
        user_properties: vec![("node".into(), "b2".into())],
        wildcard_subscription_available: Some(0),
        subscription_identifiers_available: Some(0),
        shared_subscription_available: Some(0),
        server_keep_alive: Some(25),
        response_information: Some("resp/".into()),
        server_reference: Some("other:1883".into()),
        authentication_method: None,
        authentication_data: None,
    }
}

#[test]
fn connection_info_exposes_every_connack_property_and_the_limits_that_follow() {
    let mut o = options("");
    o.properties.session_expiry_interval = Some(60);
    let h = Harness::connected_with(o, full_connack_properties());
    let info = h.session.connection_info().expect("connected");
    assert_eq!(
        *info,
        ConnectionInfo {
            protocol: ProtocolVersion::V5,
            session_present: false,
            properties: ConnAckProperties {
                session_expiry_interval: Some(120),
                receive_maximum: Some(5),
                maximum_qos: Some(1),
                retain_available: Some(false),
                maximum_packet_size: Some(2_048),
                assigned_client_identifier: Some("auto-7".into()),
                topic_alias_maximum: Some(10),
                reason_string: Some("welcome".into()),
                user_properties: vec![("node".into(), "b2".into())],
                wildcard_subscription_available: Some(false),
                subscription_identifiers_available: Some(false),
                shared_subscription_available: Some(false),
                server_keep_alive: Some(25),
                response_information: Some("resp/".into()),
                server_reference: Some("other:1883".into()),
                authentication_method: None,
            },
            requested_keep_alive: 60,
            requested_session_expiry: 60,
        }
    );
    assert_eq!(info.keep_alive_secs(), 25);
    assert_eq!(info.receive_maximum(), 5);
    assert_eq!(info.maximum_qos(), QoS::AtLeastOnce);
    assert!(!info.retain_available());
    assert_eq!(info.maximum_packet_size(), Some(2_048));
    assert!(!info.wildcard_subscription_available());
    assert!(!info.shared_subscription_available());
    assert!(!info.subscription_identifiers_available());
    assert_eq!(info.session_expiry_interval(), 120);
    assert_eq!(info.topic_alias_maximum(), 10);
}

#[test]
fn an_empty_connack_leaves_every_default_in_force() {
    let h = Harness::connected(options("defaults"));
    let info = h.session.connection_info().expect("connected");
    assert_eq!(info.properties, ConnAckProperties::default());
    assert_eq!(info.keep_alive_secs(), 60);
    assert_eq!(info.receive_maximum(), u16::MAX);
    assert_eq!(info.maximum_qos(), QoS::ExactlyOnce);
    assert!(info.retain_available());
    assert_eq!(info.maximum_packet_size(), None);
    assert!(info.wildcard_subscription_available());
    assert!(info.shared_subscription_available());
    assert!(info.subscription_identifiers_available());
    assert_eq!(info.session_expiry_interval(), 0);
    assert_eq!(info.topic_alias_maximum(), 0);
    assert_eq!(info.requested_session_expiry, 0);
}

#[test]
fn under_mqtt311_connection_info_has_no_properties_and_no_subscription_identifiers() {
    let session = v5_common::v311_connected(ConnectOptions::new("old"));
    let info = session.connection_info().expect("connected");
    assert_eq!(info.protocol, ProtocolVersion::V311);
    assert_eq!(info.properties, ConnAckProperties::default());
    assert!(!info.subscription_identifiers_available());
    assert!(info.wildcard_subscription_available());
    assert_eq!(info.maximum_qos(), QoS::ExactlyOnce);
}

#[test]
fn connection_info_exists_only_while_connected() {
    let mut h = Harness::new(options("info"));
    assert!(h.session.connection_info().is_none());
    h.open();
    assert!(
        h.session.connection_info().is_none(),
        "nothing is known before CONNACK"
    );
    h.broker_sends(connack(
        ConnectReturnCode::Success,
        false,
        v5::ConnAckProperties::new(),
    ));
    assert!(h.session.connection_info().is_some());
    h.cut();
    assert!(h.session.connection_info().is_none());
}

#[test]
fn the_assigned_client_identifier_is_used_on_the_next_connection() {
    let mut h = Harness::new(options(""));
    let first = h.open();
    assert_eq!(
        first.client_id, "",
        "an empty id asks the broker to assign one"
    );
    h.broker_sends(connack(
        ConnectReturnCode::Success,
        false,
        v5::ConnAckProperties {
            assigned_client_identifier: Some("auto-42".into()),
            ..v5::ConnAckProperties::new()
        },
    ));
    assert_eq!(h.session.client_id(), "auto-42");
    h.cut();
    let second = h.reconnect(false);
    assert_eq!(second.client_id, "auto-42");
}

#[test]
fn an_assigned_identifier_does_not_replace_one_the_user_chose() {
    let mut h = Harness::new(options("mine"));
    h.open();
    h.broker_sends(connack(
        ConnectReturnCode::Success,
        false,
        v5::ConnAckProperties {
            assigned_client_identifier: Some("theirs".into()),
            ..v5::ConnAckProperties::new()
        },
    ));
    assert_eq!(h.session.client_id(), "mine");
    h.cut();
    assert_eq!(h.reconnect(false).client_id, "mine");
}

#[test]
fn the_server_keep_alive_replaces_the_requested_one() {
    let mut h = Harness::connected_with(
        options("ka"),
        v5::ConnAckProperties {
            server_keep_alive: Some(10),
            ..v5::ConnAckProperties::new()
        },
    );
    h.advance(secs(9));
    assert!(h.take_sent().is_empty());
    h.advance(secs(1));
    assert_eq!(
        h.take_sent(),
        vec![Packet::PingReq],
        "at the broker's 10 s, not 60 s"
    );
    h.broker_sends(Packet::PingResp);
    h.advance(secs(10));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
}

#[test]
fn a_longer_server_keep_alive_postpones_the_ping() {
    let mut o = options("ka");
    o.keep_alive = secs(10);
    let mut h = Harness::connected_with(
        o,
        v5::ConnAckProperties {
            server_keep_alive: Some(100),
            ..v5::ConnAckProperties::new()
        },
    );
    h.advance(secs(99));
    assert!(h.take_sent().is_empty());
    h.advance(secs(1));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
}

#[test]
fn a_server_keep_alive_of_zero_turns_pings_off() {
    let mut h = Harness::connected_with(
        options("no-ping"),
        v5::ConnAckProperties {
            server_keep_alive: Some(0),
            ..v5::ConnAckProperties::new()
        },
    );
    assert_eq!(h.deadline, None, "no deadline at all");
    h.advance(secs(3_600));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.session.phase(), Phase::Connected);
}

#[test]
fn a_server_keep_alive_turns_pings_on_for_a_client_that_asked_for_none() {
    let mut o = options("ka-on");
    o.keep_alive = secs(0);
    let mut h = Harness::connected_with(
        o,
        v5::ConnAckProperties {
            server_keep_alive: Some(30),
            ..v5::ConnAckProperties::new()
        },
    );
    h.advance(secs(30));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
    // No PINGRESP within the ping timeout: the broker is gone.
    h.advance(secs(10));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::KeepAliveTimeout(10))]
    );
}

#[test]
fn a_connack_session_expiry_of_zero_ends_a_persistent_session_with_the_connection() {
    let mut h = Harness::connected_with(
        persistent_options("shortened"),
        v5::ConnAckProperties {
            session_expiry_interval: Some(0),
            ..v5::ConnAckProperties::new()
        },
    );
    let pkid = h.publish(QoS::AtLeastOnce, "lost");
    h.cut();
    let events = h.take_events();
    assert_eq!(abandoned(&events), vec![pkid]);
    assert!(matches!(
        &events[0],
        Event::Abandoned(a) if a.reason == AbandonReason::CleanSessionEnded
    ));
    assert_eq!(h.session.store().in_flight(), 0);
}

#[test]
fn a_connack_session_expiry_keeps_a_clean_start_session_past_the_connection() {
    let mut h = Harness::connected_with(
        options("extended"),
        v5::ConnAckProperties {
            session_expiry_interval: Some(600),
            ..v5::ConnAckProperties::new()
        },
    );
    let pkid = h.publish(QoS::AtLeastOnce, "kept");
    h.cut();
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::TransportClosed("cut".into()))],
        "the broker keeps the session for 600 s: nothing is abandoned at close"
    );
    assert!(h.session.store().is_in_use(pkid));
    // Clean start again: the broker starts afresh and the message is handed back.
    h.reconnect(false);
    let events = h.take_events();
    assert_eq!(abandoned(&events), vec![pkid]);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Abandoned(a) if a.reason == AbandonReason::BrokerLostSession)));
}

#[test]
fn the_default_clean_session_ends_with_the_connection() {
    let mut h = Harness::connected(options("clean"));
    let pkid = h.publish(QoS::ExactlyOnce, "gone");
    h.cut();
    let events = h.take_events();
    assert_eq!(abandoned(&events), vec![pkid]);
    assert!(matches!(
        &events[0],
        Event::Abandoned(a) if a.reason == AbandonReason::CleanSessionEnded
    ));
}

#[test]
fn a_persistent_session_survives_the_connection_unless_connack_shortens_it() {
    let mut h = Harness::connected(persistent_options("forever"));
    let pkid = h.publish(QoS::AtLeastOnce, "kept");
    h.cut();
    assert!(abandoned(&h.take_events()).is_empty());
    assert!(h.session.store().is_in_use(pkid));
}

// ----- refusals -----

fn refused_by(code: ConnectReturnCode, properties: v5::ConnAckProperties) -> (Harness, Vec<Event>) {
    let mut h = Harness::new(options("refused"));
    h.open();
    h.broker_sends(connack(code, false, properties));
    let events = h.take_events();
    (h, events)
}

#[test]
fn connack_refusals_map_to_their_connect_refusal() {
    let cases = [
        (
            ConnectReturnCode::UnsupportedProtocolVersion,
            ConnectRefusal::UnacceptableProtocolVersion,
        ),
        (
            ConnectReturnCode::ClientIdentifierNotValid,
            ConnectRefusal::IdentifierRejected,
        ),
        (
            ConnectReturnCode::BadUserNamePassword,
            ConnectRefusal::BadUserNameOrPassword,
        ),
        (
            ConnectReturnCode::NotAuthorized,
            ConnectRefusal::NotAuthorized,
        ),
        (
            ConnectReturnCode::ServerUnavailable,
            ConnectRefusal::ServerUnavailable,
        ),
        (
            ConnectReturnCode::ServerBusy,
            ConnectRefusal::Other(ReasonCode(0x89)),
        ),
        (
            ConnectReturnCode::Banned,
            ConnectRefusal::Other(ReasonCode(0x8A)),
        ),
        (
            ConnectReturnCode::BadAuthenticationMethod,
            ConnectRefusal::Other(ReasonCode(0x8C)),
        ),
        (
            ConnectReturnCode::QuotaExceeded,
            ConnectRefusal::Other(ReasonCode(0x97)),
        ),
        (
            ConnectReturnCode::UnspecifiedError,
            ConnectRefusal::Other(ReasonCode(0x80)),
        ),
        (
            ConnectReturnCode::ConnectionRateExceeded,
            ConnectRefusal::Other(ReasonCode(0x9F)),
        ),
    ];
    for (code, refusal) in cases {
        let (mut h, events) = refused_by(code, v5::ConnAckProperties::new());
        assert_eq!(
            events,
            vec![Event::Closed(CloseReason::Refused(refusal))],
            "{code:?}"
        );
        assert_eq!(h.session.phase(), Phase::Disconnected);
        assert!(
            h.take_sent().is_empty(),
            "no DISCONNECT before a CONNACK accepted"
        );
    }
}

#[test]
fn a_refusal_reports_the_reason_string_and_server_reference_as_warnings() {
    let (_, events) = refused_by(
        ConnectReturnCode::UseAnotherServer,
        v5::ConnAckProperties {
            reason_string: Some("maintenance".into()),
            server_reference: Some("mqtt2.example.com:8883".into()),
            ..v5::ConnAckProperties::new()
        },
    );
    assert_eq!(
        warnings(&events),
        vec![
            "the broker's reason: \"maintenance\"".to_string(),
            "the broker points to another server: mqtt2.example.com:8883".to_string(),
        ]
    );
    assert_eq!(
        events.last(),
        Some(&Event::Closed(CloseReason::Refused(ConnectRefusal::Other(
            ReasonCode(0x9C)
        ))))
    );
    let text = closed(&events).unwrap().to_string();
    assert!(text.contains("0x9c use another server"), "{text}");
}

#[test]
fn a_bad_user_name_refusal_with_a_reason_string_warns_then_closes() {
    let (_, events) = refused_by(
        ConnectReturnCode::BadUserNamePassword,
        v5::ConnAckProperties {
            reason_string: Some("unknown user".into()),
            ..v5::ConnAckProperties::new()
        },
    );
    assert_eq!(
        events,
        vec![
            Event::Warning("the broker's reason: \"unknown user\"".into()),
            Event::Closed(CloseReason::Refused(ConnectRefusal::BadUserNameOrPassword)),
        ]
    );
}

#[test]
fn refusals_that_cannot_heal_stop_the_reconnect_policy_and_the_others_retry() {
    let stops = [
        (ConnectReturnCode::BadUserNamePassword, true),
        (ConnectReturnCode::NotAuthorized, true),
        (ConnectReturnCode::Banned, true),
        (ConnectReturnCode::UseAnotherServer, true),
        (ConnectReturnCode::ServerMoved, true),
        (ConnectReturnCode::BadAuthenticationMethod, true),
        (ConnectReturnCode::ServerUnavailable, false),
        (ConnectReturnCode::ServerBusy, false),
        (ConnectReturnCode::ConnectionRateExceeded, false),
    ];
    for (code, stop) in stops {
        let (h, events) = refused_by(code, v5::ConnAckProperties::new());
        let reason = closed(&events).expect("closed").clone();
        let mut reconnect = Reconnect::new(ReconnectPolicy::default(), 1);
        reconnect.start(h.now);
        reconnect.poll_output();
        reconnect.handle_closed(h.now, &reason);
        match (stop, reconnect.state()) {
            (true, ReconnectState::Stopped(Stop::Refused(_))) => {}
            (false, ReconnectState::Waiting { .. }) => {}
            (_, state) => panic!("{code:?}: {state:?}"),
        }
    }
}

#[test]
fn a_connack_without_its_property_length_is_malformed_under_mqtt5() {
    // 3.1.1's two-byte CONNACK: MQTT 5 requires the property length [MQTT-3.2.2.3].
    let mut h = Harness::new(options("strict"));
    h.open();
    h.broker_sends_bytes(&[0x20, 0x02, 0x00, 0x00]);
    let events = h.take_events();
    assert!(
        matches!(
            closed(&events),
            Some(CloseReason::Protocol(
                mqtt_session::ProtocolError::Malformed(_)
            ))
        ),
        "{events:?}"
    );
    assert!(h.take_sent().is_empty());
}

#[test]
fn a_connack_with_session_present_resumes_a_persistent_session() {
    let mut h = Harness::connected(persistent_options("resume"));
    h.publish(QoS::AtLeastOnce, "x");
    h.cut();
    h.take_events();
    h.reconnect(true);
    assert_eq!(
        h.take_events(),
        vec![Event::Connected {
            session_present: true
        }]
    );
    assert!(h.session.connection_info().unwrap().session_present);
}
