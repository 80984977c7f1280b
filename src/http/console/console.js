// The Stockroom console: the public API with the user's own tokens, held in memory only
// (never in the browser's storage), refreshed through /auth/refresh before they expire.

import { setupAnalytics } from "/console/analytics.js";
import { setupIntegrity } from "/console/proof.js";

const API = "/api/v1";
const session = { access: null, refresh: null, timer: null, me: null, refreshing: null };
const $ = (id) => document.getElementById(id);

function notice(text) {
  $("notice").textContent = text || "";
}

function problemText(problem, status) {
  if (problem && Array.isArray(problem.errors) && problem.errors.length) {
    return problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  }
  return (problem && (problem.detail || problem.title)) || `The service answered ${status}.`;
}

async function call(path, { method = "GET", body, auth = true, retried = false } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const sent = session.access;
  if (auth && sent) headers.authorization = `Bearer ${sent}`;
  const response = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && auth && !retried && session.refresh) {
    // Sent with a token replaced meanwhile: the new one is already here.
    if (session.access !== sent || await refresh()) return call(path, { method, body, auth, retried: true });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(problemText(data, response.status));
    error.status = response.status;
    throw error;
  }
  return data;
}

function keep(pair) {
  session.access = pair.access_token;
  session.refresh = pair.refresh_token;
  clearTimeout(session.timer);
  // Refresh a little before the access token expires (at most every 10 s).
  const seconds = Math.max(10, (pair.expires_in || 60) - 30);
  session.timer = setTimeout(refresh, seconds * 1000);
}

// One refresh at a time: refresh tokens are single-use, so two requests that both met a 401
// (the dashboard asks five at once) must share one rotation; presenting the same token twice
// is reuse, and the service ends the whole session.
function refresh() {
  session.refreshing ||= rotate().finally(() => { session.refreshing = null; });
  return session.refreshing;
}

async function rotate() {
  try {
    keep(await call("/auth/refresh", { method: "POST", body: { refresh_token: session.refresh }, auth: false }));
    return true;
  } catch {
    forget();
    notice("Your session ended; sign in again.");
    return false;
  }
}

function forget() {
  clearTimeout(session.timer);
  Object.assign(session, { access: null, refresh: null, timer: null, me: null });
  show();
}

function holds(permission) {
  return Boolean(session.me && session.me.permissions.includes(permission));
}

function show() {
  const signedIn = Boolean(session.me);
  $("sign-in").hidden = signedIn;
  $("nav").hidden = !signedIn;
  $("audit").hidden = !signedIn;
  $("analytics").hidden = !signedIn;
  if (!signedIn) return;
  $("who").textContent = session.me.email;
  const auditAllowed = holds("audit:read");
  $("audit-forbidden").hidden = auditAllowed;
  $("audit-body").hidden = !auditAllowed;
  if (auditAllowed) loadAudit();
  const analyticsAllowed = holds("analytics:read");
  $("analytics-forbidden").hidden = analyticsAllowed;
  $("analytics-body").hidden = !analyticsAllowed;
  if (analyticsAllowed) loadAnalytics();
}

// Filters live in the page's URL, so a view can be shared.
const FILTERS = ["action", "actor_id", "target_type", "target_id", "outcome", "from", "to", "order"];

function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  const form = $("audit-filters");
  for (const name of FILTERS) {
    const value = params.get(name) || "";
    form.elements[name].value = name === "from" || name === "to" ? toLocalInput(value) : value;
  }
  if (!form.elements.order.value) form.elements.order.value = "desc";
}

function filtersToUrl() {
  const form = $("audit-filters");
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    let value = form.elements[name].value.trim();
    if ((name === "from" || name === "to") && value) value = new Date(value).toISOString();
    if (name === "order" && value === "desc") value = "";
    if (value) params.set(name, value);
  }
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  return params;
}

function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 19);
}

let nextCursor = null;

async function loadAudit(older = false) {
  const params = filtersToUrl();
  params.set("limit", "50");
  if (older && nextCursor) params.set("cursor", nextCursor);
  else integrity.loadStatus();
  try {
    const page = await call(`/audit-events?${params}`);
    const body = $("audit-table").tBodies[0];
    if (!older) body.replaceChildren();
    for (const event of page.items) body.append(row(event));
    nextCursor = page.next_cursor;
    $("audit-older").hidden = !nextCursor;
    $("audit-empty").hidden = body.rows.length > 0;
    notice("");
  } catch (error) {
    notice(error.message);
  }
}

function cell(text, extra) {
  const td = document.createElement("td");
  td.textContent = text;
  if (extra) {
    const small = document.createElement("span");
    small.className = "local";
    small.textContent = extra;
    td.append(small);
  }
  return td;
}

