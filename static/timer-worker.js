// The page's MQTT timers (keepalive, reconnect backoff), run in a dedicated Worker.
//
// Chrome throttles chained timers of a page hidden for a few minutes to one wake-up per
// minute, which drops a connection whose keepalive is under a minute (MQTT.js #1257).
// Timers in a dedicated worker are not throttled that way. The page (src/driver/
// worker_timer.rs) sends [1, id, delay_ms] to arm and [0, id] to cancel; the worker posts
// the id back when a timer fires, and -1 once, when it is ready.
"use strict";
const timers = new Map();
onmessage = (event) => {
  const [op, id, delay] = event.data;
  if (op === 1) {
    timers.set(id, setTimeout(() => {
      timers.delete(id);
      postMessage(id);
    }, delay));
  } else {
    clearTimeout(timers.get(id));
    timers.delete(id);
  }
};
postMessage(-1);
