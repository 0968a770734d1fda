// A minimal Chrome DevTools Protocol driver for the benchmark (Node 20 with
// --experimental-websocket). Not playwright: playwright enables the Network domain on every
// page, and Chromium then reports each WebSocket frame to it (100,000 CDP events per flood),
// which loaded the browser process and slowed every page under test. Only Page, Runtime
// (evaluate), Profiler, HeapProfiler and Tracing are used here; Network is never enabled.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Connection {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    this.listeners = [];
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) return;
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    };
  }
  send(method, params = {}, sessionId = undefined) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }
}

const call = (fn, arg) => `(${fn.toString()})(${arg === undefined ? "" : JSON.stringify(arg)})`;

class Page {
  constructor(conn, targetId, sessionId) {
    Object.assign(this, { conn, targetId, sessionId });
  }
  send(method, params) {
    return this.conn.send(method, params, this.sessionId);
  }
  on(event, handler) {
    if (event !== "pageerror") return;
    this.conn.listeners.push((msg) => {
      if (msg.sessionId === this.sessionId && msg.method === "Runtime.exceptionThrown") {
        handler(new Error(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text));
      }
    });
  }
  async evalString(expression) {
    const r = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) {
      throw new Error(r.exceptionDetails.exception?.description || r.exceptionDetails.text);
    }
    return r.result.value;
  }
  evaluate(fn, arg) {
    return this.evalString(call(fn, arg));
  }
  async waitForFunction(fn, arg, { timeout = 30000 } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      if (await this.evaluate(fn, arg).catch(() => false)) return;
      if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
      await sleep(100);
    }
  }
  async goto(url) {
    await this.send("Page.navigate", { url });
    await this.waitForFunction(
      (u) => location.href.startsWith(u.split("#")[0]) && document.readyState === "complete",
      url,
    );
  }
  locator(selector) {
    const page = this;
    return {
      waitFor: ({ timeout } = {}) =>
        page.waitForFunction((s) => document.querySelector(s) !== null, selector, { timeout }),
      click: async () => {
        await this.waitForFunction((s) => document.querySelector(s) !== null, selector);
        await page.evaluate((s) => document.querySelector(s).click(), selector);
      },
      fill: async (value) => {
        await this.waitForFunction((s) => document.querySelector(s) !== null, selector);
        await page.evaluate(
          ([s, v]) => {
            const el = document.querySelector(s);
            el.focus();
            el.value = v;
            el.dispatchEvent(new Event("input", { bubbles: true }));
            el.dispatchEvent(new Event("change", { bubbles: true }));
          },
          [selector, value],
        );
      },
      textContent: () => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
    };
  }
  getByTestId(id) {
    return this.locator(`[data-testid='${id}']`);
  }
  async close() {
    await this.conn.send("Target.closeTarget", { targetId: this.targetId });
  }
}

export async function launch({ executablePath, args = [], width = 1280, height = 900 }) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bench-chromium-"));
  const child = spawn(
    executablePath,
    [
      "--headless=new",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-extensions",
      ...args,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const wsUrl = await new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${text}`)), 30000);
    child.stderr.on("data", (d) => {
      text += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`chromium exited (${code}): ${text}`)));
  });
  child.stderr.resume();
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`cannot reach chromium at ${wsUrl}`));
  });
  const conn = new Connection(ws);
  const initScripts = [];
  let traceEvents = null;
  conn.listeners.push((msg) => {
    if (msg.method === "Tracing.dataCollected" && traceEvents) traceEvents.push(...msg.params.value);
  });
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {}
    fs.rmSync(profile, { recursive: true, force: true });
  };
  process.on("exit", kill);
  const context = {
    addInitScript(fn) {
      initScripts.push(call(fn));
    },
    async newPage() {
      const { targetId } = await conn.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await conn.send("Target.attachToTarget", { targetId, flatten: true });
      const page = new Page(conn, targetId, sessionId);
      await page.send("Page.enable");
      await page.send("Runtime.enable");
      for (const source of initScripts) await page.send("Page.addScriptToEvaluateOnNewDocument", { source });
      return page;
    },
    async newCDPSession(page) {
      return { send: (method, params) => page.send(method, params) };
    },
  };
  const browser = {
    async newContext() {
      return context;
    },
    async startTracing(_page, { categories }) {
      traceEvents = [];
      await conn.send("Tracing.start", { categories: categories.join(","), transferMode: "ReportEvents" });
    },
    async stopTracing() {
      const done = new Promise((resolve) =>
        conn.listeners.push((msg) => msg.method === "Tracing.tracingComplete" && resolve()),
      );
      await conn.send("Tracing.end");
      await done;
      const events = traceEvents;
      traceEvents = null;
      return Buffer.from(JSON.stringify({ traceEvents: events }));
    },
    async close() {
      await conn.send("Browser.close").catch(() => {});
      await sleep(500);
      kill();
    },
  };
  return browser;
}
