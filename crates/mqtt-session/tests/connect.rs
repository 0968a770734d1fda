mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{
    CloseReason, CommandError, ConnectOptions, ConnectRefusal, Credentials, Event, LastWill,
    OptionsError, Output, Phase, ProtocolError, QoS, Session,
};
use mqttbytes::v4::{self, ConnectReturnCode, Packet};

fn options() -> ConnectOptions {
    let mut o = ConnectOptions::new("playground-1");
    o.keep_alive = Duration::from_secs(30);
    o.credentials = Some(Credentials {
        username: "student".into(),
        password: Some("i_make_mqtt_cool".into()),
    });
    o.last_will = Some(LastWill {
        topic: "clients/playground-1/status".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Default::default(),
    });
    o
}

#[test]
fn connect_carries_every_option() {
    let mut h = Harness::new(options());
    h.session.handle_transport_open(h.now);
    h.drain();
    let sent = h.take_sent();
    let [Packet::Connect(connect)] = sent.as_slice() else {
        panic!("expected one CONNECT, got {sent:?}");
    };
    let connect = connect.clone();
    assert_eq!(connect.client_id, "playground-1");
    assert_eq!(connect.keep_alive, 30);
    assert!(connect.clean_session);
    let login = connect.login.expect("login sent");
    assert_eq!(
        (login.username.as_str(), login.password.as_str()),
        ("student", "i_make_mqtt_cool")
    );
    let will = connect.last_will.expect("will sent");
    assert_eq!(will.topic, "clients/playground-1/status");
    assert_eq!(&will.message[..], b"offline");
    assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce.into(), true));
    assert_eq!(h.session.phase(), Phase::AwaitingConnAck);
}

#[test]
fn an_accepted_connack_connects() {
    let h = Harness::connected(options());
    assert_eq!(h.session.phase(), Phase::Connected);
}

#[test]
fn each_refusal_becomes_a_plain_language_error() {
    let cases = [
        (
            ConnectReturnCode::RefusedProtocolVersion,
            ConnectRefusal::UnacceptableProtocolVersion,
            "protocol version",
        ),
        (
            ConnectReturnCode::BadClientId,
            ConnectRefusal::IdentifierRejected,
            "client id",
        ),
        (
            ConnectReturnCode::ServiceUnavailable,
            ConnectRefusal::ServerUnavailable,
            "unavailable",
        ),
        (
            ConnectReturnCode::BadUserNamePassword,
            ConnectRefusal::BadUserNameOrPassword,
            "bad user name or password",
        ),
        (
            ConnectReturnCode::NotAuthorized,
            ConnectRefusal::NotAuthorized,
            "not authorized",
        ),
    ];
    for (code, refusal, words) in cases {
        let mut h = Harness::new(options());
        h.session.handle_transport_open(h.now);
        h.drain();
        h.broker_sends(Packet::ConnAck(v4::ConnAck::new(code, false)));
        let events = h.take_events();
        assert_eq!(events, vec![Event::Closed(CloseReason::Refused(refusal))]);
        let text = CloseReason::Refused(refusal).to_string();
        assert!(text.contains(words), "{text:?} should mention {words:?}");
        assert_eq!(h.session.phase(), Phase::Disconnected);
        assert_eq!(h.session.poll_output(), Output::Idle);
    }
}

#[test]
fn no_connack_within_the_connect_timeout_fails_the_connection() {
    let mut h = Harness::new(options());
    h.session.handle_transport_open(h.now);
    h.drain();
    h.take_sent();
    h.advance(Duration::from_millis(9_999));
    assert!(h.take_events().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::ConnectTimeout(10))]
    );
}

#[test]
fn a_first_packet_other_than_connack_is_a_protocol_error() {
    let mut h = Harness::new(options());
    h.session.handle_transport_open(h.now);
    h.drain();
    h.broker_sends(Packet::PingResp);
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::Protocol(
            ProtocolError::Unexpected {
                packet: "PINGRESP",
                expected: "waiting for CONNACK"
            }
        ))]
    );
}

