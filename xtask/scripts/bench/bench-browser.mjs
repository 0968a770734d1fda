// `cargo xtask bench`'s browser part, run by xtask/src/bench.rs: one headless Chromium
// (driven over CDP by ./cdp.mjs), one mosquitto, side by side and timed the same way (flood start to the
// animation frame that shows the last message):
//   raw        hand-written MQTT over WebSocket that counts PUBLISHes (the ceiling),
//   raw-worker the same with its socket in a worker posting bursts to the page (the ceiling
//              of that design),
//   mqtt.js    MQTT.js's browser bundle with a bounded DOM log (1,000 rows, once per frame),
//   ours       the release page's Client view with its live log (socket in a worker),
//   ours-page  the same page with its socket on the page (`?socket=page`).
// Then the release page under a paced flood (long tasks, frame gaps), its memory over
// 1,000,000 messages, and the producers (raw JS vs the page's repeat publish).
//
// Floods and the counting subscriber are native, in xtask: this script asks for them with
// `@bench <request>` lines on stdout and reads one answer line per request on stdin.
// Prints numbers; asserts none.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { launch } from "./cdp.mjs";

const cfg = JSON.parse(process.argv[2]);
// MQTT_BENCH_ONLY=flood,paced,produce,profile runs only those parts (flood: the side-by-side
// flood; paced: the paced flood and the memory run); MQTT_BENCH_VARIANTS=raw,mqtt.js,… only
// those pages in the flood.
const only = (part) => !process.env.MQTT_BENCH_ONLY || process.env.MQTT_BENCH_ONLY.split(",").includes(part);

// ---- talking to xtask ----
const answers = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const next = answers.shift();
  if (next) next(line);
});
function ask(request) {
  return new Promise((resolve, reject) => {
    answers.push((line) =>
      line.startsWith("error ") ? reject(new Error(line.slice(6))) : resolve(line.split(" ")),
    );
    process.stdout.write(`@bench ${request}\n`);
  });
}
const flood = async (topic, count, rate = 0) => {
  const [start, end] = await ask(`flood ${topic} ${count} ${rate}`);
  return { start: Number(start), end: Number(end) };
};

