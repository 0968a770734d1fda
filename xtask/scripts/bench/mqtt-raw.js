// Hand-written MQTT 3.1.1 over WebSocket for the benchmark's ceiling pages (no library):
// packet builders and a receive-side framer that handles several packets per WebSocket
// message and packets split across messages.
"use strict";

const benchEncoder = new TextEncoder();

function mqttString(s) {
  const b = benchEncoder.encode(s);
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >> 8;
  out[1] = b.length & 255;
  out.set(b, 2);
  return out;
}

function mqttPacket(first, parts) {
  let len = 0;
  for (const p of parts) len += p.length;
  const head = [first];
  let n = len;
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 128;
    head.push(d);
  } while (n > 0);
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mqttConnect(clientId, user, pass) {
  const flags = 0x02 | (user ? 0x80 : 0) | (pass ? 0x40 : 0);
  const parts = [mqttString("MQTT"), Uint8Array.of(4, flags, 0, 0), mqttString(clientId)];
  if (user) parts.push(mqttString(user));
  if (pass) parts.push(mqttString(pass));
  return mqttPacket(0x10, parts);
}

function mqttSubscribe(topic) {
  return mqttPacket(0x82, [Uint8Array.of(0, 1), mqttString(topic), Uint8Array.of(0)]);
}

function mqttPublish0(topic, payloadBytes) {
  return mqttPacket(0x30, [mqttString(topic), payloadBytes]);
}

// Calls onPacket(type, bytes, bodyStart, bodyEnd) for each whole packet; keeps a partial
// packet's bytes until the rest arrives.
function mqttFramer(onPacket) {
  let pending = null;
  return function (data) {
    let buf = new Uint8Array(data);
    if (pending) {
      const joined = new Uint8Array(pending.length + buf.length);
      joined.set(pending, 0);
      joined.set(buf, pending.length);
      buf = joined;
      pending = null;
    }
    const end = buf.length;
    let i = 0;
    while (i < end) {
      let j = i + 1;
      let len = 0;
      let mul = 1;
      let complete = false;
      while (j < end && j - i <= 4) {
        const b = buf[j++];
        len += (b & 127) * mul;
        mul *= 128;
        if ((b & 128) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (j - i > 4) throw new Error("malformed remaining length");
        break;
      }
      if (j + len > end) break;
      onPacket(buf[i] >> 4, buf, j, j + len);
      i = j + len;
    }
    if (i < end) pending = buf.slice(i);
  };
}

function benchParams() {
  const q = new URLSearchParams(location.search);
  return {
    ws: q.get("ws"),
    user: q.get("user") || "",
    pass: q.get("pass") || "",
    topic: q.get("topic"),
    id: q.get("id") || "bench-" + Math.floor(Math.random() * 1e9),
  };
}

function benchNow() {
  return performance.timeOrigin + performance.now();
}

// The counter pages' subscriber (raw-sub.html, raw-worker-sub.html): counts PUBLISHes,
// subscribes after CONNACK with `send`, reports SUBACK, and shows the count once per frame.
// Returns the framer to feed with the socket's bytes.
function benchCountingSubscriber(p, send) {
  const countEl = document.getElementById("count");
  const stateEl = document.getElementById("state");
  let received = 0;
  let shown = 0;
  window.benchShown = 0;
  window.benchShownAt = 0;
  window.benchSubscribed = false;
  const framer = mqttFramer((type, buf, start) => {
    if (type === 3) {
      received++;
    } else if (type === 2) {
      if (buf[start + 1] !== 0) stateEl.textContent = "refused " + buf[start + 1];
      else send(mqttSubscribe(p.topic));
    } else if (type === 9) {
      window.benchSubscribed = buf[start + 2] !== 0x80;
      stateEl.textContent = window.benchSubscribed ? "subscribed" : "subscription refused";
    }
  });
  function frame() {
    if (received !== shown) {
      shown = received;
      countEl.textContent = String(shown);
      window.benchShown = shown;
      window.benchShownAt = benchNow();
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  return framer;
}
