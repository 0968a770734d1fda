//! The brokers of the matrix besides the lab and mosquitto: each installed from its registry
//! into target/interop/ when missing, and started on free loopback ports with a TCP and a
//! WebSocket listener and the user `student` / `i_make_mqtt_cool` (anonymous clients too
//! where the broker allows them). What each one does on the WebSocket edge is in NOTES and
//! docs/interop.md.

use crate::brokers::{free_ports, port_open, Broker};
use crate::proc::{self, capture, find_in_path, Group};
use crate::{cargo, Res};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub const USER: &str = "student";
pub const PASSWORD: &str = "i_make_mqtt_cool";
const AEDES: &str = "aedes@1.2.0";
const WS: &str = "ws@8";
const AMQTT: &str = "amqtt==0.12.1";
const RMQTT_DIR: &str = "xtask/interop/rmqtt";

/// Where the registry installs go (target/interop), created on demand.
pub fn install_dir(root: &Path) -> Res<PathBuf> {
    let dir = root.join("target").join("interop");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Spawns `cmd` with its output in `log` and waits until `ports` accept connections.
pub fn spawn_listening(name: &str, cmd: &mut Command, log: &Path, ports: [u16; 2]) -> Res<Broker> {
    let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("cannot reuse {}: {e}", log.display()))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    println!("$ {}", proc::describe(cmd));
    let [tcp, ws] = ports;
    let mut broker = Broker::spawned(
        Group::spawn(name, cmd)?,
        format!("ws://127.0.0.1:{ws}/mqtt"),
        format!("127.0.0.1:{tcp}"),
        log.to_path_buf(),
    );
    let ready = proc::wait_until(Duration::from_secs(60), || {
        broker.exited().is_some() || (port_open(tcp) && port_open(ws))
    });
    if let Some(status) = broker.exited() {
        return Err(format!(
            "{name} exited at start ({status}){}",
            broker.log_tail()
        ));
    }
    if !ready {
        return Err(format!(
            "{name} did not open ports {tcp} and {ws} within 60 s{}",
            broker.log_tail()
        ));
    }
    Ok(broker)
}

/// aedes from npm (with `ws`), run by `xtask/scripts/aedes-broker.mjs`.
pub fn start_aedes(root: &Path, run_dir: &Path) -> Res<Broker> {
    let dir = install_dir(root)?.join("aedes");
    if !dir.join("node_modules/aedes/package.json").is_file() {
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        println!("installing: {AEDES} {WS} (npm, into {})", dir.display());
        proc::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .args([AEDES, WS]),
        )
        .map_err(|e| format!("could not install aedes: {e}"))?;
    }
    let node = find_in_path("node").ok_or("node is not on PATH (aedes runs on Node.js)")?;
    let ports = free_ports::<2>()?;
    let mut cmd = Command::new(node);
    cmd.arg(root.join("xtask/scripts/aedes-broker.mjs"))
        .arg(&dir)
        .args([ports[0].to_string(), ports[1].to_string()])
        .args([USER, PASSWORD]);
    spawn_listening("aedes", &mut cmd, &run_dir.join("aedes.log"), ports)
}

pub fn aedes_version(root: &Path) -> String {
    let package = root.join("target/interop/aedes/node_modules/aedes/package.json");
    fs::read_to_string(package)
        .ok()
        .and_then(|text| {
            let at = text.find("\"version\"")?;
            text[at..].split('"').nth(3).map(str::to_string)
        })
        .unwrap_or_else(|| "?".to_string())
}

