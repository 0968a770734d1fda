//! One server and one client on real `mqtt_session::Session`s, joined by an in-memory MQTT
//! 3.1.1 broker that speaks bytes, on a virtual clock, with a link the test can cut.
//!
//! The broker keeps each client's session across connections (subscriptions, QoS 1/2
//! messages queued while the client is away, QoS 1/2 in flight both ways, inbound QoS 2
//! ids awaiting PUBREL) as [MQTT-4.4.0-1] wants, or forgets every session on CONNECT
//! (`broker.lose_sessions`, a broker that restarted). It delivers QoS 2 on the first
//! PUBLISH (method B) and queues no QoS 0 message for an absent client, as mosquitto.
//!
//! Every hop takes `latency`. [`Net::cut`] drops what is in flight on the client's
//! connection, both ways, as a failed network would; the client opens its next connection
//! `reconnect_after` later, unless it disconnected itself. Each peer executes its role's
//! actions through `execute_actions` on its session ([`SessionCommands`]), as the lab does.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use challenge::{
    ChallengeClient, ChallengeEvent, ChallengeServer, ClientConfig, ServerConfig, ServerEvent,
    SessionCommands,
};
use mqtt_session::topic::matches;
use mqtt_session::{CloseReason, ConnectOptions, Event, Instant, Output, Session};
use mqttbytes::v4::{self, ConnectReturnCode, Packet, SubscribeReasonCode};
// The broker model speaks mqttbytes (an independent codec), with mqttbytes' QoS.
use mqttbytes::QoS;

/// The client's MQTT client id (the server's is `challenge-server`).
pub const CLIENT_ID: &str = "student";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Server,
    Client,
}

/// A peer's end of the network: its session, its current connection and its timers.
struct Peer {
    session: Session,
    conn: Option<u64>,
    /// The session's next deadline.
    deadline: Option<Instant>,
    /// When the client opens its next connection.
    reconnect_at: Option<Instant>,
}

impl Peer {
    fn new(options: ConnectOptions) -> Self {
        let mut session = Session::new(options).expect("valid options");
        session.set_trace_control_packets(true);
        Self {
            session,
            conn: None,
            deadline: None,
            reconnect_at: None,
        }
    }
}

/// Bytes on their way over one connection.
struct Hop {
    conn: u64,
    to_broker: bool,
    bytes: Bytes,
}

/// The two peers, the broker and the wire between them.
pub struct Net {
    pub now: Instant,
    pub latency: Duration,
    pub reconnect_after: Duration,
    pub server: ChallengeServer,
    pub client: ChallengeClient,
    pub client_events: Vec<ChallengeEvent>,
    pub server_events: Vec<ServerEvent>,
    /// Every event of the client's session, control packets included.
    pub session_events: Vec<Event>,
    pub broker: Broker,
    server_peer: Peer,
    client_peer: Peer,
    wire: BTreeMap<(Instant, u64), Hop>,
    seq: u64,
    next_conn: u64,
}

impl Net {
    /// Both peers connect at once; the client keeps its session (clean session 0).
    pub fn new(server: ServerConfig, client: ClientConfig) -> Self {
        let now = Instant::from_millis(1_000);
        let mut client_options = ConnectOptions::new(CLIENT_ID);
        client_options.clean_session = false;
        let mut net = Self {
            now,
            latency: Duration::from_millis(10),
            reconnect_after: Duration::from_secs(1),
            server: ChallengeServer::new(server).expect("valid server config"),
            client: ChallengeClient::new(client, now).expect("valid client config"),
            client_events: Vec::new(),
            server_events: Vec::new(),
            session_events: Vec::new(),
            broker: Broker::default(),
            server_peer: Peer::new(ConnectOptions::new("challenge-server")),
            client_peer: Peer::new(client_options),
            wire: BTreeMap::new(),
            seq: 0,
            next_conn: 1,
        };
        net.open(Who::Server);
        net.open(Who::Client);
        net
    }

