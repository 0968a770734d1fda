//! A client with `survive_drops` on real MQTT sessions, its link cut at every phase, with
//! the broker keeping its session or losing it, at QoS 0, 1 and 2: where nothing can be
//! lost the run ends in "Well done my IoT!" with, at QoS 2, no reply counted twice; where
//! something was lost the run says so.
mod common;

use std::time::Duration;

use challenge::{
    Action, ChallengeEvent, ClientConfig, Failure, NothingKept, Phase, ServerConfig, ServerEvent,
    Warning,
};
use common::net::{Net, CLIENT_ID};
use common::script::{reply, Script, USER};
use mqtt_session::{CloseReason, Event, PacketKind, QoS, SubscribeResult};
use splitmix::SplitMix64;

const QOS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];
const LIMIT: Duration = Duration::from_secs(120);

fn server(qos: QoS) -> ServerConfig {
    ServerConfig {
        min_commands: 10,
        max_commands: 10,
        qos,
        ..ServerConfig::new(7)
    }
}

fn client(qos: QoS) -> ClientConfig {
    ClientConfig {
        qos,
        survive_drops: true,
        ..ClientConfig::new("12345")
    }
}

fn net(qos: QoS, lose_sessions: bool) -> Net {
    let mut net = Net::new(server(qos), client(qos));
    net.broker.lose_sessions = lose_sessions;
    net
}

fn warnings(net: &Net) -> Vec<Warning> {
    net.client_events
        .iter()
        .filter_map(|e| match e {
            ChallengeEvent::Warning { warning, .. } => Some(warning.clone()),
            _ => None,
        })
        .collect()
}

fn logins(net: &Net) -> usize {
    net.server_events
        .iter()
        .filter(|e| matches!(e, ServerEvent::SessionStarted { .. }))
        .count()
}

/// The run ended in "Well done my IoT!", every command answered once by the client.
fn assert_done(net: &Net, context: &str) {
    assert_eq!(
        net.client.phase(),
        &Phase::Done,
        "{context}: {:?}",
        net.client_events
    );
    assert!(net.server_finished(), "{context}");
    let stats = net.client.stats();
    assert_eq!(
        stats.replies_sent,
        stats.commands_received.total(),
        "{context}: one reply per command received"
    );
}

/// Every command arrived once and every reply counted once: exactly once across the cuts.
fn assert_exactly_once(net: &Net, context: &str) {
    assert_done(net, context);
    let stats = net.client.stats();
    assert_eq!(
        stats.commands_received.total(),
        net.commands_sent(),
        "{context}"
    );
    assert_eq!(stats.replies_sent, net.commands_sent(), "{context}");
    assert_eq!(stats.replies_published_again, 0, "{context}");
    assert_eq!(net.wrong_replies(), Vec::<String>::new(), "{context}");
}

/// Cuts the link once `when` holds, and runs the challenge to its end.
fn cut_when(net: &mut Net, when: impl FnMut(&Net) -> bool, context: &str) {
    assert!(
        net.run_until(LIMIT, when),
        "{context}: never reached the cut"
    );
    net.cut();
    net.run_to_end(LIMIT);
    assert_eq!(net.client.stats().drops, 1, "{context}");
}

#[test]
fn a_cut_while_subscribing_to_the_uuid_topic_subscribes_again() {
    for qos in QOS {
        for lose in [false, true] {
            let context = format!("{qos:?}, session lost: {lose}");
            let mut net = net(qos, lose);
            cut_when(
                &mut net,
                |n| n.client.phase() == &Phase::SubscribingUuid,
                &context,
            );
            assert_done(&net, &context);
            assert_eq!(logins(&net), 1, "{context}");
        }
    }
}

#[test]
fn a_login_in_flight_is_resent_by_a_kept_session_and_repeated_otherwise() {
    for qos in QOS {
        for lose in [false, true] {
            let context = format!("{qos:?}, session lost: {lose}");
            let mut net = net(qos, lose);
            cut_when(
                &mut net,
                |n| n.client.phase() == &Phase::AwaitingUniqueId,
                &context,
            );
            assert_done(&net, &context);
            let logins_sent: Vec<bool> = net
                .broker
                .received
                .iter()
                .filter(|r| r.topic == "login")
                .map(|r| r.dup)
                .collect();
            if qos == QoS::AtMostOnce || lose {
                let why = if lose {
                    NothingKept::SessionLost
                } else {
                    NothingKept::AtMostOnce
                };
                assert!(
                    warnings(&net).contains(&Warning::LoggingInAgain(why)),
                    "{context}: {:?}",
                    warnings(&net)
                );
                assert_eq!(logins_sent, [false], "{context}: the first login was lost");
            } else {
                // [MQTT-4.4.0-1]: the session sent the unacknowledged login again, with DUP.
                assert_eq!(logins_sent, [true], "{context}");
                assert!(warnings(&net).is_empty(), "{context}: {:?}", warnings(&net));
                assert_exactly_once(&net, &context);
            }
        }
    }
}

