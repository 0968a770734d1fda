//! Noticing a broker that delivers a message at a higher QoS than MQTT allows.
//!
//! [MQTT-3.8.4-6]: "The QoS of Payload Messages sent in response to a Subscription MUST be
//! the minimum of the QoS of the originally published message and the maximum QoS granted
//! by the Server." Some brokers deliver at the subscription's QoS instead (rumqttd 0.20 and
//! amqtt 0.12 do: a QoS 0 message to a QoS 2 subscription arrives as QoS 2). A client
//! cannot know the QoS a stranger published with, but it knows two things:
//!
//! - the QoS it granted itself: a message above the highest QoS granted to every matching
//!   subscription breaks the rule whoever published it;
//! - what it published itself on this connection: its own message coming back (same topic,
//!   same payload) at a higher QoS than it was sent with is the upgrade, caught in the act.
//!
//! Either is reported once per connection, as a warning; the message is delivered as
//! usual (its QoS 2 handshake is answered: refusing it would only lose the message).

use std::collections::VecDeque;

use crate::packet::QoS;
use crate::topic::matches;

/// How many of our own QoS 0/1 publishes are remembered (topic + payload digest).
const REMEMBERED: usize = 32;

/// One connection's record: our recent publishes below QoS 2, and whether it warned.
#[derive(Debug, Default)]
pub(crate) struct QosCheck {
    warned: bool,
    sent: VecDeque<Sent>,
}

#[derive(Debug)]
struct Sent {
    topic: String,
    digest: u64,
    qos: QoS,
}

impl QosCheck {
    /// We published `payload` on `topic` at `qos` on this connection.
    pub(crate) fn note_sent(&mut self, topic: &str, payload: &[u8], qos: QoS) {
        if self.warned || qos == QoS::ExactlyOnce {
            return; // nothing to compare with: no delivery can be above QoS 2
        }
        if self.sent.len() == REMEMBERED {
            self.sent.pop_front();
        }
        self.sent.push_back(Sent {
            topic: topic.to_string(),
            digest: digest(payload),
            qos,
        });
    }

    /// The sentence to warn with when a message delivered at `qos` breaks [MQTT-3.8.4-6],
    /// the first time on this connection; `granted` are the subscriptions the broker
    /// acknowledged (filter, granted QoS).
    pub(crate) fn check<'a>(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        granted: impl Iterator<Item = (&'a str, QoS)>,
    ) -> Option<String> {
        if self.warned || qos == QoS::AtMostOnce {
            return None;
        }
        // The payload is hashed only if one of our own messages had this topic.
        let mut d = None;
        let ours = self
            .sent
            .iter()
            .rev()
            .find(|s| s.topic == topic && s.digest == *d.get_or_insert_with(|| digest(payload)))
            .map(|s| s.qos);
        let text = match ours {
            Some(sent) if sent < qos => format!(
                "this broker delivered a QoS {} message as QoS {} (our own message on '{topic}'): \
                 it upgrades messages to the subscription's QoS, which MQTT forbids \
                 [MQTT-3.8.4-6]; a message arrives at most at the QoS it was published with",
                sent as u8, qos as u8
            ),
            Some(_) => return None,
            None => {
                let highest = granted
                    .filter(|(filter, _)| matches(topic, without_share(filter)))
                    .map(|(_, q)| q)
                    .max()?;
                if qos <= highest {
                    return None;
                }
                format!(
                    "this broker delivered a message on '{topic}' at QoS {}, above the QoS {} it \
                     granted for the subscription: MQTT forbids it [MQTT-3.8.4-6]",
                    qos as u8, highest as u8
                )
            }
        };
        self.warned = true;
        self.sent.clear();
        Some(text)
    }
}

/// `$share/group/filter` → `filter` (MQTT 5 shared subscriptions match on the filter).
fn without_share(filter: &str) -> &str {
    filter
        .strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(filter, |(_group, f)| f)
}

/// FNV-1a over the payload and its length: enough to recognise our own message.
fn digest(payload: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ payload.len() as u64;
    for byte in payload {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