// An RFC 3339 instant in UTC as people read it: "2026-12-03 18:12:33.085 UTC".
function utc(instant) {
  return instant.replace("T", " ").replace(/(Z|\+00:00)$/, " UTC");
}

function row(event) {
  const tr = document.createElement("tr");
  tr.tabIndex = 0;
  tr.dataset.id = event.id;
  const when = new Date(event.occurred_at);
  tr.append(
    cell(utc(event.occurred_at), when.toLocaleString()),
    cell(event.action),
    cell(event.outcome),
    cell(event.actor.email || event.actor.user_id || "anonymous"),
    cell(`${event.target.type}${event.target.id ? ` ${event.target.id}` : ""}`),
  );
  const open = () => showDetail(event);
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
  return tr;
}

let detailEvent = null;

function showDetail(event) {
  detailEvent = event;
  const fields = $("detail-fields");
  fields.replaceChildren();
  const add = (term, value) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    fields.append(dt, dd);
  };
  add("Time", `${utc(event.occurred_at)} (${new Date(event.occurred_at).toLocaleString()} your time)`);
  add("Action", event.action);
  add("Outcome", event.outcome);
  add("Actor", [event.actor.email, event.actor.user_id, event.actor.ip].filter(Boolean).join(" · ") || "anonymous");
  add("Target", `${event.target.type} ${event.target.id || ""}`);
  if (event.request_id) add("Request id", event.request_id);
  if (event.metadata && Object.keys(event.metadata).length) add("Metadata", JSON.stringify(event.metadata));
  const changes = $("detail-changes");
  const body = changes.tBodies[0];
  body.replaceChildren();
  for (const [field, change] of Object.entries(event.changes || {})) {
    const tr = document.createElement("tr");
    tr.append(cell(field), cell(JSON.stringify(change.from)), cell(`→ ${JSON.stringify(change.to)}`));
    body.append(tr);
  }
  changes.hidden = body.rows.length === 0;
  $("detail-proof").replaceChildren();
  $("detail-history").hidden = !event.target.id;
  $("audit-detail").hidden = false;
  $("detail-close").focus();
}

function showTargetHistory() {
  if (!detailEvent || !detailEvent.target.id) return;
  const form = $("audit-filters");
  for (const name of FILTERS) form.elements[name].value = "";
  form.elements.target_type.value = detailEvent.target.type;
  form.elements.target_id.value = detailEvent.target.id;
  form.elements.order.value = "asc";
  $("audit-detail").hidden = true;
  loadAudit();
}

// Exports download through a single-use link, so the browser streams the file to disk
// instead of holding it (a download cannot carry the Authorization header).
async function exportAs(format) {
  const params = filtersToUrl();
  const body = { format };
  for (const name of FILTERS) {
    if (name !== "order" && params.get(name)) body[name] = params.get(name);
  }
  try {
    const link = await call("/audit-events/export-links", { method: "POST", body });
    const anchor = document.createElement("a");
    anchor.href = link.url;
    anchor.download = `audit-events.${format}`;
    anchor.hidden = true;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    $("export-status").textContent = `${format.toUpperCase()} export of the matching events started (newest first).`;
  } catch (error) {
    notice(error.message);
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  try {
    keep(await call("/auth/login", {
      method: "POST", auth: false,
      body: { email: form.elements.email.value, password: form.elements.password.value },
    }));
    form.elements.password.value = "";
    session.me = await call("/users/me");
    notice("");
    show();
  } catch (error) {
    notice(error.message);
  }
}

async function signOut() {
  const refreshToken = session.refresh;
  forget();
  if (refreshToken) {
    await call("/auth/logout", { method: "POST", auth: false, body: { refresh_token: refreshToken } }).catch(() => {});
  }
  notice("Signed out.");
  $("email").focus();
}

const loadAnalytics = setupAnalytics(call, notice);
const integrity = setupIntegrity(call, notice);
$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", signOut);
$("audit-filters").addEventListener("submit", (e) => { e.preventDefault(); $("audit-detail").hidden = true; loadAudit(); });
$("audit-clear").addEventListener("click", () => { $("audit-filters").reset(); loadAudit(); });
$("audit-older").addEventListener("click", () => loadAudit(true));
$("detail-close").addEventListener("click", () => { $("audit-detail").hidden = true; });
$("detail-history").addEventListener("click", showTargetHistory);
$("detail-proof-check").addEventListener("click", () => detailEvent && integrity.showProof(detailEvent));
$("export-csv").addEventListener("click", () => exportAs("csv"));
$("export-ndjson").addEventListener("click", () => exportAs("ndjson"));
filtersFromUrl();
show();
