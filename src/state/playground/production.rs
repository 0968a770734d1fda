//! A producer run's progress: how many sent, whether it goes on, the rate it reached, and
//! why it stopped early.

use mqtt_session::CommandError;

/// One producer run, as the producer card shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Production {
    pub sent: u32,
    pub running: bool,
    /// Messages per second over the whole run, once it is over.
    pub rate: Option<f64>,
    /// The publish the session refused, which ended the run.
    pub error: Option<CommandError>,
}

impl Production {
    /// A run starts: the previous one's figures are forgotten.
    pub fn started() -> Self {
        Self {
            running: true,
            ..Self::default()
        }
    }

    /// The run is over after `sent` messages in `seconds`.
    pub fn finished(&mut self, sent: u32, seconds: f64) {
        self.sent = sent;
        self.running = false;
        // At least a microsecond: a few messages can all go out within one tick of the
        // clock, and the run must still report that it finished.
        self.rate = Some(f64::from(sent) / seconds.max(1e-6));
    }

    /// "250 of 1000 sent…" while running, "1000 sent at 12345 msg/s" after.
    pub fn text(&self, count: u32) -> String {
        match (self.running, self.rate) {
            (true, _) => format!("{} of {count} sent…", self.sent),
            (false, Some(rate)) => format!("{} sent at {rate:.0} msg/s", self.sent),
            (false, None) => String::new(),
        }
    }

    /// Why the run stopped early, as a sentence.
    pub fn error_text(&self) -> Option<String> {
        self.error
            .as_ref()
            .map(|e| format!("the producer stopped: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_a_sentence() {
        let mut p = Production::started();
        p.sent = 3;
        assert_eq!(p.text(10), "3 of 10 sent…");
        p.finished(10, 0.0);
        assert_eq!(p.text(10), "10 sent at 10000000 msg/s");
        assert_eq!(Production::default().text(10), "");
    }

    #[test]
    fn a_refused_publish_is_the_reason_the_run_stopped() {
        let mut p = Production::started();
        p.error = Some(CommandError::NotConnected);
        p.finished(4, 1.0);
        assert_eq!(
            p.error_text().as_deref(),
            Some("the producer stopped: not connected to a broker")
        );
    }
}
