mod common;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{ConnectOptions, QoS};
use mqttbytes::v4::{self, Packet};

#[test]
fn packet_ids_are_never_zero_and_wrap_after_65535() {
    let mut h = Harness::connected(ConnectOptions::new("ids"));
    let mut seen = Vec::new();
    for _ in 0..70_000u32 {
        let pkid = h
            .session
            .publish(h.now, "t", Bytes::new(), QoS::AtLeastOnce, false)
            .unwrap()
            .unwrap();
        assert_ne!(pkid, 0);
        h.drain();
        h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
        seen.push(pkid);
    }
    h.sent.clear();
    assert_eq!(seen[65_534], 65_535);
    assert_eq!(seen[65_535], 1, "wraps to 1, skipping 0");
}

#[test]
fn an_id_in_flight_is_not_reused_after_the_wrap() {
    let mut h = Harness::connected(ConnectOptions::new("ids"));
    // Packet 1 stays unacknowledged; every other one is acknowledged at once.
    let stuck = h
        .session
        .publish(h.now, "t", Bytes::new(), QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    assert_eq!(stuck, 1);
    for _ in 0..65_535u32 {
        let pkid = h
            .session
            .publish(h.now, "t", Bytes::new(), QoS::AtLeastOnce, false)
            .unwrap()
            .unwrap();
        assert_ne!(pkid, stuck, "id {stuck} is still in flight");
        h.drain();
        h.broker_sends(Packet::PubAck(v4::PubAck::new(pkid)));
        h.sent.clear();
    }
    assert!(h.session.store().is_in_use(stuck));
}
