// The raw counter's WebSocket in a dedicated worker (raw-worker-sub.html): the same split as
// the release page's (static/socket-worker.js): the worker takes the socket's messages and
// posts the bytes of each burst to the page at once; the page frames and counts.
"use strict";
let socket = null;
let held = [];
let heldBytes = 0;
let queued = false;
function flush() {
  queued = false;
  if (heldBytes === 0) return;
  const all = new Uint8Array(heldBytes);
  let at = 0;
  for (const b of held) {
    all.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  held = [];
  heldBytes = 0;
  postMessage(all.buffer, [all.buffer]);
}
onmessage = (event) => {
  if (typeof event.data === "string") {
    socket = new WebSocket(event.data, "mqtt");
    socket.binaryType = "arraybuffer";
    socket.onopen = () => postMessage("open");
    socket.onclose = (e) => postMessage("closed " + e.code);
    socket.onmessage = (e) => {
      held.push(e.data);
      heldBytes += e.data.byteLength;
      if (heldBytes >= 262144) flush();
      else if (!queued) {
        queued = true;
        setTimeout(flush, 0);
      }
    };
  } else {
    socket.send(event.data);
  }
};
