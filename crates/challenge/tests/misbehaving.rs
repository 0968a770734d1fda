//! The client against scripted servers that do not follow the seed to the letter.

mod common;

use std::time::Duration;

use bytes::Bytes;
use challenge::{
    Action, ChallengeClient, ChallengeEvent, ClientConfig, Command, Failure, Phase, UserIdError,
    Warning,
};
use common::script::{reply, Script, UNIQUE_ID, USER};
use mqtt_session::{
    CloseReason, CommandError, ConnectRefusal, Event, Message, QoS, SubscribeResult,
};

#[test]
fn the_uuid_topic_is_subscribed_before_the_user_id_is_published() {
    let mut s = Script::new(ClientConfig::new(USER));
    s.connect();
    let subscribe = Action::Subscribe {
        filter: "12345/UUID".into(),
        qos: QoS::AtLeastOnce,
    };
    assert_eq!(s.take_actions(), vec![subscribe]);
    assert_eq!(s.phase(), Phase::SubscribingUuid);
    s.suback("12345/UUID", SubscribeResult::Granted(QoS::AtLeastOnce));
    assert_eq!(s.take_publishes(), vec![("login".into(), "12345".into())]);
    assert_eq!(s.phase(), Phase::AwaitingUniqueId);
}

#[test]
fn no_unique_id_fails_after_ten_seconds_naming_the_uuid_topic() {
    let mut s = Script::logged_in();
    s.advance(Duration::from_millis(9_999));
    assert_eq!(s.phase(), Phase::AwaitingUniqueId);
    s.advance(Duration::from_millis(1));
    assert_eq!(
        s.failure().as_deref(),
        Some("no unique id arrived on 12345/UUID within 10 s after the login")
    );
    assert_eq!(s.take_actions().last(), Some(&Action::Disconnect));
    assert_eq!(s.client.poll_timeout(), None);
}

#[test]
fn no_command_after_the_unique_id_fails_after_fifteen_seconds() {
    let mut s = Script::awaiting_commands();
    s.advance(Duration::from_secs(15));
    let failure = s.failure().expect("failed");
    assert!(failure.starts_with("no command arrived on 1234-fdsfs-12441-qa241 within 15 s"));
}

#[test]
fn silence_after_the_last_command_fails_waiting_for_the_final_message() {
    let mut s = Script::awaiting_commands();
    s.server_says("CMD1");
    s.advance(Duration::from_secs(10));
    s.server_says("CMD2"); // The deadline restarts from the latest command.
    s.advance(Duration::from_secs(14));
    assert_eq!(s.phase(), Phase::ReceivingCommands);
    s.advance(Duration::from_secs(1));
    assert!(matches!(
        s.client.phase(),
        Phase::Failed(Failure::NoFinalMessage { .. })
    ));
    assert!(s.failure().unwrap().contains("\"Well done my IoT!\""));
}

#[test]
fn every_command_is_answered_on_its_reply_topic_with_its_word() {
    let mut s = Script::awaiting_commands();
    s.take_actions();
    for command in ["CMD7", "CMD1", "CMD1", "CMD4"] {
        s.server_says(command);
    }
    assert_eq!(
        s.take_publishes(),
        vec![
            reply("CMD7", "Toy"),
            reply("CMD1", "Apple"),
            reply("CMD1", "Apple"),
            reply("CMD4", "Rat"),
        ]
    );
    let stats = s.client.stats();
    assert_eq!(stats.commands_received.get(Command::Cmd1), 2);
    assert_eq!(stats.replies_sent, 4);
}

#[test]
fn an_unknown_command_is_a_warning_and_gets_no_reply() {
    let mut s = Script::awaiting_commands();
    s.take_actions();
    s.server_says("CMD8");
    assert!(s.take_publishes().is_empty());
    assert_eq!(
        s.warnings(),
        vec![Warning::UnexpectedMessage {
            topic: UNIQUE_ID.into(),
            payload: "CMD8".into()
        }]
    );
    assert_eq!(s.phase(), Phase::AwaitingCommands);
}

