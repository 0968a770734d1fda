//! A session saved as bytes and started again in a new process (a reloaded page): what
//! was unacknowledged is resent, what was received is not delivered twice, and damaged
//! bytes are refused.
mod common;

use bytes::Bytes;
use common::{abandoned, inbound, Harness};
use mqtt_session::{
    ConnectOptions, Event, QoS, Session, SnapshotError, StoreSnapshot, SNAPSHOT_VERSION,
};
use mqttbytes::v4::{self, Packet};
use splitmix::SplitMix64;

fn options() -> ConnectOptions {
    let mut options = ConnectOptions::new("reload");
    options.clean_session = false;
    options
}

fn persistent() -> Harness {
    let mut h = Harness::connected(options());
    h.take_sent();
    h
}

/// The page is reloaded: only the saved bytes survive, into a new, disconnected session.
fn reload(h: &Harness, options: ConnectOptions) -> Harness {
    let bytes = h.session.snapshot().encode();
    let snapshot = StoreSnapshot::decode(&bytes).expect("a snapshot reads back");
    assert_eq!(snapshot, h.session.snapshot());
    let session = Session::with_snapshot(options, snapshot).expect("valid options");
    Harness {
        session,
        now: h.now,
        sent: vec![],
        events: vec![],
        deadline: None,
    }
}

fn publish_of(packet: &Packet) -> (u16, bool, QoS, &[u8]) {
    match packet {
        Packet::Publish(p) => (p.pkid, p.dup, p.qos.into(), &p.payload[..]),
        other => panic!("expected a PUBLISH, got {other:?}"),
    }
}

#[test]
fn qos1_and_qos2_publishes_without_acks_are_resent_with_dup_and_their_ids_after_a_reload() {
    let mut h = persistent();
    let one = h.publish(QoS::AtLeastOnce, "one");
    let two = h.publish(QoS::ExactlyOnce, "two");
    let mut after = reload(&h, options());
    after.reconnect(true);
    let sent = after.take_sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        publish_of(&sent[0]),
        (one, true, QoS::AtLeastOnce, &b"one"[..])
    );
    assert_eq!(
        publish_of(&sent[1]),
        (two, true, QoS::ExactlyOnce, &b"two"[..])
    );
    after.broker_sends(Packet::PubAck(v4::PubAck::new(one)));
    assert!(after.session.store().outgoing_stage(one).is_none());
}

#[test]
fn a_qos2_publish_past_pubrec_gets_its_pubrel_resent_after_a_reload() {
    let mut h = persistent();
    let id = h.publish(QoS::ExactlyOnce, "two");
    h.take_sent();
    h.broker_sends(Packet::PubRec(v4::PubRec::new(id)));
    assert_eq!(h.take_sent(), vec![Packet::PubRel(v4::PubRel::new(id))]);
    let mut after = reload(&h, options());
    after.reconnect(true);
    assert_eq!(after.take_sent(), vec![Packet::PubRel(v4::PubRel::new(id))]);
    after.broker_sends(Packet::PubComp(v4::PubComp::new(id)));
    assert_eq!(after.session.store().in_flight(), 0);
}

