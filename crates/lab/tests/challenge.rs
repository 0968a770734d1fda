//! The IoT challenge end to end on the lab's embedded broker: the service and the solver, both
//! over TCP on the project's own MQTT session, in this process.

mod support;

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use challenge::{ClientConfig, Failure, ServerConfig, UserIdError};
use lab::challenge_service::{start_service, ServiceError};
use lab::solver::{solve, SolveError, SolveOptions};
use mqtt_session::{CloseReason, ConnectOptions, QoS};
use support::challenge::{fast_server, service, solve_as, solve_at_every_qos};
use support::start_lab;

/// `127.0.0.1:PORT` where nothing listens: a port the OS just handed out and took back.
fn closed_port() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a test port");
    let addr = listener.local_addr().expect("local addr");
    addr.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_commands_is_solved_at_every_qos() {
    let lab = start_lab().await;
    let broker = lab.tcp_addr().to_string();
    let _service = service(&broker, None, fast_server(1, None, QoS::AtLeastOnce)).await;
    solve_at_every_qos(&broker, None, "burst").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_commands_are_solved_at_every_qos() {
    let lab = start_lab().await;
    let broker = lab.tcp_addr().to_string();
    let pace = Some(Duration::from_millis(5));
    let _service = service(&broker, None, fast_server(2, pace, QoS::AtLeastOnce)).await;
    solve_at_every_qos(&broker, None, "paced").await;
}

/// The service's own QoS (`--challenge-qos`) is independent of the solver's: messages are
/// delivered at the lower of the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_at_qos_0_or_2_is_solved_too() {
    for (seed, qos) in [(3, QoS::AtMostOnce), (4, QoS::ExactlyOnce)] {
        let lab = start_lab().await;
        let broker = lab.tcp_addr().to_string();
        let _service = service(&broker, None, fast_server(seed, None, qos)).await;
        let report = solve_as(&broker, None, &format!("svc-qos-{seed}"), QoS::ExactlyOnce).await;
        assert!(report.is_done(), "{qos:?}: {:?}", report.phase);
        let commands = report.stats.commands_received.total();
        assert_eq!(report.stats.replies_sent, commands);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_fails_with_a_clear_reason() {
    let broker = closed_port();
    let report = solve_as(&broker, None, "12345", QoS::AtLeastOnce).await;
    let Some(Failure::Closed(CloseReason::TransportClosed(reason))) = report.failure() else {
        panic!("expected a closed transport, got {:?}", report.phase);
    };
    let expected = format!("could not connect to {broker}: connection refused");
    assert!(reason.starts_with(&expected), "{reason}");
    assert_eq!(report.stats.replies_sent, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_id_that_cannot_name_its_topic_is_refused_before_connecting() {
    let options = SolveOptions {
        broker: closed_port(),
        connect: ConnectOptions::new("solver-bad-id"),
        challenge: ClientConfig::new("12/34"),
    };
    let refused = solve(options, |_| {}).await;
    assert!(
        matches!(
            refused,
            Err(SolveError::UserId(UserIdError::ForbiddenCharacter {
                found: '/',
                ..
            }))
        ),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_a_broker_says_why_it_cannot_start() {
    let broker = closed_port();
    let options = ConnectOptions::new("service-nowhere");
    let started = start_service(&broker, options, ServerConfig::new(5), |_| {}).await;
    let Err(error @ ServiceError::Closed(_)) = started else {
        panic!("the service started without a broker");
    };
    let text = error.to_string();
    assert!(
        text.contains(&format!("could not connect to {broker}")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_service_settings_are_refused_before_connecting() {
    let config = ServerConfig {
        min_commands: 9,
        max_commands: 3,
        ..ServerConfig::new(6)
    };
    let options = ConnectOptions::new("service-misconfigured");
    let started = start_service(&closed_port(), options, config, |_| {}).await;
    assert!(matches!(started, Err(ServiceError::Config(_))));
}

/// A class at once (`lab solve --clients N`): 50 students, each with its own user id, all
/// complete against one service on the embedded broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_of_fifty_students_completes_against_one_service() {
    let lab = start_lab().await;
    let broker = lab.tcp_addr().to_string();
    let pace = Some(Duration::from_millis(5));
    let _service = service(&broker, None, fast_server(5, pace, QoS::AtLeastOnce)).await;
    let template = SolveOptions {
        broker,
        connect: ConnectOptions::new("class-test"),
        challenge: ClientConfig::new("class"),
    };
    let run = lab::class_report::run_class(&template, 50, Duration::from_millis(1));
    let report = tokio::time::timeout(support::challenge::RUN_GUARD, run)
        .await
        .expect("the class finished within the guard");
    assert_eq!((report.students, report.completed), (50, 50), "{report}");
    assert!(report.errors.is_empty(), "{report}");
    assert_eq!(report.commands_times.len(), 50);
}