/// amqtt from PyPI, in a venv under target/interop, with anonymous logins and a password
/// file (sha512-crypt, which amqtt 0.12 still reads on Python < 3.13).
pub fn start_amqtt(root: &Path, run_dir: &Path) -> Res<Broker> {
    let venv = install_dir(root)?.join("amqtt-venv");
    let bin = venv.join("bin");
    if !bin.join("amqtt").is_file() {
        println!("installing: {AMQTT} (pip, in the venv {})", venv.display());
        proc::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .map_err(|e| format!("could not create a Python venv: {e}"))?;
        proc::run(Command::new(bin.join("pip")).args(["install", "-q", AMQTT]))
            .map_err(|e| format!("could not install amqtt: {e}"))?;
    }
    let python = bin.join("python");
    let hash = capture(
        python.to_str().ok_or("the venv path is not UTF-8")?,
        [
            "-W",
            "ignore",
            "-c",
            &format!(
                "import crypt; print(crypt.crypt('{PASSWORD}', crypt.mksalt(crypt.METHOD_SHA512)))"
            ),
        ],
    )
    .ok_or("could not hash the password with Python's crypt module")?;
    let dir = run_dir.join("amqtt");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let passwd = dir.join("passwd");
    write(&passwd, &format!("{USER}:{hash}\n"))?;
    let [tcp, ws] = free_ports::<2>()?;
    let config = dir.join("broker.yaml");
    write(
        &config,
        &format!(
            "# written by `cargo xtask interop`\nlisteners:\n  default:\n    type: tcp\n    \
             bind: 127.0.0.1:{tcp}\n  ws:\n    type: ws\n    bind: 127.0.0.1:{ws}\nplugins:\n  \
             amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n  \
             amqtt.plugins.authentication.FileAuthPlugin:\n    password_file: {}\n",
            passwd.display()
        ),
    )?;
    let mut cmd = Command::new(bin.join("amqtt"));
    cmd.arg("-c").arg(&config);
    spawn_listening("amqtt", &mut cmd, &run_dir.join("amqtt.log"), [tcp, ws])
}

pub fn amqtt_version(root: &Path) -> String {
    let pip = root.join("target/interop/amqtt-venv/bin/pip");
    pip.to_str()
        .and_then(|pip| capture(pip, ["show", "amqtt"]))
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Version: ").map(str::to_string))
        })
        .unwrap_or_else(|| "?".to_string())
}

