//! What a solver run measured, and the summary it prints.
//!
//! The reply latency is what a student's client controls: from a command's arrival to the
//! broker's acknowledgement of its reply (PUBACK at QoS 1, PUBCOMP at QoS 2). QoS 0 has no
//! acknowledgement, so there it ends when the reply is written to the socket. The time from
//! the first command to the final message adds the server's pacing and its checking.

use core::fmt;
use core::time::Duration;
use std::collections::{HashMap, VecDeque};

use challenge::{ChallengeEvent, ClientStats, Failure, Phase};
use mqtt_session::{Instant, QoS};

/// The outcome of one run of [`crate::solver::solve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolveReport {
    /// `Done` or `Failed`: the run only ends when the client is over.
    pub phase: Phase,
    pub stats: ClientStats,
    /// The QoS of the subscriptions and every reply.
    pub qos: QoS,
    /// One per reply that was acknowledged (QoS 1/2) or written (QoS 0), sorted.
    pub latencies: Vec<Duration>,
}

impl SolveReport {
    pub(crate) fn new(
        phase: Phase,
        stats: ClientStats,
        qos: QoS,
        mut latencies: Vec<Duration>,
    ) -> Self {
        latencies.sort();
        Self {
            phase,
            stats,
            qos,
            latencies,
        }
    }

    /// The client got the final message.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Why the run failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::Failed(failure) => Some(failure),
            _ => None,
        }
    }

    /// Replies the broker acknowledged, including acks that came after the final message
    /// (which `stats.replies_acknowledged` misses: the client stops counting when done).
    pub fn replies_acknowledged(&self) -> u32 {
        match self.qos {
            QoS::AtMostOnce => 0,
            _ => self.latencies.len() as u32,
        }
    }

    /// From the first command to the final message, if both came.
    pub fn first_command_to_final(&self) -> Option<Duration> {
        let first = self.stats.first_command_at?;
        Some(self.stats.final_message_at? - first)
    }

    /// The median reply latency (the lower middle value for an even count).
    pub fn median_latency(&self) -> Option<Duration> {
        let n = self.latencies.len();
        (n > 0).then(|| self.latencies[(n - 1) / 2])
    }

    pub fn worst_latency(&self) -> Option<Duration> {
        self.latencies.last().copied()
    }
}

impl fmt::Display for SolveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = if self.is_done() { "Done" } else { "Failed" };
        let stats = &self.stats;
        let commands = &stats.commands_received;
        writeln!(f, "Summary: {phase}")?;
        writeln!(f, "  commands:  {} ({commands})", commands.total())?;
        let acked = match self.qos {
            QoS::AtMostOnce => "not acknowledged at QoS 0".to_string(),
            _ => format!("{} acknowledged", self.replies_acknowledged()),
        };
        writeln!(f, "  replies:   {} sent, {acked}", stats.replies_sent)?;
        if let Some(took) = self.first_command_to_final() {
            writeln!(
                f,
                "  first command -> final message: {} ms",
                took.as_millis()
            )?;
        }
        let until = match self.qos {
            QoS::AtMostOnce => "reply written",
            _ => "reply acknowledged",
        };
        if let (Some(median), Some(worst)) = (self.median_latency(), self.worst_latency()) {
            writeln!(
                f,
                "  reply latency (command received -> {until}): median {} ms, worst {} ms",
                median.as_millis(),
                worst.as_millis()
            )?;
        }
        Ok(())
    }
}

/// Pairs each command with its reply's publish, then with its acknowledgement or write.
///
/// The client queues a command's reply as it reports the command, and the solver publishes
/// it before the next event, so replies are published in the order commands arrived: a
/// queue of arrival instants is enough to match them.
#[derive(Debug, Default)]
pub(crate) struct ReplyTimer {
    /// Arrival of commands whose reply is not published yet, oldest first.
    awaiting_publish: VecDeque<Instant>,
    /// QoS 1/2 replies awaiting their acknowledgement: command arrival by packet id.
    awaiting_ack: HashMap<u16, Instant>,
    /// QoS 0 replies published but not yet written to the socket.
    awaiting_write: Vec<Instant>,
    latencies: Vec<Duration>,
}

