mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{CloseReason, ConnectOptions, Event, Instant, Output, Phase, QoS};
use mqttbytes::v4::{self, Packet};

fn options(keep_alive: u64) -> ConnectOptions {
    let mut o = ConnectOptions::new("keepalive");
    o.keep_alive = Duration::from_secs(keep_alive);
    o.ping_timeout = Duration::from_secs(5);
    o
}

#[test]
fn an_idle_connection_sends_pingreq_after_the_keepalive_interval() {
    let mut h = Harness::connected(options(30));
    h.take_sent();
    h.advance(Duration::from_millis(29_999));
    assert!(h.take_sent().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
}

#[test]
fn traffic_both_ways_postpones_the_ping() {
    let mut h = Harness::connected(options(30));
    h.advance(Duration::from_secs(20));
    h.session
        .publish(h.now, "t", Bytes::new(), QoS::AtMostOnce, false)
        .unwrap();
    h.broker_sends(Packet::Publish(v4::Publish::new(
        "t",
        QoS::AtMostOnce.into(),
        "x",
    )));
    h.take_sent();
    h.advance(Duration::from_secs(29));
    assert!(h.take_sent().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
}

#[test]
fn a_client_that_keeps_publishing_to_a_silent_broker_pings_and_declares_it_dead() {
    // QoS 0 every 5 s with keepalive 10 s: the send side is never idle for 10 s, but
    // nothing comes back. Paho C and libmosquitto ping in this case too.
    let mut h = Harness::connected(options(10));
    h.take_sent();
    let mut pinged_at = None;
    for _ in 0..4 {
        h.advance(Duration::from_secs(5));
        if h.session.phase() != Phase::Connected {
            break;
        }
        h.session
            .publish(h.now, "t", Bytes::new(), QoS::AtMostOnce, false)
            .unwrap();
        h.drain();
        if h.take_sent().contains(&Packet::PingReq) {
            pinged_at.get_or_insert(h.now);
        }
    }
    assert_eq!(pinged_at, Some(Instant::from_millis(1_000 + 10_000)));
    assert_eq!(
        h.take_events(),
        vec![Event::Closed(CloseReason::KeepAliveTimeout(5))],
        "PINGREQ at 10 s, no PINGRESP within the 5 s ping timeout"
    );
    assert_eq!(h.now, Instant::from_millis(1_000 + 15_000));
}

#[test]
fn a_fractional_keepalive_is_pinged_at_the_whole_seconds_connect_announced() {
    let mut o = options(0);
    o.keep_alive = Duration::from_millis(10_900);
    let mut h = Harness::new(o);
    h.session.handle_transport_open(h.now);
    h.drain();
    assert!(matches!(h.take_sent().as_slice(), [Packet::Connect(c)] if c.keep_alive == 10));
    h.broker_sends(Packet::ConnAck(v4::ConnAck::new(
        v4::ConnectReturnCode::Success,
        false,
    )));
    h.advance(Duration::from_millis(9_999));
    assert!(h.take_sent().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.take_sent(), vec![Packet::PingReq], "at 10 s, not 10.9 s");
}

#[test]
fn a_keepalive_under_one_second_is_announced_and_pinged_as_one_second() {
    let mut o = options(0);
    o.keep_alive = Duration::from_millis(400);
    let mut h = Harness::new(o);
    h.session.handle_transport_open(h.now);
    h.drain();
    assert!(
        matches!(h.take_sent().as_slice(), [Packet::Connect(c)] if c.keep_alive == 1),
        "not 0, which would turn keepalive off"
    );
    h.broker_sends(Packet::ConnAck(v4::ConnAck::new(
        v4::ConnectReturnCode::Success,
        false,
    )));
    h.advance(Duration::from_secs(1));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
}

#[test]
fn pingresp_keeps_the_connection_alive_and_pings_continue() {
    let mut h = Harness::connected(options(10));
    h.advance(Duration::from_secs(10));
    for _ in 0..5 {
        assert_eq!(h.take_sent(), vec![Packet::PingReq]);
        h.advance(Duration::from_secs(1));
        h.broker_sends(Packet::PingResp);
        // The next ping counts from the PINGREQ we sent: 9 s from now.
        h.advance(Duration::from_millis(8_999));
        assert!(h.take_sent().is_empty());
        h.advance(Duration::from_millis(1));
    }
    assert!(h.take_events().is_empty());
}

#[test]
fn no_pingresp_in_time_declares_the_connection_dead() {
    let mut h = Harness::connected(options(10));
    h.advance(Duration::from_secs(10));
    assert_eq!(h.take_sent(), vec![Packet::PingReq]);
    h.advance(Duration::from_millis(4_999));
    assert!(h.take_events().is_empty());
    h.advance(Duration::from_millis(1));
    let events = h.take_events();
    assert_eq!(
        events,
        vec![Event::Closed(CloseReason::KeepAliveTimeout(5))]
    );
    assert!(events[0].to_string_lossy().contains("stopped answering"));
}

#[test]
fn keepalive_zero_schedules_nothing() {
    let mut h = Harness::connected(options(0));
    assert_eq!(h.session.poll_output(), Output::Idle);
    h.advance(Duration::from_secs(3600));
    assert!(h.take_sent().is_empty());
}

trait Lossy {
    fn to_string_lossy(&self) -> String;
}
impl Lossy for Event {
    fn to_string_lossy(&self) -> String {
        match self {
            Event::Closed(reason) => reason.to_string(),
            other => format!("{other:?}"),
        }
    }
}
