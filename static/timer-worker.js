// The page's MQTT timers (keepalive, reconnect backoff), run in a dedicated module Worker.
//
// Chrome throttles chained timers of a page hidden for a few minutes to one wake-up per
// minute, which drops a connection whose keepalive is under a minute (MQTT.js #1257).
// Timers in a dedicated worker are not throttled that way. The page (src/driver/
// worker_timer.rs) sends [1, id, delay_ms] to arm and [0, id] to cancel; the worker posts
// the id back when a timer fires, and -1 once, first, when its handler is in place (the
// page arms nothing here before that: a message posted earlier can be lost where the
// script is imported by a wrapper, as the browser tests' runner does).
//
// Like static/socket-worker.js, the same file is a module the page imports (wasm-bindgen
// copies it next to the app, for trunk's dist/ and for the browser tests alike): on the
// page it only says where it is.

/** Where this script is, for `new Worker(url, { type: "module" })`. */
export function timerWorkerUrl() {
  return import.meta.url;
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  const timers = new Map();
  self.onmessage = (event) => {
    const [op, id, delay] = event.data;
    if (op === 1) {
      timers.set(id, setTimeout(() => {
        timers.delete(id);
        self.postMessage(id);
      }, delay));
    } else {
      clearTimeout(timers.get(id));
      timers.delete(id);
    }
  };
  self.postMessage(-1);
}
