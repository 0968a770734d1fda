//! The summary of a class run (`lab solve --clients N`): how many students completed, what
//! failed and how often, and how long the commands took, from each student's first command
//! to its final message. Plain data, so it is tested without a broker.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::solve_report::SolveReport;
use crate::solver::{self, SolveOptions};

/// Runs `n` students at once, each `template` with its own user id (`<user id>-<i>`) and
/// client id (`<client id>-<i>`), started `ramp` apart, on the current tokio runtime.
pub async fn run_class(template: &SolveOptions, n: u32, ramp: Duration) -> ClassReport {
    run_class_across(template, &[], n, ramp).await
}

/// [`run_class`] with the students dealt over `brokers` in turn (student `i` on
/// [`broker_of`]), e.g. the nodes of a clustered broker; none: all on `template.broker`.
pub async fn run_class_across(
    template: &SolveOptions,
    brokers: &[String],
    n: u32,
    ramp: Duration,
) -> ClassReport {
    let started = std::time::Instant::now();
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 1..=n {
        let mut options = template.clone();
        if let Some(broker) = broker_of(brokers, i) {
            options.broker = broker.to_owned();
        }
        options.connect.client_id = format!("{}-{i}", template.connect.client_id);
        options.challenge.user_id = format!("{}-{i}", template.challenge.user_id);
        tasks.push(tokio::spawn(async move {
            let start = std::time::Instant::now();
            let user_id = options.challenge.user_id.clone();
            let result = match solver::solve(options, |_| {}).await {
                Ok(report) => StudentResult::of(&report, start.elapsed()),
                Err(error) => StudentResult::not_started(error.to_string()),
            };
            result.naming_no_user(&user_id)
        }));
        if !ramp.is_zero() {
            tokio::time::sleep(ramp).await;
        }
    }
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        let result = task
            .await
            .unwrap_or_else(|e| StudentResult::not_started(format!("the task failed: {e}")));
        results.push(result);
    }
    ClassReport::new(&results, started.elapsed())
}

/// The broker of student `i` (counted from 1) when a class is dealt over `brokers`: the
/// first student on the first, the next on the next, round the list.
pub fn broker_of(brokers: &[String], i: u32) -> Option<&str> {
    let count = u32::try_from(brokers.len()).ok().filter(|&c| c > 0)?;
    let index = (i.max(1) - 1) % count;
    brokers.get(index as usize).map(String::as_str)
}

/// One student's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentResult {
    /// Completed: the final message arrived.
    pub done: bool,
    /// Why not, in words (the challenge's failure, or a start error).
    pub failure: Option<String>,
    /// First command to final message, when both happened.
    pub commands_time: Option<Duration>,
    /// Connect to final message (or to the end).
    pub total_time: Duration,
}

impl StudentResult {
    /// The result a solver run reported, `total_time` after its start.
    pub fn of(report: &SolveReport, total_time: Duration) -> Self {
        let stats = &report.stats;
        let commands_time = match (stats.first_command_at, stats.final_message_at) {
            (Some(first), Some(last)) => Some(last.saturating_duration_since(first)),
            _ => None,
        };
        Self {
            done: report.is_done(),
            failure: report.failure().map(|f| f.to_string()),
            commands_time,
            total_time,
        }
    }

    /// The same result with the student's user id in its failure sentence replaced by
    /// `<user id>`, so that students who failed the same way are counted together.
    pub fn naming_no_user(mut self, user_id: &str) -> Self {
        if !user_id.is_empty() {
            self.failure = self.failure.map(|f| f.replace(user_id, "<user id>"));
        }
        self
    }

    /// A student whose run could not start.
    pub fn not_started(error: String) -> Self {
        Self {
            done: false,
            failure: Some(error),
            commands_time: None,
            total_time: Duration::ZERO,
        }
    }
}

/// The class's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassReport {
    pub students: usize,
    pub completed: usize,
    /// Failure sentence → how many students failed with it.
    pub errors: BTreeMap<String, usize>,
    /// First command to final message of every completed student, sorted.
    pub commands_times: Vec<Duration>,
    /// Connect to end of every student, sorted.
    pub total_times: Vec<Duration>,
    /// From the first start to the last end.
    pub wall_time: Duration,
}

impl ClassReport {
    pub fn new(results: &[StudentResult], wall_time: Duration) -> Self {
        let mut errors = BTreeMap::new();
        for failure in results.iter().filter(|r| !r.done).map(|r| {
            r.failure
                .as_deref()
                .map_or_else(|| "ended without a verdict".to_string(), without_unique_ids)
        }) {
            *errors.entry(failure).or_insert(0) += 1;
        }
        let mut commands_times: Vec<_> = results
            .iter()
            .filter(|r| r.done)
            .filter_map(|r| r.commands_time)
            .collect();
        commands_times.sort();
        let mut total_times: Vec<_> = results.iter().map(|r| r.total_time).collect();
        total_times.sort();
        Self {
            students: results.len(),
            completed: results.iter().filter(|r| r.done).count(),
            errors,
            commands_times,
            total_times,
            wall_time,
        }
    }

