//! `cargo xtask interop`: the broker matrix. Installs what is missing (target/interop/),
//! starts every broker on free loopback ports with a challenge service attached, runs the
//! browser suite's `interop::` checks against all of them in headless Chromium, prints the
//! table (broker × check: pass / fail / not supported, with the reason) and writes it to
//! docs/interop.md.
//!
//! The checks (tests/browser/interop.rs) post each outcome to a small HTTP collector here
//! (`MQTT_INTEROP_REPORT_URL`); the brokers reach them in `MQTT_INTEROP_TARGETS`. A broker
//! that cannot start here is listed with the reason, and the others still run.

use crate::brokers::{self, Broker};
use crate::interop_brokers::{self as ib, PASSWORD, USER};
use crate::proc::{catch_signals, TempDir};
use crate::test::{browser_test_command, LAB_START_TIMEOUT};
use crate::{parse_flags, repo_root, setup, Res};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

/// The checks, in the table's column order (names as the browser tests report them).
pub const CHECKS: [&str; 10] = [
    "anonymous login",
    "password login",
    "other WebSocket path",
    "QoS 0/1/2 round trip",
    "retained message",
    "last will",
    "unsubscribe",
    "WebSocket framing",
    "MQTT 5",
    "challenge at QoS 1",
];

/// One broker of the matrix as the browser checks see it.
pub struct Target {
    pub name: String,
    pub version: String,
    pub ws_url: String,
    pub tcp_addr: String,
    pub login: bool,
    pub features: &'static str,
    /// Why a check is not supported here, beyond what the check itself says.
    pub why_not: &'static [(&'static str, &'static str)],
}

impl Target {
    /// `name|url|user|password|features`, the format tests/browser/interop.rs reads.
    pub fn env_entry(&self) -> String {
        let (user, password) = if self.login {
            (USER, PASSWORD)
        } else {
            ("", "")
        };
        format!(
            "{}|{}|{user}|{password}|{}",
            self.name, self.ws_url, self.features
        )
    }
}

