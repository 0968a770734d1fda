//! Scale-out on mosquitto: three challenge services share the logins through a shared
//! subscription (`$share/<group>/login`) and a class completes, each student served by the
//! one service that got its login. Its own test binary: cargo runs test binaries one after
//! another, so no other service answers logins meanwhile (`mosquitto.rs` holds one).
//!
//! Needs mosquitto: `cargo xtask test` starts it and sets `MQTT_MOSQUITTO_TCP_ADDR`,
//! `MQTT_MOSQUITTO_USERNAME` and `MQTT_MOSQUITTO_PASSWORD`.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use challenge::{ClientConfig, ServerEvent};
use lab::challenge_service::{start_service, ServiceEvent};
use lab::class_report::run_class;
use lab::solver::SolveOptions;
use mqtt_session::{Credentials, QoS};
use support::challenge::{connect_options, fast_server, RUN_GUARD};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: run through cargo xtask test"]
async fn three_services_sharing_the_logins_serve_a_class_without_splitting_a_student() {
    let (broker, login) = mosquitto();
    let mut services = Vec::new();
    let mut finished = Vec::new();
    for i in 0..3u64 {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let mut config = fast_server(100 + i, Some(Duration::from_millis(5)), QoS::AtLeastOnce);
        config.share_group = Some("class-test".into());
        let options = connect_options(&format!("shared-service-{i}"), Some(&login));
        let started = start_service(&broker, options, config, move |event| {
            if let ServiceEvent::Server(ServerEvent::Finished { .. }) = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let service = tokio::time::timeout(RUN_GUARD, started)
            .await
            .expect("started in time")
            .expect("the service starts");
        services.push(service);
        finished.push(count);
    }
    let template = SolveOptions {
        broker,
        connect: connect_options("shared-class", Some(&login)),
        challenge: ClientConfig::new("shared-class"),
    };
    let report = tokio::time::timeout(
        RUN_GUARD,
        run_class(&template, 60, Duration::from_millis(1)),
    )
    .await
    .expect("the class finished within the guard");
    assert_eq!((report.students, report.completed), (60, 60), "{report}");
    // Each student was finished by exactly one service, and the work was shared.
    let counts: Vec<usize> = finished.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(counts.iter().sum::<usize>(), 60, "{counts:?}");
    assert!(
        counts.iter().all(|&c| c > 0),
        "a service got no student: {counts:?}"
    );
    drop(services);
}
