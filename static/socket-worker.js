// One broker WebSocket, run in a dedicated module Worker (src/driver/relay.rs).
//
// Why: Chromium delivers every WebSocket message as a task on the thread that owns the
// socket, ~35 µs each on the page's thread in the benchmark (docs/bench.md). Here that cost
// is paid on the worker's thread; the page gets the bytes of many messages in one
// `postMessage` (MQTT over WebSocket is a byte stream [MQTT-6.0.0-4], so the session does
// not care where one WebSocket message ended) and keeps its thread for decoding and
// drawing. Nothing MQTT is decided here: bytes in, bytes out, open and close.
//
// The same file is a module the page imports (wasm-bindgen copies it next to the app, for
// trunk's dist/ and for the browser tests alike): on the page it only says where it is.
//
// Worker -> page, first: [READY] once its handler is in place (the page waits for it: a
// message posted earlier can be lost where the worker's script is imported by a wrapper).
// Page -> worker: [OPEN, url] | [SEND, Uint8Array of packets, Uint32Array of lengths] | [CLOSE]
// Worker -> page: [OPEN] | [DATA, ArrayBuffer] | [TEXT] | [CLOSED, code, reason, opened]
//                 | [REFUSED, detail] | [SENT, bytes, bufferedAmount] | [BUFFERED, bufferedAmount]

/** Where this script is, for `new Worker(url, { type: "module" })`. */
export function socketWorkerUrl() {
  return import.meta.url;
}

const OPEN = 1, DATA = 2, TEXT = 3, CLOSED = 4, REFUSED = 5, SENT = 6, BUFFERED = 7, SEND = 8,
  CLOSE = 9, READY = 10;
/** Bytes held before they go to the page without waiting for the end of the burst. */
const FLUSH_AT = 256 * 1024;

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  let socket = null;
  let opened = false;
  let held = [];
  let heldBytes = 0;
  let flushQueued = false;
  let polling = false;

  // The messages of one burst go to the page together: after the queued socket events
  // (a timer task comes after them), or at FLUSH_AT bytes.
  const flush = () => {
    flushQueued = false;
    if (heldBytes === 0) return;
    let out;
    if (held.length === 1) {
      out = held[0];
    } else {
      const all = new Uint8Array(heldBytes);
      let at = 0;
      for (const buffer of held) {
        all.set(new Uint8Array(buffer), at);
        at += buffer.byteLength;
      }
      out = all.buffer;
    }
    held = [];
    heldBytes = 0;
    self.postMessage([DATA, out], [out]);
  };

  // While the browser holds bytes it has not sent, the page hears how many (its
  // publishers slow down on it) until none are left.
  const poll = () => {
    const amount = socket ? socket.bufferedAmount : 0;
    self.postMessage([BUFFERED, amount]);
    polling = amount > 0;
    if (polling) setTimeout(poll, 10);
  };

  const detach = () => {
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    }
  };

  self.onmessage = (event) => {
    const message = event.data;
    switch (message[0]) {
      case OPEN: {
        try {
          socket = new WebSocket(message[1], "mqtt");
        } catch (e) {
          self.postMessage([REFUSED, String((e && e.message) || e)]);
          self.close();
          return;
        }
        socket.binaryType = "arraybuffer";
        socket.onopen = () => {
          opened = true;
          self.postMessage([OPEN]);
        };
        socket.onmessage = (e) => {
          if (typeof e.data === "string") {
            flush();
            self.postMessage([TEXT]);
            return;
          }
          held.push(e.data);
          heldBytes += e.data.byteLength;
          if (heldBytes >= FLUSH_AT) {
            flush();
          } else if (!flushQueued) {
            flushQueued = true;
            setTimeout(flush, 0);
          }
        };
        socket.onclose = (e) => {
          flush();
          detach();
          socket = null;
          self.postMessage([CLOSED, e.code, e.reason, opened]);
          self.close();
        };
        break;
      }
      case SEND: {
        if (!socket) return;
        const bytes = message[1];
        const lengths = message[2];
        let at = 0;
        try {
          for (const n of lengths) {
            socket.send(bytes.subarray(at, at + n));
            at += n;
          }
        } catch (e) {
          const reason = "the browser refused to send on the WebSocket: " + ((e && e.message) || e);
          flush();
          detach();
          socket.close();
          socket = null;
          self.postMessage([CLOSED, 1006, reason, opened]);
          self.close();
          return;
        }
        const amount = socket.bufferedAmount;
        self.postMessage([SENT, bytes.byteLength, amount]);
        if (amount > 0 && !polling) {
          polling = true;
          setTimeout(poll, 10);
        }
        break;
      }
      case CLOSE: {
        // The page has let go: no more events. Let the closing handshake finish (the
        // worker's end would cut it), but not forever.
        if (socket) {
          detach();
          socket.onclose = () => self.close();
          socket.close(1000);
          setTimeout(() => self.close(), 5000);
        } else {
          self.close();
        }
        break;
      }
    }
  };
  self.postMessage([READY]);
}
