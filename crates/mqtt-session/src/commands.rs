//! Commands from the application: publish, subscribe, unsubscribe, disconnect. Each is
//! validated completely before anything is encoded (mqttbytes writes over-long strings with
//! a wrong length prefix and encodes an empty SUBSCRIBE without complaint), against the
//! protocol version and, under MQTT 5, the limits the broker set in CONNACK.

use bytes::Bytes;

use crate::codec::encode;
use crate::error::{CloseReason, CommandError};
use crate::event::PacketKind;
use crate::packet::{
    Disconnect, Packet, ProtocolVersion, Publish, PublishProperties, QoS, Subscribe,
    SubscribeProperties, Subscription, Unsubscribe,
};
use crate::session::{Phase, Session, MAX_REMAINING_LENGTH};
use crate::store::{Outgoing, OutgoingStage};
use crate::time::Instant;
use crate::topic::{validate_topic_filter, validate_topic_name, MAX_STRING_LEN};

/// Largest subscription identifier (a variable byte integer) [MQTT-3.8.2.1.2].
const MAX_SUBSCRIPTION_ID: u32 = 268_435_455;

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
        self.publish_with(
            now,
            topic,
            payload,
            qos,
            retain,
            PublishProperties::default(),
        )
    }

    /// Publishes a message with MQTT 5 properties (empty properties under 3.1.1).
    pub fn publish_with(
        &mut self,
        now: Instant,
        topic: &str,
        payload: Bytes,
        qos: QoS,
        retain: bool,
        properties: PublishProperties,
    ) -> Result<Option<u16>, CommandError> {
        self.require_connected()?;
        validate_topic_name(topic).map_err(CommandError::InvalidTopic)?;
        self.check_publish_properties(&properties, &payload)?;
        if let Some(info) = self.connection_info() {
            if qos > info.maximum_qos() {
                let max = info.maximum_qos() as u8;
                return Err(CommandError::QoSNotSupported { max });
            }
            if retain && !info.retain_available() {
                return Err(CommandError::RetainNotSupported);
            }
        }
        let size = 2 + topic.len() + payload.len() + if qos == QoS::AtMostOnce { 0 } else { 2 };
        if size > MAX_REMAINING_LENGTH {
            return Err(CommandError::PayloadTooLarge {
                size: payload.len(),
                max: MAX_REMAINING_LENGTH - (size - payload.len()),
            });
        }
        let mut packet = Publish {
            dup: false,
            qos,
            retain,
            topic: topic.to_string(),
            pkid: if qos == QoS::AtMostOnce { 0 } else { 1 },
            payload: payload.clone(),
            properties: properties.clone(),
        };
        if self
            .connection_info()
            .is_some_and(|i| i.maximum_packet_size().is_some())
        {
            self.check_packet_size(&Packet::Publish(packet.clone()))?;
        }
        let pkid = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => {
                let window_full = self.store.in_flight_publishes() >= self.send_window();
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
                    properties,
                };
                Some(self.store.start_publish(outgoing)?)
            }
        };
        packet.pkid = pkid.unwrap_or(0);
        if let Some(link) = self.link.as_mut() {
            link.qos_check.note_sent(topic, &packet.payload, qos);
        }
        let queued =
            pkid.is_some_and(|id| self.store.outgoing_stage(id) == Some(OutgoingStage::Queued));
        if !queued {
            self.send_untraced(now, &Packet::Publish(packet));
        }
        Ok(pkid)
    }

    fn check_publish_properties(
        &self,
        properties: &PublishProperties,
        payload: &Bytes,
    ) -> Result<(), CommandError> {
        if properties.is_empty() {
            return Ok(());
        }
        if self.options.protocol == ProtocolVersion::V311 {
            return Err(CommandError::NeedsMqtt5("message properties"));
        }
        if properties.topic_alias.is_some() || !properties.subscription_identifiers.is_empty() {
            return Err(CommandError::TopicAliasNotAllowed);
        }
        match properties.payload_format_indicator {
            None | Some(0) => {}
            Some(1) if std::str::from_utf8(payload).is_err() => {
                return Err(CommandError::PayloadNotUtf8)
            }
            Some(1) => {}
            Some(other) => return Err(CommandError::InvalidPayloadFormat(other)),
        }
        // The snapshot counts user properties in a u16, and no broker takes more anyway.
        if properties.user_properties.len() > usize::from(u16::MAX) {
            return Err(CommandError::PropertyTooLong(
                "a message can carry at most 65,535 user properties",
            ));
        }
        if let Some(topic) = &properties.response_topic {
            validate_topic_name(topic).map_err(CommandError::InvalidTopic)?;
        }
        let too_long = properties
            .content_type
            .iter()
            .map(String::len)
            .chain(properties.correlation_data.iter().map(Bytes::len))
            .chain(
                properties
                    .user_properties
                    .iter()
                    .flat_map(|(k, v)| [k.len(), v.len()]),
            )
            .any(|len| len > MAX_STRING_LEN);
        if too_long {
            return Err(CommandError::PropertyTooLong(
                "a content type, correlation data or user property is longer than 65,535 bytes",
            ));
        }
        Ok(())
    }

    /// Refuses a packet larger than the broker's maximum packet size before anything is
    /// sent [MQTT-3.2.2-15] (only when the broker set one).
    fn check_packet_size(&self, packet: &Packet) -> Result<(), CommandError> {
        let Some(max) = self.connection_info().and_then(|i| i.maximum_packet_size()) else {
            return Ok(());
        };
        let size = encode(self.options.protocol, packet)
            .map(|bytes| bytes.len())
            .unwrap_or(usize::MAX);
        if size > max as usize {
            return Err(CommandError::PacketTooLarge { size, max });
        }
        Ok(())
    }

    /// Subscribes to filters, each with its maximum QoS. Returns the SUBSCRIBE's packet id.
    pub fn subscribe(
        &mut self,
        now: Instant,
        filters: Vec<(String, QoS)>,
    ) -> Result<u16, CommandError> {
        let filters = filters
            .into_iter()
            .map(|(filter, qos)| Subscription::new(filter, qos))
            .collect();
        self.subscribe_with(now, filters, SubscribeProperties::default())
    }

    /// Subscribes with MQTT 5 subscription options and properties (only the defaults
    /// under 3.1.1). Shared subscriptions (`$share/group/filter`) are plain filters to
    /// the session.
    pub fn subscribe_with(
        &mut self,
        now: Instant,
        filters: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<u16, CommandError> {
        self.require_connected()?;
        if filters.is_empty() {
            return Err(CommandError::NoFilters); // [MQTT-3.8.3-3]
        }
        for f in &filters {
            validate_topic_filter(&f.filter).map_err(|error| CommandError::InvalidFilter {
                filter: f.filter.clone(),
                error,
            })?;
        }
        self.check_subscription_options(&filters, &properties)?;
        let mut packet = Subscribe {
            pkid: 1,
            filters,
            properties,
        };
        self.check_packet_size(&Packet::Subscribe(packet.clone()))?;
        let pkid = self.store.start_subscribe(
            packet
                .filters
                .iter()
                .map(|f| (f.filter.clone(), f.qos))
                .collect(),
        )?;
        packet.pkid = pkid;
        self.send(now, &Packet::Subscribe(packet), PacketKind::Subscribe(pkid));
        Ok(pkid)
    }

    fn check_subscription_options(
        &self,
        filters: &[Subscription],
        properties: &SubscribeProperties,
    ) -> Result<(), CommandError> {
        if self.options.protocol == ProtocolVersion::V311 {
            let plain = filters
                .iter()
                .all(|f| *f == Subscription::new(f.filter.clone(), f.qos));
            if !plain || *properties != SubscribeProperties::default() {
                return Err(CommandError::NeedsMqtt5(
                    "subscription options (no local, retain as published, retain handling) and identifiers",
                ));
            }
            return Ok(());
        }
        if let Some(id) = properties.subscription_identifier {
            if id == 0 || id > MAX_SUBSCRIPTION_ID {
                return Err(CommandError::InvalidSubscriptionIdentifier);
            }
        }
        // mqttbytes would write an over-long string with a wrong length prefix.
        if properties
            .user_properties
            .iter()
            .any(|(name, value)| name.len() > MAX_STRING_LEN || value.len() > MAX_STRING_LEN)
        {
            return Err(CommandError::PropertyTooLong(
                "a user property name or value is longer than 65,535 bytes",
            ));
        }
        let Some(info) = self.connection_info() else {
            return Ok(());
        };
        if properties.subscription_identifier.is_some()
            && !info.subscription_identifiers_available()
        {
            return Err(CommandError::NotSupportedByBroker(
                "subscription identifiers",
            ));
        }
        for f in filters {
            if f.filter.starts_with("$share/") && !info.shared_subscription_available() {
                return Err(CommandError::NotSupportedByBroker("shared subscriptions"));
            }
            if f.filter.contains(['+', '#']) && !info.wildcard_subscription_available() {
                return Err(CommandError::NotSupportedByBroker("wildcards in filters"));
            }
        }
        Ok(())
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
        self.check_packet_size(&Packet::Unsubscribe(Unsubscribe {
            pkid: 1,
            filters: filters.clone(),
        }))?;
        let pkid = self.store.start_unsubscribe(filters.clone())?;
        let packet = Unsubscribe { pkid, filters };
        self.send(
            now,
            &Packet::Unsubscribe(packet),
            PacketKind::Unsubscribe(pkid),
        );
        Ok(pkid)
    }

    /// Ends the connection cleanly: DISCONNECT (if connected), then [`Event::Closed`].
    /// The broker then discards the last will [MQTT-3.14.4-3].
    ///
    /// [`Event::Closed`]: crate::Event::Closed
    pub fn disconnect(&mut self, now: Instant) {
        if self.phase() == Phase::Connected {
            let packet = Packet::Disconnect(Disconnect::normal());
            self.send(now, &packet, PacketKind::Disconnect);
        }
        if self.link.is_some() {
            self.close(CloseReason::ClientDisconnect);
        }
    }
}
