//! Both roles against each other through the in-memory broker, with a virtual clock.

mod common;

use std::time::Duration;

use challenge::{ChallengeEvent, ClientConfig, Phase, ServerConfig, ServerEvent, Warning};
use common::broker::Pair;
use mqtt_session::QoS;

const QOS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

/// What a clean run must look like from both sides, for client `i`.
fn assert_clean_run(pair: &Pair, i: usize, qos: QoS, context: &str) {
    let client = &pair.clients[i];
    assert_eq!(client.phase(), &Phase::Done, "{context}");
    assert!(
        pair.disconnected[i],
        "{context}: the client disconnects when done"
    );
    let stats = client.stats();
    let unique_id = stats.unique_id.clone().expect("a unique id");
    let finished = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::Finished {
            unique_id: id,
            sent,
            wrong_replies,
            ..
        } if *id == unique_id => Some((*sent, *wrong_replies)),
        _ => None,
    });
    let (sent, wrong) = finished.unwrap_or_else(|| panic!("{context}: server finished"));
    assert_eq!(wrong, 0, "{context}: every reply correct");
    assert_eq!(
        stats.commands_received, sent,
        "{context}: every command arrived"
    );
    assert_eq!(
        stats.replies_sent,
        sent.total(),
        "{context}: one reply each"
    );
    let acked = if qos == QoS::AtMostOnce {
        0
    } else {
        sent.total()
    };
    assert_eq!(stats.replies_acknowledged, acked, "{context}: acks");
    // Only a server with nothing to send may make the client warn.
    let warnings: Vec<_> = pair.client_events[i]
        .iter()
        .filter_map(|e| match e {
            ChallengeEvent::Warning { warning, .. } => Some(warning),
            _ => None,
        })
        .collect();
    let expected: Vec<&Warning> = if sent.total() == 0 {
        vec![&Warning::FinalMessageBeforeCommands]
    } else {
        vec![]
    };
    assert_eq!(warnings, expected, "{context}");
}

/// The property: for any seed, QoS, pacing and command count, the client finishes and
/// the server agrees. A seeded loop rather than proptest: same coverage for this
/// small input space, nothing more to build, and every failure names its seed.
#[test]
fn every_seed_qos_and_pacing_ends_done_with_every_reply_correct() {
    for seed in 0..200u64 {
        // Command counts up to 80, sometimes a fixed count, sometimes zero.
        let max_commands = (seed.wrapping_mul(2_654_435_761) % 81) as u32;
        let min_commands = if seed % 3 == 0 {
            max_commands
        } else {
            max_commands / 3
        };
        for qos in QOS {
            for pace in [None, Some(Duration::from_millis(1 + seed % 250))] {
                let server = ServerConfig {
                    min_commands,
                    max_commands,
                    pace,
                    qos,
                    ..ServerConfig::new(seed)
                };
                let client = ClientConfig {
                    qos,
                    ..ClientConfig::new(format!("user{seed}"))
                };
                let mut pair = Pair::new(server, vec![client]);
                pair.run(Duration::from_secs(120));
                let context = format!("seed {seed}, {qos:?}, pace {pace:?}");
                assert_clean_run(&pair, 0, qos, &context);
                assert_eq!(pair.server.active_sessions(), 0, "{context}");
            }
        }
    }
}

#[test]
fn the_seeds_timing_holds_commands_three_seconds_after_the_unique_id() {
    let mut pair = Pair::new(ServerConfig::new(1), vec![ClientConfig::new("12345")]);
    pair.run(Duration::from_secs(60));
    assert_clean_run(&pair, 0, QoS::AtLeastOnce, "defaults");
    let stats = pair.clients[0].stats();
    let published = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::SessionStarted { at, .. } => Some(*at),
        _ => None,
    });
    let id_to_command = stats.first_command_at.unwrap() - published.unwrap();
    // 3 s after the server published the id, plus one hop through the broker each way.
    assert_eq!(id_to_command, Duration::from_secs(3) + pair.latency * 2);
    assert!(stats.final_message_at.unwrap() > stats.first_command_at.unwrap());
}

#[test]
fn many_clients_at_once_each_get_their_own_session() {
    let clients = (0..12)
        .map(|i| ClientConfig::new(format!("student{i}")))
        .collect();
    let server = ServerConfig {
        pace: None,
        ..ServerConfig::new(99)
    };
    let mut pair = Pair::new(server, clients);
    pair.run(Duration::from_secs(60));
    let mut ids: Vec<String> = Vec::new();
    for i in 0..12 {
        assert_clean_run(&pair, i, QoS::AtLeastOnce, &format!("client {i}"));
        ids.push(pair.clients[i].stats().unique_id.clone().unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "unique ids are unique");
    assert_eq!(pair.server.stats().finished, 12);
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let run = |seed| {
        let mut pair = Pair::new(ServerConfig::new(seed), vec![ClientConfig::new("12345")]);
        pair.run(Duration::from_secs(60));
        (pair.server_events, pair.client_events)
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

#[test]
fn a_client_that_stops_answering_leaves_the_server_to_name_the_missing_replies() {
    let server = ServerConfig {
        min_commands: 3,
        max_commands: 3,
        ..ServerConfig::new(3)
    };
    let mut pair = Pair::new(server, vec![ClientConfig::new("12345")]);
    // Run until the first command is out, then cut the client off the broker.
    pair.run(Duration::from_millis(3_100));
    assert_eq!(pair.clients[0].phase(), &Phase::ReceivingCommands);
    pair.disconnected[0] = true;
    pair.run(Duration::from_secs(120));
    let expired = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::Expired { missing, .. } => Some(missing.total()),
        _ => None,
    });
    assert_eq!(expired, Some(2));
    assert_eq!(pair.server.active_sessions(), 0);
}