/// ejabberd from Debian: mod_mqtt on TCP and on the HTTP listener's `/mqtt` (its only
/// WebSocket path), internal logins only (it refuses a CONNECT without a password).
/// `ERL_DIST_PORT` keeps Erlang's distribution on a port of its own, so no `epmd` daemon is
/// started (or left running). As root, ejabberdctl runs the node as the `ejabberd` user,
/// so the spool it writes is given to that user.
pub fn start_ejabberd(run_dir: &Path) -> Res<Ejabberd> {
    if find_in_path("ejabberdctl").is_none() && !Path::new("/usr/sbin/ejabberdctl").is_file() {
        crate::setup::debian_packages(&["ejabberd"])?;
    }
    let dir = run_dir.join("ejabberd");
    for sub in ["spool", "logs"] {
        fs::create_dir_all(dir.join(sub))
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let [tcp, ws, dist] = free_ports::<3>()?;
    let config = dir.join("ejabberd.yml");
    write(
        &config,
        &format!(
            "# written by `cargo xtask interop`\nhosts: [\"localhost\"]\nloglevel: info\n\
             certfiles: []\nlisten:\n  - port: {tcp}\n    ip: \"127.0.0.1\"\n    module: mod_mqtt\n\
             \x20 - port: {ws}\n    ip: \"127.0.0.1\"\n    module: ejabberd_http\n    \
             request_handlers:\n      /mqtt: mod_mqtt\nauth_method: [internal]\nmodules:\n  \
             mod_mqtt: {{}}\n"
        ),
    )?;
    // Read by ejabberdctl from the config dir: distribution on loopback only.
    write(
        &dir.join("ejabberdctl.cfg"),
        "INET_DIST_INTERFACE=127.0.0.1\n",
    )?;
    write(&dir.join("inetrc"), "")?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let owner = |flag: &str| -> Res<u32> {
            capture("id", [flag, "ejabberd"])
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| "the ejabberd user does not exist (is ejabberd installed?)".into())
        };
        let (uid, gid) = (owner("-u")?, owner("-g")?);
        chown_tree(&dir, uid, gid)?;
    }
    let ctl = Ctl {
        dir,
        config,
        node: format!("interop{}@localhost", std::process::id()),
        dist,
    };
    let broker = spawn_listening(
        "ejabberd",
        &mut ctl.command(&["foreground"]),
        &run_dir.join("ejabberd.log"),
        [tcp, ws],
    )?;
    let mut ejabberd = Ejabberd { broker, ctl };
    // Users can be registered about a second after the ports open.
    let registered = proc::wait_until(Duration::from_secs(20), || {
        ejabberd
            .ctl
            .command(&["register", USER, "localhost", PASSWORD])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !registered || ejabberd.broker.exited().is_some() {
        return Err(format!(
            "could not register {USER} on ejabberd within 20 s{}",
            ejabberd.broker.log_tail()
        ));
    }
    Ok(ejabberd)
}

/// A running ejabberd; dropping it stops the node with `ejabberdctl stop` first (as root the
/// node runs under `su`, in a session of its own, out of reach of our process group).
pub struct Ejabberd {
    pub broker: Broker,
    ctl: Ctl,
}

impl Drop for Ejabberd {
    fn drop(&mut self) {
        let stopped = self
            .ctl
            .command(&["stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            eprintln!("warning: `ejabberdctl stop` failed; stopping its process group");
        }
        proc::wait_until(Duration::from_secs(10), || self.broker.exited().is_some());
    }
}

/// ejabberdctl for one node: its config, spool, logs and distribution port.
struct Ctl {
    dir: PathBuf,
    config: PathBuf,
    node: String,
    dist: u16,
}

impl Ctl {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ejabberdctl");
        cmd.env("ERL_DIST_PORT", self.dist.to_string())
            .arg("--config-dir")
            .arg(&self.dir)
            .arg("--config")
            .arg(&self.config)
            .arg("--spool")
            .arg(self.dir.join("spool"))
            .arg("--logs")
            .arg(self.dir.join("logs"))
            .args(["--node", &self.node])
            .args(args)
            .current_dir(&self.dir);
        cmd
    }
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Res {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|e| format!("cannot chown {}: {e}", path.display()))?;
    if path.is_dir() {
        let entries =
            fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
        for entry in entries.flatten() {
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// rmqtt from crates.io: `xtask/interop/rmqtt`, a workspace of its own (so the main build
/// never compiles it) built into target/interop/rmqtt; cargo rebuilds only when it changed.
pub fn start_rmqtt(root: &Path, run_dir: &Path) -> Res<Broker> {
    println!("building: rmqtt (its own workspace; about 5 minutes the first time on 2 cores)");
    let bin = build_own_workspace(root, RMQTT_DIR, "interop-rmqtt", false)?;
    let ports = free_ports::<2>()?;
    let mut cmd = Command::new(bin);
    cmd.args([ports[0].to_string(), ports[1].to_string()])
        .args([USER, PASSWORD]);
    spawn_listening("rmqtt", &mut cmd, &run_dir.join("rmqtt.log"), ports)
}

/// Builds the binary `bin` of the workspace of its own in `dir` (relative to the repository)
/// into target/interop/<last part of dir>, so the main build never compiles it (cargo
/// rebuilds only what changed); returns the binary's path.
pub fn build_own_workspace(root: &Path, dir: &str, bin: &str, release: bool) -> Res<PathBuf> {
    let name = Path::new(dir).file_name().unwrap_or_default();
    let target = install_dir(root)?.join(name);
    let mut cmd = Command::new(cargo());
    cmd.arg("build");
    if release {
        cmd.arg("--release");
    }
    cmd.arg("--manifest-path")
        .arg(root.join(dir).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target);
    proc::run(&mut cmd).map_err(|e| format!("could not build {dir}: {e}"))?;
    let profile = if release { "release" } else { "debug" };
    Ok(target.join(profile).join(bin))
}

/// The version of an installed Debian package.
pub fn deb_version(package: &str) -> String {
    capture("dpkg-query", ["-W", "-f=${Version}", package]).unwrap_or_else(|| "?".to_string())
}

fn write(path: &Path, text: &str) -> Res {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
