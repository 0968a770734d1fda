//! The benchmark's native MQTT 3.1.1 peers over plain TCP (std only): a publisher that floods
//! QoS 0 messages (as fast as the socket takes them, or paced), and a subscriber that counts
//! arrivals. Just enough of the protocol for that; the app's own session is not involved.

use crate::Res;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the clock the browser's `performance.timeOrigin +
/// performance.now()` reads too, so times taken here and in the page compare.
pub fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn remaining_length(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn packet(out: &mut Vec<u8>, first: u8, body: &[u8]) {
    out.push(first);
    remaining_length(out, body.len());
    out.extend_from_slice(body);
}

/// Appends one QoS 0 PUBLISH.
pub fn publish_qos0(out: &mut Vec<u8>, topic: &str, payload: &[u8]) {
    out.push(0x30);
    remaining_length(out, 2 + topic.len() + payload.len());
    string(out, topic);
    out.extend_from_slice(payload);
}

/// The flood's payload for message `n`: a small JSON reading, like a sensor's.
pub fn flood_payload(n: u32) -> String {
    format!(
        "{{\"seq\":{n},\"temp\":{:.1}}}",
        20.0 + f64::from(n % 100) / 10.0
    )
}

/// Reads one whole packet: (first byte, body).
fn read_packet(stream: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first)?;
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b)?;
        len |= usize::from(b[0] & 0x7f) << shift;
        shift += 7;
        if b[0] & 0x80 == 0 || shift > 21 {
            break;
        }
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body)?;
    Ok((first[0], body))
}

