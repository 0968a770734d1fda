//! A sans-IO MQTT 3.1.1 and 5.0 client session.
//!
//! This crate is the whole client side of the protocol and nothing else: it performs
//! **no networking and reads no clock**. Bytes received, user commands, timeouts and
//! transport events go in; bytes to send, events for the application and the next
//! deadline come out. The same [`Session`] drives a browser WebSocket, a native TCP
//! socket or an in-memory test peer with a virtual clock.
//!
//! # Driving a session
//!
//! ```
//! use mqtt_session::{ConnectOptions, Instant, Output, Session};
//!
//! let mut session = Session::new(ConnectOptions::new("client-1")).unwrap();
//! let now = Instant::from_millis(0);
//! // The transport (WebSocket, TCP…) is open: the session queues a CONNECT.
//! session.handle_transport_open(now);
//! loop {
//!     match session.poll_output() {
//!         Output::Transmit(packet) => { /* send `packet` as ONE WebSocket message */ let _ = packet; }
//!         Output::Event(event) => { /* update the UI */ let _ = event; }
//!         Output::Timeout(at) => { /* call handle_timeout(at) when the clock reaches it */ let _ = at; break; }
//!         Output::Idle => break,
//!     }
//! }
//! ```
//!
//! **After every input (`handle_*` or a command), drain [`Session::poll_output`] until it
//! returns [`Output::Timeout`] or [`Output::Idle`].** Outputs come in a fixed order:
//! every queued transmit first, then events, then the deadline, so a final DISCONNECT is
//! handed out before the [`Event::Closed`] that tells the IO layer to close the transport.
//!
//! # What outlives a connection
//!
//! State that must survive a reconnect (packet identifiers, messages in flight,
//! subscriptions, QoS 2 ids awaiting PUBREL) lives in [`store`], apart from what belongs
//! to one connection (receive buffer, keepalive deadlines, topic aliases, what CONNACK
//! said) in the session's connection record. The session works on its own packet types
//! ([`packet`]); the codec (`mqttbytes`, v4 and v5) is confined to [`codec`].
//!
//! # MQTT 3.1.1 and 5.0
//!
//! [`ConnectOptions::protocol`] picks the wire version; the phases, QoS flows and resume
//! rules are the same code. Under MQTT 5 the session also honours what CONNACK says
//! (receive maximum, maximum QoS, retain available, maximum packet size, server keep
//! alive, assigned client id, wildcard / shared / subscription-identifier availability;
//! see [`ConnectionInfo`]), resolves inbound topic aliases, reports reason codes
//! ([`Event::PublishOutcome`], [`SubscribeResult::Refused`], [`CloseReason`]) and sends
//! DISCONNECT with a reason when it closes for a broker's error.
//!
//! Keep one `Session` for as long as the user means the same client, and hand it each new
//! transport. With clean session off, a CONNACK with session present resends every
//! unacknowledged PUBLISH (DUP set, same packet id, first-sent order), then the PUBRELs
//! awaiting PUBCOMP, then the queue. When the session is gone instead (clean session on:
//! at the end of each connection; otherwise a CONNACK with session present 0), every
//! outgoing message not completed is reported as an [`Event::Abandoned`] message, which
//! the application may publish again. Pending (UN)SUBSCRIBEs are forgotten at every close:
//! subscribe again after `Event::Connected`.
//!
//! To outlive the process too (a reloaded page), save [`Session::snapshot`] whenever
//! [`Session::store_revision`] changed, before transmitting what the session queued, and
//! start the next process with [`Session::with_snapshot`].
//!
//! # Reconnecting
//!
//! [`Reconnect`] is the policy that decides when the caller opens the next transport
//! (exponential backoff with jitter, an immediate try when the network comes back, no
//! retry after the user's disconnect or a refusal that cannot heal). It is as pure as
//! the session: feed it the session's `Connected` and `Closed` events with `now`.

pub mod codec;
mod commands;
mod connection_info;
mod error;
mod event;
mod fixed_header;
mod inbound;
mod options;
pub mod packet;
mod qos_check;
mod reason;
mod reconnect;
mod resume;
mod session;
mod snapshot;
pub mod store;
mod time;
pub mod topic;

pub use connection_info::ConnectionInfo;
pub use error::{CloseReason, CommandError, ConnectRefusal, OptionsError, ProtocolError};
pub use event::{Direction, Event, Message, Output, PacketKind, PublishOutcome, SubscribeResult};
pub use options::{
    ConnectOptions, Credentials, LastWill, DEFAULT_MAX_INBOUND_PACKET, DEFAULT_MAX_INFLIGHT,
};
pub use packet::{
    ConnAckProperties, ConnectProperties, ProtocolVersion, PublishProperties, QoS, RetainHandling,
    SubscribeProperties, Subscription, UserProperty, WillProperties,
};
pub use reason::ReasonCode;
pub use reconnect::{Reconnect, ReconnectOutput, ReconnectPolicy, ReconnectState, Stop};
pub use resume::{AbandonReason, Abandoned};
pub use session::{Phase, Session};
pub use snapshot::{SnapshotError, StoreSnapshot, SNAPSHOT_VERSION};
pub use time::Instant;
