//! Commands from the application: publish, subscribe, unsubscribe, disconnect. Each is
//! validated completely before anything is encoded (mqttbytes writes over-long strings with
//! a wrong length prefix and encodes an empty SUBSCRIBE without complaint).

use bytes::Bytes;
use mqttbytes::v4::{self, Packet};
use mqttbytes::QoS;

use crate::error::{CloseReason, CommandError};
use crate::event::PacketKind;
use crate::session::{Phase, Session, MAX_REMAINING_LENGTH};
use crate::store::{Outgoing, OutgoingStage};
use crate::time::Instant;
use crate::topic::{validate_topic_filter, validate_topic_name};

impl Session {
    /// Publishes a message. Returns its packet id (`None` for QoS 0).
    pub fn publish(
        &mut self,
        now: Instant,
        topic: &str,
        payload: Bytes,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, CommandError> {
        self.require_connected()?;
        validate_topic_name(topic).map_err(CommandError::InvalidTopic)?;
        let size = 2 + topic.len() + payload.len() + if qos == QoS::AtMostOnce { 0 } else { 2 };
        if size > MAX_REMAINING_LENGTH {
            return Err(CommandError::PayloadTooLarge {
                size: payload.len(),
                max: MAX_REMAINING_LENGTH - (size - payload.len()),
            });
        }
        let mut packet = v4::Publish::from_bytes(topic, qos, payload.clone());
        packet.retain = retain;
        let pkid = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => {
                let window_full =
                    self.store.in_flight_publishes() >= self.options.max_inflight.max(1);
                let stage = if window_full {
                    OutgoingStage::Queued
                } else if qos == QoS::AtLeastOnce {
                    OutgoingStage::AwaitingPubAck
                } else {
                    OutgoingStage::AwaitingPubRec
                };
                let outgoing = Outgoing {
                    topic: topic.to_string(),
                    payload,
                    qos,
                    retain,
                    stage,
                };
                Some(self.store.start_publish(outgoing)?)
            }
        };
        packet.pkid = pkid.unwrap_or(0);
        let queued =
            pkid.is_some_and(|id| self.store.outgoing_stage(id) == Some(OutgoingStage::Queued));
        if !queued {
            self.send_untraced(now, &Packet::Publish(packet));
        }
        Ok(pkid)
    }

    /// Subscribes to filters, each with its maximum QoS. Returns the SUBSCRIBE's packet id.
    pub fn subscribe(
        &mut self,
        now: Instant,
        filters: Vec<(String, QoS)>,
    ) -> Result<u16, CommandError> {
        self.require_connected()?;
        if filters.is_empty() {
            return Err(CommandError::NoFilters); // [MQTT-3.8.3-3]
        }
        for (filter, _) in &filters {
            validate_topic_filter(filter).map_err(|error| CommandError::InvalidFilter {
                filter: filter.clone(),
                error,
            })?;
        }
        let mut packet = v4::Subscribe::empty_subscribe();
        for (filter, qos) in &filters {
            packet.add(filter.clone(), *qos);
        }
        let pkid = self.store.start_subscribe(filters)?;
        packet.pkid = pkid;
        self.send(now, &Packet::Subscribe(packet), PacketKind::Subscribe(pkid));
        Ok(pkid)
    }

    /// Unsubscribes from filters. Returns the UNSUBSCRIBE's packet id.
    pub fn unsubscribe(&mut self, now: Instant, filters: Vec<String>) -> Result<u16, CommandError> {
        self.require_connected()?;
        if filters.is_empty() {
            return Err(CommandError::NoFilters); // [MQTT-3.10.3-2]
        }
        for filter in &filters {
            validate_topic_filter(filter).map_err(|error| CommandError::InvalidFilter {
                filter: filter.clone(),
                error,
            })?;
        }
        let pkid = self.store.start_unsubscribe(filters.clone())?;
        let packet = v4::Unsubscribe {
            pkid,
            topics: filters,
        };
        self.send(
            now,
            &Packet::Unsubscribe(packet),
            PacketKind::Unsubscribe(pkid),
        );
        Ok(pkid)
    }

    /// Ends the connection cleanly: DISCONNECT (if connected), then [`Event::Closed`].
    /// The broker then discards the last will [MQTT-3.14.4-3].
    pub fn disconnect(&mut self, now: Instant) {
        if self.phase() == Phase::Connected {
            self.send(now, &Packet::Disconnect, PacketKind::Disconnect);
        }
        if self.link.is_some() {
            self.close(CloseReason::ClientDisconnect);
        }
    }
}
