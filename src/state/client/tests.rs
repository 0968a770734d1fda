//! The client view's reducer, driven as the connection drives it.

use super::*;
use crate::state::connection::ConnState;
use bytes::Bytes;
use mqtt_session::{CloseReason, Message, PacketKind};

type Log = Vec<(Direction, Body)>;

fn session(event: Event) -> ClientEvent {
    ClientEvent::Session(event)
}

fn subscribed(model: &mut ClientModel, filter: &str) {
    let filter = ClientModel::check_filter(filter).unwrap();
    model.add_subscription(filter, QoS::AtLeastOnce);
}

#[test]
fn connecting_then_connected_restores_every_subscription() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "a/#");
    subscribed(&mut model, " b/+ ");
    model.connecting("ws://x/mqtt", "me", &mut log);
    assert_eq!(model.status.state, ConnState::Connecting);
    let open = model.on_event(ClientEvent::TransportOpen, &mut log);
    assert!(open.changed && open.restore.is_empty());
    let reaction = model.on_event(
        session(Event::Connected {
            session_present: false,
        }),
        &mut log,
    );
    assert_eq!(model.status.state, ConnState::Connected);
    assert_eq!(
        filters(&reaction.restore),
        [
            ("a/#".to_string(), QoS::AtLeastOnce),
            ("b/+".to_string(), QoS::AtLeastOnce)
        ]
    );
}

#[test]
fn an_invalid_filter_is_refused_before_it_reaches_the_list() {
    let error = ClientModel::check_filter("a/#/b").unwrap_err();
    assert!(
        matches!(error, ClientError::InvalidFilter { .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("filter 'a/#/b'"), "{error}");
}

#[test]
fn a_message_is_logged_without_touching_the_state() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    let before = model.clone();
    let reaction = model.on_event(
        session(Event::Message(Message {
            topic: "t".into(),
            payload: Bytes::from_static(b"1"),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            pkid: 0,
            properties: Default::default(),
        })),
        &mut log,
    );
    assert!(!reaction.changed);
    assert_eq!(model, before);
    assert!(matches!(&log[..], [(Direction::In, Body::Message { topic, .. })] if topic == "t"));
}

#[test]
fn suback_marks_each_row_granted_or_refused() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "ok");
    subscribed(&mut model, "no");
    model.on_event(
        session(Event::Subscribed {
            pkid: 1,
            results: vec![
                ("ok".into(), SubscribeResult::Granted(QoS::AtMostOnce)),
                (
                    "no".into(),
                    SubscribeResult::Refused(mqtt_session::ReasonCode::UNSPECIFIED_ERROR),
                ),
            ],
        }),
        &mut log,
    );
    let states: Vec<_> = model.subscriptions.iter().map(|r| r.state).collect();
    assert_eq!(
        states,
        [
            SubState::Granted(QoS::AtMostOnce),
            SubState::Refused(mqtt_session::ReasonCode::UNSPECIFIED_ERROR)
        ]
    );
    assert_eq!(log[1].0, Direction::Error);
}

#[test]
fn a_lost_connection_reconnects_and_rows_wait_for_the_next_one() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "x");
    model.subscriptions[0].state = SubState::Granted(QoS::AtMostOnce);
    let lost = CloseReason::KeepAliveTimeout(60);
    let reaction = model.on_event(session(Event::Closed(lost.clone())), &mut log);
    assert!(!reaction.closed, "one connection ended, not the client");
    assert_eq!(model.subscriptions[0].state, SubState::Pending);
    assert_eq!(log.last().map(|l| l.0), Some(Direction::Error));
    let at = Instant::from_millis(5_000);
    model.on_event(
        ClientEvent::Reconnecting {
            retry: 1,
            at,
            reason: lost,
        },
        &mut log,
    );
    assert_eq!(model.status.state, ConnState::Reconnecting);
    assert_eq!(model.retry_in_secs(Instant::from_millis(3_500)), Some(2));
    model.on_event(ClientEvent::Connecting { retry: 1 }, &mut log);
    assert_eq!(model.retry_in_secs(Instant::from_millis(3_500)), None);
}

