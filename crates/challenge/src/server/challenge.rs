//! One login's challenge on the server: the commands still to send and the tally of replies.

use core::time::Duration;
use std::collections::VecDeque;

use mqtt_session::Instant;

use super::event::ReplyProblem;
use crate::protocol::{Command, CommandCounts};

/// The server's record of one login, from its unique id to its final message.
#[derive(Debug)]
pub(crate) struct Challenge {
    pub(crate) user_id: String,
    pub(crate) started_at: Instant,
    /// Commands not sent yet, in sending order.
    to_send: VecDeque<Command>,
    /// When the first command goes out ("After 3 seconds"), even if there is none.
    first_at: Instant,
    /// When the next command of `to_send` goes out.
    next_send_at: Instant,
    /// When the latest command went out (the start of the answer timeout).
    last_sent_at: Instant,
    pub(crate) sent: CommandCounts,
    answered: CommandCounts,
    pub(crate) wrong_replies: u32,
}

impl Challenge {
    pub(crate) fn new(
        user_id: String,
        started_at: Instant,
        commands: Vec<Command>,
        first_at: Instant,
    ) -> Self {
        Self {
            user_id,
            started_at,
            to_send: commands.into(),
            first_at,
            next_send_at: first_at,
            last_sent_at: first_at,
            sent: CommandCounts::default(),
            answered: CommandCounts::default(),
            wrong_replies: 0,
        }
    }

    /// The next command due at `now`, if any, marked as sent. `pace` `None` = burst.
    pub(crate) fn take_due(&mut self, now: Instant, pace: Option<Duration>) -> Option<Command> {
        if now < self.next_send_at {
            return None;
        }
        let command = self.to_send.pop_front()?;
        self.sent.add(command);
        self.last_sent_at = now;
        if let Some(pace) = pace {
            self.next_send_at = self.next_send_at + pace;
        }
        Some(command)
    }

    /// Whether every command is sent (or the time to send has come for a challenge
    /// without commands) and every one has its correct reply: "Once all the commands are
    /// handled and replies are sent".
    pub(crate) fn is_complete(&self, now: Instant) -> bool {
        self.to_send.is_empty() && now >= self.first_at && self.missing().total() == 0
    }

    /// Replies still owed, per command, for the commands sent so far.
    pub(crate) fn missing(&self) -> CommandCounts {
        self.sent.saturating_sub(&self.answered)
    }

    /// Checks one reply on `<unique id>/<level>`. A reply counts if its command was sent
    /// more times than it has been answered and its payload is the reply word.
    pub(crate) fn check_reply(&mut self, level: &str, payload: &str) -> Result<(), ReplyProblem> {
        let result = match Command::parse(level) {
            None => Err(ReplyProblem::UnknownCommand),
            Some(c) if self.sent.get(c) == 0 => Err(ReplyProblem::NotSent(c)),
            Some(c) if self.missing().get(c) == 0 => Err(ReplyProblem::Extra(c)),
            Some(c) if payload != c.reply() => Err(ReplyProblem::WrongWord(c)),
            Some(c) => {
                self.answered.add(c);
                Ok(())
            }
        };
        if result.is_err() {
            self.wrong_replies += 1;
        }
        result
    }

    /// When this challenge next needs the clock: its next command (or, without commands,
    /// the moment the final message is due), then the end of its patience.
    pub(crate) fn deadline(&self, answer_timeout: Duration) -> Instant {
        if self.to_send.is_empty() && self.sent.total() > 0 {
            self.last_sent_at + answer_timeout
        } else {
            self.next_send_at
        }
    }

    /// Every command is out and the replies are still not complete after the timeout.
    pub(crate) fn is_expired(&self, now: Instant, answer_timeout: Duration) -> bool {
        self.to_send.is_empty()
            && self.sent.total() > 0
            && now >= self.last_sent_at + answer_timeout
            && !self.is_complete(now)
    }
}
