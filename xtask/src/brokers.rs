//! The brokers the app talks to: the lab (`crates/lab`, rumqttd inside) and mosquitto.

use crate::proc::{self, find_in_path, interrupted, tail, Group};
use crate::{cargo, Res};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// A running broker; dropping it stops the process.
pub struct Broker {
    /// WebSocket URL for the page, e.g. `ws://127.0.0.1:9001/mqtt`.
    pub ws_url: String,
    /// Plain TCP `host:port`.
    pub tcp_addr: String,
    /// The lab's fault-injection WebSocket base URL (`--fault-port`), when it has one.
    pub faults_url: Option<String>,
    /// The lab's WebSocket URL in front of another broker (`--upstream`), when it has one.
    pub upstream_url: Option<String>,
    /// Where its output goes, if not to our terminal.
    pub log: Option<PathBuf>,
    process: Group,
}

impl Broker {
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.process.exited()
    }

    pub fn name(&self) -> &str {
        &self.process.name
    }

    /// Its process id (the group leader's).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// A broker started elsewhere (the interop brokers), logging to `log`.
    pub fn spawned(process: Group, ws_url: String, tcp_addr: String, log: PathBuf) -> Self {
        Broker {
            ws_url,
            tcp_addr,
            faults_url: None,
            upstream_url: None,
            log: Some(log),
            process,
        }
    }

    /// The tail of its log, or nothing if it logs to the terminal.
    pub fn log_tail(&self) -> String {
        self.log.as_deref().map(|l| tail(l, 30)).unwrap_or_default()
    }
}

/// `n` distinct ports that were free a moment ago on 127.0.0.1.
pub fn free_ports<const N: usize>() -> Res<[u16; N]> {
    let mut listeners = Vec::with_capacity(N);
    let mut ports = [0; N];
    for port in &mut ports {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot find a free TCP port: {e}"))?;
        *port = listener
            .local_addr()
            .map_err(|e| format!("cannot find a free TCP port: {e}"))?
            .port();
        listeners.push(listener);
    }
    Ok(ports)
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    let addr = ([127, 0, 0, 1], port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

/// `cargo build -p lab`, returning the path of the binary.
pub fn build_lab(root: &Path) -> Res<PathBuf> {
    proc::run(
        Command::new(cargo())
            .args(["build", "--package", "lab"])
            .current_dir(root),
    )
    .map_err(|e| format!("could not build the lab broker: {e}"))?;
    let bin = target_dir(root)?.join("debug").join("lab");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "the lab built, but {} does not exist",
            bin.display()
        ))
    }
}

/// The workspace's target directory, as cargo reports it.
pub fn target_dir(root: &Path) -> Res<PathBuf> {
    let out = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    let json = String::from_utf8_lossy(&out.stdout);
    let key = "\"target_directory\":\"";
    let start = json
        .find(key)
        .map(|i| i + key.len())
        .ok_or("`cargo metadata` did not report a target_directory")?;
    let end = json[start..]
        .find('"')
        .ok_or("`cargo metadata` printed malformed JSON")?;
    Ok(PathBuf::from(
        json[start..start + end].replace("\\\\", "\\"),
    ))
}

/// Starts the lab binary with `args` and waits up to `timeout` for its
/// `LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT` line (with `faults=` and `upstream=` URLs
/// when asked for). With `log`, its output goes to that file; without, to our terminal with a
/// `[lab]` prefix.
pub fn start_lab(bin: &Path, args: &[&str], log: Option<&Path>, timeout: Duration) -> Res<Broker> {
    let (mut broker, line) = spawn_until_ready(bin, args, log, timeout, "LAB_READY")?;
    let (ws, tcp) = parse_ready(&line)
        .ok_or_else(|| format!("the lab printed a malformed ready line: {line}"))?;
    broker.ws_url = ws;
    broker.tcp_addr = tcp;
    broker.faults_url = ready_word(&line, "faults=");
    broker.upstream_url = ready_word(&line, "upstream=");
    Ok(broker)
}

