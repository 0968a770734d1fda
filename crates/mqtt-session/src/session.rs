//! The client session: a state machine driven by inputs, drained through `poll_output`.
//!
//! ```text
//!   Disconnected ─handle_transport_connecting─▶ Opening ─handle_transport_open─▶ AwaitingConnAck
//!        ▲                                         │ timeout / closed              │ CONNACK 0
//!        │                                         ▼                               ▼
//!        └──────────────────────── Event::Closed ◀──────────────────────────── Connected
//!              (refusal, protocol error, keepalive timeout, transport closed, disconnect)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;

use crate::codec::{encode, Decoder};
use crate::connection_info::ConnectionInfo;
use crate::error::{CloseReason, CommandError, OptionsError};
use crate::event::{Direction, Event, Output, PacketKind};
use crate::options::ConnectOptions;
use crate::packet::{Connect, Disconnect, Packet, ProtocolVersion, Publish, Will};
use crate::qos_check::QosCheck;
use crate::store::{Outgoing, Store};
use crate::time::Instant;

/// Largest remaining length MQTT's variable-length header can express [MQTT-2.2.3].
pub(crate) const MAX_REMAINING_LENGTH: usize = 268_435_455;

/// Where the session stands, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No transport, or the last one ended.
    Disconnected,
    /// The transport (WebSocket handshake, TCP connect) is being opened.
    Opening,
    /// CONNECT sent; only CONNACK is acceptable now [MQTT-3.2.0-1].
    AwaitingConnAck,
    /// CONNACK accepted the connection.
    Connected,
}

/// What belongs to one transport connection and dies with it.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) phase: Phase,
    pub(crate) decoder: Decoder,
    /// When the transport must be open (while `Opening`), then when CONNACK must have
    /// arrived (while `AwaitingConnAck`).
    connack_deadline: Instant,
    /// When we last sent anything: keepalive counts from here [MQTT-3.1.2-23].
    last_sent: Instant,
    /// When bytes last arrived. A client that keeps sending to a broker that no longer
    /// answers would never ping if only `last_sent` counted; like Paho C and
    /// libmosquitto, it also pings when nothing was received for a keepalive interval.
    last_received: Instant,
    /// Set while a PINGREQ waits for its PINGRESP.
    pub(crate) pingresp_deadline: Option<Instant>,
    /// What CONNACK said (from CONNACK on).
    pub(crate) info: Option<Box<ConnectionInfo>>,
    /// MQTT 5 topic aliases the broker set on this connection [MQTT-3.3.2-...].
    pub(crate) aliases: BTreeMap<u16, String>,
    /// Unacknowledged PUBLISHes of a resumed session not resent yet, oldest first: the new
    /// CONNACK's receive maximum was lower than what was in flight [MQTT-4.9.0-2]. They go
    /// out (with DUP) as earlier ones complete, before any queued message.
    pub(crate) resend_backlog: VecDeque<u16>,
    /// Deliveries above the QoS MQTT allows, warned about once per connection.
    pub(crate) qos_check: QosCheck,
}

/// A sans-IO MQTT 3.1.1 / 5.0 client session. See the crate documentation for how to drive it.
#[derive(Debug)]
pub struct Session {
    pub(crate) options: ConnectOptions,
    pub(crate) store: Store,
    pub(crate) link: Option<Link>,
    transmits: VecDeque<Bytes>,
    events: VecDeque<Event>,
    trace_control_packets: bool,
    /// The client id an MQTT 5 broker assigned (CONNECT with an empty one): later
    /// connections use it, so that the session can be resumed.
    assigned_client_id: Option<String>,
    /// MQTT 5: the session expiry the last CONNACK put in force, if it set one.
    pub(crate) session_expiry_in_force: Option<u32>,
}

impl Session {
    /// A disconnected session with validated options.
    pub fn new(options: ConnectOptions) -> Result<Self, OptionsError> {
        options.validate()?;
        Ok(Self {
            options,
            store: Store::default(),
            link: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            trace_control_packets: false,
            assigned_client_id: None,
            session_expiry_in_force: None,
        })
    }

    /// Also report every control packet (acks, pings…) as [`Event::Control`].
    pub fn set_trace_control_packets(&mut self, on: bool) {
        self.trace_control_packets = on;
    }

    /// The connection phase.
    pub fn phase(&self) -> Phase {
        self.link.as_ref().map_or(Phase::Disconnected, |l| l.phase)
    }

    /// The options this session connects with.
    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// What the broker said in CONNACK about this connection, while connected.
    pub fn connection_info(&self) -> Option<&ConnectionInfo> {
        self.link.as_ref()?.info.as_deref()
    }

    /// The client id CONNECT sends: the one in the options, or the one an MQTT 5 broker
    /// assigned on an earlier connection.
    pub fn client_id(&self) -> &str {
        match (&self.assigned_client_id, self.options.client_id.is_empty()) {
            (Some(assigned), true) => assigned,
            _ => &self.options.client_id,
        }
    }

    /// The protocol version on the wire.
    pub fn protocol(&self) -> ProtocolVersion {
        self.options.protocol
    }

