//! An in-memory broker with a virtual clock, running one server and many clients.
//!
//! Every hop (peer to broker, broker to peer) takes `latency`. The broker routes
//! publishes by topic filter ([`mqtt_session::topic::matches`]), grants every
//! subscription at the QoS asked, and acknowledges a QoS 1/2 publish one hop after it
//! arrives, so a reply's ack reaches the client before the final message it triggers.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use challenge::{
    Action, ChallengeClient, ChallengeEvent, ChallengeServer, ClientConfig, ServerConfig,
    ServerEvent,
};
use mqtt_session::topic::matches;
use mqtt_session::{Event, Instant, Message, QoS, SubscribeResult};

/// Who is at the end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    Server,
    Client(usize),
}

#[derive(Debug)]
enum Delivery {
    /// A SUBSCRIBE or PUBLISH reaches the broker.
    AtBroker(Peer, Action, u16),
    /// A session event reaches a peer.
    ToPeer(Peer, Event),
}

/// The server, its clients, the broker between them, and everything they said.
pub struct Pair {
    pub now: Instant,
    pub latency: Duration,
    pub server: ChallengeServer,
    pub clients: Vec<ChallengeClient>,
    pub client_events: Vec<Vec<ChallengeEvent>>,
    pub server_events: Vec<ServerEvent>,
    /// Which clients executed `Action::Disconnect`.
    pub disconnected: Vec<bool>,
    queue: BTreeMap<(Instant, u64), Delivery>,
    seq: u64,
    subscriptions: Vec<(Peer, String, QoS)>,
    next_pkid: u16,
}

impl Pair {
    /// A server and one client per config; the clients' sessions connect one hop later.
    pub fn new(server: ServerConfig, clients: Vec<ClientConfig>) -> Self {
        let now = Instant::from_millis(1_000);
        let n = clients.len();
        let mut pair = Self {
            now,
            latency: Duration::from_millis(10),
            server: ChallengeServer::new(server).expect("valid server config"),
            clients: clients
                .into_iter()
                .map(|c| ChallengeClient::new(c, now).expect("valid client config"))
                .collect(),
            client_events: vec![Vec::new(); n],
            server_events: Vec::new(),
            disconnected: vec![false; n],
            queue: BTreeMap::new(),
            seq: 0,
            subscriptions: Vec::new(),
            next_pkid: 0,
        };
        pair.flush(); // The server subscribes before any client connects.
        for i in 0..n {
            let connected = Event::Connected {
                session_present: false,
            };
            pair.schedule(
                pair.latency * 2,
                Delivery::ToPeer(Peer::Client(i), connected),
            );
        }
        pair
    }

    /// Runs until nothing is left to do or `limit` of virtual time has passed.
    pub fn run(&mut self, limit: Duration) {
        let end = self.now + limit;
        loop {
            self.flush();
            let next = self
                .queue
                .keys()
                .next()
                .map(|(at, _)| *at)
                .into_iter()
                .chain(self.server.poll_timeout())
                .chain(self.clients.iter().filter_map(|c| c.poll_timeout()))
                .min();
            let Some(at) = next.filter(|at| *at <= end) else {
                break;
            };
            self.now = self.now.max(at);
            self.step();
        }
    }

    /// Delivers one queued item due now, or fires the timeouts due now.
    fn step(&mut self) {
        let now = self.now;
        if let Some(entry) = self.queue.first_entry().filter(|e| e.key().0 <= now) {
            match entry.remove() {
                Delivery::AtBroker(from, action, pkid) => self.at_broker(from, action, pkid),
                Delivery::ToPeer(Peer::Server, Event::Message(m)) => {
                    self.server.handle_message(now, &m)
                }
                Delivery::ToPeer(Peer::Server, _) => {}
                Delivery::ToPeer(Peer::Client(i), event) => {
                    if !self.disconnected[i] {
                        self.clients[i].handle_session_event(now, &event);
                    }
                }
            }
            return;
        }
        if self.server.poll_timeout().is_some_and(|at| at <= now) {
            self.server.handle_timeout(now);
        }
        for client in &mut self.clients {
            if client.poll_timeout().is_some_and(|at| at <= now) {
                client.handle_timeout(now);
            }
        }
    }