#[test]
fn the_end_of_the_client_is_idle_after_a_disconnect_and_failed_after_a_refusal() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    let end = model.on_event(ClientEvent::Ended(CloseReason::ClientDisconnect), &mut log);
    assert!(end.closed);
    assert_eq!(model.status.state, ConnState::Idle);
    let refused = CloseReason::Refused(mqtt_session::ConnectRefusal::BadUserNameOrPassword);
    model.on_event(ClientEvent::Ended(refused), &mut log);
    assert_eq!(model.status.state, ConnState::Failed);
    assert!(
        model.status.text.contains("bad user name"),
        "{}",
        model.status.text
    );
}

#[test]
fn a_resumed_session_keeps_its_granted_subscriptions_and_only_the_others_are_sent_again() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "kept");
    subscribed(&mut model, "never-answered");
    model.on_event(
        session(Event::Subscribed {
            pkid: 1,
            results: vec![("kept".into(), SubscribeResult::Granted(QoS::AtLeastOnce))],
        }),
        &mut log,
    );
    model.on_event(
        session(Event::Closed(CloseReason::KeepAliveTimeout(9))),
        &mut log,
    );
    assert_eq!(model.subscriptions[0].state, SubState::Pending);
    let resumed = model.on_event(
        session(Event::Connected {
            session_present: true,
        }),
        &mut log,
    );
    assert_eq!(
        filters(&resumed.restore),
        [("never-answered".to_string(), QoS::AtLeastOnce)]
    );
    assert_eq!(
        model.subscriptions[0].state,
        SubState::Granted(QoS::AtLeastOnce)
    );
    let fresh = model.on_event(
        session(Event::Connected {
            session_present: false,
        }),
        &mut log,
    );
    assert_eq!(
        fresh.restore.len(),
        2,
        "a new session subscribes to everything again"
    );
}

#[test]
fn publishes_queued_offline_are_flushed_when_connected_after_the_subscriptions() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "x");
    let queued = Queued {
        topic: "t".into(),
        payload: Bytes::from_static(b"1"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    };
    assert_eq!(model.queue_publish(queued.clone()), Ok(1));
    let reaction = model.on_event(
        session(Event::Connected {
            session_present: true,
        }),
        &mut log,
    );
    assert_eq!(reaction.restore.len(), 1);
    assert_eq!(reaction.flush, [queued]);
    assert!(model.queue.is_empty());
}

#[test]
fn abandoned_messages_are_kept_to_be_sent_again_and_bounded() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    for pkid in 1..=(ABANDONED_KEPT as u16 + 5) {
        model.on_event(
            session(Event::Abandoned(mqtt_session::Abandoned {
                pkid,
                topic: format!("t/{pkid}"),
                payload: Bytes::new(),
                qos: QoS::AtLeastOnce,
                retain: false,
                stage: mqtt_session::store::OutgoingStage::AwaitingPubAck,
                properties: Default::default(),
                reason: mqtt_session::AbandonReason::BrokerLostSession,
            })),
            &mut log,
        );
    }
    assert_eq!(model.abandoned.len(), ABANDONED_KEPT);
    assert_eq!(model.abandoned[0].topic, "t/6");
    assert_eq!(log.len(), ABANDONED_KEPT + 5, "every one is logged");
}

#[test]
fn control_packets_are_logged_only_when_traced() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    let ping = || {
        session(Event::Control {
            direction: Wire::Sent,
            packet: PacketKind::PingReq,
        })
    };
    model.on_event(ping(), &mut log);
    assert!(log.is_empty());
    model.trace_control = true;
    model.on_event(ping(), &mut log);
    assert_eq!(log.len(), 1);
}

#[test]
fn keepalive_is_whole_seconds_that_fit_in_16_bits() {
    assert_eq!(parse_keep_alive(" 60 "), Ok(60));
    assert_eq!(parse_keep_alive("65536"), Err(BadKeepAlive));
    assert_eq!(parse_keep_alive("1.5"), Err(BadKeepAlive));
}

#[test]
fn unsuback_removes_the_rows() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    subscribed(&mut model, "x");
    subscribed(&mut model, "y");
    model.on_event(
        session(Event::Unsubscribed {
            pkid: 2,
            filters: vec!["x".into()],
        }),
        &mut log,
    );
    assert_eq!(model.subscriptions.len(), 1);
    assert_eq!(model.subscriptions[0].filter, "y");
}

