//! MQTT 5 request/response, as `mosquitto_rr --latency` does it: publish a request with a
//! response topic and correlation data, and pair each reply that comes back on the
//! response topic with its request by the correlation data, giving the round-trip time.
//!
//! Bounded: at most [`MAX_PENDING`] requests wait for a reply (the oldest is given up
//! first) and the last [`MAX_RESULTS`] replies are kept.

use std::collections::VecDeque;

use bytes::Bytes;
use mqtt_session::{Instant, PublishProperties};

/// Requests waiting for a reply.
pub const MAX_PENDING: usize = 100;
/// Replies kept for display.
pub const MAX_RESULTS: usize = 20;

/// A request sent and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    correlation: Bytes,
    topic: String,
    sent_at: Instant,
}

/// A reply paired with its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTrip {
    pub request_topic: String,
    pub response_topic: String,
    pub correlation: String,
    pub rtt_ms: u64,
    /// The reply's payload as text (lossy), at most 200 characters.
    pub reply: String,
}

/// The request/response panel's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    pending: VecDeque<Pending>,
    pub results: VecDeque<RoundTrip>,
    /// Requests given up because too many were waiting.
    pub given_up: u64,
    sent: u64,
}

impl Requests {
    pub fn new() -> Self {
        Self::default()
    }

    /// The correlation data for the next request: unique within this page (`tag` tells
    /// pages apart, e.g. the client id).
    pub fn next_correlation(&mut self, tag: &str) -> String {
        self.sent += 1;
        format!("{tag}-{}", self.sent)
    }

    /// The properties of a request.
    pub fn request_properties(response_topic: &str, correlation: &str) -> PublishProperties {
        PublishProperties {
            response_topic: Some(response_topic.to_string()),
            correlation_data: Some(Bytes::from(correlation.as_bytes().to_vec())),
            ..PublishProperties::default()
        }
    }

    /// A request was published at `now`.
    pub fn sent(&mut self, correlation: &str, topic: &str, now: Instant) {
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
            self.given_up += 1;
        }
        self.pending.push_back(Pending {
            correlation: Bytes::from(correlation.as_bytes().to_vec()),
            topic: topic.to_string(),
            sent_at: now,
        });
    }

    /// Requests waiting for a reply.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// A message arrived: if its correlation data is a pending request's, it is that
    /// request's reply. Returns the round trip it completed.
    pub fn on_message(
        &mut self,
        topic: &str,
        payload: &[u8],
        properties: &PublishProperties,
        now: Instant,
    ) -> Option<RoundTrip> {
        let correlation = properties.correlation_data.as_ref()?;
        let i = self
            .pending
            .iter()
            .position(|p| p.correlation == *correlation)?;
        let pending = self.pending.remove(i)?;
        let reply: String = String::from_utf8_lossy(payload).chars().take(200).collect();
        let trip = RoundTrip {
            request_topic: pending.topic,
            response_topic: topic.to_string(),
            correlation: String::from_utf8_lossy(correlation).into_owned(),
            rtt_ms: now
                .saturating_duration_since(pending.sent_at)
                .as_millis()
                .try_into()
                .unwrap_or(u64::MAX),
            reply,
        };
        if self.results.len() == MAX_RESULTS {
            self.results.pop_front();
        }
        self.results.push_back(trip.clone());
        Some(trip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_props(correlation: &str) -> PublishProperties {
        PublishProperties {
            correlation_data: Some(Bytes::from(correlation.as_bytes().to_vec())),
            ..PublishProperties::default()
        }
    }

    #[test]
    fn a_reply_is_paired_by_correlation_data_with_its_round_trip_time() {
        let mut r = Requests::new();
        let a = r.next_correlation("me");
        let b = r.next_correlation("me");
        assert_ne!(a, b);
        r.sent(&a, "svc/a", Instant::from_millis(1_000));
        r.sent(&b, "svc/b", Instant::from_millis(1_010));
        // Replies may come back in any order.
        let trip = r
            .on_message(
                "reply/me",
                b"pong",
                &reply_props(&b),
                Instant::from_millis(1_042),
            )
            .expect("paired");
        assert_eq!((trip.request_topic.as_str(), trip.rtt_ms), ("svc/b", 32));
        assert_eq!(trip.reply, "pong");
        assert_eq!(r.waiting(), 1);
        // A second reply with the same correlation data is not a second round trip.
        assert_eq!(
            r.on_message(
                "reply/me",
                b"again",
                &reply_props(&b),
                Instant::from_millis(1_050)
            ),
            None
        );
    }

    #[test]
    fn messages_without_or_with_unknown_correlation_data_are_not_replies() {
        let mut r = Requests::new();
        r.sent("x-1", "svc", Instant::from_millis(0));
        let plain = PublishProperties::default();
        assert_eq!(
            r.on_message("t", b"", &plain, Instant::from_millis(5)),
            None
        );
        assert_eq!(
            r.on_message("t", b"", &reply_props("x-2"), Instant::from_millis(5)),
            None
        );
        assert_eq!(r.waiting(), 1);
    }

    #[test]
    fn pending_requests_and_results_are_bounded() {
        let mut r = Requests::new();
        for i in 0..(MAX_PENDING + 3) {
            r.sent(&format!("c-{i}"), "svc", Instant::from_millis(i as u64));
        }
        assert_eq!((r.waiting(), r.given_up), (MAX_PENDING, 3));
        for i in 3..(MAX_PENDING + 3) {
            r.on_message(
                "t",
                b"",
                &reply_props(&format!("c-{i}")),
                Instant::from_millis(500),
            );
        }
        assert_eq!(r.results.len(), MAX_RESULTS);
        assert_eq!(r.waiting(), 0);
    }

    #[test]
    fn a_request_carries_its_response_topic_and_correlation_data() {
        let p = Requests::request_properties("reply/me", "me-1");
        assert_eq!(p.response_topic.as_deref(), Some("reply/me"));
        assert_eq!(p.correlation_data.as_deref(), Some(&b"me-1"[..]));
    }
}