    /// Executes every pending action of every peer and collects their events, as the
    /// crate documentation tells a caller to.
    fn flush(&mut self) {
        let now = self.now;
        while let Some(action) = self.server.poll_action() {
            let pkid = self.pkid();
            self.schedule(self.latency, Delivery::AtBroker(Peer::Server, action, pkid));
        }
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
        for i in 0..self.clients.len() {
            while let Some(action) = self.clients[i].poll_action() {
                let pkid = self.pkid();
                match &action {
                    Action::Subscribe { .. } => self.clients[i].note_subscribed(now, Ok(pkid)),
                    Action::Publish { qos, .. } => {
                        let id = (*qos != QoS::AtMostOnce).then_some(pkid);
                        self.clients[i].note_published(now, Ok(id));
                    }
                    Action::Disconnect => {
                        self.disconnected[i] = true;
                        self.subscriptions.retain(|(p, _, _)| *p != Peer::Client(i));
                        continue;
                    }
                }
                self.schedule(
                    self.latency,
                    Delivery::AtBroker(Peer::Client(i), action, pkid),
                );
            }
            let events = std::iter::from_fn(|| self.clients[i].poll_event());
            self.client_events[i].extend(events);
        }
    }

    fn at_broker(&mut self, from: Peer, action: Action, pkid: u16) {
        match action {
            Action::Subscribe { filter, qos } => {
                self.subscriptions.push((from, filter.clone(), qos));
                let results = vec![(filter, SubscribeResult::Granted(qos))];
                let suback = Event::Subscribed { pkid, results };
                self.schedule(self.latency, Delivery::ToPeer(from, suback));
            }
            Action::Publish {
                topic,
                payload,
                qos,
                retain,
            } => {
                // One copy per subscriber, at the highest QoS among its matching filters.
                let mut receivers: BTreeMap<Peer, QoS> = BTreeMap::new();
                for (peer, filter, granted) in &self.subscriptions {
                    if matches(&topic, filter) {
                        let q = receivers.entry(*peer).or_insert(QoS::AtMostOnce);
                        *q = max_qos(*q, *granted);
                    }
                }
                for (peer, granted) in receivers {
                    let qos = delivered_qos(qos, granted);
                    let message = Message {
                        topic: topic.clone(),
                        payload: Bytes::from(payload.clone()),
                        qos,
                        retain,
                        dup: false,
                        pkid: if qos == QoS::AtMostOnce {
                            0
                        } else {
                            self.pkid()
                        },
                    };
                    self.schedule(
                        self.latency,
                        Delivery::ToPeer(peer, Event::Message(message)),
                    );
                }
                if qos != QoS::AtMostOnce {
                    let ack = Event::Delivered { pkid, qos };
                    self.schedule(self.latency, Delivery::ToPeer(from, ack));
                }
            }
            Action::Disconnect => {}
        }
    }

    fn schedule(&mut self, after: Duration, delivery: Delivery) {
        self.seq += 1;
        self.queue.insert((self.now + after, self.seq), delivery);
    }

    fn pkid(&mut self) -> u16 {
        self.next_pkid = self.next_pkid.wrapping_add(1).max(1);
        self.next_pkid
    }
}

fn rank(q: QoS) -> u8 {
    q as u8
}

fn max_qos(a: QoS, b: QoS) -> QoS {
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// A message is delivered at the lower of its QoS and the subscription's [MQTT-3.8.4-6].
fn delivered_qos(published: QoS, granted: QoS) -> QoS {
    if rank(published) <= rank(granted) {
        published
    } else {
        granted
    }
}
