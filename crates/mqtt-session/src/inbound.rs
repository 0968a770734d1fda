//! Handling of each packet the broker sends, phase by phase.

use mqttbytes::v4::{self, ConnectReturnCode, Packet, SubscribeReasonCode};
use mqttbytes::QoS;

use crate::error::{CloseReason, ConnectRefusal, ProtocolError};
use crate::event::{Direction, Event, Message, PacketKind, SubscribeResult};
use crate::session::{Phase, Session};
use crate::store::OutgoingStage;
use crate::time::Instant;
use crate::topic::validate_topic_name;

impl Session {
    pub(crate) fn handle_packet(&mut self, now: Instant, packet: Packet) {
        let Some(phase) = self.link.as_ref().map(|l| l.phase) else {
            return;
        };
        match (phase, packet) {
            (Phase::AwaitingConnAck, Packet::ConnAck(ack)) => self.on_connack(now, ack),
            // [MQTT-3.2.0-1]: the first packet from the server must be CONNACK.
            (Phase::AwaitingConnAck, other) => {
                self.unexpected(&other, "waiting for CONNACK");
            }
            (Phase::Connected, Packet::Publish(publish)) => self.on_publish(now, publish),
            (Phase::Connected, Packet::PubAck(ack)) => {
                self.trace(Direction::Received, PacketKind::PubAck(ack.pkid));
                self.finish_publish(now, ack.pkid, OutgoingStage::AwaitingPubAck, "PUBACK");
            }
            (Phase::Connected, Packet::PubRec(rec)) => {
                self.trace(Direction::Received, PacketKind::PubRec(rec.pkid));
                if self.store.publish_received(rec.pkid) {
                    let rel = Packet::PubRel(v4::PubRel::new(rec.pkid));
                    self.send(now, &rel, PacketKind::PubRel(rec.pkid));
                } else if self.store.outgoing_stage(rec.pkid)
                    == Some(OutgoingStage::AwaitingPubComp)
                {
                    // A resent PUBREC: answer again with PUBREL [MQTT-4.3.3-1].
                    let rel = Packet::PubRel(v4::PubRel::new(rec.pkid));
                    self.send(now, &rel, PacketKind::PubRel(rec.pkid));
                } else {
                    self.warn(format!(
                        "PUBREC for packet {} which is not a QoS 2 message in flight; ignored",
                        rec.pkid
                    ));
                }
            }
            (Phase::Connected, Packet::PubComp(comp)) => {
                self.trace(Direction::Received, PacketKind::PubComp(comp.pkid));
                self.finish_publish(now, comp.pkid, OutgoingStage::AwaitingPubComp, "PUBCOMP");
            }
            (Phase::Connected, Packet::PubRel(rel)) => {
                self.trace(Direction::Received, PacketKind::PubRel(rel.pkid));
                // Always answer PUBREL with PUBCOMP, even for an id we no longer hold
                // (a resend after our PUBCOMP was lost) [MQTT-4.3.3-2].
                self.store.release_qos2(rel.pkid);
                let comp = Packet::PubComp(v4::PubComp::new(rel.pkid));
                self.send(now, &comp, PacketKind::PubComp(rel.pkid));
            }
            (Phase::Connected, Packet::SubAck(ack)) => self.on_suback(ack),
            (Phase::Connected, Packet::UnsubAck(ack)) => {
                self.trace(Direction::Received, PacketKind::UnsubAck(ack.pkid));
                match self.store.finish_unsubscribe(ack.pkid) {
                    Some(filters) => self.emit(Event::Unsubscribed {
                        pkid: ack.pkid,
                        filters,
                    }),
                    None => self.warn(format!("UNSUBACK for unknown packet {}; ignored", ack.pkid)),
                }
            }
            (Phase::Connected, Packet::PingResp) => {
                self.trace(Direction::Received, PacketKind::PingResp);
                if let Some(link) = self.link.as_mut() {
                    link.pingresp_deadline = None;
                }
            }
            (Phase::Connected, other) => self.unexpected(&other, "connected"),
            // Bytes before the transport reported open, or after close: impossible
            // from a real transport; nothing to answer.
            (Phase::Opening | Phase::Disconnected, _) => {}
        }
    }