/// Starts `lab challenge-service` against another broker (mosquitto in the tests), so the
/// Challenge view can be tested there too; waits until it has subscribed.
pub fn start_challenge_service(
    bin: &Path,
    broker_tcp: &str,
    (username, password): (&str, &str),
    log: &Path,
) -> Res<Broker> {
    let args = [
        "challenge-service",
        "--broker",
        broker_tcp,
        "--username",
        username,
        "--password",
        password,
    ];
    let (mut service, _) = spawn_until_ready(
        bin,
        &args,
        Some(log),
        Duration::from_secs(30),
        "lab challenge-service: ready",
    )?;
    service.tcp_addr = broker_tcp.to_string();
    Ok(service)
}

/// Spawns the lab binary and waits for a stdout line starting with `marker`.
pub fn spawn_until_ready(
    bin: &Path,
    args: &[&str],
    log: Option<&Path>,
    timeout: Duration,
    marker: &'static str,
) -> Res<(Broker, String)> {
    let mut cmd = Command::new(bin);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped());
    let mut sink = None;
    if let Some(path) = log {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("cannot reuse {}: {e}", path.display()))?;
        cmd.stderr(err);
        sink = Some(file);
    }
    println!("$ {}", proc::describe(&cmd));
    let mut process = Group::spawn("lab broker", &mut cmd)?;
    let stdout = process
        .take_stdout()
        .ok_or("the lab's stdout was not captured")?;
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match &mut sink {
                Some(file) => {
                    let _ = writeln!(file, "{line}");
                }
                None => println!("[lab] {line}"),
            }
            if line.starts_with(marker) {
                let _ = ready_tx.send(line);
            }
        }
    });
    let mut broker = Broker {
        ws_url: String::new(),
        tcp_addr: String::new(),
        faults_url: None,
        upstream_url: None,
        log: log.map(Path::to_path_buf),
        process,
    };
    let deadline = Instant::now() + timeout;
    loop {
        match ready_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => return Ok((broker, line)),
            Err(RecvTimeoutError::Disconnected) => {
                proc::wait_until(Duration::from_secs(2), || broker.exited().is_some());
                let status = broker
                    .exited()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                return Err(format!(
                    "the lab closed its output without printing {marker}{status}{}",
                    broker.log_tail()
                ));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(status) = broker.exited() {
            return Err(format!(
                "the lab exited before it was ready ({status}){}",
                broker.log_tail()
            ));
        }
        if interrupted() {
            return Err("interrupted while waiting for the lab".to_string());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the lab printed no {marker} line within {} s{}",
                timeout.as_secs(),
                broker.log_tail()
            ));
        }
    }
}

/// `LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT` → (ws URL, tcp address); a wildcard host
/// becomes 127.0.0.1, which browsers and clients can reach.
fn parse_ready(line: &str) -> Option<(String, String)> {
    let mut ws = None;
    let mut tcp = None;
    for word in line.split_whitespace() {
        if let Some(v) = word.strip_prefix("ws=") {
            ws = Some(v);
        } else if let Some(v) = word.strip_prefix("tcp=") {
            tcp = Some(v);
        }
    }
    let local = |s: &str| {
        s.replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "127.0.0.1")
    };
    let ws = ws.filter(|w| w.starts_with("ws://"))?;
    let tcp = tcp.filter(|t| t.contains(':'))?;
    Some((local(ws), local(tcp)))
}

/// The value of an optional `key=value` word of the ready line (`key` ends with `=`).
fn ready_word(line: &str, key: &str) -> Option<String> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key))
        .map(str::to_string)
}

/// Starts mosquitto from a config written into `dir`: a WebSocket and a TCP listener on free
/// ports of 127.0.0.1, logins from the repository's `config/mosquitto/passwd` only, access
/// rules from `config/mosquitto/acl` (per-user namespaces under /iot/user/).
pub fn start_mosquitto(root: &Path, dir: &Path) -> Res<Broker> {
    start_mosquitto_with(root, dir, false)
}

