mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{CloseReason, ConnectOptions, Event, Output, QoS};
use mqttbytes::v4::Packet;

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
fn sending_anything_postpones_the_ping() {
    let mut h = Harness::connected(options(30));
    h.advance(Duration::from_secs(20));
    h.session
        .publish(h.now, "t", Bytes::new(), QoS::AtMostOnce, false)
        .unwrap();
    h.drain();
    h.take_sent();
    h.advance(Duration::from_secs(29));
    assert!(h.take_sent().is_empty());
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
