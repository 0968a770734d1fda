//! The IoT challenge on mosquitto over TCP: the service and the solver as clients of a broker
//! that is not the lab, with the seed's login (`student` / `i_make_mqtt_cool`).
//!
//! `cargo xtask test` starts mosquitto and sets `MQTT_MOSQUITTO_TCP_ADDR`,
//! `MQTT_MOSQUITTO_USERNAME` and `MQTT_MOSQUITTO_PASSWORD`; by hand, run a mosquitto with a
//! password file and `cargo test -p lab --test mosquitto -- --include-ignored` with those set.
//!
//! One test holds the service: every service on a broker answers every login on `login`, so
//! two at once would race for each user id.

mod support;

use std::time::Duration;

use challenge::Failure;
use mqtt_session::{CloseReason, ConnectRefusal, Credentials, QoS};
use support::challenge::{fast_server, service, solve_as, solve_at_every_qos};

/// The broker's address and the login, read at run time: the tests are compiled without them.
fn mosquitto() -> (String, Credentials) {
    let var = |name: &str| match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: run these tests through `cargo xtask test`"),
    };
    let credentials = Credentials {
        username: var("MQTT_MOSQUITTO_USERNAME"),
        password: Some(var("MQTT_MOSQUITTO_PASSWORD")),
    };
    (var("MQTT_MOSQUITTO_TCP_ADDR"), credentials)
}

/// Burst and paced commands, and a service at QoS 2 in a burst: mosquitto drops a 3.1.1
/// client's QoS 2 messages beyond its in-flight quota (20), which the session's send window
/// prevents (`mqtt_session::ConnectOptions::max_inflight`, 20 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: run through cargo xtask test"]
async fn the_challenge_is_solved_on_mosquitto_in_a_burst_and_paced_at_every_qos() {
    let (broker, login) = mosquitto();
    let pace = Some(Duration::from_millis(5));
    let runs = [
        ("burst", fast_server(11, None, QoS::AtLeastOnce)),
        ("paced", fast_server(12, pace, QoS::AtLeastOnce)),
        ("burst-qos2", fast_server(13, None, QoS::ExactlyOnce)),
    ];
    for (name, config) in runs {
        // One service at a time: the previous one is dropped (its connection closed) first.
        let _service = service(&broker, Some(&login), config).await;
        solve_at_every_qos(&broker, Some(&login), &format!("mosquitto-{name}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: run through cargo xtask test"]
async fn a_wrong_password_fails_with_the_brokers_refusal() {
    let (broker, mut login) = mosquitto();
    login.password = Some("not the password".into());
    let report = solve_as(&broker, Some(&login), "wrong-password", QoS::AtLeastOnce).await;
    let Some(Failure::Closed(CloseReason::Refused(refusal))) = report.failure() else {
        panic!("expected a refused connection, got {:?}", report.phase);
    };
    assert!(
        matches!(
            refusal,
            ConnectRefusal::BadUserNameOrPassword | ConnectRefusal::NotAuthorized
        ),
        "{refusal:?}"
    );
}