pub fn run(flags: &[String]) -> Res {
    let [no_setup] = parse_flags("interop", flags, ["--no-setup"])?;
    catch_signals();
    let root = repo_root();
    if !no_setup {
        setup::ensure(true)?;
    }
    let run_dir = TempDir::new("interop")?;
    let dir = run_dir.path();
    let lab_bin = brokers::build_lab(&root)?;

    // Each broker: started, or the sentence why not. Kept alive until the checks are done.
    let mut running: Vec<Broker> = Vec::new();
    let mut services: Vec<Broker> = Vec::new();
    let mut ejabberd = None;
    let mut targets = Vec::new();
    let mut missing: Vec<(String, String)> = Vec::new();

    let lab = brokers::start_lab(
        &lab_bin,
        &["--ws-port", "0", "--tcp-port", "0"],
        Some(&dir.join("lab.log")),
        LAB_START_TIMEOUT,
    )?;
    targets.push(Target {
        name: "lab".into(),
        version: String::new(),
        ws_url: lab.ws_url.clone(),
        tcp_addr: lab.tcp_addr.clone(),
        login: false,
        // The lab runs its own challenge service.
        features: "anonymous,retain,challenge",
        why_not: &[
            ("password login", "the embedded rumqttd has no logins"),
            ("MQTT 5", "its rumqttd speaks 5 on a separate TCP port only"),
        ],
    });
    running.push(lab);

    let mut start = |name: &str,
                     version: String,
                     (features, why_not): Features,
                     started: Res<Broker>,
                     running: &mut Vec<Broker>| {
        match started {
            Ok(broker) => {
                println!("{name}: {} and tcp {}", broker.ws_url, broker.tcp_addr);
                targets.push(Target {
                    name: name.to_string(),
                    version,
                    ws_url: broker.ws_url.clone(),
                    tcp_addr: broker.tcp_addr.clone(),
                    login: true,
                    features,
                    why_not,
                });
                running.push(broker);
            }
            Err(e) => {
                eprintln!("{name} did not start: {e}");
                missing.push((name.to_string(), e));
            }
        }
    };
    start(
        "mosquitto",
        ib::deb_version("mosquitto"),
        ("anonymous,password,retain,v5,challenge", &[]),
        brokers::start_mosquitto_with(&root, dir, true),
        &mut running,
    );
    let aedes = ib::start_aedes(&root, dir);
    start(
        "aedes",
        ib::aedes_version(&root),
        (
            "anonymous,password,retain,challenge",
            &[("MQTT 5", "aedes speaks 3.1.1 only")],
        ),
        aedes,
        &mut running,
    );
    let amqtt = ib::start_amqtt(&root, dir);
    start(
        "amqtt",
        ib::amqtt_version(&root),
        (
            "anonymous,password,retain,challenge",
            &[(
                "MQTT 5",
                "amqtt speaks 3.1.1 only and never answers an MQTT 5 CONNECT",
            )],
        ),
        amqtt,
        &mut running,
    );
    let rmqtt = ib::start_rmqtt(&root, dir);
    start(
        "rmqtt",
        "0.24.0".into(),
        (
            "anonymous,password,v5,challenge",
            &[(
                "retained message",
                "in rmqtt retained messages are the rmqtt-retainer plugin, left out of this \
                 small broker (so are shared subscriptions)",
            )],
        ),
        rmqtt,
        &mut running,
    );
    // ejabberd is kept apart: stopping it takes `ejabberdctl stop`.
    match ib::start_ejabberd(dir) {
        Ok(e) => {
            println!(
                "ejabberd: {} and tcp {}",
                e.broker.ws_url, e.broker.tcp_addr
            );
            targets.push(Target {
                name: "ejabberd".into(),
                version: ib::deb_version("ejabberd"),
                ws_url: e.broker.ws_url.clone(),
                tcp_addr: e.broker.tcp_addr.clone(),
                login: true,
                features: "password,retain,v5,challenge",
                why_not: &[(
                    "anonymous login",
                    "ejabberd authenticates every MQTT client against its users: CONNACK 5 \
                     without a password",
                )],
            });
            ejabberd = Some(e);
        }
        Err(e) => {
            eprintln!("ejabberd did not start: {e}");
            missing.push(("ejabberd".into(), e));
        }
    }
    if let Some(lab) = targets.first_mut() {
        lab.version = "(rumqttd 0.20 embedded)".into();
    }

    // The challenge service on every broker but the lab (which runs its own).
    for target in targets.iter().skip(1) {
        let log = dir.join(format!("challenge-{}.log", target.name));
        match brokers::start_challenge_service(&lab_bin, &target.tcp_addr, (USER, PASSWORD), &log) {
            Ok(service) => services.push(service),
            Err(e) => eprintln!("no challenge service on {}: {e}", target.name),
        }
    }

    let collector = Collector::start()?;
    let env = vec![
        (
            "MQTT_INTEROP_TARGETS".to_string(),
            targets
                .iter()
                .map(Target::env_entry)
                .collect::<Vec<_>>()
                .join(";"),
        ),
        ("MQTT_INTEROP_REPORT_URL".to_string(), collector.url.clone()),
    ];
    for (key, value) in &env {
        println!("{key}={value}");
    }
    let mut cmd = browser_test_command(&root, &env, &["--test", "browser"])?;
    cmd.args(["--", "interop::"]);
    let browser = crate::proc::run(&mut cmd);

    let results = collector.results();
    drop((services, ejabberd, running));
    let table = render(&targets, &missing, &results);
    println!("\n{table}");
    let doc = root.join("docs").join("interop.md");
    std::fs::write(&doc, document(&table))
        .map_err(|e| format!("cannot write {}: {e}", doc.display()))?;
    println!("written to {}", doc.display());
    let failed = results.iter().filter(|r| r.status == "fail").count();
    match browser {
        Ok(()) if failed == 0 => Ok(()),
        Ok(()) => Err(format!("{failed} check(s) failed: see the table")),
        Err(e) => Err(format!("the browser checks failed: {e}")),
    }
}

/// The features a broker has (see tests/browser/interop.rs) and why it lacks others.
type Features = (&'static str, &'static [(&'static str, &'static str)]);

/// One outcome as a browser check reported it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub check: String,
    pub broker: String,
    pub status: String,
    pub note: String,
}

/// A tiny HTTP server on 127.0.0.1 that takes `POST` bodies
/// `check<TAB>broker<TAB>status<TAB>note` from the page (CORS allowed from any origin).
struct Collector {
    url: String,
    results: Arc<Mutex<Vec<Outcome>>>,
}