    /// Runs until `stop` holds (checked before each step) or `limit` of virtual time has
    /// passed; whether `stop` held.
    pub fn run_until(&mut self, limit: Duration, mut stop: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            if stop(self) {
                return true;
            }
            let next = self
                .wire
                .keys()
                .next()
                .map(|(at, _)| *at)
                .into_iter()
                .chain(self.server_peer.deadline)
                .chain(self.client_peer.deadline)
                .chain(self.client_peer.reconnect_at)
                .chain(self.server.poll_timeout())
                .chain(self.client.poll_timeout())
                .min();
            let Some(at) = next.filter(|at| *at <= end) else {
                self.now = end;
                return false;
            };
            self.now = self.now.max(at);
            self.step();
        }
    }

    /// Runs until the client's challenge is over, then a second more for what is still
    /// in flight (late acks, extra replies) to land.
    pub fn run_to_end(&mut self, limit: Duration) {
        self.run_until(limit, |net| net.client.phase().is_over());
        self.run_until(Duration::from_secs(1), |_| false);
    }

    /// The network fails under the client: what is in flight on its connection is lost
    /// both ways, and both ends see the connection end (the broker at once, as after a
    /// reset). Does nothing between two connections.
    pub fn cut(&mut self) {
        let Some(conn) = self.client_peer.conn else {
            return;
        };
        self.wire.retain(|_, hop| hop.conn != conn);
        self.broker.connection_lost(conn);
        self.client_peer
            .session
            .handle_transport_closed(self.now, "cut");
        self.drain(Who::Client);
    }

    /// Whether the client is connected at the MQTT level now.
    pub fn client_connected(&self) -> bool {
        self.client_peer.session.phase() == mqtt_session::Phase::Connected
    }

    /// Commands the server sent, in total.
    pub fn commands_sent(&self) -> u32 {
        self.server_events
            .iter()
            .filter(|e| matches!(e, ServerEvent::CommandSent { .. }))
            .count() as u32
    }

    /// Whether the server published the final message.
    pub fn server_finished(&self) -> bool {
        self.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Finished { .. }))
    }

    /// Replies the server did not count, in words.
    pub fn wrong_replies(&self) -> Vec<String> {
        self.server_events
            .iter()
            .filter(|e| matches!(e, ServerEvent::WrongReply { .. }))
            .map(ToString::to_string)
            .collect()
    }

    /// How many times the client's session received this control packet.
    pub fn client_received(&self, kind: fn(&mqtt_session::PacketKind) -> bool) -> usize {
        self.session_events
            .iter()
            .filter(|e| match e {
                Event::Control {
                    direction: mqtt_session::Direction::Received,
                    packet,
                } => kind(packet),
                _ => false,
            })
            .count()
    }

    fn step(&mut self) {
        let now = self.now;
        if let Some(entry) = self.wire.first_entry().filter(|e| e.key().0 <= now) {
            let hop = entry.remove();
            if hop.to_broker {
                for (conn, bytes) in self.broker.receive(hop.conn, &hop.bytes) {
                    self.schedule(conn, false, bytes);
                }
            } else {
                let who = [Who::Server, Who::Client]
                    .into_iter()
                    .find(|w| self.peer(*w).conn == Some(hop.conn));
                if let Some(who) = who {
                    self.peer_mut(who).session.handle_bytes(now, &hop.bytes);
                    self.drain(who);
                }
            }
            return;
        }
        for who in [Who::Server, Who::Client] {
            if self.peer(who).deadline.is_some_and(|at| at <= now) {
                self.peer_mut(who).session.handle_timeout(now);
                self.drain(who);
            }
        }
        if self.server.poll_timeout().is_some_and(|at| at <= now) {
            self.server.handle_timeout(now);
            self.server_actions();
            self.drain(Who::Server);
        }
        if self.client.poll_timeout().is_some_and(|at| at <= now) {
            self.client.handle_timeout(now);
            self.client_actions();
            self.drain(Who::Client);
        }
        if self.client_peer.reconnect_at.is_some_and(|at| at <= now) {
            self.client_peer.reconnect_at = None;
            self.open(Who::Client);
        }
    }

    /// Opens a connection for a peer: the transport is up at once, CONNECT leaves now.
    fn open(&mut self, who: Who) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let now = self.now;
        let peer = self.peer_mut(who);
        peer.conn = Some(conn);
        peer.session.handle_transport_connecting(now);
        peer.session.handle_transport_open(now);
        self.drain(who);
    }

    /// Drains a session's outputs as `mqtt-session`'s docs say, feeding its role each event.
    fn drain(&mut self, who: Who) {
        loop {
            match self.peer_mut(who).session.poll_output() {
                Output::Transmit(bytes) => {
                    if let Some(conn) = self.peer(who).conn {
                        self.schedule(conn, true, bytes);
                    }
                }
                Output::Event(event) => self.on_event(who, event),
                Output::Timeout(at) => {
                    self.peer_mut(who).deadline = Some(at);
                    return;
                }
                Output::Idle => {
                    self.peer_mut(who).deadline = None;
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, who: Who, event: Event) {
        let now = self.now;
        if let Event::Closed(reason) = &event {
            // Its DISCONNECT, if any, is on the wire already; the broker learns of a cut
            // when it happens.
            self.peer_mut(who).conn = None;
            if who == Who::Client && *reason != CloseReason::ClientDisconnect {
                self.client_peer.reconnect_at = Some(now + self.reconnect_after);
            }
        }
        match who {
            Who::Server => {
                if let Event::Message(message) = &event {
                    self.server.handle_message(now, message);
                }
                self.server_actions();
            }
            Who::Client => {
                self.client.handle_session_event(now, &event);
                self.session_events.push(event);
                self.client_actions();
            }
        }
    }

    /// The server's actions, once it is connected (its first ones are its subscriptions).
    fn server_actions(&mut self) {
        if self.server_peer.session.phase() != mqtt_session::Phase::Connected {
            return;
        }
        let now = self.now;
        let mut commands = SessionCommands {
            session: &mut self.server_peer.session,
            now,
        };
        self.server.execute_actions(now, &mut commands);
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
    }

    fn client_actions(&mut self) {
        let now = self.now;
        let mut commands = SessionCommands {
            session: &mut self.client_peer.session,
            now,
        };
        self.client.execute_actions(now, &mut commands);
        self.client_events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
    }

    fn schedule(&mut self, conn: u64, to_broker: bool, bytes: Bytes) {
        self.seq += 1;
        let hop = Hop {
            conn,
            to_broker,
            bytes,
        };
        self.wire.insert((self.now + self.latency, self.seq), hop);
    }

    fn peer(&self, who: Who) -> &Peer {
        match who {
            Who::Server => &self.server_peer,
            Who::Client => &self.client_peer,
        }
    }

    fn peer_mut(&mut self, who: Who) -> &mut Peer {
        match who {
            Who::Server => &mut self.server_peer,
            Who::Client => &mut self.client_peer,
        }
    }
}

/// An outgoing QoS 1/2 message of the broker to one client.
struct Outgoing {
    pkid: u16,
    topic: String,
    payload: Bytes,
    qos: QoS,
    /// Sent at least once (a resend carries DUP).
    sent: bool,
    /// PUBREC received, PUBREL sent: waiting for PUBCOMP.
    released: bool,
}

/// What the broker keeps for one client id.
#[derive(Default)]
struct BrokerSession {
    conn: Option<u64>,
    clean: bool,
    subscriptions: Vec<(String, QoS)>,
    /// In the order first queued or sent [MQTT-4.6.0-2].
    outgoing: VecDeque<Outgoing>,
    /// Inbound QoS 2 ids whose PUBREL has not come: a resent PUBLISH is not forwarded again.
    awaiting_pubrel: BTreeSet<u16>,
    next_pkid: u16,
}

/// A PUBLISH the broker received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub topic: String,
    pub payload: String,
    pub dup: bool,
}

/// The broker: sessions by client id, and which client each connection carries.
#[derive(Default)]
pub struct Broker {
    /// Every CONNECT starts a new session, as after a restart without persistence.
    pub lose_sessions: bool,
    /// Every PUBLISH received, resends included.
    pub received: Vec<Received>,
    sessions: BTreeMap<String, BrokerSession>,
    /// Client id by connection, once its CONNECT arrived.
    links: BTreeMap<u64, String>,
}

impl Broker {
    /// The packets of one hop; what the broker sends in answer, by connection.
    fn receive(&mut self, conn: u64, bytes: &[u8]) -> Vec<(u64, Bytes)> {
        let mut buffer = BytesMut::from(bytes);
        let mut out = Vec::new();
        while !buffer.is_empty() {
            let packet = v4::read(&mut buffer, usize::MAX).expect("a whole, valid packet");
            self.handle(conn, packet, &mut out);
        }
        out.into_iter()
            .map(|(conn, packet)| (conn, encode(&packet).expect("the broker's packet encodes")))
            .collect()
    }

    /// The client's connection ended without DISCONNECT.
    fn connection_lost(&mut self, conn: u64) {
        if let Some(client_id) = self.links.remove(&conn) {
            self.detach(&client_id);
        }
    }

    fn detach(&mut self, client_id: &str) {
        let Some(session) = self.sessions.get_mut(client_id) else {
            return;
        };
        session.conn = None;
        // A clean session lasts as long as its connection [MQTT-3.1.2-6].
        if session.clean {
            self.sessions.remove(client_id);
        }
    }

    fn handle(&mut self, conn: u64, packet: Packet, out: &mut Vec<(u64, Packet)>) {
        if let Packet::Connect(connect) = packet {
            return self.connect(conn, connect, out);
        }
        let Some(client_id) = self.links.get(&conn).cloned() else {
            return; // Nothing but CONNECT before CONNECT.
        };
        match packet {
            Packet::Subscribe(subscribe) => {
                let session = self.session(&client_id);
                let mut codes = Vec::new();
                for filter in subscribe.filters {
                    // A new subscription with the same filter replaces the old [MQTT-3.8.4-3].
                    session.subscriptions.retain(|(f, _)| *f != filter.path);
                    session.subscriptions.push((filter.path, filter.qos));
                    codes.push(SubscribeReasonCode::Success(filter.qos));
                }
                out.push((conn, Packet::SubAck(v4::SubAck::new(subscribe.pkid, codes))));
            }
            Packet::Publish(publish) => {
                let payload = String::from_utf8_lossy(&publish.payload).into_owned();
                self.received.push(Received {
                    from: client_id.clone(),
                    topic: publish.topic.clone(),
                    payload,
                    dup: publish.dup,
                });
                let forward = match publish.qos {
                    QoS::AtMostOnce => true,
                    QoS::AtLeastOnce => {
                        out.push((conn, Packet::PubAck(v4::PubAck::new(publish.pkid))));
                        true
                    }
                    QoS::ExactlyOnce => {
                        let first = self
                            .session(&client_id)
                            .awaiting_pubrel
                            .insert(publish.pkid);
                        out.push((conn, Packet::PubRec(v4::PubRec::new(publish.pkid))));
                        first
                    }
                };
                if forward {
                    self.route(&publish.topic, &publish.payload, publish.qos, out);
                }
            }
            Packet::PubRel(rel) => {
                self.session(&client_id).awaiting_pubrel.remove(&rel.pkid);
                out.push((conn, Packet::PubComp(v4::PubComp::new(rel.pkid))));
            }
            Packet::PubAck(ack) => {
                let session = self.session(&client_id);
                session.outgoing.retain(|o| o.pkid != ack.pkid);
            }
            Packet::PubRec(rec) => {
                let session = self.session(&client_id);
                if let Some(o) = session.outgoing.iter_mut().find(|o| o.pkid == rec.pkid) {
                    o.released = true;
                }
                out.push((conn, Packet::PubRel(v4::PubRel::new(rec.pkid))));
            }
            Packet::PubComp(comp) => {
                let session = self.session(&client_id);
                session.outgoing.retain(|o| o.pkid != comp.pkid);
            }
            Packet::PingReq => out.push((conn, Packet::PingResp)),
            Packet::Disconnect => {
                self.links.remove(&conn);
                self.detach(&client_id);
            }
            other => panic!("the in-memory broker does not handle {other:?}"),
        }
    }

    fn connect(&mut self, conn: u64, connect: v4::Connect, out: &mut Vec<(u64, Packet)>) {
        let client_id = connect.client_id;
        // A second connection with the same client id takes the session over.
        self.links.retain(|_, id| *id != client_id);
        if connect.clean_session || self.lose_sessions {
            self.sessions.remove(&client_id);
        }
        let present = !connect.clean_session && self.sessions.contains_key(&client_id);
        self.links.insert(conn, client_id.clone());
        let session = self.session(&client_id);
        session.conn = Some(conn);
        session.clean = connect.clean_session;
        out.push((
            conn,
            Packet::ConnAck(v4::ConnAck::new(ConnectReturnCode::Success, present)),
        ));
        // "When a Client reconnects with CleanSession set to 0, both the Client and Server
        // MUST re-send any unacknowledged PUBLISH Packets (where QoS > 0) and PUBREL
        // Packets using their original Packet Identifiers" [MQTT-4.4.0-1]; then what was
        // queued while the client was away.
        for o in &mut session.outgoing {
            let packet = if o.released {
                Packet::PubRel(v4::PubRel::new(o.pkid))
            } else {
                let mut p = v4::Publish::from_bytes(o.topic.clone(), o.qos, o.payload.clone());
                p.pkid = o.pkid;
                p.dup = o.sent;
                o.sent = true;
                Packet::Publish(p)
            };
            out.push((conn, packet));
        }
    }

    /// Forwards a message to every session with a matching subscription, at the lower of
    /// its QoS and the subscription's [MQTT-3.8.4-6]; queued for an absent client at
    /// QoS 1/2, dropped at QoS 0.
    fn route(&mut self, topic: &str, payload: &Bytes, qos: QoS, out: &mut Vec<(u64, Packet)>) {
        for session in self.sessions.values_mut() {
            let granted = session
                .subscriptions
                .iter()
                .filter(|(filter, _)| matches(topic, filter))
                .map(|(_, q)| *q)
                .max_by_key(|q| *q as u8);
            let Some(granted) = granted else { continue };
            let qos = if (qos as u8) <= (granted as u8) {
                qos
            } else {
                granted
            };
            let mut publish = v4::Publish::from_bytes(topic, qos, payload.clone());
            if qos == QoS::AtMostOnce {
                if let Some(conn) = session.conn {
                    out.push((conn, Packet::Publish(publish)));
                }
                continue;
            }
            session.next_pkid = session.next_pkid.wrapping_add(1).max(1);
            publish.pkid = session.next_pkid;
            session.outgoing.push_back(Outgoing {
                pkid: publish.pkid,
                topic: topic.to_string(),
                payload: payload.clone(),
                qos,
                sent: session.conn.is_some(),
                released: false,
            });
            if let Some(conn) = session.conn {
                out.push((conn, Packet::Publish(publish)));
            }
        }
    }

    fn session(&mut self, client_id: &str) -> &mut BrokerSession {
        self.sessions.entry(client_id.to_string()).or_default()
    }
}

/// Encodes a packet of the broker model (mqttbytes v4).
fn encode(packet: &Packet) -> Result<Bytes, mqttbytes::Error> {
    let mut out = BytesMut::new();
    match packet {
        Packet::Connect(p) => p.write(&mut out),
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::Publish(p) => p.write(&mut out),
        Packet::PubAck(p) => p.write(&mut out),
        Packet::PubRec(p) => p.write(&mut out),
        Packet::PubRel(p) => p.write(&mut out),
        Packet::PubComp(p) => p.write(&mut out),
        Packet::Subscribe(p) => p.write(&mut out),
        Packet::SubAck(p) => p.write(&mut out),
        Packet::Unsubscribe(p) => p.write(&mut out),
        Packet::UnsubAck(p) => p.write(&mut out),
        Packet::PingReq => v4::PingReq.write(&mut out),
        Packet::PingResp => v4::PingResp.write(&mut out),
        Packet::Disconnect => v4::Disconnect.write(&mut out),
    }?;
    Ok(out.freeze())
}
