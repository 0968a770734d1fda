//! An honest broker for one client: it answers every packet as MQTT 3.1.1 says, keeps the
//! client's session across connections (clean session 0) unless told to lose it, publishes
//! messages of its own at every QoS, and checks what the client sends it.
//!
//! Messages carry a tag (a number, the first 8 bytes of the payload) so that both sides
//! can recognise one message across resends and packet id reuse.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use mqtt_session::QoS;
use mqttbytes::v4::{self, ConnectReturnCode, Packet, SubscribeReasonCode};
use splitmix::SplitMix64;

use crate::packets::{chance, pick, qos, random_bytes, TOPICS, VALID_TOPICS};

/// The payload of message `tag`: the tag, then `padding` bytes.
pub fn tagged(tag: u64, padding: Vec<u8>) -> Bytes {
    let mut payload = tag.to_be_bytes().to_vec();
    payload.extend(padding);
    Bytes::from(payload)
}

/// The tag of a tagged payload.
pub fn tag_of(payload: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(payload.get(..8)?.try_into().ok()?))
}

/// One of the broker's own messages not yet completed.
struct Outgoing {
    tag: u64,
    qos: QoS,
    /// Resent as it was first sent.
    payload: Bytes,
    /// PUBREC arrived and PUBREL went out: resend PUBREL, never the PUBLISH.
    released: bool,
}

/// What the client published, as the harness recorded it: tag → (packet id, QoS).
pub type Published = HashMap<u64, (u16, QoS)>;

#[derive(Default)]
pub struct Broker {
    /// The client's session is stored here (it connected with clean session 0).
    has_session: bool,
    /// The current connection's clean session flag.
    clean: bool,
    /// CONNACK 0 was sent on the current connection.
    pub connected: bool,
    /// Inbound QoS 2 packet ids awaiting PUBREL, with their message's tag.
    awaiting_pubrel: BTreeMap<u16, u64>,
    /// How often each of the client's messages was forwarded to subscribers.
    pub forwarded: HashMap<u64, u32>,
    outgoing: BTreeMap<u16, Outgoing>,
    last_pkid: u16,
    next_tag: u64,
    /// The QoS of each message the broker published.
    pub sent_qos: HashMap<u64, QoS>,
    /// Broker messages whose QoS 1/2 flow completed (PUBACK, PUBCOMP).
    pub completed: Vec<(u64, QoS)>,
    /// The newest tag of a first-time (DUP 0) QoS 1/2 PUBLISH, across connections.
    last_new_tag: Option<u64>,
    /// The newest tag of a resent (DUP 1) PUBLISH on this connection.
    last_dup_tag: Option<u64>,
    /// A DUP 0 QoS 1/2 PUBLISH arrived on this connection.
    new_on_this_connection: bool,
    /// The session was lost at a CONNECT whose CONNACK the client has not seen yet.
    loss_unseen: bool,
    /// Settling: accept every CONNECT and keep the session.
    pub always_accept: bool,
}

impl Broker {
    /// CONNECT: refuse now and then, lose the session now and then, else CONNACK 0 and
    /// resend what the stored session holds.
    pub fn connect(&mut self, connect: &v4::Connect, rng: &mut SplitMix64) -> Vec<Packet> {
        self.last_dup_tag = None;
        self.new_on_this_connection = false;
        if !self.always_accept && chance(rng, 40) {
            let code = *pick(
                rng,
                &[
                    ConnectReturnCode::ServiceUnavailable,
                    ConnectReturnCode::NotAuthorized,
                    ConnectReturnCode::BadUserNamePassword,
                ],
            );
            // [MQTT-3.2.2-4]: session present 0 with a refusal.
            return vec![Packet::ConnAck(v4::ConnAck::new(code, false))];
        }
        self.clean = connect.clean_session;
        // A restarted broker, or a clean session [MQTT-3.1.2-6], keeps nothing. Until the
        // client has seen a CONNACK saying so, the broker keeps losing it: a session
        // present 1 after a lost "present 0" would hand the client a session it never
        // had, which no client can detect (its resent QoS 2 message would be new there).
        let lose = !self.clean && (self.loss_unseen || (!self.always_accept && chance(rng, 6)));
        if self.clean || lose {
            self.forget();
            self.has_session = false;
        }
        self.loss_unseen = lose;
        let present = !self.clean && self.has_session;
        self.has_session = !self.clean;
        self.connected = true;
        let mut out = vec![Packet::ConnAck(v4::ConnAck::new(
            ConnectReturnCode::Success,
            present,
        ))];
        for (&pkid, message) in &self.outgoing {
            out.push(if message.released {
                Packet::PubRel(v4::PubRel::new(pkid))
            } else {
                let mut p = publish(message.tag, message.qos, pkid);
                p.payload = message.payload.clone();
                p.dup = true;
                Packet::Publish(p)
            });
        }
        out
    }

