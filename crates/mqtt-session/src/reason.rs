//! MQTT 5 reason codes (and MQTT 3.1.1's return codes, mapped onto them), each with a
//! sentence a user can act on.
//!
//! A code below 0x80 is a success (or a success with a remark, like 0x10 "no matching
//! subscribers"); 0x80 and above is a failure [MQTT-2.4].

/// One reason code byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    pub const DISCONNECT_WITH_WILL: ReasonCode = ReasonCode(0x04);
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);

    /// 0x80 and above.
    pub fn is_failure(self) -> bool {
        self.0 >= 0x80
    }

    /// The name the MQTT 5 specification gives the code (table 2-6), lower case.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "success",
            0x01 => "granted QoS 1",
            0x02 => "granted QoS 2",
            0x04 => "disconnect with will message",
            0x10 => "no matching subscribers",
            0x11 => "no subscription existed",
            0x18 => "continue authentication",
            0x19 => "re-authenticate",
            0x80 => "unspecified error",
            0x81 => "malformed packet",
            0x82 => "protocol error",
            0x83 => "implementation specific error",
            0x84 => "unsupported protocol version",
            0x85 => "client identifier not valid",
            0x86 => "bad user name or password",
            0x87 => "not authorized",
            0x88 => "server unavailable",
            0x89 => "server busy",
            0x8A => "banned",
            0x8B => "server shutting down",
            0x8C => "bad authentication method",
            0x8D => "keep alive timeout",
            0x8E => "session taken over",
            0x8F => "topic filter invalid",
            0x90 => "topic name invalid",
            0x91 => "packet identifier in use",
            0x92 => "packet identifier not found",
            0x93 => "receive maximum exceeded",
            0x94 => "topic alias invalid",
            0x95 => "packet too large",
            0x96 => "message rate too high",
            0x97 => "quota exceeded",
            0x98 => "administrative action",
            0x99 => "payload format invalid",
            0x9A => "retain not supported",
            0x9B => "QoS not supported",
            0x9C => "use another server",
            0x9D => "server moved",
            0x9E => "shared subscriptions not supported",
            0x9F => "connection rate exceeded",
            0xA0 => "maximum connect time",
            0xA1 => "subscription identifiers not supported",
            0xA2 => "wildcard subscriptions not supported",
            _ => "unknown reason code",
        }
    }

    /// What the user can do about it, when there is something to say beyond the name.
    pub fn advice(self) -> Option<&'static str> {
        Some(match self.0 {
            0x10 => "the broker accepted the message, but nobody is subscribed to this topic",
            0x11 => "there was no such subscription to remove",
            0x80 | 0x83 => "the broker gave no detail; its log may say more",
            0x84 => "this broker does not speak this MQTT version; choose the other one",
            0x85 => "the broker rejected the client id; try another one",
            0x86 => "check the user name and password",
            0x87 => "the broker's access rules (ACL) do not allow this user to do this",
            0x88 | 0x89 => "the broker cannot serve now; try again later",
            0x8A => "this client is banned by the broker",
            0x8B => "the broker is shutting down",
            0x8C => "the broker wants an authentication method this client does not use",
            0x8D => "the broker heard nothing within the keepalive interval",
            0x8E => "another client connected with the same client id",
            0x8F => "the broker does not accept this topic filter",
            0x90 => "the broker does not accept this topic name",
            0x91 => "the broker still holds this packet id",
            0x92 => "the broker did not know this packet id",
            0x93 => "this client sent more QoS 1/2 messages at once than the broker allows",
            0x94 => "a topic alias was out of range or unknown",
            0x95 => "the packet is larger than the broker accepts",
            0x96 => "slow down: the broker limits the message rate",
            0x97 => "a quota of the broker is used up",
            0x98 => "an administrator closed this connection",
            0x99 => "the payload does not match its declared format (UTF-8)",
            0x9A => "this broker does not keep retained messages; publish without retain",
            0x9B => "this broker does not support this QoS; use a lower one",
            0x9C | 0x9D => "the broker points to another server",
            0x9E => "this broker does not support shared subscriptions ($share/…)",
            0x9F => "too many connections in a short time; wait before reconnecting",
            0xA0 => "the broker limits how long a connection may last",
            0xA1 => "this broker does not support subscription identifiers",
            0xA2 => "this broker does not support wildcards (+, #) in filters",
            _ => return None,
        })
    }

    /// MQTT 3.1.1 CONNACK return codes 1–5, mapped to MQTT 5 codes.
    pub fn from_v311_connack(code: u8) -> ReasonCode {
        ReasonCode(match code {
            0 => 0x00,
            1 => 0x84,
            2 => 0x85,
            3 => 0x88,
            4 => 0x86,
            5 => 0x87,
            _ => 0x80,
        })
    }
}

impl core::fmt::Display for ReasonCode {
    /// "0x87 not authorized: the broker's access rules (ACL) do not allow this user to do
    /// this".
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#04x} {}", self.0, self.name())?;
        if let Some(advice) = self.advice() {
            write!(f, ": {advice}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_start_at_0x80() {
        assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.is_failure());
        assert!(ReasonCode::UNSPECIFIED_ERROR.is_failure());
    }

    #[test]
    fn the_acl_refusal_reads_as_a_sentence() {
        assert_eq!(
            ReasonCode::NOT_AUTHORIZED.to_string(),
            "0x87 not authorized: the broker's access rules (ACL) do not allow this user to do this"
        );
        assert_eq!(ReasonCode(0x42).to_string(), "0x42 unknown reason code");
    }

    #[test]
    fn v311_return_codes_map_to_the_v5_codes_of_the_same_meaning() {
        let names: Vec<_> = (0..=6)
            .map(|c| ReasonCode::from_v311_connack(c).name())
            .collect();
        assert_eq!(
            names,
            [
                "success",
                "unsupported protocol version",
                "client identifier not valid",
                "server unavailable",
                "bad user name or password",
                "not authorized",
                "unspecified error"
            ]
        );
    }
}
