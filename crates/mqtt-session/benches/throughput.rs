//! How many messages per second the session decodes and acknowledges, with no IO.
//!
//! `cargo bench -p mqtt-session`: prints messages/s for QoS 0 and QoS 1 inbound floods,
//! fed in 16 KiB chunks (a typical WebSocket read), and for QoS 0 outbound encoding.
//! Numbers, not assertions: compare runs on the same machine.

use std::hint::black_box;
use std::time::Instant as Clock;

use bytes::{Bytes, BytesMut};
use mqtt_session::{ConnectOptions, Instant, Output, QoS, Session};
use mqttbytes::v4::{self, ConnectReturnCode, Packet};

const MESSAGES: u32 = 200_000;

/// Encodes a packet as the broker would (mqttbytes v4, not the session's codec).
fn encode(packet: &Packet) -> Result<Bytes, mqttbytes::Error> {
    let mut out = BytesMut::new();
    match packet {
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::Publish(p) => p.write(&mut out),
        other => unreachable!("the bench sends no {other:?}"),
    }?;
    Ok(out.freeze())
}

fn connected() -> Session {
    let mut s = Session::new(ConnectOptions::new("bench")).expect("options");
    let now = Instant::from_millis(0);
    s.handle_transport_open(now);
    drain(&mut s);
    let ack = encode(&Packet::ConnAck(v4::ConnAck::new(
        ConnectReturnCode::Success,
        false,
    )))
    .expect("connack");
    s.handle_bytes(now, &ack);
    drain(&mut s);
    s
}

fn drain(s: &mut Session) -> (u32, u32) {
    let (mut transmits, mut events) = (0, 0);
    loop {
        match s.poll_output() {
            Output::Transmit(b) => {
                black_box(b);
                transmits += 1;
            }
            Output::Event(e) => {
                black_box(e);
                events += 1;
            }
            Output::Timeout(_) | Output::Idle => return (transmits, events),
        }
    }
}

fn inbound(qos: QoS) {
    let mut stream = Vec::new();
    for i in 0..MESSAGES {
        let mut p = v4::Publish::new(
            "sensor/temperature",
            qos.into(),
            format!("{}", 20.0 + f64::from(i % 100) / 10.0),
        );
        p.pkid = if qos == QoS::AtMostOnce {
            0
        } else {
            (i % 65_535 + 1) as u16
        };
        stream.extend_from_slice(&encode(&Packet::Publish(p)).expect("publish"));
    }
    let mut s = connected();
    let start = Clock::now();
    let mut delivered = 0;
    for chunk in stream.chunks(16 * 1024) {
        s.handle_bytes(Instant::from_millis(1), chunk);
        delivered += drain(&mut s).1;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(delivered, MESSAGES);
    println!(
        "inbound  QoS {}: {:>10.0} messages/s ({MESSAGES} in {:.3} s, {:.1} MB/s)",
        qos as u8,
        f64::from(MESSAGES) / secs,
        secs,
        stream.len() as f64 / secs / 1e6
    );
}

fn outbound() {
    let mut s = connected();
    let payload = Bytes::from_static(b"21.5");
    let start = Clock::now();
    let mut sent = 0;
    for _ in 0..MESSAGES {
        s.publish(
            Instant::from_millis(1),
            "sensor/temperature",
            payload.clone(),
            QoS::AtMostOnce,
            false,
        )
        .expect("publish");
        sent += drain(&mut s).0;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(sent, MESSAGES);
    println!(
        "outbound QoS 0: {:>10.0} messages/s",
        f64::from(MESSAGES) / secs
    );
}

fn main() {
    inbound(QoS::AtMostOnce);
    inbound(QoS::AtLeastOnce);
    outbound();
}
