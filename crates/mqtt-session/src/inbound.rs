//! Handling of each packet the broker sends, phase by phase.

use crate::connection_info::ConnectionInfo;
use crate::error::{CloseReason, ConnectRefusal, ProtocolError};
use crate::event::{Direction, Event, Message, PacketKind, PublishOutcome, SubscribeResult};
use crate::packet::{Ack, ConnAck, Packet, ProtocolVersion, Publish, QoS, SubAck};
use crate::reason::ReasonCode;
use crate::session::{Phase, Session};
use crate::store::OutgoingStage;
use crate::time::Instant;
use crate::topic::validate_topic_name;

impl Session {
    pub(crate) fn handle_packet(&mut self, now: Instant, packet: Packet) {
        let Some(phase) = self.link.as_ref().map(|l| l.phase) else {
            return;
        };
        let v5 = self.options.protocol == ProtocolVersion::V5;
        match (phase, packet) {
            (Phase::AwaitingConnAck, Packet::ConnAck(ack)) => self.on_connack(now, *ack),
            (_, Packet::Auth(reason)) if v5 => {
                self.close(CloseReason::Protocol(ProtocolError::UnexpectedAuth(reason)));
            }
            (Phase::AwaitingConnAck | Phase::Connected, Packet::Disconnect(d)) if v5 => {
                self.trace(Direction::Received, PacketKind::Disconnect);
                self.close(CloseReason::ServerDisconnect {
                    reason: d.reason,
                    reason_string: d.properties.reason_string,
                    server_reference: d.server_reference,
                });
            }
            // [MQTT-3.2.0-1]: the first packet from the server must be CONNACK.
            (Phase::AwaitingConnAck, other) => {
                self.unexpected(&other, "waiting for CONNACK");
            }
            (Phase::Connected, Packet::Publish(publish)) => self.on_publish(now, publish),
            (Phase::Connected, Packet::PubAck(ack)) => {
                self.trace(Direction::Received, PacketKind::PubAck(ack.pkid));
                self.finish_publish(now, ack, OutgoingStage::AwaitingPubAck, "PUBACK");
            }
            (Phase::Connected, Packet::PubRec(rec)) => self.on_pubrec(now, rec),
            (Phase::Connected, Packet::PubComp(comp)) => {
                self.trace(Direction::Received, PacketKind::PubComp(comp.pkid));
                self.finish_publish(now, comp, OutgoingStage::AwaitingPubComp, "PUBCOMP");
            }
            (Phase::Connected, Packet::PubRel(rel)) => {
                self.trace(Direction::Received, PacketKind::PubRel(rel.pkid));
                // Always answer PUBREL with PUBCOMP, even for an id we no longer hold
                // (a resend after our PUBCOMP was lost) [MQTT-4.3.3-2]; MQTT 5 says so
                // with reason 0x92 "packet identifier not found".
                let known = self.store.release_qos2(rel.pkid);
                let mut comp = Ack::success(rel.pkid);
                if v5 && !known {
                    comp.reason = ReasonCode(0x92);
                }
                self.send(now, &Packet::PubComp(comp), PacketKind::PubComp(rel.pkid));
            }
            (Phase::Connected, Packet::SubAck(ack)) => self.on_suback(ack),
            (Phase::Connected, Packet::UnsubAck(ack)) => self.on_unsuback(ack),
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

    fn on_connack(&mut self, now: Instant, ack: ConnAck) {
        self.trace(Direction::Received, PacketKind::ConnAck);
        if ack.reason != ReasonCode::SUCCESS {
            let p = &ack.properties;
            if let Some(text) = &p.reason_string {
                self.warn(format!("the broker's reason: \"{text}\""));
            }
            if let Some(server) = &p.server_reference {
                self.warn(format!("the broker points to another server: {server}"));
            }
            let refusal = ConnectRefusal::from_reason(ack.reason);
            return self.close(CloseReason::Refused(refusal));
        }
        if let Some(id) = ack.properties.assigned_client_identifier.clone() {
            self.set_assigned_client_id(id);
        }
        self.session_expiry_in_force = ack.properties.session_expiry_interval;
        let info = ConnectionInfo {
            protocol: self.options.protocol,
            session_present: ack.session_present,
            properties: ack.properties,
            requested_keep_alive: self.options.keep_alive_secs(),
            requested_session_expiry: self.options.session_expiry(),
        };
        if let Some(link) = self.link.as_mut() {
            link.phase = Phase::Connected;
            link.info = Some(Box::new(info));
        }
        self.emit(Event::Connected {
            session_present: ack.session_present,
        });
        self.resume(now, ack.session_present);
    }

    fn on_publish(&mut self, now: Instant, mut publish: Publish) {
        if let Some(alias) = publish.properties.topic_alias {
            if let Err(error) = self.resolve_alias(alias, &mut publish.topic) {
                return self.close(CloseReason::Protocol(error));
            }
        }
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
                self.send(
                    now,
                    &Packet::PubAck(Ack::success(pkid)),
                    PacketKind::PubAck(pkid),
                );
                true
            }
            QoS::ExactlyOnce => {
                // Deliver on first receipt; a DUP resend of an id still awaiting PUBREL
                // is acknowledged again but not delivered twice [MQTT-4.3.3-2].
                let first = self.store.receive_qos2(pkid);
                self.send(
                    now,
                    &Packet::PubRec(Ack::success(pkid)),
                    PacketKind::PubRec(pkid),
                );
                first
            }
        };
        if !deliver {
            return;
        }
        // [MQTT-3.8.4-6]: never above the QoS published with, nor above the QoS granted.
        if let Some(link) = self.link.as_mut() {
            let granted = self.store.subscriptions();
            let check = &mut link.qos_check;
            if let Some(text) = check.check(&publish.topic, &publish.payload, publish.qos, granted)
            {
                self.warn(text);
            }
        }
        if publish.properties.payload_format_indicator == Some(1)
            && std::str::from_utf8(&publish.payload).is_err()
        {
            self.warn(format!(
                "a message on '{}' is marked as UTF-8 text (payload format 1) but is not valid UTF-8",
                publish.topic
            ));
        }
        self.emit(Event::Message(Message {
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            dup: publish.dup,
            pkid,
            properties: publish.properties,
        }));
    }