#[test]
fn a_second_final_message_after_done_is_ignored() {
    let mut s = Script::awaiting_commands();
    s.server_says("CMD2");
    s.server_says("Well done my IoT!");
    assert_eq!(s.phase(), Phase::Done);
    assert_eq!(s.take_actions().last(), Some(&Action::Disconnect));
    s.take_events();
    s.server_says("Well done my IoT!");
    s.server_says("CMD3"); // "There will be no more commands after the final message".
    assert!(s.take_actions().is_empty());
    assert!(s.take_events().is_empty());
    assert_eq!(s.phase(), Phase::Done);
}

#[test]
fn a_final_message_before_any_command_is_done_with_a_warning() {
    let mut s = Script::awaiting_commands();
    s.server_says("Well done my IoT!");
    assert_eq!(s.phase(), Phase::Done);
    assert_eq!(s.warnings(), vec![Warning::FinalMessageBeforeCommands]);
}

#[test]
fn commands_before_the_suback_of_the_unique_id_are_answered() {
    let mut s = Script::logged_in();
    s.message("12345/UUID", UNIQUE_ID);
    s.take_actions();
    s.server_says("CMD5");
    assert_eq!(s.take_publishes(), vec![reply("CMD5", "Boy")]);
    s.suback(UNIQUE_ID, SubscribeResult::Granted(QoS::AtLeastOnce));
    s.server_says("Well done my IoT!");
    assert_eq!(s.phase(), Phase::Done);
    assert!(s.warnings().is_empty());
}

#[test]
fn a_refused_uuid_subscription_fails_without_logging_in() {
    let mut s = Script::new(ClientConfig::new(USER));
    s.connect();
    s.take_actions();
    s.suback(
        "12345/UUID",
        SubscribeResult::Refused(mqtt_session::ReasonCode::UNSPECIFIED_ERROR),
    );
    assert!(s.take_publishes().is_empty());
    let failure = s.failure().expect("failed");
    assert!(failure.starts_with("the broker refused the subscription to 12345/UUID"));
}

#[test]
fn a_refused_unique_id_subscription_fails() {
    let mut s = Script::logged_in();
    s.message("12345/UUID", UNIQUE_ID);
    s.suback(
        UNIQUE_ID,
        SubscribeResult::Refused(mqtt_session::ReasonCode::UNSPECIFIED_ERROR),
    );
    assert!(matches!(
        s.client.phase(),
        Phase::Failed(Failure::SubscriptionRefused { filter }) if filter == UNIQUE_ID
    ));
}

#[test]
fn a_missing_suback_fails_after_ten_seconds() {
    let mut s = Script::new(ClientConfig::new(USER));
    s.connect();
    s.advance(Duration::from_secs(10));
    assert_eq!(
        s.failure().as_deref(),
        Some("the broker did not acknowledge the subscription to 12345/UUID within 10 s")
    );
}

#[test]
fn closed_mid_way_fails_with_the_close_reason_and_asks_for_no_disconnect() {
    let mut s = Script::awaiting_commands();
    s.server_says("CMD1");
    s.take_actions();
    s.event(Event::Closed(CloseReason::TransportClosed(
        "the WebSocket closed (1006)".into(),
    )));
    assert_eq!(s.failure().as_deref(), Some("the WebSocket closed (1006)"));
    assert!(s.take_actions().is_empty());
}

#[test]
fn a_refused_connection_fails_with_the_brokers_words() {
    let mut s = Script::new(ClientConfig::new(USER));
    s.event(Event::Closed(CloseReason::Refused(
        ConnectRefusal::BadUserNameOrPassword,
    )));
    assert_eq!(
        s.failure().as_deref(),
        Some("the broker refused the connection: bad user name or password")
    );
}

