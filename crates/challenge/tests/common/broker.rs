//! An in-memory broker with a virtual clock, running one server and many clients.
//!
//! Every hop (peer to broker, broker to peer) takes `latency`. The broker routes
//! publishes by topic filter ([`mqtt_session::topic::matches`]), grants every
//! subscription at the QoS asked, and acknowledges a QoS 1/2 publish one hop after it
//! arrives, so a reply's ack reaches the client before the final message it triggers.
//!
//! Each peer executes its actions through `execute_actions` on a [`Link`], as the web app
//! and the lab do on their sessions, so the tests exercise the same executor.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use challenge::{
    ChallengeClient, ChallengeEvent, ChallengeServer, ClientConfig, MqttCommands, ServerConfig,
    ServerEvent,
};
use mqtt_session::topic::matches;
use mqtt_session::{CommandError, Event, Instant, Message, QoS, SubscribeResult};

/// Who is at the end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    Server,
    Client(usize),
}

/// What a peer sends the broker.
#[derive(Debug)]
enum Packet {
    Subscribe {
        filter: String,
        qos: QoS,
    },
    Publish {
        topic: String,
        payload: String,
        qos: QoS,
        retain: bool,
    },
}

#[derive(Debug)]
enum Delivery {
    /// A SUBSCRIBE or PUBLISH reaches the broker, with the packet id the peer gave it.
    AtBroker(Peer, Packet, u16),
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
    wire: Wire,
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
            wire: Wire::default(),
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
                .wire
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
        if let Some(entry) = self.wire.queue.first_entry().filter(|e| e.key().0 <= now) {
            match entry.remove() {
                Delivery::AtBroker(from, packet, pkid) => self.at_broker(from, packet, pkid),
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
        let arrives = now + self.latency;
        let mut link = Link::new(Peer::Server, arrives, &mut self.wire);
        self.server.execute_actions(now, &mut link);
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
        for i in 0..self.clients.len() {
            let mut link = Link::new(Peer::Client(i), arrives, &mut self.wire);
            self.clients[i].execute_actions(now, &mut link);
            self.disconnected[i] |= link.disconnected;
            let events = std::iter::from_fn(|| self.clients[i].poll_event());
            self.client_events[i].extend(events);
        }
    }

    fn at_broker(&mut self, from: Peer, packet: Packet, pkid: u16) {
        match packet {
            Packet::Subscribe { filter, qos } => {
                self.wire.subscriptions.push((from, filter.clone(), qos));
                let results = vec![(filter, SubscribeResult::Granted(qos))];
                let suback = Event::Subscribed { pkid, results };
                self.schedule(self.latency, Delivery::ToPeer(from, suback));
            }
            Packet::Publish {
                topic,
                payload,
                qos,
                retain,
            } => {
                // One copy per subscriber, at the highest QoS among its matching filters.
                let mut receivers: BTreeMap<Peer, QoS> = BTreeMap::new();
                for (peer, filter, granted) in &self.wire.subscriptions {
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
                            self.wire.pkid()
                        },
                        properties: Default::default(),
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
        }
    }

    fn schedule(&mut self, after: Duration, delivery: Delivery) {
        self.wire.schedule(self.now + after, delivery);
    }
}

/// The broker's state, apart from the peers: what is in flight, who subscribed to what,
/// and the packet ids handed out. Kept apart so a [`Link`] can borrow it while its peer
/// executes actions.
#[derive(Default)]
struct Wire {
    /// By arrival, then by sending order, so that equal instants keep their order.
    queue: BTreeMap<(Instant, u64), Delivery>,
    seq: u64,
    subscriptions: Vec<(Peer, String, QoS)>,
    next_pkid: u16,
}

impl Wire {
    fn schedule(&mut self, at: Instant, delivery: Delivery) {
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    /// One counter for every packet of every peer, so that no two packets in flight share
    /// an id and an ack can only match its own publish.
    fn pkid(&mut self) -> u16 {
        self.next_pkid = self.next_pkid.wrapping_add(1).max(1);
        self.next_pkid
    }
}

/// A peer's MQTT client: each SUBSCRIBE and PUBLISH gets a packet id and reaches the
/// broker one hop later.
struct Link<'a> {
    peer: Peer,
    /// When what is sent now reaches the broker.
    arrives: Instant,
    wire: &'a mut Wire,
    /// Whether the peer asked to disconnect.
    disconnected: bool,
}

impl<'a> Link<'a> {
    fn new(peer: Peer, arrives: Instant, wire: &'a mut Wire) -> Self {
        Self {
            peer,
            arrives,
            wire,
            disconnected: false,
        }
    }

    fn send(&mut self, packet: Packet) -> u16 {
        let pkid = self.wire.pkid();
        let delivery = Delivery::AtBroker(self.peer, packet, pkid);
        self.wire.schedule(self.arrives, delivery);
        pkid
    }
}

impl MqttCommands for Link<'_> {
    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<u16, CommandError> {
        let filter = filter.to_string();
        Ok(self.send(Packet::Subscribe { filter, qos }))
    }

    fn publish(
        &mut self,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        let pkid = self.send(Packet::Publish {
            topic: topic.to_string(),
            payload: payload.to_string(),
            qos,
            retain,
        });
        // A QoS 0 publish has no packet id [MQTT-2.3.1-5]; the broker ignores the one it
        // carries here.
        Ok((qos != QoS::AtMostOnce).then_some(pkid))
    }

    fn disconnect(&mut self) {
        // The broker forgets the peer's subscriptions at once: nothing reaches it any more.
        let peer = self.peer;
        self.wire.subscriptions.retain(|(p, _, _)| *p != peer);
        self.disconnected = true;
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
