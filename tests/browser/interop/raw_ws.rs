//! What `MqttClient` never does, for the broker matrix: a raw browser WebSocket that vanishes
//! without DISCONNECT, sends two packets in one message and shows how the broker frames its
//! packets, with just enough MQTT 3.1.1 encoding for that.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use super::within;

/// A raw browser WebSocket (subprotocol `mqtt`) for what `MqttClient` never does: vanish
/// without DISCONNECT, send two packets in one message, and show the broker's framing.
pub struct RawWs {
    socket: WebSocket,
    pub frames: Rc<RefCell<Vec<Vec<u8>>>>,
    pub split: Rc<Cell<bool>>,
    pub coalesced: Rc<Cell<bool>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl RawWs {
    pub async fn open(url: &str) -> Result<Self, String> {
        let socket = WebSocket::new_with_str(url, "mqtt").map_err(|e| format!("{e:?}"))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let frames: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
        let sink = frames.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(buffer) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
                sink.borrow_mut()
                    .push(js_sys::Uint8Array::new(&buffer).to_vec());
            }
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let raw = Self {
            socket,
            frames,
            split: Rc::default(),
            coalesced: Rc::default(),
            _on_message: on_message,
        };
        let opened = within(10.0, || raw.socket.ready_state() != WebSocket::CONNECTING).await;
        if !opened || raw.socket.ready_state() != WebSocket::OPEN {
            return Err("the WebSocket did not open".into());
        }
        Ok(raw)
    }

    pub fn send(&self, bytes: &[u8]) {
        if let Err(e) = self.socket.send_with_u8_array(bytes) {
            web_sys::console::warn_1(&e);
        }
    }

    /// Waits until `n` whole packets arrived (or `seconds` passed) and returns them, noting
    /// whether a packet spanned messages or a message held several packets.
    pub async fn packets(&self, n: usize, seconds: f64) -> Vec<Vec<u8>> {
        let mut packets = Vec::new();
        within(seconds, || {
            packets = self.parse();
            packets.len() >= n
        })
        .await;
        packets
    }

    fn parse(&self) -> Vec<Vec<u8>> {
        let frames = self.frames.borrow();
        let mut bytes = Vec::new();
        let mut boundaries = Vec::new(); // where each message ended
        for frame in frames.iter() {
            bytes.extend_from_slice(frame);
            boundaries.push(bytes.len());
        }
        let mut packets = Vec::new();
        let mut at = 0;
        while let Some(len) = mqtt311::packet_len(&bytes[at..]) {
            packets.push(bytes[at..at + len].to_vec());
            at += len;
            // A message boundary strictly inside this packet: it was split.
            let start = at - len;
            if boundaries.iter().any(|b| *b > start && *b < at) {
                self.split.set(true);
            }
        }
        // A message holding more than one packet start: coalesced.
        let mut starts = vec![0];
        let mut p = 0;
        while let Some(len) = mqtt311::packet_len(&bytes[p..]) {
            p += len;
            starts.push(p);
        }
        let mut previous = 0;
        for end in boundaries {
            if starts
                .iter()
                .filter(|s| **s >= previous && **s < end)
                .count()
                > 1
            {
                self.coalesced.set(true);
            }
            previous = end;
        }
        packets
    }

    pub fn close(&self) {
        self.socket.set_onmessage(None);
        if let Err(e) = self.socket.close() {
            web_sys::console::warn_1(&e);
        }
    }
}

/// Just enough MQTT 3.1.1 encoding for the raw WebSocket checks.
pub mod mqtt311 {
    fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let mut byte = (n % 128) as u8;
            n /= 128;
            if n > 0 {
                byte |= 0x80;
            }
            out.push(byte);
            if n == 0 {
                return;
            }
        }
    }

    fn string(s: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    }

    fn packet(first: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![first];
        remaining_length(body.len(), &mut out);
        out.extend(body);
        out
    }

    /// CONNECT, clean session, keepalive 30 s, with an optional login and will (topic,
    /// payload, QoS).
    pub fn connect(
        client_id: &str,
        login: Option<&(String, String)>,
        will: Option<(&str, &[u8], u8)>,
    ) -> Vec<u8> {
        let mut flags = 0x02;
        if let Some((_, _, qos)) = will {
            flags |= 0x04 | (qos << 3);
        }
        if login.is_some() {
            flags |= 0xC0;
        }
        let mut body = Vec::new();
        string(b"MQTT", &mut body);
        body.extend_from_slice(&[4, flags, 0, 30]);
        string(client_id.as_bytes(), &mut body);
        if let Some((topic, payload, _)) = will {
            string(topic.as_bytes(), &mut body);
            string(payload, &mut body);
        }
        if let Some((user, password)) = login {
            string(user.as_bytes(), &mut body);
            string(password.as_bytes(), &mut body);
        }
        packet(0x10, body)
    }

    pub fn subscribe(pkid: u16, filter: &str) -> Vec<u8> {
        let mut body = pkid.to_be_bytes().to_vec();
        string(filter.as_bytes(), &mut body);
        body.push(0);
        packet(0x82, body)
    }

    pub fn publish0(topic: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        string(topic.as_bytes(), &mut body);
        body.extend_from_slice(payload);
        packet(0x30, body)
    }

    /// The length of the whole packet at the start of `bytes`, if all of it is there.
    pub fn packet_len(bytes: &[u8]) -> Option<usize> {
        let mut remaining = 0usize;
        for i in 1..=4 {
            let byte = *bytes.get(i)?;
            remaining |= usize::from(byte & 0x7f) << (7 * (i - 1));
            if byte & 0x80 == 0 {
                let len = 1 + i + remaining;
                return (bytes.len() >= len).then_some(len);
            }
        }
        None
    }
}