#[test]
fn a_unique_id_in_flight_waits_in_a_kept_session_and_is_asked_again_otherwise() {
    for qos in QOS {
        for lose in [false, true] {
            let context = format!("{qos:?}, session lost: {lose}");
            let mut net = net(qos, lose);
            // The server has answered the login: its unique id is on its way to the client.
            cut_when(&mut net, |n| logins(n) == 1, &context);
            assert_done(&net, &context);
            let kept = qos != QoS::AtMostOnce && !lose;
            assert_eq!(logins(&net), if kept { 1 } else { 2 }, "{context}");
            if kept {
                assert_exactly_once(&net, &context);
            }
        }
    }
}

#[test]
fn a_cut_while_awaiting_the_first_command_subscribes_to_the_unique_id_again() {
    for qos in QOS {
        for lose in [false, true] {
            let context = format!("{qos:?}, session lost: {lose}");
            let mut net = net(qos, lose);
            // The SUBSCRIBE to <unique id> is in flight; the link is back before the
            // server's 3 s delay ends, so no command is lost even with the session.
            cut_when(
                &mut net,
                |n| n.client.phase() == &Phase::AwaitingCommands,
                &context,
            );
            assert_exactly_once(&net, &context);
        }
    }
}

#[test]
fn three_cuts_during_the_commands_lose_nothing_when_the_broker_keeps_the_session() {
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let context = format!("{qos:?}");
        let mut net = net(qos, false);
        for n in [1, 4, 7] {
            // A command just arrived: its reply and its PUBACK/PUBREC are in flight.
            let reached = net.run_until(LIMIT, |net| {
                net.client_connected() && net.client.stats().commands_received.total() >= n
            });
            assert!(reached, "{context}: command {n}");
            net.cut();
        }
        net.run_to_end(LIMIT);
        assert_eq!(net.client.stats().drops, 3, "{context}");
        assert!(warnings(&net).is_empty(), "{context}: {:?}", warnings(&net));
        if qos == QoS::ExactlyOnce {
            assert_exactly_once(&net, &context);
        } else {
            assert_done(&net, &context);
        }
    }
}

#[test]
fn a_command_resent_with_dup_at_qos_1_is_answered_again_and_the_server_counts_it_extra() {
    let mut net = net(QoS::AtLeastOnce, false);
    cut_when(
        &mut net,
        |n| n.client.stats().commands_received.total() == 1,
        "QoS 1",
    );
    assert_done(&net, "QoS 1");
    // The broker had no PUBACK for the first command: it sent it again, with DUP, and the
    // client answered it as a new publication [MQTT-4.3.2-2].
    let stats = net.client.stats();
    assert_eq!(stats.commands_received.total(), net.commands_sent() + 1);
    let wrong = net.wrong_replies();
    assert!(
        !wrong.is_empty() && wrong.iter().all(|w| w.contains("already answered")),
        "{wrong:?}"
    );
}

#[test]
fn at_qos_2_a_command_and_a_reply_resent_across_a_cut_count_once() {
    // The command's PUBREC in flight: the broker resends the command, the session does not
    // deliver it twice. The reply's PUBREC in flight: the session resends the reply, the
    // broker does not forward it twice.
    let mut net = net(QoS::ExactlyOnce, false);
    cut_when(
        &mut net,
        |n| n.client.stats().commands_received.total() == 1,
        "command",
    );
    assert_exactly_once(&net, "command");

    let mut net = self::net(QoS::ExactlyOnce, false);
    cut_when(
        &mut net,
        |n| {
            let replies = n.broker.received.iter();
            replies
                .filter(|r| r.from == CLIENT_ID)
                .any(|r| r.topic.contains("/CMD"))
        },
        "reply",
    );
    assert_exactly_once(&net, "reply");
    assert!(
        net.broker.received.iter().any(|r| r.dup),
        "the reply was resent"
    );
}

