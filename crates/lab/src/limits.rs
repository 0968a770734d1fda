//! Size limits shared by the broker and the WebSocket listeners, so that what the bridge lets
//! through is what rumqttd accepts.

/// Largest MQTT packet (its "remaining length") a client may send; rumqttd closes the
/// connection on anything bigger. 2 MiB so a 1 MiB payload plus topic and headers fits easily.
pub const MAX_PACKET_SIZE: usize = 2 * 1024 * 1024;