#[test]
fn a_retained_unique_id_from_an_earlier_run_is_ignored() {
    let mut s = Script::new(ClientConfig::new(USER));
    s.connect();
    s.message("12345/UUID", "stale-id"); // Arrives with the subscription, before the login.
    s.suback("12345/UUID", SubscribeResult::Granted(QoS::AtLeastOnce));
    s.message("12345/UUID", UNIQUE_ID);
    assert_eq!(s.client.stats().unique_id.as_deref(), Some(UNIQUE_ID));
    assert!(matches!(s.warnings()[..], [Warning::StrayUniqueId { .. }]));
}

#[test]
fn a_unique_id_with_a_wildcard_fails_instead_of_subscribing_to_it() {
    let mut s = Script::logged_in();
    s.take_actions();
    s.message("12345/UUID", "#");
    assert!(matches!(
        s.client.phase(),
        Phase::Failed(Failure::BadUniqueId { .. })
    ));
    assert_eq!(s.take_actions(), vec![Action::Disconnect]);
}

#[test]
fn a_publish_the_session_refuses_fails_the_run() {
    let config = ClientConfig::new(USER);
    let mut client = ChallengeClient::new(config, Default::default()).expect("valid");
    let now = Default::default();
    client.handle_session_event(
        now,
        &Event::Connected {
            session_present: false,
        },
    );
    client.poll_action();
    let results = vec![(
        "12345/UUID".into(),
        SubscribeResult::Granted(QoS::AtLeastOnce),
    )];
    client.handle_session_event(now, &Event::Subscribed { pkid: 1, results });
    assert!(matches!(client.poll_action(), Some(Action::Publish { .. })));
    client.note_published(now, Err(CommandError::NotConnected));
    let Phase::Failed(failure) = client.phase() else {
        panic!("not failed: {:?}", client.phase());
    };
    assert_eq!(
        failure.to_string(),
        "could not publish the user id on login: not connected to a broker"
    );
}

#[test]
fn acknowledgements_are_matched_to_replies_by_packet_id() {
    let mut s = Script::awaiting_commands();
    s.take_events();
    s.server_says("CMD6");
    let pkid = s
        .take_events()
        .into_iter()
        .find_map(|e| match e {
            ChallengeEvent::ReplySent { pkid, .. } => pkid,
            _ => None,
        })
        .expect("a QoS 1 reply has a packet id");
    s.event(Event::Delivered {
        pkid: 999,
        qos: QoS::AtLeastOnce,
    }); // Not a reply of ours.
    assert_eq!(s.client.stats().replies_acknowledged, 0);
    s.event(Event::Delivered {
        pkid,
        qos: QoS::AtLeastOnce,
    });
    assert_eq!(s.client.stats().replies_acknowledged, 1);
    assert!(matches!(
        s.take_events()[..],
        [ChallengeEvent::ReplyAcknowledged {
            command: Command::Cmd6,
            ..
        }]
    ));
}

#[test]
fn messages_on_other_topics_are_left_to_the_caller() {
    let mut s = Script::awaiting_commands();
    s.take_events();
    s.take_actions();
    s.event(Event::Message(Message {
        topic: "sensors/kitchen".into(),
        payload: Bytes::from_static(b"CMD1"),
        qos: QoS::AtMostOnce,
        retain: false,
        dup: false,
        pkid: 0,
        properties: Default::default(),
    }));
    assert!(s.take_events().is_empty());
    assert!(s.take_actions().is_empty());
}

#[test]
fn user_ids_that_cannot_name_a_topic_are_refused_up_front() {
    let now = Default::default();
    let err = ChallengeClient::new(ClientConfig::new("12/345"), now).unwrap_err();
    assert!(matches!(
        err,
        UserIdError::ForbiddenCharacter { found: '/', .. }
    ));
    let err = ChallengeClient::new(ClientConfig::new(""), now).unwrap_err();
    assert_eq!(err, UserIdError::Empty);
}