    /// MQTT 5 topic alias: a PUBLISH with a topic sets the alias, one without uses it.
    /// Aliases belong to one connection and stay within the maximum CONNECT announced.
    fn resolve_alias(&mut self, alias: u16, topic: &mut String) -> Result<(), ProtocolError> {
        let max = self.options.properties.topic_alias_maximum.unwrap_or(0);
        if alias == 0 || alias > max {
            let why = if max == 0 {
                "but this client allows none (topic alias maximum 0)"
            } else {
                "outside 1..topic alias maximum this client announced"
            };
            return Err(ProtocolError::TopicAlias { alias, why });
        }
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        if topic.is_empty() {
            match link.aliases.get(&alias) {
                Some(known) => topic.clone_from(known),
                None => {
                    return Err(ProtocolError::TopicAlias {
                        alias,
                        why: "which it never set on this connection",
                    })
                }
            }
        } else {
            link.aliases.insert(alias, topic.clone());
        }
        Ok(())
    }

    fn on_pubrec(&mut self, now: Instant, rec: Ack) {
        self.trace(Direction::Received, PacketKind::PubRec(rec.pkid));
        if rec.reason.is_failure() {
            // [MQTT-4.3.3-...]: a PUBREC with a failure ends the QoS 2 exchange; no PUBREL.
            return self.finish_publish(now, rec, OutgoingStage::AwaitingPubRec, "PUBREC");
        }
        if self.store.publish_received(rec.pkid) {
            self.outcome_of(&rec);
            let rel = Packet::PubRel(Ack::success(rec.pkid));
            self.send(now, &rel, PacketKind::PubRel(rec.pkid));
        } else if self.store.outgoing_stage(rec.pkid) == Some(OutgoingStage::AwaitingPubComp) {
            // A resent PUBREC: answer again with PUBREL [MQTT-4.3.3-1].
            let rel = Packet::PubRel(Ack::success(rec.pkid));
            self.send(now, &rel, PacketKind::PubRel(rec.pkid));
        } else {
            self.warn(format!(
                "PUBREC for packet {} which is not a QoS 2 message in flight; ignored",
                rec.pkid
            ));
        }
    }