/// A connected MQTT 3.1.1 client (clean session, keep alive 0: no pings needed).
fn connect(addr: &str, client_id: &str, login: Option<(&str, &str)>) -> Res<TcpStream> {
    let mut stream =
        TcpStream::connect(addr).map_err(|e| format!("cannot reach the broker at {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let mut body = Vec::new();
    string(&mut body, "MQTT");
    body.push(4);
    body.push(0x02 | if login.is_some() { 0xc0 } else { 0 });
    body.extend_from_slice(&0u16.to_be_bytes());
    string(&mut body, client_id);
    if let Some((user, password)) = login {
        string(&mut body, user);
        string(&mut body, password);
    }
    let mut out = Vec::new();
    packet(&mut out, 0x10, &body);
    stream
        .write_all(&out)
        .map_err(|e| format!("CONNECT to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| format!("read timeout: {e}"))?;
    let (first, body) =
        read_packet(&mut stream).map_err(|e| format!("CONNACK from {addr}: {e}"))?;
    if first != 0x20 || body.len() != 2 || body[1] != 0 {
        return Err(format!(
            "the broker at {addr} refused the connection (packet {first:#x}, {body:?})"
        ));
    }
    Ok(stream)
}

/// What a flood did, in epoch milliseconds.
pub struct Flood {
    pub start_ms: f64,
    pub end_ms: f64,
}

/// Publishes `count` QoS 0 messages on `topic` (payloads from [`flood_payload`]), as fast as
/// the socket takes them (`rate` 0) or paced at `rate` messages per second (in 10 ms steps).
pub fn flood(
    addr: &str,
    login: Option<(&str, &str)>,
    topic: &str,
    count: u32,
    rate: u32,
) -> Res<Flood> {
    let mut stream = connect(addr, &format!("bench-pub-{}", std::process::id()), login)?;
    let step = Duration::from_millis(10);
    let per_step = if rate == 0 { 1000 } else { (rate / 100).max(1) };
    let mut out = Vec::with_capacity(per_step as usize * 64);
    let started = Instant::now();
    let start_ms = epoch_ms();
    let mut sent = 0u32;
    let mut steps = 0u32;
    while sent < count {
        out.clear();
        let batch_end = (sent + per_step).min(count);
        for n in sent..batch_end {
            publish_qos0(&mut out, topic, flood_payload(n).as_bytes());
        }
        stream
            .write_all(&out)
            .map_err(|e| format!("the flood stopped after {sent} messages: {e}"))?;
        sent = batch_end;
        steps += 1;
        if rate > 0 {
            let due = started + step * steps;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
        }
    }
    let end_ms = epoch_ms();
    // A clean end: DISCONNECT, then let the broker read everything before the socket closes.
    let _ = stream.write_all(&[0xe0, 0]);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 64];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    Ok(Flood { start_ms, end_ms })
}

#[derive(Default, Clone, Copy)]
pub struct Arrivals {
    pub count: u64,
    pub first_ms: f64,
    pub last_ms: f64,
}

/// A subscriber (QoS 0) counting the PUBLISHes it receives, on a thread of its own.
pub struct Counter {
    arrivals: Arc<Mutex<Arrivals>>,
    stop: Arc<AtomicBool>,
    stream: TcpStream,
    thread: Option<JoinHandle<()>>,
}

impl Counter {
    /// Connects, subscribes to `topic` and returns once the SUBACK arrived.
    pub fn start(addr: &str, login: Option<(&str, &str)>, topic: &str) -> Res<Counter> {
        let mut stream = connect(addr, &format!("bench-sub-{}", std::process::id()), login)?;
        let mut body = Vec::new();
        body.extend_from_slice(&1u16.to_be_bytes());
        string(&mut body, topic);
        body.push(0);
        let mut out = Vec::new();
        packet(&mut out, 0x82, &body);
        stream
            .write_all(&out)
            .map_err(|e| format!("SUBSCRIBE: {e}"))?;
        let (first, body) = read_packet(&mut stream).map_err(|e| format!("SUBACK: {e}"))?;
        if first != 0x90 || body.get(2) != Some(&0) {
            return Err(format!("the broker refused the subscription to {topic}"));
        }
        // Blocking reads from now on (a timeout could cut a packet in half); dropping the
        // counter shuts the socket down, which ends the reader.
        stream
            .set_read_timeout(None)
            .map_err(|e| format!("read timeout: {e}"))?;
        let arrivals = Arc::new(Mutex::new(Arrivals::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = stream
            .try_clone()
            .map_err(|e| format!("cannot share the socket: {e}"))?;
        let thread = {
            let (arrivals, stop) = (arrivals.clone(), stop.clone());
            thread::spawn(move || count_publishes(reader, &arrivals, &stop))
        };
        Ok(Counter {
            arrivals,
            stop,
            stream,
            thread: Some(thread),
        })
    }

    pub fn arrivals(&self) -> Arrivals {
        *self.arrivals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `expected` messages arrived, or none did for `idle`.
    pub fn wait(&self, expected: u64, idle: Duration) -> Arrivals {
        let mut last = (0, Instant::now());
        loop {
            let now = self.arrivals();
            if now.count >= expected || crate::proc::interrupted() {
                return now;
            }
            if now.count != last.0 {
                last = (now.count, Instant::now());
            } else if last.1.elapsed() >= idle {
                return now;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.stream.write_all(&[0xe0, 0]);
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The subscriber's reader: parses packets off a buffered stream; PUBLISH (type 3) counts.
fn count_publishes(stream: TcpStream, arrivals: &Mutex<Arrivals>, stop: &AtomicBool) {
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut pending = 0u64;
    let mut first = 0.0;
    while !stop.load(Ordering::SeqCst) {
        match read_packet(&mut reader) {
            Ok((byte, _)) if byte >> 4 == 3 => {
                if first == 0.0 {
                    first = epoch_ms();
                }
                pending += 1;
                // Publish the tally every 256 messages and whenever the stream pauses.
                if pending.is_multiple_of(256) || reader.buffer().is_empty() {
                    let mut a = arrivals.lock().unwrap_or_else(|e| e.into_inner());
                    a.count = pending;
                    a.first_ms = first;
                    a.last_ms = epoch_ms();
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}
