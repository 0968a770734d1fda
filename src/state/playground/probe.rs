//! The Authorized exercise's probe: does the broker keep this user out of another user's
//! namespace? Subscribe to theirs and to ours; once both are answered, publish into theirs,
//! then a marker into ours.
//!
//! Under MQTT 5 the broker says so itself: a refused publish gets a PUBACK with a failure
//! reason code (mosquitto: 0x87 not authorized), which is the verdict as soon as it
//! arrives. Under MQTT 3.1.1 (no negative acknowledgement) the marker decides: it arriving
//! means everything before it was delivered (one connection, in order), so if the probe
//! message had not arrived by then, it never will.

use devices::{auth_filter, auth_sensor_topic};
use mqtt_session::{ProtocolVersion, ReasonCode, SubscribeResult};

/// Why the probe cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter your user name in the broker settings and another user's name here.")]
pub struct ProbeNeedsTwoUsers;

/// What the probe asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStep {
    /// Publish these (topic, payload) at QoS 1, in order, and tell
    /// [`Probe::on_published`] each one's packet id.
    Publish(Vec<(String, Vec<u8>)>),
    /// The verdict; the probe is over (disconnect).
    Verdict(String),
}

/// The broker's acknowledgement of the intruding publish (MQTT 5 only tells more than
/// "received").
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    reason: ReasonCode,
    reason_string: Option<String>,
}

/// One probe run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    protocol: ProtocolVersion,
    other_filter: String,
    my_filter: String,
    intruder_topic: String,
    marker: String,
    suback: Option<SubscribeResult>,
    /// The packet id the session gave the intruding publish.
    intruder_pkid: Option<u16>,
    /// Its PUBACK, under MQTT 5.
    answer: Option<Answer>,
    leaked: bool,
    marker_seen: bool,
    done: bool,
}