    /// State that outlives a connection (subscriptions, messages in flight).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Bytes received on this connection that do not make a whole packet yet (0 when no
    /// transport is attached). After any input it is at most
    /// [`ConnectOptions::max_inbound_packet`] plus a 5-byte fixed header: a longer packet
    /// is refused from its header, before it is buffered whole.
    pub fn buffered_inbound(&self) -> usize {
        self.link.as_ref().map_or(0, |l| l.decoder.buffered())
    }

    // ----- inputs from the transport -----

    /// The IO layer started opening a transport. If it is not open within the connect
    /// timeout, the session gives up with [`CloseReason::OpenTimeout`]: some failures
    /// (a filtered port, a browser-blocked port) never produce a close event.
    pub fn handle_transport_connecting(&mut self, now: Instant) {
        self.link = Some(self.new_link(now, Phase::Opening));
    }

    /// The transport is open: send CONNECT and wait for CONNACK.
    pub fn handle_transport_open(&mut self, now: Instant) {
        self.link = Some(self.new_link(now, Phase::AwaitingConnAck));
        let o = &self.options;
        let v5 = o.protocol == ProtocolVersion::V5;
        let mut properties = o.properties.clone();
        if v5 {
            properties.session_expiry_interval = Some(o.session_expiry()).filter(|secs| *secs != 0);
        }
        let credentials = o.credentials.as_ref();
        let connect = Connect {
            protocol: o.protocol,
            client_id: self.client_id().to_string(),
            clean_start: o.clean_session,
            keep_alive: o.keep_alive_secs(),
            username: credentials
                .map(|c| c.username.clone())
                .filter(|u| !u.is_empty() || !v5),
            password: credentials.and_then(|c| c.password.clone()),
            will: o.last_will.as_ref().map(|w| Will {
                topic: w.topic.clone(),
                payload: w.payload.clone(),
                qos: w.qos,
                retain: w.retain,
                properties: w.properties.clone(),
            }),
            properties,
            maximum_packet_size: v5
                .then(|| u32::try_from(o.max_inbound_packet).ok())
                .flatten()
                .filter(|max| *max < MAX_REMAINING_LENGTH as u32),
        };
        self.send(
            now,
            &Packet::Connect(Box::new(connect)),
            PacketKind::Connect,
        );
    }

