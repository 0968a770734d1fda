//! The client view's state as plain Rust: the status line and the subscription list, and
//! the one reducer that turns the connection's events into them and into log lines.
//!
//! Events and the user's intents go in; the new state, log lines (through a [`LogSink`])
//! and a [`Reaction`] for the caller come out. No signals, no browser: the view wraps it in
//! a signal (`views::client_state`) and these tests run natively.

use std::collections::BTreeMap;

use mqtt_session::topic::{validate_topic_filter, TopicError};
use mqtt_session::{
    CloseReason, CommandError, ConnectionInfo, Direction as Wire, Event, Instant, ProtocolVersion,
    QoS, ReasonCode, SubscribeProperties, SubscribeResult, Subscription,
};

use super::connection::{ConnState, Status};
use super::log::{Body, Direction, LogSink};
use super::offline_queue::{OfflineQueue, QueueError, Queued};
use crate::driver::client::ClientEvent;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    Pending,
    Granted(QoS),
    /// With the broker's reason (0x80 under MQTT 3.1.1).
    Refused(ReasonCode),
}

/// How far the last publish of the client view got, shown next to the publish button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishState {
    /// QoS 0: sent, and MQTT has no answer for it.
    SentAtMostOnce,
    /// Waiting in the session or for the broker's acknowledgement.
    Awaiting,
    /// Acknowledged (PUBACK / PUBCOMP), with the broker's remark if it made one.
    Delivered(Option<String>),
    /// The broker refused it (MQTT 5 reason code 0x80 or above).
    Refused(String),
    /// Queued while offline.
    Queued,
}

/// The last publish and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastPublish {
    pub topic: String,
    pub pkid: Option<u16>,
    pub state: PublishState,
}

impl LastPublish {
    /// The sentence shown under the publish form.
    pub fn text(&self) -> String {
        let topic = &self.topic;
        match &self.state {
            PublishState::SentAtMostOnce => {
                format!("sent to '{topic}' at QoS 0 (the broker does not answer QoS 0)")
            }
            PublishState::Awaiting => format!("sent to '{topic}', waiting for the broker"),
            PublishState::Delivered(None) => format!("'{topic}': the broker acknowledged it"),
            PublishState::Delivered(Some(note)) => {
                format!("'{topic}': the broker acknowledged it ({note})")
            }
            PublishState::Refused(why) => format!("'{topic}': refused by the broker: {why}"),
            PublishState::Queued => format!("'{topic}': queued until the connection is back"),
        }
    }
}

/// One row of the subscription list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub filter: String,
    pub qos: QoS,
    /// MQTT 5 options and subscription identifier, sent again on every restore.
    pub options: Subscription,
    pub properties: SubscribeProperties,
    pub state: SubState,
    /// What the broker granted on the last connection: a resumed session still has it.
    pub granted_before: Option<QoS>,
}

/// Why a publish, subscribe or unsubscribe of the client view did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("not connected: connect to a broker first")]
    NotConnected,
    #[error("filter '{filter}': {error}")]
    InvalidFilter { filter: String, error: TopicError },
    #[error("{0}")]
    Command(#[from] CommandError),
    #[error("{0}")]
    Queue(#[from] QueueError),
}

/// The keepalive field holds something other than 0–65535 whole seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keepalive must be a whole number of seconds from 0 to 65535")]
pub struct BadKeepAlive;

/// The keepalive the user typed, in seconds.
pub fn parse_keep_alive(text: &str) -> Result<u16, BadKeepAlive> {
    text.trim().parse().map_err(|_| BadKeepAlive)
}

/// What the caller must do after an event, besides showing the new state.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// The status or the subscription list changed (a message alone changes neither).
    pub changed: bool,
    /// Subscriptions to send again: the broker has just accepted the connection.
    pub restore: Vec<(Subscription, SubscribeProperties)>,
    /// Messages published while offline, to publish now (after `restore`).
    pub flush: Vec<Queued>,
    /// The client is over (no more reconnecting): forget it.
    pub closed: bool,
}