    fn on_suback(&mut self, ack: SubAck) {
        self.trace(Direction::Received, PacketKind::SubAck(ack.pkid));
        let Some(filters) = self.store.finish_subscribe(ack.pkid) else {
            return self.warn(format!("SUBACK for unknown packet {}; ignored", ack.pkid));
        };
        // [MQTT-3.9.3-1]: one return code per filter, in order.
        if filters.len() != ack.reasons.len() {
            let error = ProtocolError::SubAckCountMismatch {
                pkid: ack.pkid,
                got: ack.reasons.len(),
                want: filters.len(),
            };
            return self.close(CloseReason::Protocol(error));
        }
        if let Some(text) = &ack.properties.reason_string {
            self.warn(format!(
                "SUBACK {}: the broker's reason: \"{text}\"",
                ack.pkid
            ));
        }
        let mut results = Vec::with_capacity(filters.len());
        for ((filter, _asked), code) in filters.into_iter().zip(ack.reasons) {
            let result = match QoS::from_u8(code.0) {
                Some(qos) => {
                    self.store.record_subscription(filter.clone(), qos);
                    SubscribeResult::Granted(qos)
                }
                None => SubscribeResult::Refused(code),
            };
            results.push((filter, result));
        }
        self.emit(Event::Subscribed {
            pkid: ack.pkid,
            results,
        });
    }

    fn on_unsuback(&mut self, ack: SubAck) {
        self.trace(Direction::Received, PacketKind::UnsubAck(ack.pkid));
        let Some(filters) = self.store.finish_unsubscribe(ack.pkid) else {
            return self.warn(format!("UNSUBACK for unknown packet {}; ignored", ack.pkid));
        };
        // MQTT 5: one reason code per filter [MQTT-3.11.3-1]; 3.1.1 has none.
        if self.options.protocol == ProtocolVersion::V5 {
            if ack.reasons.len() != filters.len() {
                let error = ProtocolError::ReasonCountMismatch {
                    packet: "UNSUBACK",
                    pkid: ack.pkid,
                    got: ack.reasons.len(),
                    want: filters.len(),
                };
                return self.close(CloseReason::Protocol(error));
            }
            for (filter, reason) in filters.iter().zip(&ack.reasons) {
                if *reason != ReasonCode::SUCCESS {
                    self.warn(format!("unsubscribe from '{filter}': {reason}"));
                }
            }
        }
        self.emit(Event::Unsubscribed {
            pkid: ack.pkid,
            filters,
        });
    }

    /// PUBACK, PUBCOMP, or a failed PUBREC: the outgoing message is done, delivered or
    /// refused by the broker.
    fn finish_publish(&mut self, now: Instant, ack: Ack, stage: OutgoingStage, packet: &str) {
        let pkid = ack.pkid;
        match self.store.finish_publish(pkid, stage) {
            Some(qos) => {
                self.outcome_of(&ack);
                if !ack.reason.is_failure() {
                    self.emit(Event::Delivered { pkid, qos });
                }
                self.release_backlog(now);
                self.release_queued(now);
            }
            None => self.warn(format!(
                "{packet} for packet {pkid}, which is not waiting for one; ignored"
            )),
        }
    }

    /// MQTT 5: reports an acknowledgement that says more than plain success.
    fn outcome_of(&mut self, ack: &Ack) {
        if ack.reason == ReasonCode::SUCCESS && ack.properties.reason_string.is_none() {
            return;
        }
        self.emit(Event::PublishOutcome(PublishOutcome {
            pkid: ack.pkid,
            reason: ack.reason,
            reason_string: ack.properties.reason_string.clone(),
        }));
    }

    fn unexpected(&mut self, packet: &Packet, expected: &'static str) {
        let error = ProtocolError::Unexpected {
            packet: packet.name(),
            expected,
        };
        self.close(CloseReason::Protocol(error));
    }
}