// ---- static files: the bench pages, MQTT.js, and the release build ----
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; " +
  "style-src 'self'; img-src 'self' data:";
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
function serve(dist) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let file;
    let csp = false;
    if (url.pathname === "/bench/mqtt.min.js") {
      file = path.join(cfg.tools, "node_modules/mqtt/dist/mqtt.min.js");
    } else if (url.pathname.startsWith("/bench/")) {
      file = path.join(cfg.pages, path.basename(url.pathname));
    } else {
      file = path.join(dist, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
      csp = true; // the policy the README asks hosts to serve the release page with
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      const headers = { "content-type": TYPES[path.extname(file)] || "application/octet-stream" };
      if (csp) headers["content-security-policy"] = CSP;
      res.writeHead(200, headers).end(data);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` })),
  );
}
const { server, base: distBase } = await serve(cfg.dist);
let base = distBase;


const browser = await launch({
  executablePath: cfg.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-precise-memory-info"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
// Finds the page's wasm memory whatever the loader does with it.
await context.addInitScript(() => {
  const keep = (result) => {
    const instance = result && (result.instance || result);
    const exports = (instance && instance.exports) || {};
    for (const value of Object.values(exports)) {
      if (value instanceof WebAssembly.Memory) window.__benchWasmMemory = value;
    }
    return result;
  };
  const wrap = (original) =>
    function (...args) {
      return original.apply(this, args).then(keep);
    };
  WebAssembly.instantiateStreaming = wrap(WebAssembly.instantiateStreaming);
  WebAssembly.instantiate = wrap(WebAssembly.instantiate);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const unique = (tag) => `bench/${tag}-${Math.floor(Math.random() * 1e9)}`;
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const query = (params) =>
  new URLSearchParams({ ws: cfg.ws, user: cfg.user, pass: cfg.pass, ...params }).toString();

// Frame gaps and long tasks, the same instrument in every page; reset at each flood.
function installMonitor() {
  const reset = () => {
    window.benchFrames = { count: 0, longest: 0, over50: 0, last: performance.now() };
    window.benchLongTasks = { count: 0, longest: 0, total: 0 };
  };
  reset();
  window.benchMonitorReset = reset;
  const frame = () => {
    const f = window.benchFrames;
    const now = performance.now();
    const gap = now - f.last;
    f.last = now;
    f.count++;
    if (gap > f.longest) f.longest = gap;
    if (gap > 50) f.over50++;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      const s = window.benchLongTasks;
      for (const e of list.getEntries()) {
        s.count++;
        s.total += e.duration;
        if (e.duration > s.longest) s.longest = e.duration;
      }
    }).observe({ type: "longtask" });
  } catch (e) {
    window.benchLongTasks.unsupported = String(e);
  }
}

// The release page: counts what its log shows, from the log's counters ("N in · …").
function watchOurCounters() {
  const el = document.querySelector("[data-testid='log-counters']");
  const read = () => {
    const m = /^([\d,.\s\u00a0\u202f]+) in\b/.exec(el.textContent.trim());
    return m ? Number(m[1].replace(/\D/g, "")) : 0;
  };
  window.benchBase = read();
  window.benchShown = 0;
  window.benchShownAt = 0;
  new MutationObserver(() => {
    const shown = read() - window.benchBase;
    if (shown !== window.benchShown) {
      window.benchShown = shown;
      window.benchShownAt = performance.timeOrigin + performance.now();
    }
  }).observe(el, { subtree: true, childList: true, characterData: true });
}

async function openOurs(topic, logFilter = null, search = "") {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  [ours] page error: ${e.message}`));
  await page.goto(`${base}/${search}#client`);
  await page.getByTestId("connect-url").fill(cfg.ws);
  await page.getByTestId("connect-username").fill(cfg.user);
  await page.getByTestId("connect-password").fill(cfg.pass);
  await page.getByTestId("connect-button").click();
  await page.locator("[data-testid='connection-status'][data-state='connected']").waitFor({ timeout: 30000 });
  if (topic) {
    await page.getByTestId("subscribe-topic").fill(topic);
    await page.getByTestId("subscribe-button").click();
    await page
      .waitForFunction(() => document.body.textContent.includes("granted QoS 0"), null, { timeout: 30000 })
      .catch(async (e) => {
        const log = await page.getByTestId("log").textContent().catch(() => "?");
        throw new Error(`no SUBACK for ${topic} in the page's log: ${log.slice(0, 500)} (${e.message})`);
      });
    // A text filter that 1 message in 100 matches: the log's index is extended once per frame.
    if (logFilter) await page.getByTestId("log-filter").fill(logFilter);
    await page.evaluate(watchOurCounters);
  }
  await page.evaluate(installMonitor);
  return page;
}