/// The client view's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientModel {
    pub status: Status,
    pub subscriptions: Vec<SubscriptionRow>,
    /// Whether control packets (acks, pings…) are written to the log.
    pub trace_control: bool,
    /// When the next retry is due, while reconnecting.
    pub retry_at: Option<Instant>,
    /// Publishes made while the connection was down.
    pub queue: OfflineQueue,
    /// Messages the session gave up (its session ended with them unacknowledged), newest
    /// last, at most [`ABANDONED_KEPT`]: the user may send them again.
    pub abandoned: Vec<Queued>,
    /// Resumed sessions the broker closed before anything else happened, in a row: a broker
    /// that cannot resume (rumqttd 0.20 drops a client that resends a PUBREL) makes a
    /// spec-correct client retry for ever; after two the log says what to try.
    resumed_then_closed: u8,
    /// The last CONNACK resumed a session and nothing has come since.
    just_resumed: bool,
    /// What the broker said in CONNACK, while connected (the view fills it in).
    pub info: Option<ConnectionInfo>,
    /// Whether the connected WebSocket runs in a worker (the view fills it in with `info`).
    pub socket_in_worker: Option<bool>,
    /// The last publish of the view and what became of it.
    pub last_publish: Option<LastPublish>,
    /// The protocol of the current connection attempt.
    pub protocol: ProtocolVersion,
    /// The current connection got its CONNACK.
    accepted: bool,
    /// Topics of the QoS 1/2 publishes not yet answered, by packet id (for the log's
    /// sentences about the broker's answers).
    in_flight: BTreeMap<u16, String>,
}

/// Abandoned messages kept for "send again"; older ones are only logged.
pub const ABANDONED_KEPT: usize = 100;