    /// The client reported `Connected`: a lost session is known to it now.
    pub fn client_connected(&mut self, session_present: bool) {
        if !session_present {
            self.loss_unseen = false;
        }
    }

    /// The broker's QoS 1/2 messages not completed yet.
    pub fn in_flight(&self) -> usize {
        self.outgoing.len()
    }

    /// The connection ended; a clean session ends with it [MQTT-3.1.2-6].
    pub fn connection_ended(&mut self) {
        if self.connected && self.clean {
            self.forget();
            self.has_session = false;
        }
        self.connected = false;
    }

    fn forget(&mut self) {
        self.awaiting_pubrel.clear();
        self.outgoing.clear();
    }

    /// The broker publishes a message of its own (at most 16 QoS 1/2 ones in flight).
    pub fn publish(&mut self, rng: &mut SplitMix64) -> Option<Packet> {
        let qos = qos(rng);
        if !self.connected || (qos != QoS::AtMostOnce && self.outgoing.len() >= 16) {
            return None;
        }
        self.next_tag += 1;
        let tag = self.next_tag;
        self.sent_qos.insert(tag, qos);
        let payload = tagged(tag, random_bytes(rng, 16));
        let mut pkid = 0;
        if qos != QoS::AtMostOnce {
            loop {
                self.last_pkid = self.last_pkid.checked_add(1).unwrap_or(1);
                if !self.outgoing.contains_key(&self.last_pkid) {
                    break;
                }
            }
            pkid = self.last_pkid;
            let (released, payload) = (false, payload.clone());
            let message = Outgoing {
                tag,
                qos,
                payload,
                released,
            };
            self.outgoing.insert(pkid, message);
        }
        let mut p = publish(tag, qos, pkid);
        p.payload = payload;
        p.retain = chance(rng, 8);
        Some(Packet::Publish(p))
    }

    /// The answers to one packet from the client. With `strict`, what the client sent is
    /// checked against what the harness published (`Err` describes a violation).
    pub fn handle(
        &mut self,
        packet: Packet,
        published: &Published,
        strict: bool,
        rng: &mut SplitMix64,
    ) -> Result<Vec<Packet>, String> {
        Ok(match packet {
            Packet::Connect(connect) => self.connect(&connect, rng),
            Packet::Publish(p) => return self.on_publish(p, published, strict),
            Packet::PubRel(rel) => {
                self.awaiting_pubrel.remove(&rel.pkid);
                vec![Packet::PubComp(v4::PubComp::new(rel.pkid))]
            }
            Packet::PubAck(ack) => {
                self.complete(ack.pkid, QoS::AtLeastOnce, false);
                vec![]
            }
            Packet::PubRec(rec) => match self.outgoing.get_mut(&rec.pkid) {
                Some(m) if m.qos == QoS::ExactlyOnce => {
                    m.released = true;
                    vec![Packet::PubRel(v4::PubRel::new(rec.pkid))]
                }
                _ => vec![],
            },
            Packet::PubComp(comp) => {
                self.complete(comp.pkid, QoS::ExactlyOnce, true);
                vec![]
            }
            Packet::Subscribe(s) => {
                let codes = s
                    .filters
                    .iter()
                    .map(|f| match rng.below(8) {
                        0 => SubscribeReasonCode::Failure,
                        1 => SubscribeReasonCode::Success(QoS::AtMostOnce.into()),
                        _ => SubscribeReasonCode::Success(f.qos),
                    })
                    .collect();
                vec![Packet::SubAck(v4::SubAck::new(s.pkid, codes))]
            }
            Packet::Unsubscribe(u) => vec![Packet::UnsubAck(v4::UnsubAck::new(u.pkid))],
            Packet::PingReq => vec![Packet::PingResp],
            _ => vec![],
        })
    }

