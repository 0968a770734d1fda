//! `cargo xtask class --cluster`: a whole class on a clustered broker. Starts an rmqtt cluster
//! of `--nodes` nodes on loopback (`xtask/interop/rmqtt-cluster`, built into
//! target/interop/rmqtt-cluster), `lab challenge-service --share-group class` instances dealt
//! over the nodes (`--services`, one per node by default), then `lab solve --clients N` with the students dealt over the nodes in turn, for
//! each N of `--clients`. Prints each run's summary and how many students each service
//! served; fails unless every student of every run completed and every service served some.
//! docs/class.md has the figures and the reasons for the limits.

use crate::brokers::{self, free_ports, Broker};
use crate::interop_brokers::{build_own_workspace, install_dir, spawn_listening};
use crate::proc::{self, catch_signals};
use crate::{cargo, repo_root, Res};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const CLUSTER_DIR: &str = "xtask/interop/rmqtt-cluster";
const GROUP: &str = "class";

/// What `cargo xtask class` was asked for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    nodes: usize,
    /// Challenge services, dealt over the nodes in turn; `None`: one per node.
    services: Option<usize>,
    classes: Vec<u32>,
    ramp_ms: u64,
}

fn parse(flags: &[String]) -> Res<Options> {
    let mut options = Options {
        nodes: 3,
        services: None,
        classes: vec![100, 1000],
        ramp_ms: 2,
    };
    let mut cluster = false;
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let mut value = |name: &str| {
            flags
                .next()
                .ok_or_else(|| format!("`cargo xtask class {name}` needs a value"))
        };
        match flag.as_str() {
            "--cluster" => cluster = true,
            "--nodes" => {
                options.nodes = match value("--nodes")?.parse() {
                    Ok(n @ 1..=9) => n,
                    _ => return Err("--nodes takes 1 to 9".into()),
                }
            }
            "--services" => {
                options.services = match value("--services")?.parse() {
                    Ok(n @ 1..=32) => Some(n),
                    _ => return Err("--services takes 1 to 32".into()),
                }
            }
            "--clients" => {
                let list = value("--clients")?;
                options.classes = list
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse::<u32>())
                    .collect::<Result<_, _>>()
                    .ok()
                    .filter(|l: &Vec<u32>| !l.is_empty() && l.iter().all(|&n| n > 0))
                    .ok_or_else(|| format!("--clients takes sizes like 100,1000, not {list:?}"))?;
            }
            "--ramp-ms" => {
                options.ramp_ms = value("--ramp-ms")?
                    .parse()
                    .map_err(|_| "--ramp-ms takes milliseconds")?
            }
            other => {
                return Err(format!(
                    "`cargo xtask class` does not take `{other}` (known flags: --cluster, \
                     --nodes N, --services N, --clients N[,N...], --ramp-ms MS)"
                ))
            }
        }
    }
    if !cluster {
        return Err(
            "`cargo xtask class` runs on a clustered broker only for now: give --cluster \
                    (a class on one broker: `cargo run -p lab -- solve --clients N`, README)"
                .into(),
        );
    }
    Ok(options)
}