impl ClientModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection to `url` is being opened.
    pub fn connecting(&mut self, url: &str, client_id: &str, log: &mut impl LogSink) {
        self.status = Status::connecting(url);
        log.note(
            Direction::Info,
            format!("connecting to {url} as '{client_id}'"),
        );
    }

    /// The connection could not even start (bad URL, bad options) or the form is invalid.
    pub fn failed_to_start(&mut self, error: &str, log: &mut impl LogSink) {
        self.status = Status::failed(error);
        log.note(Direction::Error, error);
    }

    /// Applies one event of the connection.
    pub fn on_event(&mut self, event: ClientEvent, log: &mut impl LogSink) -> Reaction {
        let mut reaction = Reaction {
            changed: true,
            ..Reaction::default()
        };
        let event = match event {
            ClientEvent::Connecting { retry } => {
                self.status = Status::retrying(retry);
                self.retry_at = None;
                return reaction;
            }
            ClientEvent::TransportOpen => {
                self.status = Status::transport_open();
                return reaction;
            }
            ClientEvent::Reconnecting { retry, at, reason } => {
                self.status = Status::reconnecting(retry, &reason);
                self.retry_at = Some(at);
                return reaction;
            }
            ClientEvent::Ended(reason) => {
                self.status = Status::closed(&reason);
                self.retry_at = None;
                reaction.closed = true;
                return reaction;
            }
            ClientEvent::Session(event) => event,
        };
        if matches!(
            event,
            Event::Message(_) | Event::Delivered { .. } | Event::Subscribed { .. }
        ) {
            // Something got through: a resumed link works.
            self.just_resumed = false;
            self.resumed_then_closed = 0;
        }
        match event {
            Event::Connected { session_present } => {
                self.accepted = true;
                self.just_resumed = session_present;
                self.status = Status::connected(session_present);
                self.retry_at = None;
                log.note(Direction::Info, self.status.text.clone());
                // A resumed session kept what was granted [MQTT-3.2.2-2]: subscribing again
                // would only make the broker send its retained messages once more.
                let mut kept = 0;
                for row in &mut self.subscriptions {
                    match row.granted_before.filter(|_| session_present) {
                        Some(qos) => {
                            row.state = SubState::Granted(qos);
                            kept += 1;
                        }
                        None => reaction
                            .restore
                            .push((row.options.clone(), row.properties.clone())),
                    }
                }
                if kept > 0 {
                    log.note(
                        Direction::Info,
                        format!("the broker kept {kept} subscription(s) with the session"),
                    );
                }
                reaction.flush = self.queue.take();
                if !reaction.flush.is_empty() {
                    log.note(
                        Direction::Info,
                        format!(
                            "publishing the {} message(s) queued while offline",
                            reaction.flush.len()
                        ),
                    );
                }
            }
            Event::Message(m) => {
                log.push(
                    Direction::In,
                    Body::Message {
                        topic: m.topic,
                        qos: m.qos,
                        retain: m.retain,
                        payload: m.payload,
                        properties: (!m.properties.is_empty()).then(|| Box::new(m.properties)),
                    },
                );
                reaction.changed = false;
            }
            Event::Delivered { pkid, .. } => {
                self.in_flight.remove(&pkid);
                reaction.changed = self.update_last(pkid, |state| {
                    if *state == PublishState::Awaiting {
                        *state = PublishState::Delivered(None);
                    }
                });
            }
            Event::PublishOutcome(outcome) => {
                let topic = self.in_flight.get(&outcome.pkid).cloned();
                let mut text = outcome.reason.to_string();
                if let Some(why) = &outcome.reason_string {
                    text.push_str(&format!(" (\"{why}\")"));
                }
                let failed = outcome.reason.is_failure();
                let what = match &topic {
                    Some(topic) => format!("the message to '{topic}'"),
                    None => format!("message {}", outcome.pkid),
                };
                if failed {
                    self.in_flight.remove(&outcome.pkid);
                    log.note(
                        Direction::Error,
                        format!("the broker refused {what}: {text}"),
                    );
                } else {
                    log.note(
                        Direction::Info,
                        format!("the broker accepted {what}: {text}"),
                    );
                }
                reaction.changed = self.update_last(outcome.pkid, |state| {
                    *state = if failed {
                        PublishState::Refused(text)
                    } else {
                        PublishState::Delivered(Some(text))
                    };
                });
            }
            Event::Subscribed { results, .. } => self.on_subscribed(results, log),
            Event::Unsubscribed { filters, .. } => {
                self.subscriptions.retain(|r| !filters.contains(&r.filter));
                log.note(
                    Direction::Info,
                    format!("unsubscribed from {}", filters.join(", ")),
                );
            }
            Event::Control { direction, packet } => {
                reaction.changed = false;
                if self.trace_control {
                    let arrow = if direction == Wire::Sent {
                        "→"
                    } else {
                        "←"
                    };
                    log.note(Direction::Info, format!("{arrow} {packet}"));
                }
            }
            Event::Warning(text) => {
                reaction.changed = false;
                log.note(Direction::Error, text);
            }
            Event::Abandoned(message) => {
                self.in_flight.remove(&message.pkid);
                log.note(Direction::Error, message.to_string());
                if self.abandoned.len() == ABANDONED_KEPT {
                    self.abandoned.remove(0);
                }
                self.abandoned.push(Queued {
                    topic: message.topic,
                    payload: message.payload,
                    qos: message.qos,
                    retain: message.retain,
                    properties: message.properties,
                });
            }
            Event::Closed(reason) => {
                self.info = None;
                self.socket_in_worker = None;
                let before_connack = !std::mem::take(&mut self.accepted);
                let may_not_speak_5 = matches!(
                    reason,
                    CloseReason::TransportClosed(_)
                        | CloseReason::ConnectTimeout(_)
                        | CloseReason::Protocol(_)
                        | CloseReason::Refused(
                            mqtt_session::ConnectRefusal::UnacceptableProtocolVersion
                        )
                );
                if self.protocol == ProtocolVersion::V5 && before_connack && may_not_speak_5 {
                    log.note(
                        Direction::Error,
                        "the broker ended the connection before accepting MQTT 5: it may speak \
                         3.1.1 only (the lab's embedded broker does). Choose MQTT version 3.1.1 \
                         and connect again.",
                    );
                }
                if std::mem::take(&mut self.just_resumed) && reason != CloseReason::ClientDisconnect
                {
                    self.resumed_then_closed = self.resumed_then_closed.saturating_add(1);
                    if self.resumed_then_closed == 2 {
                        log.note(
                            Direction::Error,
                            "the broker closes the connection right after resuming the session, \
                             twice in a row: it may not be able to resume what was in flight \
                             (rumqttd 0.20 cannot resume QoS 2). Stop, tick Clean session and \
                             connect again to start a new session.",
                        );
                    }
                }
                // One connection ended; `Reconnecting` or `Ended` says what comes next.
                for row in &mut self.subscriptions {
                    row.state = SubState::Pending;
                }
                let direction = if reason == CloseReason::ClientDisconnect {
                    Direction::Info
                } else {
                    Direction::Error
                };
                log.note(direction, reason.to_string());
            }
        }
        reaction
    }

    fn on_subscribed(&mut self, results: Vec<(String, SubscribeResult)>, log: &mut impl LogSink) {
        for (filter, result) in results {
            let state = match result {
                SubscribeResult::Granted(qos) => {
                    log.note(
                        Direction::Info,
                        format!("subscribed to '{filter}' (granted QoS {})", qos as u8),
                    );
                    SubState::Granted(qos)
                }
                SubscribeResult::Refused(code) => {
                    let hint = if code == ReasonCode::UNSPECIFIED_ERROR {
                        " (MQTT 3.1.1 gives no reason: not allowed for this user?)"
                    } else {
                        ""
                    };
                    log.note(
                        Direction::Error,
                        format!("the broker refused the subscription to '{filter}': SUBACK {code}{hint}"),
                    );
                    SubState::Refused(code)
                }
            };
            if let Some(row) = self.subscriptions.iter_mut().find(|r| r.filter == filter) {
                row.state = state;
                row.granted_before = match state {
                    SubState::Granted(qos) => Some(qos),
                    _ => None,
                };
            }
        }
    }

    /// Seconds until the next retry, while waiting for it.
    pub fn retry_in_secs(&self, now: Instant) -> Option<u64> {
        let at = self.retry_at?;
        (self.status.state == ConnState::Reconnecting)
            .then(|| at.saturating_duration_since(now).as_millis().div_ceil(1000) as u64)
    }

    /// Keeps a publish for when the connection is back; its place in the queue.
    pub fn queue_publish(&mut self, message: Queued) -> Result<usize, QueueError> {
        self.queue.push(message)
    }

    /// Checks a filter the user typed; the trimmed filter to send, if it is valid. Checked
    /// whatever the connection's state, so an invalid filter never enters the list.
    pub fn check_filter(filter: &str) -> Result<String, ClientError> {
        let filter = filter.trim();
        validate_topic_filter(filter).map_err(|error| ClientError::InvalidFilter {
            filter: filter.to_string(),
            error,
        })?;
        Ok(filter.to_string())
    }

    /// Adds (or replaces) a subscription row, pending until the broker answers.
    pub fn add_subscription(&mut self, filter: String, qos: QoS) {
        let options = Subscription::new(filter, qos);
        self.add_subscription_with(options, SubscribeProperties::default());
    }

    /// Adds (or replaces) a subscription row with MQTT 5 options.
    pub fn add_subscription_with(
        &mut self,
        options: Subscription,
        properties: SubscribeProperties,
    ) {
        self.subscriptions.retain(|r| r.filter != options.filter);
        self.subscriptions.push(SubscriptionRow {
            filter: options.filter.clone(),
            qos: options.qos,
            options,
            properties,
            state: SubState::Pending,
            granted_before: None,
        });
    }

    /// The view published a message (sent now: `pkid` for QoS 1/2; or queued offline).
    pub fn published(&mut self, topic: &str, pkid: Option<u16>, queued: bool) {
        let state = match (queued, pkid) {
            (true, _) => PublishState::Queued,
            (false, None) => PublishState::SentAtMostOnce,
            (false, Some(id)) => {
                self.in_flight.insert(id, topic.to_string());
                PublishState::Awaiting
            }
        };
        self.last_publish = Some(LastPublish {
            topic: topic.to_string(),
            pkid,
            state,
        });
    }

    /// A publish of the view whose id the session had not returned yet (flushed from the
    /// offline queue, sent again): only its topic is remembered, for the log.
    pub fn track(&mut self, topic: &str, pkid: Option<u16>) {
        if let Some(id) = pkid {
            self.in_flight.insert(id, topic.to_string());
        }
    }

    /// Changes the last publish's state if it is the message `pkid`; whether it changed.
    fn update_last(&mut self, pkid: u16, change: impl FnOnce(&mut PublishState)) -> bool {
        match self.last_publish.as_mut() {
            Some(last) if last.pkid == Some(pkid) => {
                let before = last.state.clone();
                change(&mut last.state);
                last.state != before
            }
            _ => false,
        }
    }

    /// Removes a subscription row (when not connected; else the UNSUBACK does).
    pub fn remove_subscription(&mut self, filter: &str) {
        self.subscriptions.retain(|r| r.filter != filter);
    }
}

#[cfg(test)]
mod tests;
