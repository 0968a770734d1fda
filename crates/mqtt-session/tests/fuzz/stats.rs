//! What a run went through, counted from the session's events and the packets it sent, so
//! that "no finding" can be told apart from a harness that never reached the paths that
//! matter (resumed sessions, resends, abandoned messages, protocol errors…).

use std::fmt;

use mqtt_session::{CloseReason, Event, QoS};
use mqttbytes::v4::Packet;

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Cases that ended with the end-to-end checks still on.
    pub strict_cases: u64,
    resumed: u64,
    fresh: u64,
    delivered: u64,
    abandoned: u64,
    /// Messages delivered to the application, by QoS.
    messages: [u64; 3],
    /// PUBLISH resends (DUP) the session sent.
    resends: u64,
    /// PUBRELs the session sent (first or again).
    pubrels: u64,
    protocol_errors: u64,
    timeouts: u64,
    other_closes: u64,
}

impl Stats {
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Connected {
                session_present: true,
            } => self.resumed += 1,
            Event::Connected { .. } => self.fresh += 1,
            Event::Delivered { .. } => self.delivered += 1,
            Event::Abandoned(_) => self.abandoned += 1,
            Event::Message(m) => self.messages[m.qos as usize] += 1,
            Event::Closed(CloseReason::Protocol(_)) => self.protocol_errors += 1,
            Event::Closed(
                CloseReason::OpenTimeout(_)
                | CloseReason::ConnectTimeout(_)
                | CloseReason::KeepAliveTimeout(_),
            ) => self.timeouts += 1,
            Event::Closed(_) => self.other_closes += 1,
            _ => {}
        }
    }

    pub fn sent(&mut self, packet: &Packet) {
        match packet {
            Packet::Publish(p) if p.dup && p.qos != QoS::AtMostOnce.into() => self.resends += 1,
            Packet::PubRel(_) => self.pubrels += 1,
            _ => {}
        }
    }

    /// The paths this run never went through: a short run that misses one is too weak to
    /// trust (the harness, not the session, is then broken).
    pub fn missing(&self) -> Vec<&'static str> {
        let counts = [
            (self.strict_cases, "strict cases"),
            (self.resumed, "resumed sessions"),
            (self.fresh, "fresh sessions"),
            (self.delivered, "delivered publishes"),
            (self.abandoned, "abandoned publishes"),
            (self.resends, "resent publishes"),
            (self.pubrels, "PUBRELs"),
            (self.messages[2], "QoS 2 messages received"),
            (self.protocol_errors, "protocol errors"),
            (self.timeouts, "timeouts"),
        ];
        counts
            .iter()
            .filter(|(n, _)| *n == 0)
            .map(|(_, what)| *what)
            .collect()
    }

    pub fn add(&mut self, other: &Stats) {
        self.strict_cases += other.strict_cases;
        self.resumed += other.resumed;
        self.fresh += other.fresh;
        self.delivered += other.delivered;
        self.abandoned += other.abandoned;
        for (sum, n) in self.messages.iter_mut().zip(other.messages) {
            *sum += n;
        }
        self.resends += other.resends;
        self.pubrels += other.pubrels;
        self.protocol_errors += other.protocol_errors;
        self.timeouts += other.timeouts;
        self.other_closes += other.other_closes;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [q0, q1, q2] = self.messages;
        write!(
            f,
            "{} strict cases; CONNACK resumed {} / fresh {}; publishes delivered {}, abandoned {}, \
             resent {}; PUBRELs {}; messages received QoS 0/1/2: {q0}/{q1}/{q2}; closes: \
             protocol error {}, timeout {}, other {}",
            self.strict_cases,
            self.resumed,
            self.fresh,
            self.delivered,
            self.abandoned,
            self.resends,
            self.pubrels,
            self.protocol_errors,
            self.timeouts,
            self.other_closes,
        )
    }
}
