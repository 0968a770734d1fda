//! QoS 1/2 publishes beyond `max_inflight` wait in the session and go out, in order, as
//! earlier ones complete (mosquitto silently loses QoS 2 messages past its limit).
mod common;

use bytes::Bytes;
use common::Harness;
use mqtt_session::{ConnectOptions, Event, QoS};
use mqttbytes::v4::{self, Packet};

fn window(n: usize) -> Harness {
    let mut options = ConnectOptions::new("window");
    options.max_inflight = n;
    Harness::connected(options)
}

fn sent_ids(h: &mut Harness) -> Vec<u16> {
    h.take_sent()
        .into_iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p.pkid),
            _ => None,
        })
        .collect()
}

#[test]
fn publishes_past_the_window_wait_and_leave_in_order_as_acks_arrive() {
    let mut h = window(2);
    let ids: Vec<u16> = (0..4)
        .map(|i| {
            h.session
                .publish(
                    h.now,
                    "t",
                    Bytes::from(format!("{i}")),
                    QoS::AtLeastOnce,
                    false,
                )
                .unwrap()
                .unwrap()
        })
        .collect();
    h.drain();
    assert_eq!(sent_ids(&mut h), ids[..2]);
    assert_eq!(h.session.store().queued_publishes(), 2);
    h.broker_sends(Packet::PubAck(v4::PubAck::new(ids[0])));
    assert_eq!(sent_ids(&mut h), ids[2..3]);
    h.broker_sends(Packet::PubAck(v4::PubAck::new(ids[1])));
    assert_eq!(sent_ids(&mut h), ids[3..4]);
    assert_eq!(h.session.store().queued_publishes(), 0);
}

#[test]
fn a_qos2_message_holds_its_place_until_pubcomp() {
    let mut h = window(1);
    let first = h
        .session
        .publish(h.now, "t", Bytes::new(), QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    let second = h
        .session
        .publish(h.now, "t", Bytes::new(), QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    h.drain();
    assert_eq!(sent_ids(&mut h), [first]);
    h.broker_sends(Packet::PubRec(v4::PubRec::new(first)));
    assert_eq!(
        h.take_sent(),
        vec![Packet::PubRel(v4::PubRel::new(first))],
        "PUBREC does not free the slot"
    );
    h.broker_sends(Packet::PubComp(v4::PubComp::new(first)));
    let sent = h.take_sent();
    assert!(
        matches!(sent.as_slice(), [Packet::Publish(p)] if p.pkid == second && p.qos == QoS::ExactlyOnce.into()),
        "{sent:?}"
    );
    assert!(h.take_events().contains(&Event::Delivered {
        pkid: first,
        qos: QoS::ExactlyOnce
    }));
}

#[test]
fn qos0_is_never_held_back() {
    let mut h = window(1);
    h.session
        .publish(h.now, "t", Bytes::new(), QoS::AtLeastOnce, false)
        .unwrap();
    h.session
        .publish(h.now, "t", Bytes::new(), QoS::AtLeastOnce, false)
        .unwrap();
    h.session
        .publish(
            h.now,
            "t",
            Bytes::from_static(b"zero"),
            QoS::AtMostOnce,
            false,
        )
        .unwrap();
    h.drain();
    assert_eq!(
        sent_ids(&mut h),
        [1, 0],
        "the QoS 1 in flight and the QoS 0; the second QoS 1 waits"
    );
}
