//! The Authorized exercise's probe: does the broker keep this user out of another user's
//! namespace? Subscribe to theirs and to ours; once both are answered, publish into theirs,
//! then a marker into ours. The marker arriving means everything before it was delivered
//! (one connection, in order): if the probe message had not arrived by then, it never will.

use devices::{auth_filter, auth_sensor_topic};
use mqtt_session::SubscribeResult;

/// Why the probe cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter your user name in the broker settings and another user's name here.")]
pub struct ProbeNeedsTwoUsers;

/// What the probe asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStep {
    /// Publish these (topic, payload) at QoS 1, in order.
    Publish(Vec<(String, Vec<u8>)>),
    /// The verdict; the probe is over (disconnect).
    Verdict(String),
}

/// One probe run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    other_filter: String,
    my_filter: String,
    intruder_topic: String,
    marker: String,
    suback: Option<SubscribeResult>,
    leaked: bool,
}

impl Probe {
    pub fn new(me: &str, other: &str) -> Result<Self, ProbeNeedsTwoUsers> {
        let (me, other) = (me.trim(), other.trim());
        if me.is_empty() || other.is_empty() || other == me {
            return Err(ProbeNeedsTwoUsers);
        }
        let my_filter = auth_filter(me);
        Ok(Self {
            other_filter: auth_filter(other),
            marker: format!("{}/probe-marker", my_filter.trim_end_matches("/#")),
            my_filter,
            intruder_topic: auth_sensor_topic(other),
            suback: None,
            leaked: false,
        })
    }

    /// The filters to subscribe to once connected (QoS 1), theirs first.
    pub fn filters(&self) -> [&str; 2] {
        [&self.other_filter, &self.my_filter]
    }

    /// A SUBACK arrived for one of the two subscriptions.
    pub fn on_subscribed(&mut self, results: &[(String, SubscribeResult)]) -> Option<ProbeStep> {
        let (filter, result) = results.first()?;
        if *filter == self.other_filter {
            self.suback = Some(*result);
            return None;
        }
        // Both are answered: write into the other namespace, then the marker into ours.
        // The broker acknowledges both (3.1.1 has no negative acknowledgement).
        Some(ProbeStep::Publish(vec![
            (self.intruder_topic.clone(), b"probe".to_vec()),
            (self.marker.clone(), b"marker".to_vec()),
        ]))
    }

    /// A message arrived on one of the subscriptions.
    pub fn on_message(&mut self, topic: &str) -> Option<ProbeStep> {
        if topic == self.intruder_topic {
            self.leaked = true;
            return None;
        }
        if topic != self.marker {
            return None;
        }
        let sub = match self.suback {
            Some(SubscribeResult::Refused) => "was refused (SUBACK 0x80)",
            Some(SubscribeResult::Granted(_)) => "was granted by the broker",
            None => "got no answer",
        };
        let other = &self.other_filter;
        Some(ProbeStep::Verdict(if self.leaked {
            format!(
                "Not enforced: the subscription to {other} {sub}, and the message published into it \
                 arrived. This broker has no per-user access rules (the lab's embedded broker has \
                 none; use the shipped mosquitto config for real namespaces)."
            )
        } else {
            format!(
                "Enforced: the subscription to {other} {sub}, and the message published into it never \
                 arrived, although the broker acknowledged it: MQTT 3.1.1 has no negative \
                 acknowledgement, so a refused publish is silent."
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_session::QoS;

    fn answered(probe: &mut Probe, other: SubscribeResult) -> Vec<(String, Vec<u8>)> {
        let [theirs, mine] = probe.filters().map(str::to_string);
        assert_eq!(probe.on_subscribed(&[(theirs, other)]), None);
        match probe.on_subscribed(&[(mine, SubscribeResult::Granted(QoS::AtLeastOnce))]) {
            Some(ProbeStep::Publish(p)) => p,
            other => panic!("expected publishes, got {other:?}"),
        }
    }

    #[test]
    fn the_probe_needs_two_different_users() {
        assert_eq!(Probe::new("", "bob"), Err(ProbeNeedsTwoUsers));
        assert_eq!(Probe::new("bob", " bob "), Err(ProbeNeedsTwoUsers));
        assert!(Probe::new("alice", "bob").is_ok());
    }

    #[test]
    fn a_probe_message_that_never_arrives_before_the_marker_means_enforced() {
        let mut probe = Probe::new("alice", "bob").unwrap();
        let publishes = answered(&mut probe, SubscribeResult::Refused);
        assert_eq!(publishes[0].0, "/iot/user/bob/sensor/temperature");
        let marker = publishes[1].0.clone();
        match probe.on_message(&marker) {
            Some(ProbeStep::Verdict(v)) => {
                assert!(v.starts_with("Enforced"), "{v}");
                assert!(v.contains("was refused"), "{v}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_probe_message_that_arrives_means_not_enforced() {
        let mut probe = Probe::new("alice", "bob").unwrap();
        let publishes = answered(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(probe.on_message(&publishes[0].0), None);
        match probe.on_message(&publishes[1].0) {
            Some(ProbeStep::Verdict(v)) => assert!(v.starts_with("Not enforced"), "{v}"),
            other => panic!("{other:?}"),
        }
    }
}