#[test]
fn an_inbound_qos2_id_awaiting_pubrel_survives_a_reload_so_the_resent_publish_is_not_delivered_twice(
) {
    let mut h = persistent();
    h.broker_sends(inbound(QoS::ExactlyOnce, 9, "22"));
    assert_eq!(h.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    let mut after = reload(&h, options());
    after.reconnect(true);
    after.take_events();
    let Packet::Publish(mut again) = inbound(QoS::ExactlyOnce, 9, "22") else {
        unreachable!()
    };
    again.dup = true;
    after.broker_sends(Packet::Publish(again));
    assert_eq!(after.take_sent(), vec![Packet::PubRec(v4::PubRec::new(9))]);
    let delivered = after
        .take_events()
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .count();
    assert_eq!(delivered, 0, "delivered before the reload already");
    after.broker_sends(Packet::PubRel(v4::PubRel::new(9)));
    assert_eq!(
        after.take_sent(),
        vec![Packet::PubComp(v4::PubComp::new(9))]
    );
    assert_eq!(after.session.store().awaiting_pubrel(), 0);
}

#[test]
fn queued_publishes_keep_their_order_and_go_out_after_the_resent_ones() {
    let mut options = options();
    options.max_inflight = 1;
    let mut h = Harness::connected(options.clone());
    h.take_sent();
    let first = h.publish(QoS::AtLeastOnce, "a");
    let second = h.publish(QoS::AtLeastOnce, "b");
    let third = h.publish(QoS::AtLeastOnce, "c");
    assert_eq!(h.take_sent().len(), 1, "the window holds one");
    let mut after = reload(&h, options);
    after.reconnect(true);
    let sent = after.take_sent();
    assert_eq!(publish_of(&sent[0]).0, first);
    after.broker_sends(Packet::PubAck(v4::PubAck::new(first)));
    let next = after.take_sent();
    assert_eq!(
        publish_of(&next[0]),
        (second, false, QoS::AtLeastOnce, &b"b"[..])
    );
    after.broker_sends(Packet::PubAck(v4::PubAck::new(second)));
    assert_eq!(publish_of(&after.take_sent()[0]).0, third);
}

#[test]
fn a_restored_session_the_broker_did_not_keep_reports_every_message_abandoned() {
    let mut h = persistent();
    let one = h.publish(QoS::AtLeastOnce, "one");
    let two = h.publish(QoS::ExactlyOnce, "two");
    let mut after = reload(&h, options());
    after.reconnect(false);
    assert!(after.take_sent().is_empty());
    assert_eq!(abandoned(&after.take_events()), vec![one, two]);
}

#[test]
fn with_clean_session_on_a_restored_store_is_handed_back_at_the_first_connack() {
    let mut h = persistent();
    let one = h.publish(QoS::AtLeastOnce, "one");
    let mut clean = options();
    clean.clean_session = true;
    let mut after = reload(&h, clean);
    after.reconnect(false);
    assert!(after.take_sent().is_empty());
    assert_eq!(abandoned(&after.take_events()), vec![one]);
    assert!(after.session.snapshot().is_empty());
}

#[test]
fn new_packet_ids_after_a_reload_skip_the_ones_still_in_flight() {
    let mut h = persistent();
    let one = h.publish(QoS::AtLeastOnce, "one");
    let mut after = reload(&h, options());
    after.reconnect(true);
    after.take_sent();
    let next = after.publish(QoS::AtLeastOnce, "next");
    assert_ne!(next, one);
    assert!(after.session.store().is_in_use(one));
}

#[test]
fn the_store_revision_changes_with_every_publish_and_ack_and_not_on_reads() {
    let mut h = persistent();
    let start = h.session.store_revision();
    let id = h.publish(QoS::AtLeastOnce, "one");
    let published = h.session.store_revision();
    assert_ne!(published, start);
    h.session.snapshot();
    h.broker_sends(Packet::PingResp);
    assert_eq!(h.session.store_revision(), published);
    h.broker_sends(Packet::PubAck(v4::PubAck::new(id)));
    assert_ne!(h.session.store_revision(), published);
    assert!(h.session.snapshot().is_empty());
}

#[test]
fn an_empty_or_foreign_version_snapshot_is_refused() {
    assert_eq!(StoreSnapshot::decode(&[]), Err(SnapshotError::Empty));
    assert_eq!(StoreSnapshot::decode(&[9]), Err(SnapshotError::Version(9)));
    assert_eq!(StoreSnapshot::decode(&[0]), Err(SnapshotError::Version(0)));
    assert_eq!(
        StoreSnapshot::decode(&[SNAPSHOT_VERSION + 1]),
        Err(SnapshotError::Version(SNAPSHOT_VERSION + 1))
    );
    let mut bytes = StoreSnapshot::default().encode();
    assert_eq!(bytes[0], SNAPSHOT_VERSION);
    bytes.push(0);
    assert_eq!(
        StoreSnapshot::decode(&bytes),
        Err(SnapshotError::TrailingBytes(1))
    );
}

fn busy_snapshot() -> Vec<u8> {
    let mut h = persistent();
    h.publish(QoS::AtLeastOnce, "one");
    let id = h.publish(QoS::ExactlyOnce, "two");
    h.broker_sends(Packet::PubRec(v4::PubRec::new(id)));
    h.publish(QoS::ExactlyOnce, "three");
    h.broker_sends(inbound(QoS::ExactlyOnce, 4, "in"));
    let bytes = h.session.snapshot().encode();
    assert_eq!(h.session.snapshot().outgoing(), 3);
    assert_eq!(h.session.snapshot().awaiting_pubrel(), 1);
    bytes
}

/// The same snapshot in format 1 (written before MQTT 5): no properties byte after each
/// payload. Under MQTT 3.1.1 every message's properties are empty (presence byte 0).
fn as_format_1(current: &[u8]) -> Vec<u8> {
    let u16_at = |at: usize| usize::from(u16::from_be_bytes([current[at], current[at + 1]]));
    assert_eq!(current[0], 2, "written in format 2");
    let mut old = vec![1];
    old.extend_from_slice(&current[1..13]); // last_pkid u16, next_seq u64, count u16
    let mut at = 13;
    for _ in 0..u16_at(11) {
        // pkid u16, sent u64, released u64, stage, qos, retain: 21 bytes, then the topic.
        let payload_len_at = at + 23 + u16_at(at + 21);
        let payload_len = u32::from_be_bytes(
            current[payload_len_at..payload_len_at + 4]
                .try_into()
                .unwrap(),
        ) as usize;
        let end = payload_len_at + 4 + payload_len;
        old.extend_from_slice(&current[at..end]);
        assert_eq!(current[end], 0, "a 3.1.1 message has no properties");
        at = end + 1;
    }
    old.extend_from_slice(&current[at..]); // the ids awaiting PUBREL
    old
}

#[test]
fn every_truncation_of_a_snapshot_is_an_error() {
    let current = busy_snapshot();
    for bytes in [as_format_1(&current), current] {
        for len in 0..bytes.len() {
            assert!(
                StoreSnapshot::decode(&bytes[..len]).is_err(),
                "{len} of {} bytes were accepted",
                bytes.len()
            );
        }
        assert!(StoreSnapshot::decode(&bytes).is_ok());
    }
}

#[test]
fn a_format_1_snapshot_saved_before_mqtt_5_still_reads_and_resumes_the_session() {
    let mut h = persistent();
    let one = h.publish(QoS::AtLeastOnce, "one");
    let two = h.publish(QoS::ExactlyOnce, "two");
    h.broker_sends(Packet::PubRec(v4::PubRec::new(two)));
    let three = h.publish(QoS::ExactlyOnce, "three");
    h.broker_sends(inbound(QoS::ExactlyOnce, 4, "in"));
    let current = h.session.snapshot().encode();
    let old = as_format_1(&current);
    assert_eq!(h.session.snapshot().outgoing(), 3);
    assert_eq!(
        old.len(),
        current.len() - 3,
        "one properties byte per message"
    );
    let snapshot = StoreSnapshot::decode(&old).expect("format 1 reads");
    assert_eq!(snapshot, h.session.snapshot());
    assert_eq!(
        snapshot.encode(),
        current,
        "saved again in the current format"
    );

    let mut after = Harness {
        session: Session::with_snapshot(options(), snapshot).expect("valid options"),
        now: h.now,
        sent: vec![],
        events: vec![],
        deadline: None,
    };
    after.reconnect(true);
    let sent = after.take_sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(
        publish_of(&sent[0]),
        (one, true, QoS::AtLeastOnce, &b"one"[..])
    );
    assert_eq!(
        publish_of(&sent[1]),
        (three, true, QoS::ExactlyOnce, &b"three"[..])
    );
    assert_eq!(sent[2], Packet::PubRel(v4::PubRel::new(two)));
    after.take_events();
    let Packet::Publish(mut again) = inbound(QoS::ExactlyOnce, 4, "in") else {
        unreachable!()
    };
    again.dup = true;
    after.broker_sends(Packet::Publish(again));
    assert_eq!(after.take_sent(), vec![Packet::PubRec(v4::PubRec::new(4))]);
    assert!(
        !after
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::Message(_))),
        "delivered before the reload already"
    );
}