    /// Bytes arrived, cut anywhere: reassemble and handle every whole packet.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let Some(link) = self.link.as_mut() else {
            return; // Late bytes after close: nothing to do with them.
        };
        if !bytes.is_empty() {
            link.last_received = now;
        }
        link.decoder.extend(bytes);
        loop {
            let Some(link) = self.link.as_mut() else {
                return; // A packet closed the connection; ignore what followed it.
            };
            match link.decoder.next_packet() {
                Ok(Some(packet)) => self.handle_packet(now, packet),
                Ok(None) => return,
                Err(error) => return self.close(CloseReason::Protocol(error)),
            }
        }
    }

    /// The transport closed (or failed). `detail` says why, in words.
    pub fn handle_transport_closed(&mut self, _now: Instant, detail: impl Into<String>) {
        if self.link.is_some() {
            self.close(CloseReason::TransportClosed(detail.into()));
        }
    }

    /// The transport reports a protocol violation it detected itself (e.g. a text frame).
    pub fn handle_transport_error(&mut self, _now: Instant, error: crate::ProtocolError) {
        if self.link.is_some() {
            self.close(CloseReason::Protocol(error));
        }
    }

    /// The clock reached a deadline returned by [`Output::Timeout`] (or later).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(link) = self.link.as_ref() else {
            return;
        };
        match link.phase {
            Phase::Opening if now >= link.connack_deadline => {
                let secs = self.options.connect_timeout.as_secs();
                self.close(CloseReason::OpenTimeout(secs));
            }
            Phase::AwaitingConnAck if now >= link.connack_deadline => {
                let secs = self.options.connect_timeout.as_secs();
                self.close(CloseReason::ConnectTimeout(secs));
            }
            Phase::Connected => {
                if link.pingresp_deadline.is_some_and(|d| now >= d) {
                    let secs = self.options.ping_timeout.as_secs();
                    self.close(CloseReason::KeepAliveTimeout(secs));
                } else if link.pingresp_deadline.is_none()
                    && self.keepalive_deadline().is_some_and(|d| now >= d)
                {
                    self.send(now, &Packet::PingReq, PacketKind::PingReq);
                    if let Some(link) = self.link.as_mut() {
                        link.pingresp_deadline = Some(now + self.options.ping_timeout);
                    }
                }
            }
            _ => {}
        }
    }

    // ----- outputs -----

    /// The next output. Drain until [`Output::Timeout`] or [`Output::Idle`].
    pub fn poll_output(&mut self) -> Output {
        if let Some(bytes) = self.transmits.pop_front() {
            return Output::Transmit(bytes);
        }
        if let Some(event) = self.events.pop_front() {
            return Output::Event(event);
        }
        match self.poll_timeout() {
            Some(at) => Output::Timeout(at),
            None => Output::Idle,
        }
    }

    /// The earliest deadline, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let link = self.link.as_ref()?;
        match link.phase {
            Phase::Opening | Phase::AwaitingConnAck => Some(link.connack_deadline),
            Phase::Connected => link.pingresp_deadline.or_else(|| self.keepalive_deadline()),
            Phase::Disconnected => None,
        }
    }

    // ----- internals shared with `inbound` -----

    /// QoS 1/2 publishes that may be in flight at once: the client's own window, within
    /// the broker's receive maximum (MQTT 5) [MQTT-4.9.0-2].
    pub(crate) fn send_window(&self) -> usize {
        let own = self.options.max_inflight.max(1);
        match self.connection_info() {
            Some(info) => own.min(usize::from(info.receive_maximum()).max(1)),
            None => own,
        }
    }

    /// Sends queued publishes while the send window has room.
    pub(crate) fn release_queued(&mut self, now: Instant) {
        if self.phase() != Phase::Connected {
            return; // kept for the next connection
        }
        while self.store.in_flight_publishes() < self.send_window() {
            let Some((pkid, message)) = self.store.dequeue() else {
                return;
            };
            let packet = outgoing_publish(pkid, message, false);
            self.send_untraced(now, &Packet::Publish(packet));
        }
    }

    fn new_link(&self, now: Instant, phase: Phase) -> Link {
        Link {
            phase,
            decoder: Decoder::for_version(self.options.protocol, self.options.max_inbound_packet),
            connack_deadline: now + self.options.connect_timeout,
            last_sent: now,
            last_received: now,
            pingresp_deadline: None,
            info: None,
            aliases: BTreeMap::new(),
            resend_backlog: VecDeque::new(),
            qos_check: QosCheck::default(),
        }
    }

    /// When to ping: a keepalive interval after the later side fell silent, sending or
    /// receiving, at the interval CONNECT announced (whole seconds).
    fn keepalive_deadline(&self) -> Option<Instant> {
        let link = self.link.as_ref()?;
        let interval = match link
            .info
            .as_deref()
            .and_then(|i| i.properties.server_keep_alive)
        {
            // [MQTT-3.2.2-21]: the client uses the broker's value instead of its own.
            Some(0) => return None,
            Some(secs) => Duration::from_secs(u64::from(secs)),
            None => self.options.keep_alive_interval()?,
        };
        Some(link.last_sent.min(link.last_received) + interval)
    }

    pub(crate) fn require_connected(&self) -> Result<(), CommandError> {
        match self.phase() {
            Phase::Connected => Ok(()),
            _ => Err(CommandError::NotConnected),
        }
    }

    /// Encodes and queues one packet, and traces it as a control packet.
    pub(crate) fn send(&mut self, now: Instant, packet: &Packet, kind: PacketKind) {
        self.send_untraced(now, packet);
        self.trace(Direction::Sent, kind);
    }

    pub(crate) fn send_untraced(&mut self, now: Instant, packet: &Packet) {
        match encode(self.options.protocol, packet) {
            Ok(bytes) => {
                self.transmits.push_back(bytes);
                if let Some(link) = self.link.as_mut() {
                    link.last_sent = now;
                }
            }
            // Unreachable after validation; report rather than panic.
            Err(e) => self.warn(format!("could not encode a packet: {}", e.0)),
        }
    }

    pub(crate) fn trace(&mut self, direction: Direction, packet: PacketKind) {
        if self.trace_control_packets {
            self.events.push_back(Event::Control { direction, packet });
        }
    }

    pub(crate) fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    pub(crate) fn warn(&mut self, text: String) {
        self.events.push_back(Event::Warning(text));
    }

    /// Ends the connection: drop per-connection state (and, with a clean session, the
    /// session), then tell the application. `Closed` is the connection's last event.
    pub(crate) fn close(&mut self, reason: CloseReason) {
        // MQTT 5: tell the broker why before closing for its error [MQTT-4.13.1-1].
        if let CloseReason::Protocol(error) = &reason {
            if self.options.protocol == ProtocolVersion::V5 && self.phase() == Phase::Connected {
                let disconnect = Disconnect::with_reason(error.reason_code());
                let now = self
                    .link
                    .as_ref()
                    .map_or(Instant::from_millis(0), |l| l.last_sent);
                self.send(now, &Packet::Disconnect(disconnect), PacketKind::Disconnect);
            }
        }
        self.link = None;
        self.connection_ended();
        self.events.push_back(Event::Closed(reason));
    }
}

/// A PUBLISH for an outgoing message of the store.
pub(crate) fn outgoing_publish(pkid: u16, message: Outgoing, dup: bool) -> Publish {
    Publish {
        dup,
        qos: message.qos,
        retain: message.retain,
        topic: message.topic,
        pkid,
        payload: message.payload,
        properties: message.properties,
    }
}

impl Session {
    /// Remembers the client id an MQTT 5 broker assigned.
    pub(crate) fn set_assigned_client_id(&mut self, id: String) {
        self.assigned_client_id = Some(id);
    }
}