#[test]
fn commands_before_connack_are_refused_and_send_nothing() {
    let mut h = Harness::new(options());
    assert_eq!(
        h.session
            .publish(h.now, "a", Bytes::new(), QoS::AtMostOnce, false),
        Err(CommandError::NotConnected)
    );
    h.session.handle_transport_open(h.now);
    h.drain();
    h.take_sent();
    assert_eq!(
        h.session
            .subscribe(h.now, vec![("a".into(), QoS::AtMostOnce)]),
        Err(CommandError::NotConnected)
    );
    h.drain();
    assert!(h.take_sent().is_empty());
}

#[test]
fn invalid_options_are_refused_up_front() {
    let mut o = ConnectOptions::new("");
    o.clean_session = false;
    assert_eq!(
        Session::new(o).err(),
        Some(OptionsError::EmptyClientIdNeedsCleanSession)
    );
    let mut o = ConnectOptions::new("x");
    o.credentials = Some(Credentials {
        username: String::new(),
        password: Some("p".into()),
    });
    assert_eq!(Session::new(o).err(), Some(OptionsError::EmptyUsername));
    let mut o = ConnectOptions::new("x".repeat(70_000));
    o.clean_session = true;
    assert_eq!(
        Session::new(o).err(),
        Some(OptionsError::ClientIdTooLong(70_000))
    );
}

#[test]
fn a_clean_disconnect_sends_disconnect_before_reporting_closed() {
    let mut h = Harness::connected(options());
    h.session.disconnect(h.now);
    assert!(matches!(h.session.poll_output(), Output::Transmit(_)));
    assert_eq!(
        h.session.poll_output(),
        Output::Event(Event::Closed(CloseReason::ClientDisconnect))
    );
    assert_eq!(h.session.poll_output(), Output::Idle);
    // The transport's own close event afterwards adds nothing.
    h.session.handle_transport_closed(h.now, "closed");
    assert_eq!(h.session.poll_output(), Output::Idle);
}

#[test]
fn a_transport_that_drops_ends_the_connection_with_its_reason() {
    let mut h = Harness::connected(options());
    h.session
        .handle_transport_closed(h.now, "the network went away");
    h.drain();
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::TransportClosed(
            "the network went away".into()
        ))]
    );
}

#[test]
fn the_session_reconnects_on_a_new_transport() {
    let mut o = options();
    o.clean_session = false; // a broker reports a stored session only then [MQTT-3.2.2-1]
    let mut h = Harness::connected(o);
    h.session.handle_transport_closed(h.now, "gone");
    h.drain();
    h.take_events();
    h.session.handle_transport_open(h.now);
    h.drain();
    assert!(matches!(h.take_sent().as_slice(), [Packet::Connect(_)]));
    h.broker_sends(Packet::ConnAck(v4::ConnAck::new(
        ConnectReturnCode::Success,
        true,
    )));
    assert_eq!(
        h.take_events(),
        vec![Event::Connected {
            session_present: true
        }]
    );
}

#[test]
fn a_transport_that_never_opens_times_out() {
    let mut h = Harness::new(options());
    h.session.handle_transport_connecting(h.now);
    h.drain();
    assert_eq!(h.session.phase(), Phase::Opening);
    assert!(
        h.take_sent().is_empty(),
        "nothing is sent before the transport is open"
    );
    h.advance(Duration::from_secs(10));
    let events = h.take_events();
    assert_eq!(events, vec![Event::Closed(CloseReason::OpenTimeout(10))]);
}

#[test]
fn a_transport_that_fails_while_opening_reports_its_reason() {
    let mut h = Harness::new(options());
    h.session.handle_transport_connecting(h.now);
    h.session
        .handle_transport_closed(h.now, "connection refused");
    h.drain();
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::TransportClosed(
            "connection refused".into()
        ))]
    );
}

#[test]
fn opening_then_open_sends_connect_and_awaits_connack() {
    let mut h = Harness::new(options());
    h.session.handle_transport_connecting(h.now);
    h.advance(Duration::from_secs(5));
    h.session.handle_transport_open(h.now);
    h.drain();
    assert!(matches!(h.take_sent().as_slice(), [Packet::Connect(_)]));
    // The CONNACK deadline counts from the open, not from the start.
    h.advance(Duration::from_secs(9));
    assert!(h.take_events().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::ConnectTimeout(10))]
    );
}
