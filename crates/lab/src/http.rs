//! The one place HTTP/1.x request heads are read and parsed: enough of HTTP for the lab's
//! WebSocket port to tell a WebSocket upgrade from a request for one of the app's files.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest request head (request line + headers) read before deciding; browsers send ~1 KiB.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// What arrived first on a connection.
pub(crate) enum Arrival {
    /// A complete request head; `bytes` holds everything read so far (the head and maybe more).
    Request { head: RequestHead, bytes: Vec<u8> },
    /// No `\r\n\r\n` within [`MAX_HEAD`] bytes.
    TooLarge,
    /// Not an HTTP request line.
    Malformed,
    /// The peer closed (or reset) before sending a whole head, e.g. a readiness probe.
    Closed,
}

/// Reads until the end of the request head. Any time limit is the caller's.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Arrival {
    let mut bytes = vec![0; MAX_HEAD];
    let mut len = 0;
    loop {
        let n = match stream.read(&mut bytes[len..]).await {
            Ok(0) | Err(_) => return Arrival::Closed,
            Ok(n) => n,
        };
        // The terminator may straddle two reads.
        let from = len.saturating_sub(3);
        len += n;
        if let Some(end) = find(&bytes[from..len], b"\r\n\r\n") {
            bytes.truncate(len);
            return match RequestHead::parse(&bytes[..from + end]) {
                Some(head) => Arrival::Request { head, bytes },
                None => Arrival::Malformed,
            };
        }
        if len == MAX_HEAD {
            return Arrival::TooLarge;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of an HTTP/1.x request head the lab looks at.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    /// The request target as sent (path and query), e.g. `/index.html?v=1`.
    pub(crate) target: String,
    headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Parses `METHOD TARGET HTTP/x.y` and the header lines; None if it is not HTTP/1.x.
    fn parse(head: &[u8]) -> Option<Self> {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let mut request_line = lines.next()?.split(' ');
        let (method, target, version) = (
            request_line.next()?,
            request_line.next()?,
            request_line.next()?,
        );
        if request_line.next().is_some() || method.is_empty() || !version.starts_with("HTTP/1.") {
            return None;
        }
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Some(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
        })
    }

    /// True for `Upgrade: websocket` (header name and value case-insensitive; the value may
    /// list several protocols).
    pub(crate) fn is_websocket_upgrade(&self) -> bool {
        self.headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("upgrade"))
            .flat_map(|(_, value)| value.split(','))
            .any(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    /// Feeds `chunks` to [`read_request`], each as a separate read.
    async fn arrival(chunks: &[&[u8]]) -> Arrival {
        let mut stream = chunks.iter().fold(
            Box::new(tokio::io::empty()) as Box<dyn AsyncRead + Unpin>,
            |stream, chunk| Box::new(stream.chain(io::Cursor::new(chunk.to_vec()))),
        );
        read_request(&mut stream).await
    }

    #[tokio::test]
    async fn upgrade_is_found_across_split_reads() {
        let request: &[&[u8]] = &[
            b"GET /mqtt HTTP/1.1\r\nHost: x\r\nupGrade: WebSocket\r",
            b"\n\r\n",
        ];
        let Arrival::Request { head, bytes } = arrival(request).await else {
            panic!("expected a request");
        };
        assert!(head.is_websocket_upgrade());
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/mqtt");
        assert_eq!(bytes, request.concat());
    }

    #[tokio::test]
    async fn plain_requests_and_other_upgrades_are_not_websocket() {
        for request in [
            &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
        ] {
            let Arrival::Request { head, .. } = arrival(&[request]).await else {
                panic!("expected a request");
            };
            assert!(!head.is_websocket_upgrade());
        }
    }

    #[tokio::test]
    async fn garbage_long_heads_and_early_close_are_told_apart() {
        assert!(matches!(
            arrival(&[b"\x10\x0c\x00\x04MQTT\r\n\r\n"]).await,
            Arrival::Malformed
        ));
        assert!(matches!(
            arrival(&[b"GET / HTTP/1.1\r\n"]).await,
            Arrival::Closed
        ));
        let long = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(arrival(&[&long]).await, Arrival::TooLarge));
    }
}