/// [`start_mosquitto`], with anonymous clients allowed too when `anonymous` (the broker
/// matrix checks both kinds of login).
pub fn start_mosquitto_with(root: &Path, dir: &Path, anonymous: bool) -> Res<Broker> {
    let source = root.join("config/mosquitto/passwd");
    let passwd = dir.join("passwd");
    fs::copy(&source, &passwd).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
    fs::set_permissions(&passwd, fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot chmod {}: {e}", passwd.display()))?;
    let settings = format!(
        "allow_anonymous {anonymous}\npassword_file {}\nacl_file {}\npersistence false\n\
         log_dest stderr\nlog_type all\nconnection_messages true\n",
        passwd.display(),
        root.join("config/mosquitto/acl").display()
    );
    spawn_mosquitto(dir, &settings)
}

/// Starts the installed mosquitto with `settings` (logins, logging, limits) and a WebSocket
/// and a TCP listener on free ports of 127.0.0.1; its config and log go into `dir`.
pub fn spawn_mosquitto(dir: &Path, settings: &str) -> Res<Broker> {
    let exe = find_in_path("mosquitto")
        .or_else(|| Some(PathBuf::from("/usr/sbin/mosquitto")).filter(|p| p.is_file()))
        .ok_or("mosquitto is not installed: run `cargo xtask setup --browser`")?;
    let [ws_port, tcp_port] = free_ports()?;
    // As root, mosquitto would switch to the `mosquitto` user and then fail to read a 0600
    // password file we own; `user root` keeps it as it is.
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root\n"
    } else {
        ""
    };
    let config = format!(
        "# written by `cargo xtask`\n{user}per_listener_settings false\n{settings}\
         listener {ws_port} 127.0.0.1\nprotocol websockets\n\
         listener {tcp_port} 127.0.0.1\n"
    );
    let conf = dir.join("mosquitto.conf");
    fs::write(&conf, config).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
    let log = dir.join("mosquitto.log");
    let out = File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("cannot reuse {}: {e}", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    println!("$ {}", proc::describe(&cmd));
    let mut broker = Broker::spawned(
        Group::spawn("mosquitto", &mut cmd)?,
        format!("ws://127.0.0.1:{ws_port}/mqtt"),
        format!("127.0.0.1:{tcp_port}"),
        log,
    );
    let ready = proc::wait_until(Duration::from_secs(15), || {
        broker.exited().is_some() || (port_open(ws_port) && port_open(tcp_port))
    });
    if let Some(status) = broker.exited() {
        return Err(format!(
            "mosquitto exited at start ({status}){}",
            broker.log_tail()
        ));
    }
    if !ready {
        return Err(format!(
            "mosquitto did not open ports {ws_port} and {tcp_port} within 15 s{}",
            broker.log_tail()
        ));
    }
    Ok(broker)
}

#[cfg(test)]
mod tests {
    use super::{parse_ready, ready_word};

    #[test]
    fn parses_the_ready_line() {
        let line = "LAB_READY ws=ws://0.0.0.0:9001/mqtt tcp=127.0.0.1:1883";
        let (ws, tcp) = parse_ready(line).expect("a valid line");
        assert_eq!(ws, "ws://127.0.0.1:9001/mqtt");
        assert_eq!(tcp, "127.0.0.1:1883");
        assert!(parse_ready("LAB_READY ws=http://x tcp=1").is_none());
        assert_eq!(ready_word(line, "upstream="), None);
    }

    #[test]
    fn reads_the_optional_urls_of_the_ready_line() {
        let line = "LAB_READY ws=ws://127.0.0.1:9001/mqtt tcp=127.0.0.1:1883 \
                    faults=ws://127.0.0.1:9003 upstream=ws://127.0.0.1:9002/mqtt";
        let (ws, tcp) = parse_ready(line).expect("the words before stay valid");
        assert_eq!(ws, "ws://127.0.0.1:9001/mqtt");
        assert_eq!(tcp, "127.0.0.1:1883");
        let faults = ready_word(line, "faults=");
        assert_eq!(faults.as_deref(), Some("ws://127.0.0.1:9003"));
        let upstream = ready_word(line, "upstream=");
        assert_eq!(upstream.as_deref(), Some("ws://127.0.0.1:9002/mqtt"));
    }
}
