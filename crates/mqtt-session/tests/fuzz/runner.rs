//! Runs cases one after another (seeds `seed`, `seed + 1`, …) until enough inputs went in,
//! on a worker thread under a watchdog: a panic is caught and reported with its case's
//! seed, and so is a case that stops making progress (a hang inside the session).

use std::cell::RefCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use crate::case::Case;
use crate::stats::Stats;

/// No input for this long: the session is stuck inside one call.
const HANG: Duration = Duration::from_secs(30);
/// The thread that runs cases; its panics are findings, reported once, without a backtrace.
const WORKER: &str = "fuzz-worker";

thread_local! {
    /// Where the worker's last panic happened.
    static PANIC_AT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Keeps the worker's panics out of stderr (the report gives each one and its seed);
/// every other thread's panics go to the usual hook.
fn quiet_worker_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let usual = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if thread::current().name() == Some(WORKER) {
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()));
                PANIC_AT.with(|p| *p.borrow_mut() = at.unwrap_or_default());
            } else {
                usual(info);
            }
        }));
    });
}

pub struct Config {
    /// The first case's seed.
    pub seed: u64,
    /// Run cases until at least this many inputs went in.
    pub inputs: u64,
    /// Print a progress line every 10 s.
    pub progress: bool,
    /// Print every input, output and event (to replay one case).
    pub trace: bool,
    /// Stop after this many findings.
    pub max_findings: usize,
}

/// A broken rule, with the seed that replays its case.
pub struct Finding {
    pub seed: u64,
    pub what: String,
}

pub struct Report {
    pub first_seed: u64,
    pub inputs: u64,
    pub cases: u64,
    pub elapsed: Duration,
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "fuzz: {} inputs in {} cases (seeds {}..), {secs:.1} s, {:.0} inputs/s; ",
            self.inputs,
            self.cases,
            self.first_seed,
            self.inputs as f64 / secs.max(1e-9),
        )?;
        if self.findings.is_empty() {
            return write!(f, "no finding\n  exercised: {}", self.stats);
        }
        write!(f, "{} finding(s):", self.findings.len())?;
        for Finding { seed, what } in &self.findings {
            write!(
                f,
                "\n- case seed {seed}: {what}\n  replay: cargo xtask fuzz --seed {seed} \
                 --inputs 1 --trace"
            )?;
        }
        Ok(())
    }
}

/// One case: a random number of steps, then settling. Adds what it went through to `stats`.
pub fn run_case(
    seed: u64,
    inputs: &AtomicU64,
    trace: bool,
    stats: &mut Stats,
) -> Result<(), String> {
    let mut case = Case::new(seed, inputs, trace);
    let steps = case.rng.in_range(10, 400);
    let outcome = (0..steps)
        .try_for_each(|_| case.step())
        .and_then(|()| case.settle());
    case.stats.strict_cases = u64::from(case.oracle.strict);
    stats.add(&case.stats);
    outcome
}

pub fn run(config: Config) -> Report {
    let started = Instant::now();
    let inputs = Arc::new(AtomicU64::new(0));
    let current = Arc::new(AtomicU64::new(config.seed));
    let (done, finished) = mpsc::channel();
    let (worker_inputs, worker_current) = (inputs.clone(), current.clone());
    let Config { seed, trace, .. } = config;
    let (target, max_findings) = (config.inputs, config.max_findings);
    quiet_worker_panics();
    let worker = thread::Builder::new().name(WORKER.into());
    let spawned = worker.spawn(move || {
        let (mut findings, mut cases, mut seed) = (Vec::new(), 0, seed);
        let mut stats = Stats::default();
        while worker_inputs.load(Ordering::Relaxed) < target && findings.len() < max_findings {
            worker_current.store(seed, Ordering::Relaxed);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                run_case(seed, &worker_inputs, trace, &mut stats)
            }));
            let what = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(what)) => Some(what),
                Err(payload) => {
                    let at = PANIC_AT.with(|p| p.take());
                    Some(format!("panic: {}{at}", panic_message(&payload)))
                }
            };
            findings.extend(what.map(|what| Finding { seed, what }));
            cases += 1;
            seed = seed.wrapping_add(1);
        }
        let _ = done.send((cases, findings, stats));
    });
    if let Err(e) = spawned {
        let what = format!("cannot start the fuzz worker thread: {e}");
        let findings = vec![Finding { seed, what }];
        let (inputs, cases, elapsed, stats) = (0, 0, started.elapsed(), Stats::default());
        let first_seed = seed;
        return Report {
            first_seed,
            inputs,
            cases,
            elapsed,
            findings,
            stats,
        };
    }

    let (mut seen, mut moved, mut printed) = (0, Instant::now(), Instant::now());
    let (cases, findings, stats) = loop {
        match finished.recv_timeout(Duration::from_millis(200)) {
            Ok(result) => break result,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let what = "the fuzz worker died".to_string();
                break (0, vec![Finding { seed, what }], Stats::default());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let now_inputs = inputs.load(Ordering::Relaxed);
        if now_inputs != seen {
            (seen, moved) = (now_inputs, Instant::now());
        } else if moved.elapsed() > HANG {
            // The worker is stuck inside the session; leave it to the process's exit.
            let seed = current.load(Ordering::Relaxed);
            let what = format!("hang: no input returned for {} s", HANG.as_secs());
            break (0, vec![Finding { seed, what }], Stats::default());
        }
        if config.progress && printed.elapsed() >= Duration::from_secs(10) {
            printed = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "fuzz: {seen} inputs, {:.0} inputs/s, case seed {}",
                seen as f64 / secs,
                current.load(Ordering::Relaxed)
            );
        }
    };
    Report {
        first_seed: seed,
        inputs: inputs.load(Ordering::Relaxed),
        cases,
        elapsed: started.elapsed(),
        findings,
        stats,
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "(not a string)".to_string(),
    }
}
