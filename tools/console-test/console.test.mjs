// The console in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Signs in, changes a product through the API, sees its audit event appear, filters by the
// target, opens the change and checks its proof, opens the target's history, exports it as
// CSV and NDJSON, sees the dashboard's charts (through a round of expired access tokens that
// one refresh serves), signs out; a user without audit:read sees the explanation, not an
// error. No page may break its
// Content-Security-Policy or log an error. Screenshots go to $CONSOLE_ARTEFACTS.
//
//   BASE=http://127.0.0.1:8080 ADMIN_EMAIL=... ADMIN_PASSWORD=... node console.test.mjs

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.BASE;
const ADMIN = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
const ARTEFACTS = process.env.CONSOLE_ARTEFACTS || "/tmp/console-artefacts";
const EXECUTABLE = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(ARTEFACTS, { recursive: true });

async function api(path, { method = "GET", token, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The data the flow looks for: a product whose price an administrator changes.
const { access_token: token } = await api("/auth/login", { method: "POST", body: ADMIN });
const stamp = Date.now().toString(36);
const category = await api("/categories", { method: "POST", token, body: { name: `Console ${stamp}` } });
const product = await api("/products", {
  method: "POST", token,
  body: { name: `Claw hammer ${stamp}`, sku: `CON-${stamp}`, price: "12.50", stock_quantity: 3, category_id: category.id },
});
await api(`/products/${product.id}`, { method: "PATCH", token, body: { price: "14.00" } });
// Activity for the dashboard: a view of the product and a search that finds it.
await api(`/products/${product.id}`, { token });
await api(`/products?q=${encodeURIComponent(`hammer ${stamp}`)}`, { token });
const plain = { email: `viewer-${stamp}@example.com`, password: "a console viewer passphrase" };
await api("/auth/register", { method: "POST", body: { ...plain, full_name: "Viewer" } });

const browser = await chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ["--no-sandbox"] });
const problems = [];
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
page.on("pageerror", (error) => problems.push(String(error)));
await page.addInitScript(() => {
  document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP: ${e.violatedDirective}`));
});

async function signIn(who, { here = false } = {}) {
  if (!here) await page.goto(`${BASE}/console`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

await signIn(ADMIN);
// The chain's status and the last signed checkpoint (the service signs one a second here).
await page.locator("#chain-status[data-status=intact]").waitFor();
assert.match(await page.locator("#chain-status").innerText(), /^Chain intact through seq \d+ of \d+/);
await page.screenshot({ path: `${ARTEFACTS}/console-audit.png`, fullPage: true });

// The change's event arrives through the outbox: apply the filter until it is there.
await page.getByLabel("Target type").fill("product");
await page.getByLabel("Target id").fill(product.id);
const updated = page.locator("#audit-table tbody tr", { hasText: "product.updated" });
for (let attempt = 0; attempt < 40; attempt++) {
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForTimeout(250);
  if ((await updated.count()) > 0) break;
}
assert.equal(await updated.count(), 1, "the product.updated event is listed");
assert.match(page.url(), new RegExp(`target_id=${product.id}`), "the filters are in the URL");

// Keyboard: the row opens with Enter, and shows the change as before -> after.
await updated.focus();
await page.keyboard.press("Enter");
const change = page.locator("#detail-changes tbody tr", { hasText: "price" });
await change.waitFor();
assert.match(await change.innerText(), /"12\.50"\s*→ "14\.00"/);

// Its proof, checked in the browser: hashes by Web Crypto, the checkpoint's Ed25519 signature.
const verdict = page.locator("#detail-proof li").last();
for (let attempt = 0; attempt < 40; attempt++) {
  await page.getByRole("button", { name: "Check its proof" }).click();
  await verdict.waitFor();
  if ((await verdict.innerText()).includes("Proof checked in this browser.")) break;
  await page.waitForTimeout(250); // no checkpoint covers it yet
}
assert.match(await verdict.innerText(), /Proof checked in this browser\./);
assert.equal(await page.locator('#detail-proof li[data-ok="false"]').count(), 0);
assert.match(await page.locator("#detail-proof").innerText(), /Ed25519 signature verifies/);
await page.screenshot({ path: `${ARTEFACTS}/console-event.png`, fullPage: true });

// History of the target: every change of the product, oldest first.
await page.getByRole("button", { name: "History of this target" }).click();
await page.locator("#audit-table tbody tr").first().filter({ hasText: "product.created" }).waitFor();
const actions = await page.locator("#audit-table tbody tr td:nth-child(2)").allInnerTexts();
assert.deepEqual(actions.slice(0, 2), ["product.created", "product.updated"]);
assert.match(page.url(), /order=asc/);
await page.screenshot({ path: `${ARTEFACTS}/console-history.png`, fullPage: true });

// Export the history: a single-use link the browser downloads (the current filters apply).
async function exported(button) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  assert.equal(await download.failure(), null, `${button} downloaded`);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), "utf8") };
}
const csv = await exported("Export CSV");
assert.equal(csv.name, "audit-events.csv");
const rows = csv.text.trim().split("\r\n");
assert.match(rows[0], /^id,occurred_at,action,/);
assert.equal(rows.length, 3, "a header, product.updated and product.created");
assert.ok(rows.slice(1).every((row) => row.includes(product.id)), "only the product's events");
const ndjson = await exported("Export NDJSON");
assert.equal(ndjson.name, "audit-events.ndjson");
const lines = ndjson.text.trim().split("\n").map((line) => JSON.parse(line));
assert.deepEqual(lines.map((e) => e.action), ["product.updated", "product.created"], "newest first");

// The dashboard draws the seeded counts: a chart, the product among the most viewed, the
// search. Its first requests meet 401 (as when the access token has expired): the console
// refreshes once for all of them (refresh tokens are single-use) and retries each.
let refreshes = 0;
page.on("request", (request) => { if (request.url().endsWith("/api/v1/auth/refresh")) refreshes += 1; });
const expired = new Set();
let expiredToken = null;
await page.route("**/api/v1/analytics/**", async (route) => {
  const token = route.request().headers().authorization;
  expiredToken ||= token;
  if (token !== expiredToken) return route.continue();
  expired.add(route.request().url());
  return route.fulfill({
    status: 401, contentType: "application/problem+json",
    body: JSON.stringify({ title: "Unauthorized", status: 401, detail: "The access token is invalid or expired." }),
  });
});
const viewed = page.locator("#analytics-output table", { hasText: product.name });
for (let attempt = 0; attempt < 40; attempt++) {
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForTimeout(250);
  if ((await viewed.count()) > 0) break;
}
assert.equal(await viewed.count(), 1, "the viewed product is listed");
assert.ok(expired.size >= 3, `the dashboard's requests met 401 together (${expired.size})`);
assert.equal(refreshes, 1, "one refresh served every request that met 401");
assert.equal(await page.locator("#notice").innerText(), "", "the session goes on");
await page.unroute("**/api/v1/analytics/**");
assert.ok((await page.locator("#analytics-output svg.chart path[data-series]").count()) >= 1, "a chart is drawn");
const term = page.locator("#analytics-output td").filter({ hasText: new RegExp(`^hammer ${stamp}$`) });
assert.equal(await term.count(), 1, "the search is listed");
assert.match(await page.locator("#analytics-output").innerText(), /\(UTC\)/);
await page.locator("#analytics").screenshot({ path: `${ARTEFACTS}/console-analytics.png` });

const shared = page.url();
await page.setViewportSize({ width: 390, height: 844 });
await page.screenshot({ path: `${ARTEFACTS}/console-narrow.png`, fullPage: true });
await page.setViewportSize({ width: 1280, height: 900 });

await page.getByRole("button", { name: "Sign out" }).click();
await page.getByRole("heading", { name: "Sign in" }).waitFor();
assert.equal(await page.locator("#audit").isVisible(), false, "nothing of the trail stays shown");

// A user without audit:read is told why, and is shown no error.
await signIn(plain);
await page.locator("#audit-forbidden").waitFor();
await page.locator("#analytics-forbidden").waitFor();
assert.equal(await page.locator("#notice").innerText(), "");
await page.screenshot({ path: `${ARTEFACTS}/console-no-permission.png`, fullPage: true });
await page.getByRole("button", { name: "Sign out" }).click();

// A shared link opens the same view once signed in (tokens are not kept across page loads).
await page.goto(shared);
await signIn(ADMIN, { here: true });
await page.locator("#audit-table tbody tr").first().filter({ hasText: "product.created" }).waitFor();
assert.equal(await page.getByLabel("Target id").inputValue(), product.id);
const again = await page.locator("#audit-table tbody tr td:nth-child(2)").allInnerTexts();
assert.deepEqual(again.slice(0, 2), ["product.created", "product.updated"]);

await browser.close();
// The browser logs each 401 the test answered for the expired token; nothing else may be.
const answered401 = problems.filter((text) => /status of 401 \(Unauthorized\)/.test(text));
assert.equal(answered401.length, expired.size, "no 401 but the test's own");
assert.deepEqual(problems.filter((text) => !answered401.includes(text)), [], "no CSP violation or script error");
console.log(`console test passed; screenshots in ${ARTEFACTS}`);