impl Collector {
    fn start() -> Res<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot start the result collector: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot start the result collector: {e}"))?
            .port();
        let results = Arc::new(Mutex::new(Vec::new()));
        let sink = results.clone();
        thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                if let Some(outcome) = read_outcome(&stream) {
                    if let Ok(mut all) = sink.lock() {
                        all.push(outcome);
                    }
                }
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n\
                      Content-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/result"),
            results,
        })
    }

    fn results(&self) -> Vec<Outcome> {
        self.results.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn read_outcome(stream: &std::net::TcpStream) -> Option<Outcome> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    let mut post = false;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        post |= header.starts_with("POST ");
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    if !post {
        return None;
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let text = String::from_utf8_lossy(&body);
    let mut fields = text.splitn(4, '\t').map(str::to_string);
    Some(Outcome {
        check: fields.next()?,
        broker: fields.next()?,
        status: fields.next()?,
        note: fields.next().unwrap_or_default(),
    })
}

/// The matrix (brokers as rows, checks as columns) and the notes that explain each cell.
pub fn render(targets: &[Target], missing: &[(String, String)], results: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| broker | {} |", CHECKS.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(CHECKS.len()));
    let mut notes = Vec::new();
    for target in targets {
        let name = &target.name;
        let _ = write!(out, "| {name} {} |", target.version);
        for check in CHECKS {
            let found = results
                .iter()
                .find(|r| r.broker == *name && r.check == check);
            let cell = match found {
                Some(r) => {
                    let why = target
                        .why_not
                        .iter()
                        .find(|(c, _)| *c == check && r.status == "not supported")
                        .map(|(_, why)| format!("{why}. "))
                        .unwrap_or_default();
                    if !r.note.is_empty() || !why.is_empty() {
                        notes.push(format!(
                            "**{name}**, {check}: {}: {why}{}",
                            r.status, r.note
                        ));
                    }
                    match r.status.as_str() {
                        "pass" if r.note.is_empty() && why.is_empty() => "pass".to_string(),
                        "pass" => format!("pass [{}]", notes.len()),
                        "fail" => format!("**FAIL** [{}]", notes.len()),
                        _ => format!("not supported [{}]", notes.len()),
                    }
                }
                None => "no result".to_string(),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    for (name, why) in missing {
        let first = why.lines().next().unwrap_or(why);
        let _ = writeln!(
            out,
            "| {name} | did not start: {first} |{}",
            " |".repeat(CHECKS.len() - 1)
        );
    }
    if !notes.is_empty() {
        out.push('\n');
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(out, "{}. {note}", i + 1);
        }
    }
    out
}

fn document(table: &str) -> String {
    format!(
        "# Broker matrix\n\n\
         Written by `cargo xtask interop`: every broker below was installed from this machine's\n\
         registries (into `target/interop/` when missing) and started on loopback ports with a TCP\n\
         and a WebSocket listener, the user `{USER}`, anonymous logins where the broker allows\n\
         them, and the lab's challenge service attached; then the browser suite's `interop::`\n\
         checks (`tests/browser/interop.rs`) ran against each in headless Chromium. `cargo xtask\n\
         test` runs the same checks against the lab, mosquitto and aedes.\n\n\
         The checks: **anonymous** / **password login** connect without and with the user (a\n\
         wrong password must be refused with a sentence; a broker without anonymous logins must\n\
         get a hint from the page); **other path** connects to `/elsewhere` instead of `/mqtt`\n\
         (a broker that refuses must get the page's path hint); **QoS** publishes at 0, 1 and 2 to a QoS 2 subscription and\n\
         expects each back at the QoS it was published with and the handshakes completed (a\n\
         broker that upgrades passes only if the page warned); **retained**: a later subscriber\n\
         gets RETAIN 1; **last will**: a client's WebSocket closes with no DISCONNECT and its will\n\
         arrives; **unsubscribe**: nothing more on the filter left; **framing**: how the broker\n\
         cuts packets into WebSocket messages, and whether it takes two packets in one; **MQTT\n\
         5**: message properties round trip (for a 3.1.1 broker: the page suggests 3.1.1);\n\
         **challenge**: the Challenge view at QoS 1 reaches \"Well done my IoT!\". The notes give\n\
         the reason of every \"not supported\" and failure, and what the broker did.\n\n{table}"
    )
}