pub fn run(flags: &[String]) -> Res {
    let options = parse(flags)?;
    catch_signals();
    let root = repo_root();
    // rmqtt's gRPC (handy-grpc) compiles its .proto files at build time.
    crate::setup::debian_packages(&["protobuf-compiler"])?;
    let lab = build_lab_release(&root)?;
    let node_bin = build_cluster_node(&root)?;
    let logs = install_dir(&root)?.join("class-logs");
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;

    let mut nodes = start_cluster(&node_bin, options.nodes, &logs)?;
    let mut services = Vec::new();
    let mut service_logs = Vec::new();
    for i in 0..options.services.unwrap_or(nodes.len()) {
        let node = &nodes[i % nodes.len()];
        let log = logs.join(format!("service-{}.log", i + 1));
        let _ = fs::remove_file(&log);
        let client_id = format!("class-service-{}", i + 1);
        let args = [
            "challenge-service",
            "--broker",
            &node.tcp_addr,
            "--client-id",
            &client_id,
            "--share-group",
            GROUP,
        ];
        let (service, _) = brokers::spawn_until_ready(
            &lab,
            &args,
            Some(&log),
            Duration::from_secs(30),
            "lab challenge-service: ready",
        )?;
        services.push(service);
        service_logs.push(log);
    }

    let brokers: Vec<&str> = nodes.iter().map(|n| n.tcp_addr.as_str()).collect();
    let pids = |list: &[Broker]| list.iter().map(Broker::pid).collect::<Vec<_>>();
    let (node_pids, service_pids) = (pids(&nodes), pids(&services));
    let mut failures = Vec::new();
    for &n in &options.classes {
        let user = format!("class{n}-{}", std::process::id());
        println!(
            "\n== a class of {n} on {} rmqtt node(s), {} service(s) in group {GROUP} ==",
            nodes.len(),
            services.len()
        );
        let mut cmd = Command::new(&lab);
        cmd.args(["solve", "--user-id", &user, "--clients", &n.to_string()])
            .args(["--ramp-ms", &options.ramp_ms.to_string()]);
        for broker in &brokers {
            cmd.args(["--broker", broker]);
        }
        println!("$ {}", proc::describe(&cmd));
        let cpu_before = (cpu_seconds(&node_pids), cpu_seconds(&service_pids));
        let started = Instant::now();
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {}: {e}", lab.display()))?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        let served: Vec<usize> = service_logs
            .iter()
            .map(|log| served_in(log, &user))
            .collect();
        let took = started.elapsed().as_secs_f64();
        println!("  served per service: {served:?}; solve took {took:.1} s");
        let cpu = |now: Vec<f64>, before: &[f64]| -> Vec<String> {
            let spent = now.iter().zip(before).map(|(n, b)| n - b);
            spent.map(|s| format!("{s:.1}")).collect()
        };
        let mb = |pids: &[u32]| -> Vec<String> {
            pids.iter()
                .map(|&p| peak_rss_kb(p).map_or("?".into(), |kb| format!("{}", kb / 1024)))
                .collect()
        };
        println!(
            "  CPU seconds during the class: nodes [{}], services [{}]; peak RSS MB: nodes [{}], \
             services [{}]",
            cpu(cpu_seconds(&node_pids), &cpu_before.0).join(", "),
            cpu(cpu_seconds(&service_pids), &cpu_before.1).join(", "),
            mb(&node_pids).join(", "),
            mb(&service_pids).join(", ")
        );
        if !out.status.success() {
            failures.push(format!(
                "the class of {n} did not complete ({})",
                out.status
            ));
        } else if served.iter().sum::<usize>() != n as usize {
            failures.push(format!(
                "the class of {n}: the services finished {} students, not {n}",
                served.iter().sum::<usize>()
            ));
        } else if served.contains(&0) {
            failures.push(format!(
                "the class of {n}: a service served nobody: {served:?}"
            ));
        }
    }
    for process in nodes.iter_mut().chain(services.iter_mut()) {
        if let Some(status) = process.exited() {
            let name = process.name().to_string();
            failures.push(format!("{name} exited during the run ({status})"));
        }
    }
    println!("\nlogs: {}", logs.display());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// User + system CPU seconds each process has used so far (Linux /proc; 0 elsewhere).
fn cpu_seconds(pids: &[u32]) -> Vec<f64> {
    // Clock ticks per second: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    pids.iter()
        .map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Fields after the command name (which may hold spaces), from field 3 on.
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let field = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
            // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name.
            (field(11).unwrap_or(0.0) + field(12).unwrap_or(0.0)) / ticks
        })
        .collect()
}

/// The peak resident set (VmHWM) of a process, in KiB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How many students a service's log says it finished, among those whose user id starts with
/// `user` (one class run).
fn served_in(log: &Path, user: &str) -> usize {
    let needle = format!(" user {user}-");
    fs::read_to_string(log)
        .map(|text| {
            text.lines()
                .filter(|l| l.contains(&needle) && l.contains(" done in "))
                .count()
        })
        .unwrap_or(0)
}

/// `cargo build --release -p lab`: a class of a thousand is measured on the release build,
/// as the README's single-broker figures are.
fn build_lab_release(root: &Path) -> Res<PathBuf> {
    proc::run(
        Command::new(cargo())
            .args(["build", "--release", "--package", "lab"])
            .current_dir(root),
    )
    .map_err(|e| format!("could not build the lab: {e}"))?;
    let bin = brokers::target_dir(root)?.join("release").join("lab");
    bin.is_file()
        .then_some(bin.clone())
        .ok_or_else(|| format!("the lab built, but {} does not exist", bin.display()))
}

/// The cluster node, in a workspace of its own (the main build never compiles rmqtt), in
/// release: a debug rmqtt spends ten times the CPU and a class of 1,000 then times out.
fn build_cluster_node(root: &Path) -> Res<PathBuf> {
    println!("building: the rmqtt cluster node (its own workspace; minutes the first time)");
    build_own_workspace(root, CLUSTER_DIR, "interop-rmqtt-cluster", true)
}