impl Probe {
    pub fn new(
        me: &str,
        other: &str,
        protocol: ProtocolVersion,
    ) -> Result<Self, ProbeNeedsTwoUsers> {
        let (me, other) = (me.trim(), other.trim());
        if me.is_empty() || other.is_empty() || other == me {
            return Err(ProbeNeedsTwoUsers);
        }
        let my_filter = auth_filter(me);
        Ok(Self {
            protocol,
            other_filter: auth_filter(other),
            marker: format!("{}/probe-marker", my_filter.trim_end_matches("/#")),
            my_filter,
            intruder_topic: auth_sensor_topic(other),
            suback: None,
            intruder_pkid: None,
            answer: None,
            leaked: false,
            marker_seen: false,
            done: false,
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
        Some(ProbeStep::Publish(vec![
            (self.intruder_topic.clone(), b"probe".to_vec()),
            (self.marker.clone(), b"marker".to_vec()),
        ]))
    }

    /// The session took one of the publishes asked for, with this packet id (`None`: it
    /// could not send it).
    pub fn on_published(&mut self, topic: &str, pkid: Option<u16>) {
        if topic == self.intruder_topic {
            self.intruder_pkid = pkid;
        }
    }

    /// A publish was acknowledged as plain success (`Event::Delivered`).
    pub fn on_delivered(&mut self, pkid: u16) -> Option<ProbeStep> {
        self.on_publish_outcome(pkid, ReasonCode::SUCCESS, None)
    }

    /// MQTT 5: the broker's acknowledgement of a publish, with its reason code
    /// (`Event::PublishOutcome`). A failure for the intruding publish is the verdict.
    pub fn on_publish_outcome(
        &mut self,
        pkid: u16,
        reason: ReasonCode,
        reason_string: Option<&str>,
    ) -> Option<ProbeStep> {
        if self.intruder_pkid != Some(pkid) || self.answer.is_some() {
            return None;
        }
        self.answer = Some(Answer {
            reason,
            reason_string: reason_string.map(str::to_string),
        });
        self.verdict()
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
        self.marker_seen = true;
        self.verdict()
    }

    /// The verdict, once what is known decides it (and only once).
    fn verdict(&mut self) -> Option<ProbeStep> {
        if self.done {
            return None;
        }
        let text = match (self.protocol, &self.answer) {
            // MQTT 5: the broker's own answer decides, without waiting for the marker.
            (ProtocolVersion::V5, Some(answer)) if answer.reason.is_failure() => {
                self.refused(answer)
            }
            _ if !self.marker_seen => return None,
            // MQTT 5: the marker came first; the intruding publish's answer is still due.
            (ProtocolVersion::V5, None) if self.intruder_pkid.is_some() => return None,
            (ProtocolVersion::V5, answer) => self.by_marker_v5(answer.as_ref()),
            (ProtocolVersion::V311, _) => self.by_marker_v311(),
        };
        self.done = true;
        Some(ProbeStep::Verdict(text))
    }

    /// "was granted by the broker", "was refused (SUBACK 0x87 not authorized: …)".
    fn subscription(&self) -> String {
        match self.suback {
            Some(SubscribeResult::Refused(code)) => format!("was refused (SUBACK {code})"),
            Some(SubscribeResult::Granted(_)) => "was granted by the broker".to_string(),
            None => "got no answer".to_string(),
        }
    }

    /// MQTT 5: the PUBACK refused the intruding publish.
    fn refused(&self, answer: &Answer) -> String {
        let (topic, other) = (&self.intruder_topic, &self.other_filter);
        let subscription = match self.suback {
            Some(SubscribeResult::Refused(code)) => {
                format!("It refused the subscription to {other} too: SUBACK {code}.")
            }
            Some(SubscribeResult::Granted(_)) => format!(
                "The subscription to {other} was granted: a broker may accept a subscription and \
                 still withhold each message this user may not read (mosquitto does)."
            ),
            None => format!("The subscription to {other} got no answer."),
        };
        format!(
            "Enforced: the broker refused the publish into {topic}: {}{}. Its PUBACK said so: \
             under MQTT 5 a broker answers a refused publish with a reason code. {subscription}",
            answer.reason,
            quoted(answer.reason_string.as_deref()),
        )
    }

    /// MQTT 5, the broker accepted the intruding publish: the marker tells whether it
    /// arrived.
    fn by_marker_v5(&self, answer: Option<&Answer>) -> String {
        let (topic, other, sub) = (
            &self.intruder_topic,
            &self.other_filter,
            self.subscription(),
        );
        let ack = match answer {
            Some(a) if a.reason == ReasonCode::SUCCESS => {
                format!("the broker accepted the publish into {topic} (PUBACK success)")
            }
            Some(a) => format!(
                "the broker accepted the publish into {topic} (PUBACK {}{})",
                a.reason,
                quoted(a.reason_string.as_deref())
            ),
            None => {
                return format!(
                    "Inconclusive: the publish into {topic} could not be sent (the reason is \
                     under the probe's status)."
                )
            }
        };
        if self.leaked {
            format!(
                "Not enforced: {ack}, the subscription to {other} {sub}, and the message \
                 arrived. This broker has no per-user access rules (the lab's embedded broker \
                 has none; use the shipped mosquitto config for real namespaces)."
            )
        } else {
            format!(
                "Enforced: {ack}, but the message never arrived; the subscription to {other} \
                 {sub}. The broker dropped it without a reason code, or withholds it from this \
                 user at delivery."
            )
        }
    }

    /// MQTT 3.1.1: the marker arrived; whether the probe message did before it decides.
    fn by_marker_v311(&self) -> String {
        let (other, sub) = (&self.other_filter, self.subscription());
        if self.leaked {
            format!(
                "Not enforced: the subscription to {other} {sub}, and the message published into it \
                 arrived. This broker has no per-user access rules (the lab's embedded broker has \
                 none; use the shipped mosquitto config for real namespaces)."
            )
        } else {
            format!(
                "Enforced: the subscription to {other} {sub}, and the message published into it never \
                 arrived, although the broker acknowledged it: MQTT 3.1.1 has no negative \
                 acknowledgement, so a refused publish is silent. Under MQTT 5 (choose it in the \
                 broker settings) the broker says so itself, e.g. PUBACK 0x87 not authorized."
            )
        }
    }
}

/// ` ("reason string")`, or nothing.
fn quoted(reason_string: Option<&str>) -> String {
    reason_string
        .map(|text| format!(" (\"{text}\")"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_session::QoS;

    const INTRUDER: &str = "/iot/user/bob/sensor/temperature";

    fn probe(protocol: ProtocolVersion) -> Probe {
        Probe::new("alice", "bob", protocol).unwrap()
    }

    fn answered(probe: &mut Probe, other: SubscribeResult) -> Vec<(String, Vec<u8>)> {
        let [theirs, mine] = probe.filters().map(str::to_string);
        assert_eq!(probe.on_subscribed(&[(theirs, other)]), None);
        match probe.on_subscribed(&[(mine, SubscribeResult::Granted(QoS::AtLeastOnce))]) {
            Some(ProbeStep::Publish(p)) => p,
            other => panic!("expected publishes, got {other:?}"),
        }
    }

    /// Subscribes, then "publishes" as the view does: the intruder gets id 1, the marker 2.
    fn sent(probe: &mut Probe, other: SubscribeResult) -> (String, String) {
        let publishes = answered(probe, other);
        assert_eq!(publishes[0].0, INTRUDER);
        probe.on_published(&publishes[0].0, Some(1));
        probe.on_published(&publishes[1].0, Some(2));
        (publishes[0].0.clone(), publishes[1].0.clone())
    }

    fn verdict(step: Option<ProbeStep>) -> String {
        match step {
            Some(ProbeStep::Verdict(v)) => v,
            other => panic!("expected a verdict, got {other:?}"),
        }
    }

    #[test]
    fn the_probe_needs_two_different_users() {
        let v = ProtocolVersion::V311;
        assert_eq!(Probe::new("", "bob", v), Err(ProbeNeedsTwoUsers));
        assert_eq!(Probe::new("bob", " bob ", v), Err(ProbeNeedsTwoUsers));
        assert!(Probe::new("alice", "bob", v).is_ok());
    }

    #[test]
    fn a_probe_message_that_never_arrives_before_the_marker_means_enforced() {
        let mut probe = probe(ProtocolVersion::V311);
        let (_, marker) = sent(
            &mut probe,
            SubscribeResult::Refused(ReasonCode::UNSPECIFIED_ERROR),
        );
        // 3.1.1 acknowledges the dropped publish as any other: that decides nothing.
        assert_eq!(probe.on_delivered(1), None);
        assert_eq!(probe.on_delivered(2), None);
        let v = verdict(probe.on_message(&marker));
        assert!(
            v.starts_with("Enforced: the subscription to /iot/user/bob/# was refused (SUBACK 0x80"),
            "{v}"
        );
        assert!(
            v.contains("MQTT 3.1.1 has no negative acknowledgement"),
            "{v}"
        );
        assert!(v.contains("Under MQTT 5"), "{v}");
        assert_eq!(probe.on_message(&marker), None, "one verdict");
    }

    #[test]
    fn a_probe_message_that_arrives_means_not_enforced() {
        let mut probe = probe(ProtocolVersion::V311);
        let (intruder, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(probe.on_message(&intruder), None);
        let v = verdict(probe.on_message(&marker));
        assert!(v.starts_with("Not enforced"), "{v}");
        assert!(v.contains("was granted"), "{v}");
    }

    #[test]
    fn v311_does_not_wait_for_an_acknowledgement_of_the_probe_message() {
        let mut probe = probe(ProtocolVersion::V311);
        let (_, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert!(verdict(probe.on_message(&marker)).starts_with("Enforced"));
    }

    #[test]
    fn v5_a_refusing_puback_is_the_verdict_at_once() {
        let mut probe = probe(ProtocolVersion::V5);
        sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        // The marker's answer is not the probe's.
        assert_eq!(
            probe.on_publish_outcome(2, ReasonCode::NOT_AUTHORIZED, None),
            None
        );
        let v = verdict(probe.on_publish_outcome(1, ReasonCode::NOT_AUTHORIZED, None));
        assert!(
            v.starts_with(
                "Enforced: the broker refused the publish into /iot/user/bob/sensor/temperature: \
                 0x87 not authorized: the broker's access rules (ACL) do not allow this user"
            ),
            "{v}"
        );
        assert!(
            v.contains("The subscription to /iot/user/bob/# was granted"),
            "{v}"
        );
        assert!(!v.contains("3.1.1"), "{v}");
        // The marker arriving later changes nothing.
        assert_eq!(probe.on_message("/iot/user/alice/probe-marker"), None);
    }

    #[test]
    fn v5_a_refused_subscription_and_the_reason_string_are_reported() {
        let mut probe = probe(ProtocolVersion::V5);
        sent(
            &mut probe,
            SubscribeResult::Refused(ReasonCode::NOT_AUTHORIZED),
        );
        let v = verdict(probe.on_publish_outcome(1, ReasonCode::NOT_AUTHORIZED, Some("ACL")));
        assert!(v.contains("0x87 not authorized"), "{v}");
        assert!(v.contains("(\"ACL\")"), "{v}");
        assert!(
            v.contains(
                "It refused the subscription to /iot/user/bob/# too: SUBACK 0x87 not authorized"
            ),
            "{v}"
        );
    }

    #[test]
    fn v5_a_delivered_probe_message_means_not_enforced() {
        let mut probe = probe(ProtocolVersion::V5);
        let (intruder, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(probe.on_delivered(1), None);
        assert_eq!(probe.on_message(&intruder), None);
        assert_eq!(probe.on_delivered(2), None);
        let v = verdict(probe.on_message(&marker));
        assert!(
            v.starts_with(
                "Not enforced: the broker accepted the publish into \
                 /iot/user/bob/sensor/temperature (PUBACK success)"
            ),
            "{v}"
        );
        assert!(v.contains("the message arrived"), "{v}");
    }

    #[test]
    fn v5_a_marker_before_the_probe_messages_answer_waits_for_it() {
        let mut probe = probe(ProtocolVersion::V5);
        let (_, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(probe.on_message(&marker), None);
        let v = verdict(probe.on_publish_outcome(1, ReasonCode::NOT_AUTHORIZED, None));
        assert!(v.contains("refused the publish"), "{v}");

        // Accepted but never delivered: the marker decides, and says the broker was silent.
        let mut probe = self::probe(ProtocolVersion::V5);
        let (_, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(probe.on_message(&marker), None);
        let v = verdict(probe.on_delivered(1));
        assert!(
            v.starts_with("Enforced: the broker accepted the publish"),
            "{v}"
        );
        assert!(v.contains("never arrived"), "{v}");
    }

    #[test]
    fn v5_a_probe_message_that_could_not_be_sent_decides_nothing() {
        let mut probe = probe(ProtocolVersion::V5);
        let publishes = answered(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        probe.on_published(&publishes[0].0, None);
        let v = verdict(probe.on_message(&publishes[1].0));
        assert!(v.starts_with("Inconclusive"), "{v}");
    }

    #[test]
    fn v5_a_success_with_a_remark_is_not_a_refusal() {
        let mut probe = probe(ProtocolVersion::V5);
        let (intruder, marker) = sent(&mut probe, SubscribeResult::Granted(QoS::AtLeastOnce));
        assert_eq!(
            probe.on_publish_outcome(1, ReasonCode::NO_MATCHING_SUBSCRIBERS, None),
            None
        );
        probe.on_message(&intruder);
        let v = verdict(probe.on_message(&marker));
        assert!(v.contains("(PUBACK 0x10 no matching subscribers"), "{v}");
        assert!(v.starts_with("Not enforced"), "{v}");
    }
}
