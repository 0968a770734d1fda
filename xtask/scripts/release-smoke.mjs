// The release page's split-off views, used for real (`cargo xtask test`, release step;
// xtask/src/dist.rs): a chunk that renders can still fail when its code runs (a callback
// through the shared function table, a timer, a second MQTT connection), and only using it
// shows that. Against the lab serving dist/ under its strict CSP:
// - #challenge: run the whole login/UUID/command challenge against the lab's challenge server;
// - #playground: first with its chunk's download held, then failing (CDP's Fetch domain):
//   a loading line, then an error panel with a retry, the rest of the page alive; then the retry, and
//   the authorization exercise's probe (connections of its own, a verdict).
// Usage: node --experimental-websocket release-smoke.mjs <chromium> <page origin, ending in />
// Prints one line per check; exits non-zero with the reason and the page's errors.
import { launch } from "./bench/cdp.mjs";

const [chromium, origin] = process.argv.slice(2);
const browser = await launch({ executablePath: chromium, args: ["--no-sandbox", "--disable-gpu"] });
const page = await (await browser.newContext()).newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
const fail = async (what, e) => {
  console.error(`release smoke: ${what}: ${e.message}`);
  for (const err of errors) console.error(`page error: ${err}`);
  await browser.close();
  process.exit(1);
};

const byTestId = (id) => `[data-testid='${id}']`;
const text = (id) => page.locator(byTestId(id)).textContent();

try {
  // A pointer over a view's link starts fetching its chunk before the click.
  await page.goto(origin);
  await page.getByTestId("connect-button").waitFor({ timeout: 20000 });
  await page.evaluate((s) => document.querySelector(s).dispatchEvent(new PointerEvent("pointerenter")), byTestId("nav-challenge"));
  await page.waitForFunction(
    () => performance.getEntriesByType("resource").some((r) => r.name.includes("split_challenge")),
    undefined,
    { timeout: 10000 },
  );
  console.log("ok: a pointer over the Challenge link fetched its chunk before any click");
} catch (e) {
  await fail("prefetch on hover", e);
}

try {
  await page.goto(`${origin}#challenge`);
  await page.getByTestId("challenge-start").click();
  await page.waitForFunction(
    (s) => ["done", "failed"].includes(document.querySelector(s)?.dataset.state),
    byTestId("challenge-phase"),
    { timeout: 60000 },
  );
  const phase = await text("challenge-phase");
  if (!phase.includes("Well done my IoT!")) throw new Error(`the challenge did not finish: ${phase}`);
  console.log("ok: #challenge (a chunk) ran the challenge to its end against the lab");
} catch (e) {
  await fail("#challenge", e);
}

try {
  // The playground chunk's download is held (a slow network): the view says it is loading;
  // then it fails, as offline or after a deploy replaced the files.
  await page.send("Fetch.enable", { patterns: [{ urlPattern: "*split_playground*" }] });
  let hold = true;
  const held = [];
  const failRequest = (requestId) =>
    page.send("Fetch.failRequest", { requestId, errorReason: "InternetDisconnected" });
  page.conn.listeners.push((msg) => {
    if (msg.sessionId === page.sessionId && msg.method === "Fetch.requestPaused") {
      if (hold) held.push(msg.params.requestId);
      else failRequest(msg.params.requestId);
    }
  });
  await page.goto(`${origin}#playground`);
  await page.getByTestId("view-loading").waitFor({ timeout: 20000 });
  hold = false;
  for (const id of held) await failRequest(id);
  await page.getByTestId("view-load-error").waitFor({ timeout: 20000 });
  await page.getByTestId("nav-client").click();
  await page.getByTestId("connect-button").waitFor({ timeout: 5000 });
  if (errors.length > 0) throw new Error("the page broke when a chunk could not be fetched");
  await page.getByTestId("nav-playground").click();
  await page.getByTestId("view-load-error").waitFor({ timeout: 20000 });
  await page.send("Fetch.disable");
  await page.getByTestId("view-load-retry").click();
  await page.getByTestId("scenario-auth").waitFor({ timeout: 20000 });
  console.log("ok: a chunk still loading says so; one that cannot be fetched shows an error with a retry, and the retry loads it");
} catch (e) {
  await fail("#playground, chunk download failing", e);
}

try {
  await page.goto(`${origin}#playground`);
  // The exercise is about a user's namespace: it needs a user name (the lab takes any).
  await page.getByTestId("connect-username").fill("alice");
  const panel = `${byTestId("scenario-auth")} `;
  await page.locator(`${panel}${byTestId("action-probe")}`).click();
  await page.waitForFunction(
    (s) => (document.querySelector(s)?.textContent ?? "").startsWith("Not enforced"),
    `${panel}${byTestId("probe-verdict")}`,
    { timeout: 20000 },
  );
  console.log("ok: #playground (a chunk) probed the lab's authorization with connections of its own");
} catch (e) {
  await fail("#playground", e);
}

if (errors.length > 0) await fail("the page reported errors", new Error(errors.join("; ")));
await browser.close();
process.exit(0);
