// Does a hidden tab keep its MQTT connection? A measurement, not a test (it takes minutes).
//
// Tab A runs the page (served by `lab --app-dir dist`) and connects with keepalive K s; a
// second tab is opened in the same window, so A is hidden; Chrome's intensive wake-up
// throttling starts after 10 s (shortened from 5 min by the feature flag below). Every
// second the script reads A's connection state and prints the drops it saw.
//
// Headless Chromium and Playwright-driven pages always report visibilityState "visible":
// this runs headful Chromium under Xvfb and drives it over raw CDP.
//
//   apt-get install xvfb; npm install --prefix target/tools/cdp ws@8
//   Xvfb :99 & cargo run -p lab -- --ws-port 9201 --app-dir dist &
//   DISPLAY=:99 NODE_PATH=target/tools/cdp/node_modules node xtask/scripts/hidden-tab.js 9201 1800 30
//
// Remove dist/timer-worker.js (page timers only) to see the drops the Worker prevents.
const WebSocket = require('ws');
const http = require('http');
const { spawn } = require('child_process');
const [appPort, hiddenSecs, keepAlive, headlessArg] = process.argv.slice(2);
const getJson = (url, method = 'GET') => new Promise((res, rej) => {
  const req = http.request(url, { method }, r => { let d = ''; r.on('data', c => d += c); r.on('end', () => res(JSON.parse(d))); });
  req.on('error', rej); req.end();
});
const sleep = ms => new Promise(r => setTimeout(r, ms));
(async () => {
  const args = ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--no-first-run','--remote-debugging-port=' + (process.env.CDP_PORT || 9333),'--user-data-dir=/tmp/cdp-prof-' + Date.now(),'--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/10', 'about:blank'];
  if (headlessArg === 'headless') args.unshift('--headless=new');
  const chrome = spawn('/usr/bin/chromium', args, { stdio: 'ignore' });
  let targets; for (let i = 0; i < 50; i++) { try { targets = await getJson('http://127.0.0.1:' + (process.env.CDP_PORT || 9333) + '/json'); break; } catch { await sleep(200); } }
  const pageA = targets.find(t => t.type === 'page');
  const ws = new WebSocket(pageA.webSocketDebuggerUrl);
  await new Promise(r => ws.on('open', r));
  let id = 0; const pending = new Map();
  ws.on('message', m => { const msg = JSON.parse(m); if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); } });
  const send = (method, params = {}) => new Promise(r => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  const evaluate = async expr => (await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true })).result.result.value;
  await send('Page.navigate', { url: `http://127.0.0.1:${appPort}/#client` });
  await sleep(2000);
  await evaluate(`(() => { const k = document.querySelector('[data-testid=connect-keepalive]'); k.value='${keepAlive}'; k.dispatchEvent(new Event('input', {bubbles:true})); document.querySelector('[data-testid=connect-button]').click(); })()`);
  await sleep(1500);
  console.log('A state:', await evaluate(`document.querySelector('[data-testid=connection-status]').dataset.state`));
  await getJson('http://127.0.0.1:' + (process.env.CDP_PORT || 9333) + '/json/new?about:blank', 'PUT');
  await sleep(1000);
  console.log('A visibility with B opened:', await evaluate('document.visibilityState'));
  const transitions = []; let last = 'connected'; const hiddenAt = Date.now();
  while (Date.now() - hiddenAt < hiddenSecs * 1000) {
    await sleep(1000);
    const st = await evaluate(`document.querySelector('[data-testid=connection-status]').dataset.state`);
    if (st !== last) { transitions.push([Math.round((Date.now() - hiddenAt) / 1000), st]); last = st; }
  }
  const result = await evaluate(`(() => { const log = Array.from(document.querySelectorAll('[data-testid=log-entry]')).map(e => e.textContent);
     return { visibility: document.visibilityState, state: document.querySelector('[data-testid=connection-status]').dataset.state,
       connected: log.filter(t => /•connected/.test(t)).length, lost: log.filter(t => /stopped answering|closed|1006/i.test(t)).length,
       notes: log.filter(t => !/←|→/.test(t)).slice(-6) }; })()`);
  console.log(JSON.stringify({ appPort, hiddenSecs, keepAlive, visibility: result.visibility, final: result.state,
    drops: transitions.filter(t => t[1] === 'reconnecting').length, transitions }));
  chrome.kill();
  process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