#[test]
fn a_pubrel_in_flight_is_resent_and_the_reply_completes() {
    let mut net = net(QoS::ExactlyOnce, false);
    cut_when(
        &mut net,
        |n| n.client_received(|p| matches!(p, PacketKind::PubRec(_))) >= 2,
        "PUBREL in flight",
    );
    assert_exactly_once(&net, "PUBREL in flight");
    let stats = net.client.stats();
    assert_eq!(stats.replies_acknowledged, stats.replies_sent);
}

#[test]
fn replies_the_session_abandons_are_published_again_and_counted_once() {
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let context = format!("{qos:?}");
        let mut net = Net::new(
            ServerConfig {
                pace: None, // every command at once, so none is sent while the link is down
                ..server(qos)
            },
            client(qos),
        );
        net.broker.lose_sessions = true;
        // Every command in, every reply in flight; then the broker forgets the session.
        cut_when(
            &mut net,
            |n| {
                n.commands_sent() > 0
                    && n.client.stats().commands_received.total() == n.commands_sent()
            },
            &context,
        );
        assert_done(&net, &context);
        let stats = net.client.stats();
        assert_eq!(stats.replies_sent, net.commands_sent(), "{context}");
        assert_eq!(
            stats.replies_published_again,
            net.commands_sent(),
            "{context}"
        );
        let again = warnings(&net)
            .iter()
            .filter(|w| matches!(w, Warning::ReplyPublishedAgain { .. }))
            .count();
        assert_eq!(again as u32, net.commands_sent(), "{context}");
        assert!(
            warnings(&net).contains(&Warning::CommandsMayBeLost(NothingKept::SessionLost)),
            "{context}"
        );
        assert_eq!(net.wrong_replies(), Vec::<String>::new(), "{context}");
    }
}

#[test]
fn commands_lost_with_the_session_end_the_run_on_the_final_message_deadline() {
    for (qos, lose, why) in [
        (QoS::AtMostOnce, false, NothingKept::AtMostOnce),
        (QoS::AtLeastOnce, true, NothingKept::SessionLost),
        (QoS::ExactlyOnce, true, NothingKept::SessionLost),
    ] {
        let context = format!("{qos:?}, session lost: {lose}");
        let mut net = net(qos, lose);
        // Commands come every 200 ms: several go out during the second the link is down.
        cut_when(
            &mut net,
            |n| n.client.stats().commands_received.total() == 2,
            &context,
        );
        assert!(
            warnings(&net).contains(&Warning::CommandsMayBeLost(why)),
            "{context}: {:?}",
            warnings(&net)
        );
        match net.client.phase() {
            Phase::Failed(failure @ Failure::NoFinalMessage { .. }) => {
                assert!(
                    failure.to_string().contains("Well done my IoT!"),
                    "{failure}"
                );
            }
            other => panic!("{context}: {other:?}"),
        }
    }
}

#[test]
fn three_cuts_at_random_moments_end_in_well_done_when_the_session_is_kept() {
    for seed in 0..200 {
        for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let context = format!("seed {seed}, {qos:?}");
            let mut rng = SplitMix64::new(seed);
            let mut net = Net::new(
                ServerConfig {
                    min_commands: 5,
                    max_commands: 20,
                    qos,
                    ..ServerConfig::new(seed)
                },
                client(qos),
            );
            net.latency = Duration::from_millis(1 + rng.below(30));
            let mut cuts = 0;
            while cuts < 3 && !net.client.phase().is_over() {
                // Somewhere in the next 1.5 s of connected time.
                net.run_until(LIMIT, |n| {
                    n.client_connected() || n.client.phase().is_over()
                });
                let wait = Duration::from_millis(rng.below(1_500));
                net.run_until(wait, |n| n.client.phase().is_over());
                if net.client_connected() {
                    net.cut();
                    cuts += 1;
                }
            }
            net.run_to_end(LIMIT);
            assert_eq!(net.client.stats().drops, cuts, "{context}");
            if qos == QoS::ExactlyOnce {
                assert_exactly_once(&net, &context);
            } else {
                assert_done(&net, &context);
                let wrong = net.wrong_replies();
                assert!(
                    wrong.iter().all(|w| w.contains("already answered")),
                    "{context}: {wrong:?}"
                );
            }
        }
    }
}