    /// Every student completed.
    pub fn all_done(&self) -> bool {
        self.completed == self.students
    }
}

/// A failure sentence with every unique id (a UUID, as the service draws them) replaced by
/// `<unique id>`, so that students who failed the same way are counted together.
fn without_unique_ids(failure: &str) -> String {
    let is_uuid = |word: &str| {
        word.len() == 36
            && word.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    failure
        .split(' ')
        .map(|word| {
            let core = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
            if is_uuid(core) {
                word.replace(core, "<unique id>")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `p`-th percentile (nearest rank) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".to_string(), |d| format!("{} ms", d.as_millis()))
}

impl fmt::Display for ClassReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "class: {} of {} students completed, {} failed, in {:.1} s",
            self.completed,
            self.students,
            self.students - self.completed,
            self.wall_time.as_secs_f64()
        )?;
        let c = &self.commands_times;
        writeln!(
            f,
            "  first command -> final message: p50 {}, p99 {}, max {}",
            ms(percentile(c, 50.0)),
            ms(percentile(c, 99.0)),
            ms(c.last().copied())
        )?;
        let t = &self.total_times;
        writeln!(
            f,
            "  connect -> end:                 p50 {}, p99 {}, max {}",
            ms(percentile(t, 50.0)),
            ms(percentile(t, 99.0)),
            ms(t.last().copied())
        )?;
        for (error, count) in &self.errors {
            writeln!(f, "  {count} x {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(ms: u64) -> StudentResult {
        StudentResult {
            done: true,
            failure: None,
            commands_time: Some(Duration::from_millis(ms)),
            total_time: Duration::from_millis(ms + 3_000),
        }
    }

    #[test]
    fn students_are_dealt_over_the_brokers_in_turn() {
        let nodes: Vec<String> = ["a:1", "b:2", "c:3"].map(String::from).into();
        let dealt: Vec<_> = (1..=7).map(|i| broker_of(&nodes, i).unwrap()).collect();
        assert_eq!(dealt, ["a:1", "b:2", "c:3", "a:1", "b:2", "c:3", "a:1"]);
        assert_eq!(broker_of(&nodes[..1], 5), Some("a:1"));
        assert_eq!(broker_of(&[], 1), None);
    }

    #[test]
    fn the_user_id_is_taken_out_of_a_failure() {
        let failed = |user| {
            StudentResult::not_started(format!("no unique id arrived on {user}/UUID"))
                .naming_no_user(user)
        };
        let results = [failed("class-9"), failed("class-10"), done(5)];
        let report = ClassReport::new(&results, Duration::from_secs(1));
        assert_eq!(
            report.errors.get("no unique id arrived on <user id>/UUID"),
            Some(&2),
            "{report}"
        );
        assert_eq!(done(5).naming_no_user("class-9"), done(5));
        assert_eq!(
            failed("").failure.as_deref(),
            Some("no unique id arrived on /UUID")
        );
    }

    #[test]
    fn unique_ids_are_taken_out_of_failures_and_nothing_else() {
        assert_eq!(
            without_unique_ids("on (0069A3AC-f857-48dc-87e7-7b03a89b5aa8). after the unique id"),
            "on (<unique id>). after the unique id"
        );
        let not_uuids = "0069a3ac-f857-48dc-87e7-7b03a89b5aa 0069a3acxf857-48dc-87e7-7b03a89b5aa8";
        assert_eq!(without_unique_ids(not_uuids), not_uuids);
        assert_eq!(
            without_unique_ids("user 12-3 timed out"),
            "user 12-3 timed out"
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(
            percentile(&sorted[..1], 99.0),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn failures_are_grouped_and_only_completions_are_timed() {
        let mut results = vec![done(900), done(1_100), done(1_000)];
        results.push(StudentResult::not_started("connection refused".into()));
        results.push(StudentResult::not_started("connection refused".into()));
        results.push(StudentResult {
            done: false,
            failure: Some("no final message on 0008d764-21eb-46f8-88c2-03c3849feeac".into()),
            commands_time: Some(Duration::from_millis(5)),
            total_time: Duration::from_secs(60),
        });
        results.push(StudentResult {
            done: false,
            failure: Some("no final message on 0069a3ac-f857-48dc-87e7-7b03a89b5aa8".into()),
            commands_time: Some(Duration::from_millis(5)),
            total_time: Duration::from_secs(60),
        });
        let report = ClassReport::new(&results, Duration::from_secs(61));
        assert_eq!((report.students, report.completed), (7, 3));
        assert!(!report.all_done());
        assert_eq!(report.errors.get("connection refused"), Some(&2));
        // Students failing the same way are counted together, whatever their unique id.
        assert_eq!(
            report.errors.get("no final message on <unique id>"),
            Some(&2)
        );
        assert_eq!(report.commands_times.len(), 3);
        assert_eq!(report.commands_times[0], Duration::from_millis(900));
        let text = report.to_string();
        assert!(
            text.starts_with("class: 3 of 7 students completed, 4 failed"),
            "{text}"
        );
        assert!(text.contains("2 x connection refused"), "{text}");
        assert!(text.contains("p50 1000 ms"), "{text}");
    }
}
