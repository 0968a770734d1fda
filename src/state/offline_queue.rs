//! Messages published while the connection is down, sent when it is back: bounded (by count
//! and bytes), visible, and droppable. QoS 0 is "at most once": queueing it is the user's
//! choice, off by default.

use std::collections::VecDeque;

use bytes::Bytes;
use mqtt_session::{PublishProperties, QoS};

/// Default bounds: 1,000 messages or 1 MiB of payload, whichever comes first.
pub const MAX_MESSAGES: usize = 1_000;
pub const MAX_BYTES: usize = 1 << 20;

/// One message waiting for the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 properties (empty under 3.1.1).
    pub properties: PublishProperties,
}

/// Why a message was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("not connected: a QoS 0 message is not queued while offline (tick “queue QoS 0 too” to queue it, or publish at QoS 1)")]
    AtMostOnce,
    #[error("not queued: the offline queue is full ({messages} messages, {bytes} bytes; at most {MAX_MESSAGES} messages or {MAX_BYTES} bytes): drop it or wait for the connection")]
    Full { messages: usize, bytes: usize },
}

/// The queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfflineQueue {
    items: VecDeque<Queued>,
    bytes: usize,
    /// Queue QoS 0 messages too.
    pub at_most_once_too: bool,
}

impl OfflineQueue {
    /// Queues a message; its place in the queue (1-based).
    pub fn push(&mut self, message: Queued) -> Result<usize, QueueError> {
        if message.qos == QoS::AtMostOnce && !self.at_most_once_too {
            return Err(QueueError::AtMostOnce);
        }
        let size = message.topic.len() + message.payload.len();
        if self.items.len() >= MAX_MESSAGES || self.bytes + size > MAX_BYTES {
            return Err(QueueError::Full {
                messages: self.items.len(),
                bytes: self.bytes,
            });
        }
        self.bytes += size;
        self.items.push_back(message);
        Ok(self.items.len())
    }

    /// Everything queued, oldest first; the queue is empty afterwards.
    pub fn take(&mut self) -> Vec<Queued> {
        self.bytes = 0;
        self.items.drain(..).collect()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Topic and payload bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(qos: QoS, size: usize) -> Queued {
        Queued {
            topic: String::new(),
            payload: Bytes::from(vec![0; size]),
            qos,
            retain: false,
            properties: PublishProperties::default(),
        }
    }

    #[test]
    fn qos_0_is_queued_only_when_the_user_asks() {
        let mut q = OfflineQueue::default();
        assert_eq!(
            q.push(message(QoS::AtMostOnce, 1)),
            Err(QueueError::AtMostOnce)
        );
        q.at_most_once_too = true;
        assert_eq!(q.push(message(QoS::AtMostOnce, 1)), Ok(1));
    }

    #[test]
    fn the_queue_refuses_beyond_its_count_and_its_bytes_and_says_so() {
        let mut q = OfflineQueue::default();
        for _ in 0..MAX_MESSAGES {
            q.push(message(QoS::AtLeastOnce, 0)).unwrap();
        }
        let full = q.push(message(QoS::AtLeastOnce, 0)).unwrap_err();
        assert!(full.to_string().contains("full"), "{full}");
        let mut q = OfflineQueue::default();
        q.push(message(QoS::ExactlyOnce, MAX_BYTES)).unwrap();
        assert!(matches!(
            q.push(message(QoS::AtLeastOnce, 1)),
            Err(QueueError::Full { .. })
        ));
    }

    #[test]
    fn taking_the_queue_keeps_the_order_and_empties_it() {
        let mut q = OfflineQueue::default();
        for size in [1, 2, 3] {
            q.push(message(QoS::AtLeastOnce, size)).unwrap();
        }
        assert_eq!(q.bytes(), 6);
        let sizes: Vec<usize> = q.take().iter().map(|m| m.payload.len()).collect();
        assert_eq!(sizes, [1, 2, 3]);
        assert!(q.is_empty() && q.bytes() == 0);
    }
}