#[test]
fn random_and_mutated_bytes_never_panic_and_what_decodes_starts_a_session() {
    let current = busy_snapshot();
    let old = as_format_1(&current);
    let mut rng = SplitMix64::new(0x5eed);
    for case in 0..20_000u32 {
        let bytes: Vec<u8> = if case % 2 == 0 {
            let len = (rng.next_u64() % 64) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if let Some(first) = b.first_mut() {
                // Get past the version byte: the current format, or format 1.
                *first = if case % 4 == 0 { 1 } else { SNAPSHOT_VERSION };
            }
            b
        } else {
            let mut b = if case % 4 == 1 {
                old.clone()
            } else {
                current.clone()
            };
            for _ in 0..1 + rng.next_u64() % 3 {
                let at = (rng.next_u64() as usize) % b.len();
                b[at] = rng.next_u64() as u8;
            }
            b
        };
        if let Ok(snapshot) = StoreSnapshot::decode(&bytes) {
            assert_eq!(
                StoreSnapshot::decode(&snapshot.encode()),
                Ok(snapshot.clone())
            );
            let mut h = Harness {
                session: Session::with_snapshot(options(), snapshot).expect("valid options"),
                now: mqtt_session::Instant::from_millis(0),
                sent: vec![],
                events: vec![],
                deadline: None,
            };
            h.reconnect(true);
            let _ = h
                .session
                .publish(h.now, "t", Bytes::new(), QoS::ExactlyOnce, false);
            h.drain();
        }
    }
}