/// `count` nodes on free loopback ports, each knowing every node's gRPC address.
fn start_cluster(bin: &Path, count: usize, logs: &Path) -> Res<Vec<Broker>> {
    let mut ports = Vec::new();
    while ports.len() < count * 3 {
        for port in free_ports::<3>()? {
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
    }
    ports.truncate(count * 3);
    let peers: Vec<String> = (0..count)
        .map(|i| format!("{}@127.0.0.1:{}", i + 1, ports[i * 3 + 2]))
        .collect();
    let peers = peers.join(",");
    let mut nodes = Vec::new();
    for i in 0..count {
        let [tcp, ws, grpc] = [ports[i * 3], ports[i * 3 + 1], ports[i * 3 + 2]];
        let mut cmd = Command::new(bin);
        cmd.arg((i + 1).to_string())
            .args([tcp.to_string(), ws.to_string(), grpc.to_string()])
            .arg(&peers);
        let name = format!("rmqtt node {}", i + 1);
        let log = logs.join(format!("rmqtt-node-{}.log", i + 1));
        nodes.push(spawn_listening(&name, &mut cmd, &log, [tcp, ws])?);
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn class_takes_the_cluster_size_and_the_class_sizes() {
        let options = parse(&flags(&["--cluster"])).unwrap();
        assert_eq!(
            options,
            Options {
                nodes: 3,
                services: None,
                classes: vec![100, 1000],
                ramp_ms: 2
            }
        );
        let options = parse(&flags(&[
            "--nodes",
            "2",
            "--cluster",
            "--clients",
            "10,1_000",
            "--services",
            "6",
            "--ramp-ms",
            "0",
        ]))
        .unwrap();
        assert_eq!(
            (options.nodes, options.services, options.ramp_ms),
            (2, Some(6), 0)
        );
        assert_eq!(options.classes, [10, 1000]);
    }

    #[test]
    fn class_refuses_what_it_cannot_run() {
        let err = |list: &[&str]| parse(&flags(list)).unwrap_err();
        assert!(err(&[]).contains("give --cluster"));
        assert!(err(&["--cluster", "--nodes", "0"]).contains("1 to 9"));
        assert!(err(&["--cluster", "--services", "0"]).contains("1 to 32"));
        assert!(err(&["--cluster", "--clients", "10,x"]).contains("not \"10,x\""));
        assert!(err(&["--cluster", "--clients", "0"]).contains("--clients"));
        assert!(err(&["--cluster", "--clients"]).contains("needs a value"));
        assert!(err(&["--cluster", "--fast"]).contains("does not take `--fast`"));
    }

    #[test]
    fn cpu_and_peak_memory_are_read_from_proc() {
        let me = std::process::id();
        // Busy until the kernel has counted a tick for us (10 ms), for at most 5 s.
        let start = Instant::now();
        let mut cpu = cpu_seconds(&[me, u32::MAX]);
        while cpu[0] == 0.0 && start.elapsed() < Duration::from_secs(5) {
            std::hint::black_box((0..100_000u64).sum::<u64>());
            cpu = cpu_seconds(&[me, u32::MAX]);
        }
        assert!(cpu[0] > 0.0, "{cpu:?}");
        assert_eq!(cpu[1], 0.0, "no such process: nothing counted");
        assert!(
            peak_rss_kb(me).is_some_and(|kb| kb > 100),
            "{:?}",
            peak_rss_kb(me)
        );
        assert_eq!(peak_rss_kb(u32::MAX), None);
    }

    #[test]
    fn a_service_log_counts_the_students_of_one_class_it_finished() {
        let dir = proc::TempDir::new("class-test").unwrap();
        let log = dir.path().join("service.log");
        let lines = [
            "[challenge] [u1] user class10-9-1 logged in; 5 commands to come",
            "[challenge] [u1] user class10-9-1 done in 1.2 s: 5 commands (...), 0 wrong replies",
            "[challenge] [u2] user class10-9-12 done in 1.0 s: 5 commands (...), 0 wrong replies",
            "[challenge] [u3] user class100-9-1 done in 1.0 s: 5 commands (...), 0 wrong replies",
        ];
        fs::write(&log, lines.join("\n")).unwrap();
        assert_eq!(served_in(&log, "class10-9"), 2);
        assert_eq!(served_in(&log, "class100-9"), 1);
        assert_eq!(served_in(&dir.path().join("missing.log"), "class10-9"), 0);
    }
}