    fn complete(&mut self, pkid: u16, qos: QoS, released: bool) {
        if let Some(m) = self.outgoing.get(&pkid) {
            if m.qos == qos && m.released == released {
                self.completed.push((m.tag, qos));
                self.outgoing.remove(&pkid);
            }
        }
    }

    fn on_publish(
        &mut self,
        p: v4::Publish,
        published: &Published,
        strict: bool,
    ) -> Result<Vec<Packet>, String> {
        let tag = tag_of(&p.payload);
        let qos = QoS::from(p.qos);
        if strict && qos != QoS::AtMostOnce {
            self.check_publish(&p, tag, published)?;
        }
        let tag = tag.unwrap_or(u64::MAX);
        Ok(match qos {
            QoS::AtMostOnce => {
                *self.forwarded.entry(tag).or_default() += 1;
                vec![]
            }
            QoS::AtLeastOnce => {
                *self.forwarded.entry(tag).or_default() += 1;
                vec![Packet::PubAck(v4::PubAck::new(p.pkid))]
            }
            QoS::ExactlyOnce => {
                match self.awaiting_pubrel.get(&p.pkid) {
                    // A resend: acknowledged again, not forwarded again [MQTT-4.3.3-2].
                    Some(&held) if strict && held != tag => {
                        return Err(format!(
                            "the client reused packet id {} for message {tag} while the broker \
                             still awaited the PUBREL of message {held}",
                            p.pkid
                        ));
                    }
                    Some(_) => {}
                    None => {
                        self.awaiting_pubrel.insert(p.pkid, tag);
                        let count = self.forwarded.entry(tag).or_default();
                        *count += 1;
                        if strict && *count > 1 {
                            return Err(format!("QoS 2 message {tag} reached the broker twice"));
                        }
                    }
                }
                vec![Packet::PubRec(v4::PubRec::new(p.pkid))]
            }
        })
    }

    /// A QoS 1/2 PUBLISH from the client is one the application published, with its id,
    /// and arrives in order: resends (DUP) first, in first-sent order [MQTT-4.6.0-1],
    /// then new messages in publish order.
    fn check_publish(
        &mut self,
        p: &v4::Publish,
        tag: Option<u64>,
        published: &Published,
    ) -> Result<(), String> {
        let Some(tag) = tag else {
            return Err(format!("PUBLISH {} lost its payload's tag", p.pkid));
        };
        if published.get(&tag) != Some(&(p.pkid, p.qos.into())) {
            return Err(format!(
                "PUBLISH {} at {:?} carries message {tag}, published as {:?}",
                p.pkid,
                p.qos,
                published.get(&tag)
            ));
        }
        if p.dup {
            if self.new_on_this_connection || self.last_dup_tag.is_some_and(|t| t >= tag) {
                return Err(format!(
                    "resent message {tag} (DUP) out of order: after {:?}, or after a new message",
                    self.last_dup_tag
                ));
            }
            self.last_dup_tag = Some(tag);
        } else {
            if self.last_new_tag == Some(tag) {
                // [MQTT-3.3.1-1]
                return Err(format!("message {tag} was sent again without DUP"));
            }
            if self.last_new_tag.is_some_and(|t| t > tag) {
                return Err(format!(
                    "message {tag} sent after message {:?}, which was published later",
                    self.last_new_tag
                ));
            }
            self.last_new_tag = Some(tag);
            self.new_on_this_connection = true;
        }
        Ok(())
    }
}

/// A PUBLISH of message `tag` on one of the valid topics.
fn publish(tag: u64, qos: QoS, pkid: u16) -> v4::Publish {
    let topic = TOPICS[(tag % VALID_TOPICS) as usize];
    let mut p = v4::Publish::from_bytes(topic, qos.into(), tagged(tag, vec![]));
    p.pkid = pkid;
    p
}