    fn on_connack(&mut self, now: Instant, ack: v4::ConnAck) {
        self.trace(Direction::Received, PacketKind::ConnAck);
        let refusal = match ack.code {
            ConnectReturnCode::Success => None,
            ConnectReturnCode::RefusedProtocolVersion => {
                Some(ConnectRefusal::UnacceptableProtocolVersion)
            }
            ConnectReturnCode::BadClientId => Some(ConnectRefusal::IdentifierRejected),
            ConnectReturnCode::ServiceUnavailable => Some(ConnectRefusal::ServerUnavailable),
            ConnectReturnCode::BadUserNamePassword => Some(ConnectRefusal::BadUserNameOrPassword),
            ConnectReturnCode::NotAuthorized => Some(ConnectRefusal::NotAuthorized),
        };
        if let Some(refusal) = refusal {
            return self.close(CloseReason::Refused(refusal));
        }
        if let Some(link) = self.link.as_mut() {
            link.phase = Phase::Connected;
        }
        self.emit(Event::Connected {
            session_present: ack.session_present,
        });
        self.resume(now, ack.session_present);
    }

    fn on_publish(&mut self, now: Instant, publish: v4::Publish) {
        // The broker's topic is checked like our own before anything is acknowledged or
        // delivered: no U+0000 [MQTT-1.5.3-2] ("If a receiver (Server or Client) receives
        // a Control Packet containing U+0000 it MUST close the Network Connection"), no
        // wildcard [MQTT-3.3.2-2], not empty [MQTT-4.7.3-1].
        if let Err(error) = validate_topic_name(&publish.topic) {
            return self.close(CloseReason::Protocol(ProtocolError::InvalidTopic(error)));
        }
        let pkid = publish.pkid;
        let deliver = match publish.qos {
            QoS::AtMostOnce => true,
            QoS::AtLeastOnce => {
                let ack = Packet::PubAck(v4::PubAck::new(pkid));
                self.send(now, &ack, PacketKind::PubAck(pkid));
                true
            }
            QoS::ExactlyOnce => {
                // Deliver on first receipt; a DUP resend of an id still awaiting PUBREL
                // is acknowledged again but not delivered twice [MQTT-4.3.3-2].
                let first = self.store.receive_qos2(pkid);
                let rec = Packet::PubRec(v4::PubRec::new(pkid));
                self.send(now, &rec, PacketKind::PubRec(pkid));
                first
            }
        };
        if deliver {
            self.emit(Event::Message(Message {
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                dup: publish.dup,
                pkid,
            }));
        }
    }

    fn on_suback(&mut self, ack: v4::SubAck) {
        self.trace(Direction::Received, PacketKind::SubAck(ack.pkid));
        let Some(filters) = self.store.finish_subscribe(ack.pkid) else {
            return self.warn(format!("SUBACK for unknown packet {}; ignored", ack.pkid));
        };
        // [MQTT-3.9.3-1]: one return code per filter, in order.
        if filters.len() != ack.return_codes.len() {
            let error = ProtocolError::SubAckCountMismatch {
                pkid: ack.pkid,
                got: ack.return_codes.len(),
                want: filters.len(),
            };
            return self.close(CloseReason::Protocol(error));
        }
        let mut results = Vec::with_capacity(filters.len());
        for ((filter, _asked), code) in filters.into_iter().zip(ack.return_codes) {
            let result = match code {
                SubscribeReasonCode::Success(qos) => {
                    self.store.record_subscription(filter.clone(), qos);
                    SubscribeResult::Granted(qos)
                }
                SubscribeReasonCode::Failure => SubscribeResult::Refused,
            };
            results.push((filter, result));
        }
        self.emit(Event::Subscribed {
            pkid: ack.pkid,
            results,
        });
    }

    fn finish_publish(&mut self, now: Instant, pkid: u16, stage: OutgoingStage, packet: &str) {
        match self.store.finish_publish(pkid, stage) {
            Some(qos) => {
                self.emit(Event::Delivered { pkid, qos });
                self.release_queued(now);
            }
            None => self.warn(format!(
                "{packet} for packet {pkid}, which is not waiting for one; ignored"
            )),
        }
    }

    fn unexpected(&mut self, packet: &Packet, expected: &'static str) {
        let error = ProtocolError::Unexpected {
            packet: packet_name(packet),
            expected,
        };
        self.close(CloseReason::Protocol(error));
    }
}

fn packet_name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}