impl ReplyTimer {
    pub(crate) fn observe(&mut self, event: &ChallengeEvent) {
        match event {
            ChallengeEvent::CommandReceived { at, .. } => self.awaiting_publish.push_back(*at),
            ChallengeEvent::ReplySent { pkid, .. } => {
                let Some(arrived) = self.awaiting_publish.pop_front() else {
                    return;
                };
                match pkid {
                    Some(pkid) => {
                        self.awaiting_ack.insert(*pkid, arrived);
                    }
                    None => self.awaiting_write.push(arrived),
                }
            }
            ChallengeEvent::ReplyAcknowledged { at, pkid, .. } => self.acknowledged(*at, *pkid),
            _ => {}
        }
    }

    /// A reply's PUBACK or PUBCOMP, also after the client is done and reports no more acks.
    pub(crate) fn acknowledged(&mut self, at: Instant, pkid: u16) {
        if let Some(arrived) = self.awaiting_ack.remove(&pkid) {
            self.latencies.push(at - arrived);
        }
    }

    /// QoS 1/2 replies published and not acknowledged yet.
    pub(crate) fn awaiting_acks(&self) -> usize {
        self.awaiting_ack.len()
    }

    /// Everything published so far is on the socket.
    pub(crate) fn written(&mut self, now: Instant) {
        for arrived in self.awaiting_write.drain(..) {
            self.latencies.push(now - arrived);
        }
    }

    pub(crate) fn into_latencies(self) -> Vec<Duration> {
        self.latencies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use challenge::Command;

    fn ms(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    fn received(at: u64) -> ChallengeEvent {
        ChallengeEvent::CommandReceived {
            at: ms(at),
            command: Command::Cmd1,
        }
    }

    fn sent(at: u64, pkid: Option<u16>) -> ChallengeEvent {
        ChallengeEvent::ReplySent {
            at: ms(at),
            command: Command::Cmd1,
            topic: "u/CMD1".into(),
            pkid,
        }
    }

    #[test]
    fn acknowledged_replies_count_from_their_command_in_any_ack_order() {
        let mut timer = ReplyTimer::default();
        for event in [
            received(10),
            sent(10, Some(1)),
            received(12),
            sent(12, Some(2)),
        ] {
            timer.observe(&event);
        }
        for (at, pkid) in [(15, 2), (20, 1)] {
            timer.observe(&ChallengeEvent::ReplyAcknowledged {
                at: ms(at),
                command: Command::Cmd1,
                pkid,
            });
        }
        let latencies = timer.into_latencies();
        assert_eq!(
            latencies,
            [Duration::from_millis(3), Duration::from_millis(10)]
        );
    }

    #[test]
    fn qos0_replies_end_when_written() {
        let mut timer = ReplyTimer::default();
        for event in [received(5), sent(5, None), received(6), sent(6, None)] {
            timer.observe(&event);
        }
        timer.written(ms(7));
        timer.written(ms(9)); // Nothing left to time.
        let latencies = timer.into_latencies();
        assert_eq!(
            latencies,
            [Duration::from_millis(2), Duration::from_millis(1)]
        );
    }

    #[test]
    fn the_median_is_the_lower_middle_and_the_worst_the_last() {
        let stats = ClientStats::default();
        let latencies = [4, 1, 3, 2].map(Duration::from_millis).to_vec();
        let report = SolveReport::new(Phase::Done, stats, QoS::AtLeastOnce, latencies);
        assert_eq!(report.median_latency(), Some(Duration::from_millis(2)));
        assert_eq!(report.worst_latency(), Some(Duration::from_millis(4)));
        let empty = SolveReport::new(Phase::Done, ClientStats::default(), QoS::AtMostOnce, vec![]);
        assert_eq!(empty.median_latency(), None);
    }
}
