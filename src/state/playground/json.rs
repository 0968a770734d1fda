//! The JSON consumer's memory: every message decoded as a reading, or kept as an error row
//! with its raw bytes (never dropped).

use std::collections::VecDeque;

use devices::MessageDescriptor;

use super::SHOWN_ENTRIES;
use crate::state::log::PayloadView;

/// One row of the JSON consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodedRow {
    Reading {
        n: u64,
        topic: String,
        reading: MessageDescriptor,
    },
    Error {
        n: u64,
        topic: String,
        error: String,
        raw: String,
    },
}

impl DecodedRow {
    /// The row's number, its key in the list.
    pub fn n(&self) -> u64 {
        match self {
            DecodedRow::Reading { n, .. } | DecodedRow::Error { n, .. } => *n,
        }
    }
}

/// Counts and the newest rows.
#[derive(Debug, Default, PartialEq)]
pub struct Decoded {
    pub ok: u64,
    pub errors: u64,
    /// Newest first, at most [`SHOWN_ENTRIES`].
    pub rows: VecDeque<DecodedRow>,
}

impl Decoded {
    pub fn record(&mut self, topic: String, payload: &[u8]) {
        let n = self.ok + self.errors + 1;
        let row = match MessageDescriptor::from_json(payload) {
            Ok(reading) => {
                self.ok += 1;
                DecodedRow::Reading { n, topic, reading }
            }
            Err(e) => {
                self.errors += 1;
                DecodedRow::Error {
                    n,
                    topic,
                    error: e.to_string(),
                    raw: PayloadView::of(payload, 300).text().to_string(),
                }
            }
        };
        if self.rows.len() == SHOWN_ENTRIES {
            self.rows.pop_back();
        }
        self.rows.push_front(row);
    }

    /// "3 readings decoded, 1 errors".
    pub fn summary(&self) -> String {
        format!("{} readings decoded, {} errors", self.ok, self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_decode_and_anything_else_is_an_error_row_with_its_bytes() {
        let mut d = Decoded::default();
        let good = MessageDescriptor::new(1, "temperature", 21.5).to_json();
        d.record("t".into(), good.as_bytes());
        d.record("t".into(), b"{\"value\": }");
        assert_eq!((d.ok, d.errors), (1, 1));
        assert!(
            matches!(&d.rows[0], DecodedRow::Error { raw, n: 2, .. } if raw == "{\"value\": }")
        );
        assert!(matches!(&d.rows[1], DecodedRow::Reading { reading, .. } if reading.value == 21.5));
        assert_eq!(d.summary(), "1 readings decoded, 1 errors");
    }
}