async function openPeer(file, topic) {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  [${file}] page error: ${e.message}`));
  await page.goto(`${base}/bench/${file}?${query({ topic })}`);
  await page.waitForFunction(() => window.benchSubscribed === true, null, { timeout: 30000 });
  await page.evaluate(installMonitor);
  return page;
}

// Floods `count` messages (paced at `rate`/s, or as fast as possible), waits until the page
// shows them all or nothing new was shown for 15 s after the flood ended; `during(page)` runs
// alongside (memory samples).
async function measure(page, topic, count, rate = 0, during = null) {
  await page.evaluate(() => window.benchMonitorReset());
  let ended = false;
  const floodDone = flood(topic, count, rate).then((f) => {
    ended = true;
    return f;
  });
  let last = -1;
  let lastChange = Date.now();
  let shown = [0, 0];
  const hardStop = Date.now() + 600000;
  const sampler = during ? during(page) : null;
  for (;;) {
    shown = await page.evaluate(() => [window.benchShown, window.benchShownAt]);
    if (shown[0] >= count) break;
    if (shown[0] !== last) {
      last = shown[0];
      lastChange = Date.now();
    } else if (ended && Date.now() - lastChange > 15000) break;
    if (Date.now() > hardStop) break;
    await sleep(100);
  }
  const f = await floodDone;
  if (sampler) await sampler.stop();
  const stats = await page.evaluate(() => ({ frames: { ...window.benchFrames }, longTasks: { ...window.benchLongTasks } }));
  const ms = shown[1] - f.start;
  return { shown: shown[0], ms, rate: (shown[0] / ms) * 1000, publishMs: f.end - f.start, ...stats };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const N = cfg.messages;
console.log(`\n== flood: ${fmt(N)} QoS 0 messages from a native publisher, into each page (${cfg.runs} runs each, median) ==`);
const variants = [
  ["raw", (t) => openPeer("raw-sub.html", t)],
  ["raw-worker", (t) => openPeer("raw-worker-sub.html", t)],
  ["mqtt.js", (t) => openPeer("mqttjs-sub.html", t)],
  ["ours", (t) => openOurs(t)],
  ["ours-page", (t) => openOurs(t, null, "?socket=page")],
  ["ours+filter", (t) => openOurs(t, "temp\":25.5")],
];
const results = {};
if (process.env.MQTT_BENCH_VARIANTS) {
  const keep = process.env.MQTT_BENCH_VARIANTS.split(",");
  variants.splice(0, variants.length, ...variants.filter(([name]) => keep.includes(name)));
}
for (let run = 0; run < (only("flood") ? cfg.runs : 0); run++) {
  for (const [name, open] of variants) {
    const topic = unique(name.replace(/[^a-z0-9]/gi, "-"));
    const page = await open(topic);
    const r = await measure(page, topic, N);
    await page.close();
    (results[name] ||= []).push(r);
    console.log(
      `  run ${run + 1} ${name.padEnd(11)} ${fmt(r.shown)} shown in ${fmt(r.ms)} ms: ${fmt(r.rate)} msg/s ` +
        `(native publisher done after ${fmt(r.publishMs)} ms; ${r.frames.count} frames, longest gap ${fmt(r.frames.longest)} ms, ` +
        `${r.longTasks.count} long tasks, longest ${fmt(r.longTasks.longest)} ms)`,
    );
  }
}
const summary = {};
console.log("");
for (const [name] of only("flood") ? variants : []) {
  const rs = results[name];
  const rate = median(rs.map((r) => r.rate));
  const shown = Math.min(...rs.map((r) => r.shown));
  summary[name] = rate;
  console.log(
    `  ${name.padEnd(11)} ${fmt(rate).padStart(8)} msg/s   received ${fmt(shown)} of ${fmt(N)}` +
      (shown < N ? ` (${fmt(N - shown)} missing)` : "") +
      `   longest frame gap ${fmt(median(rs.map((r) => r.frames.longest)))} ms`,
  );
}
if (only("flood")) {
  const ratio = (a, b) => (summary[a] && summary[b] ? `  ${a}/${b} ${(summary[a] / summary[b]).toFixed(2)}` : "");
  console.log(
    ratio("ours", "raw") + ratio("ours", "mqtt.js") + ratio("ours", "raw-worker") +
      ratio("ours-page", "raw") + ratio("raw-worker", "raw") + ratio("mqtt.js", "raw"),
  );
}

// ---- the release page under a paced flood, then its memory over 1,000,000 messages ----
if (only("paced")) {
  const topic = unique("paced");
  const page = await openOurs(topic);
  const count = cfg.pacedRate * cfg.pacedSecs;
  console.log(`\n== release page, paced flood: ${fmt(cfg.pacedRate)} msg/s for ${cfg.pacedSecs} s (${fmt(count)} messages) ==`);
  const r = await measure(page, topic, count, cfg.pacedRate);
  console.log(
    `  ${fmt(r.shown)} shown, the last ${fmt(r.ms - r.publishMs)} ms after the flood ended\n` +
      `  long tasks (PerformanceObserver 'longtask'): ${r.longTasks.count}, longest ${fmt(r.longTasks.longest)} ms, ` +
      `${fmt(r.longTasks.total)} ms in all` +
      (r.longTasks.unsupported ? ` (unsupported: ${r.longTasks.unsupported})` : "") +
      `\n  animation frames: ${fmt(r.frames.count)} (${(r.frames.count / (r.ms / 1000)).toFixed(1)}/s), ` +
      `longest gap ${fmt(r.frames.longest)} ms, ${r.frames.over50} gaps over 50 ms`,
  );

  const total = cfg.memoryMessages;
  // Paced like the run before: unpaced, the page got only ~430,000 of 1,000,000 (twice here);
  // the broker's backlog for a subscriber that far behind is the suspect.
  console.log(`\n== release page, memory over ${fmt(total)} more messages at ${fmt(cfg.pacedRate)} msg/s ==`);
  const samples = [];
  const sample = () =>
    page.evaluate(() => ({
      shown: window.benchShown,
      wasm: window.__benchWasmMemory ? window.__benchWasmMemory.buffer.byteLength : null,
      heap: performance.memory ? performance.memory.usedJSHeapSize : null,
      heapTotal: performance.memory ? performance.memory.totalJSHeapSize : null,
      rows: document.querySelectorAll("[data-testid='log-entry']").length,
    }));
  const before = await sample();
  await page.evaluate(() => {
    window.benchBase += window.benchShown;
    window.benchShown = 0;
  });
  const during = () => {
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        samples.push({ t: Date.now(), ...(await sample()) });
        await sleep(1000);
      }
    })();
    return { stop: async () => { stop = true; await loop; } };
  };
  const m = await measure(page, topic, total, cfg.pacedRate, during);
  const cdp = await context.newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const afterGc = await sample();
  const mib = (b) => (b == null ? "?" : (b / 1048576).toFixed(1));
  console.log(
    `  ${fmt(m.shown)} shown in ${fmt(m.ms)} ms (${fmt(m.rate)} msg/s)\n` +
      `  before: wasm memory ${mib(before.wasm)} MiB, JS heap used ${mib(before.heap)} MiB (after ${fmt(count)} paced messages)`,
  );
  let next = 0;
  for (const s of samples) {
    if (s.shown >= next) {
      console.log(
        `  ${fmt(s.shown).padStart(9)} msgs: wasm memory ${mib(s.wasm)} MiB, JS heap used ${mib(s.heap)} MiB of ${mib(s.heapTotal)} MiB, ${s.rows} log rows in the DOM`,
      );
      next = s.shown + total / 10;
    }
  }
  console.log(
    `  after all and a forced GC: wasm memory ${mib(afterGc.wasm)} MiB, JS heap used ${mib(afterGc.heap)} MiB, ${afterGc.rows} log rows in the DOM`,
  );
  await page.close();
}

// ---- producers, measured at a native subscriber ----
if (only("produce")) {
  const count = cfg.produceMessages;
  const payload = '{"temp":21.5}';
  console.log(`\n== producers: ${fmt(count)} QoS 0 messages (payload ${payload}), counted by a native subscriber ==`);
  const report = (name, started, got) => {
    const rate = (got.count / (got.last - started)) * 1000;
    console.log(
      `  ${name.padEnd(22)} ${fmt(rate).padStart(8)} msg/s   ${fmt(got.count)} of ${fmt(count)} arrived, ` +
        `the last ${fmt(got.last - started)} ms after the start`,
    );
    return rate;
  };
  const counted = async () => {
    const [c, first, last] = await ask(`count ${count} 5000`);
    return { count: Number(c), first: Number(first), last: Number(last) };
  };

  let topic = unique("produce-raw");
  let page = await context.newPage();
  await page.goto(`${base}/bench/raw-pub.html?${query({ topic })}`);
  await page.waitForFunction(() => window.benchConnected === true, null, { timeout: 30000 });
  await ask(`subscribe ${topic}`);
  const [sent, got] = await Promise.all([page.evaluate(([n, p]) => window.benchPublish(n, p), [count, payload]), counted()]);
  const raw = report("raw JS publisher", sent.started, got);
  await page.close();

  topic = unique("produce-ours");
  page = await openOurs(null);
  await page.getByTestId("publish-topic").fill(topic);
  await page.getByTestId("publish-payload").fill(payload);
  await page.locator("[data-testid='publish-repeat'] summary").click();
  await page.getByTestId("publish-repeat-count").fill(String(count));
  await page.getByTestId("publish-repeat-interval").fill("0");
  await ask(`subscribe ${topic}`);
  const started = await page.evaluate(() => performance.timeOrigin + performance.now());
  const [, got2] = await Promise.all([page.getByTestId("publish-repeat-start").click(), counted()]);
  const ours = report("ours: repeat publish", started, got2);
  console.log(`  ours/raw ${(ours / raw).toFixed(2)}`);
  await page.close();
}

// ---- optional: where the release page's time goes during a flood ----
async function profileFlood(name, open) {
  fs.mkdirSync(cfg.out, { recursive: true });
  // 1. CPU profile alone (tracing would inflate every call).
  let topic = unique(`profile-${name}`);
  let page = await open(topic);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
  await cdp.send("Profiler.start");
  const r = await measure(page, topic, N);
  const { profile } = await cdp.send("Profiler.stop");
  await page.close();
  fs.writeFileSync(path.join(cfg.out, `${name}.cpuprofile`), JSON.stringify(profile));
  const perSample = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let wasm = 0;
  let glue = 0;
  for (const id of profile.samples) {
    const cf = byId.get(id).callFrame;
    const isWasm = cf.url.startsWith("wasm://") || cf.url.endsWith(".wasm");
    const file = isWasm ? "[wasm]" : cf.url ? cf.url.split("/").pop() : "";
    const key = `${cf.functionName || "(anonymous)"}${file ? " " + file : ""}`;
    self.set(key, (self.get(key) || 0) + perSample);
    if (isWasm) wasm += perSample;
    else if (/mqtt-playground[^/]*\.js$/.test(cf.url)) glue += perSample;
  }
  const busy = [...self.entries()].filter(([k]) => k !== "(idle)").reduce((a, [, v]) => a + v, 0);
  const pct = (us) => `${fmt(us / 1000)} ms (${((us / busy) * 100).toFixed(1)} %)`;
  console.log(
    `  ${name}: ${fmt(r.shown)} in ${fmt(r.ms)} ms (${fmt(r.rate)} msg/s while sampled); ` +
      `main thread busy ${fmt(busy / 1000)} ms = ${fmt((busy / r.shown))} µs per message`,
  );
  if (wasm || glue) console.log(`    wasm functions ${pct(wasm)}, wasm-bindgen JS glue ${pct(glue)}`);
  [...self.entries()]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 18)
    .forEach(([k, us]) => console.log(`    ${pct(us).padStart(20)}  ${k.slice(0, 150)}`));

  // 2. A Chrome trace: the renderer main thread's work by event name.
  topic = unique(`trace-${name}`);
  page = await open(topic);
  await browser.startTracing(page, {
    categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8"],
  });
  const t = await measure(page, topic, N);
  const trace = JSON.parse((await browser.stopTracing()).toString());
  await page.close();
  fs.writeFileSync(path.join(cfg.out, `${name}-trace.json`), JSON.stringify(trace));
  const mains = trace.traceEvents.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
  const names = new Map();
  for (const e of trace.traceEvents) {
    if (e.ph !== "X" || !e.dur || !mains.some((m) => m.pid === e.pid && m.tid === e.tid)) continue;
    const v = names.get(e.name) || { ms: 0, n: 0 };
    v.ms += e.dur / 1000;
    v.n++;
    names.set(e.name, v);
  }
  const line = [
    "RunTask", "FunctionCall", "FireAnimationFrame", "UpdateLayoutTree", "Layout", "PrePaint", "Paint",
    "Commit", "MinorGC", "MajorGC",
  ]
    .filter((n) => names.get(n))
    .map((n) => `${n} ${fmt(names.get(n).ms)} ms/${fmt(names.get(n).n)}`)
    .join(", ");
  console.log(`    trace (${fmt(t.rate)} msg/s while traced), renderer main thread: ${line}`);
}

if (cfg.profile || (process.env.MQTT_BENCH_ONLY && only("profile"))) {
  console.log(`\n== profile: ${fmt(N)}-message floods, sampled (CPU profile), then traced ==`);
  await profileFlood("raw", (t) => openPeer("raw-sub.html", t));
  // The same release build with wasm-bindgen's output before wasm-opt: function names kept.
  const named = cfg.profileDist ? await serve(cfg.profileDist) : null;
  await profileFlood("ours", async (t) => {
    if (named) base = named.base;
    try {
      return await openOurs(t);
    } finally {
      base = distBase;
    }
  });
  if (named) {
    console.log("  (ours profiled with wasm-bindgen's output before wasm-opt, names kept)");
    named.server.close();
  }
  console.log(`  files: ${cfg.out}/{raw,ours}.cpuprofile and {raw,ours}-trace.json (Chrome DevTools)`);
}

await browser.close();
server.close();
process.exit(0);