#[test]
fn a_broker_that_closes_every_resumed_session_at_once_gets_a_hint_after_two() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    let lost = || session(Event::Closed(CloseReason::TransportClosed("cut".into())));
    let resumed = || {
        session(Event::Connected {
            session_present: true,
        })
    };
    for _ in 0..2 {
        model.on_event(resumed(), &mut log);
        model.on_event(lost(), &mut log);
    }
    let hints = |log: &Log| {
        log.iter()
            .filter(|(_, b)| matches!(b, Body::Note(t) if t.contains("right after resuming")))
            .count()
    };
    assert_eq!(hints(&log), 1);
    // A resumed link that carries something is fine again, and the count starts over.
    model.on_event(resumed(), &mut log);
    model.on_event(
        session(Event::Delivered {
            pkid: 1,
            qos: QoS::AtLeastOnce,
        }),
        &mut log,
    );
    model.on_event(lost(), &mut log);
    assert_eq!(hints(&log), 1);
}

/// The filter and QoS of each subscription to restore.
fn filters(
    restore: &[(
        mqtt_session::Subscription,
        mqtt_session::SubscribeProperties,
    )],
) -> Vec<(String, QoS)> {
    restore
        .iter()
        .map(|(s, _)| (s.filter.clone(), s.qos))
        .collect()
}

#[test]
fn a_refused_mqtt5_publish_is_shown_where_the_user_published_and_in_the_log() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    model.published("/iot/user/bob/x", Some(7), false);
    assert_eq!(
        model.last_publish.as_ref().map(|l| l.state.clone()),
        Some(PublishState::Awaiting)
    );
    let reaction = model.on_event(
        session(Event::PublishOutcome(mqtt_session::PublishOutcome {
            pkid: 7,
            reason: mqtt_session::ReasonCode::NOT_AUTHORIZED,
            reason_string: None,
        })),
        &mut log,
    );
    assert!(reaction.changed);
    let last = model.last_publish.clone().expect("a last publish");
    assert!(matches!(&last.state, PublishState::Refused(why) if why.contains("not authorized")));
    assert!(last
        .text()
        .starts_with("'/iot/user/bob/x': refused by the broker: 0x87"));
    assert!(matches!(
        log.last(),
        Some((Direction::Error, Body::Note(text)))
            if text.starts_with("the broker refused the message to '/iot/user/bob/x': 0x87 not authorized")
    ));
}

#[test]
fn a_delivered_publish_and_a_qos0_publish_say_what_happened() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    model.published("a", Some(3), false);
    model.on_event(
        session(Event::Delivered {
            pkid: 3,
            qos: QoS::AtLeastOnce,
        }),
        &mut log,
    );
    assert_eq!(
        model.last_publish.as_ref().map(|l| l.state.clone()),
        Some(PublishState::Delivered(None))
    );
    model.published("b", None, false);
    assert!(model
        .last_publish
        .as_ref()
        .unwrap()
        .text()
        .contains("QoS 0"));
    // An answer for another message does not touch the last one.
    model.published("c", Some(4), false);
    model.on_event(
        session(Event::Delivered {
            pkid: 3,
            qos: QoS::AtLeastOnce,
        }),
        &mut log,
    );
    assert_eq!(
        model.last_publish.as_ref().map(|l| l.state.clone()),
        Some(PublishState::Awaiting)
    );
}

#[test]
fn an_mqtt5_connection_closed_before_connack_suggests_3_1_1() {
    let (mut model, mut log) = (ClientModel::new(), Log::new());
    model.protocol = mqtt_session::ProtocolVersion::V5;
    model.on_event(
        session(Event::Closed(CloseReason::TransportClosed("closed".into()))),
        &mut log,
    );
    assert!(log
        .iter()
        .any(|(_, b)| matches!(b, Body::Note(t) if t.contains("Choose MQTT version 3.1.1"))));
    // Once accepted, a later drop is not blamed on the version.
    let mut log = Log::new();
    model.on_event(
        session(Event::Connected {
            session_present: false,
        }),
        &mut log,
    );
    model.on_event(
        session(Event::Closed(CloseReason::TransportClosed("closed".into()))),
        &mut log,
    );
    assert!(!log
        .iter()
        .any(|(_, b)| matches!(b, Body::Note(t) if t.contains("3.1.1"))));
}