// ----- the inputs one by one, against a scripted session -----

fn scripted(survive_drops: bool) -> Script {
    let mut s = Script::new(ClientConfig {
        survive_drops,
        ..ClientConfig::new(USER)
    });
    s.connect();
    s.suback(
        &format!("{USER}/UUID"),
        SubscribeResult::Granted(QoS::AtLeastOnce),
    );
    assert_eq!(s.phase(), Phase::AwaitingUniqueId);
    s
}

fn cut_reason() -> CloseReason {
    CloseReason::TransportClosed("the network went away".into())
}

#[test]
fn deadlines_pause_while_the_link_is_down_and_resume_with_what_was_left() {
    let mut s = scripted(true);
    s.advance(Duration::from_secs(4));
    s.event(Event::Closed(cut_reason()));
    assert!(s.client.is_offline());
    assert_eq!(s.client.poll_timeout(), None, "nothing runs while offline");
    s.advance(Duration::from_secs(60));
    assert_eq!(s.phase(), Phase::AwaitingUniqueId, "the phase is kept");
    s.event(Event::Connected {
        session_present: true,
    });
    assert!(!s.client.is_offline());
    assert_eq!(
        s.client.poll_timeout(),
        Some(s.now + Duration::from_secs(6)),
        "10 s to wait, 4 s of them spent before the drop"
    );
    assert!(s.take_publishes().iter().all(|(topic, _)| topic == "login"));
    s.advance(Duration::from_secs(6));
    assert_eq!(
        s.failure().as_deref(),
        Some("no unique id arrived on 12345/UUID within 10 s after the login")
    );
}

#[test]
fn retries_that_fail_while_offline_are_not_more_drops() {
    let mut s = scripted(true);
    s.event(Event::Closed(cut_reason()));
    s.event(Event::Closed(CloseReason::ConnectTimeout(10)));
    s.event(Event::Closed(cut_reason()));
    assert_eq!(s.client.stats().drops, 1);
    assert_eq!(s.phase(), Phase::AwaitingUniqueId);
}

#[test]
fn the_end_of_reconnecting_fails_the_run_with_its_reason() {
    let mut s = scripted(true);
    s.event(Event::Closed(cut_reason()));
    s.take_actions();
    s.client.handle_ended(s.now, &CloseReason::ClientDisconnect);
    s.drain();
    assert_eq!(s.failure().as_deref(), Some("disconnected"));
    assert_eq!(s.take_actions(), [], "the caller's client is already done");
}

#[test]
fn a_connection_that_never_came_up_fails_at_once_and_stops_the_retries() {
    let mut s = Script::new(client(QoS::AtLeastOnce));
    let refused = CloseReason::OpenTimeout(10);
    s.event(Event::Closed(refused.clone()));
    assert_eq!(s.failure(), Some(refused.to_string()));
    assert_eq!(s.take_actions(), [Action::Disconnect]);
}

#[test]
fn the_users_own_disconnect_is_not_lived_through() {
    let mut s = scripted(true);
    s.event(Event::Closed(CloseReason::ClientDisconnect));
    assert_eq!(s.failure().as_deref(), Some("disconnected"));
}

#[test]
fn without_survive_drops_a_lost_connection_fails_the_run_as_before() {
    let mut s = scripted(false);
    s.event(Event::Closed(cut_reason()));
    assert_eq!(s.failure().as_deref(), Some("the network went away"));
    s.event(Event::Connected {
        session_present: true,
    });
    assert!(s.failure().is_some(), "a failed run stays failed");
}

#[test]
fn a_reply_refused_because_the_link_just_closed_goes_out_once_it_is_back() {
    let mut s = Script::awaiting_commands_with(client(QoS::AtLeastOnce));
    s.refuse_commands(true);
    s.server_says("CMD2");
    s.event(Event::Closed(cut_reason()));
    assert_eq!(s.phase(), Phase::ReceivingCommands);
    assert_eq!(s.client.stats().replies_sent, 0, "not published yet");
    s.refuse_commands(false);
    s.take_actions();
    s.event(Event::Connected {
        session_present: true,
    });
    assert_eq!(s.take_publishes(), [reply("CMD2", "Cat")]);
    assert_eq!(s.client.stats().replies_sent, 1);
}
