// The audit chain in the console: its verification status and last signed checkpoint, and
// one event's proof checked here in the browser (docs/AUDIT_INTEGRITY.md says how): SHA-256
// through Web Crypto, the checkpoint's Ed25519 signature where the browser can check it.

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
// An instant as people read it: "2026-12-04 01:32:49 UTC".
const utc = (instant) => new Date(instant).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function sha256(...parts) {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// RFC 8785 for what audit events hold (strings, integers, booleans, null, objects, arrays):
// JSON.stringify escapes strings as RFC 8785 does, and the default sort compares UTF-16
// code units, as RFC 8785 orders members.
function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const names = Object.keys(value).filter((name) => value[name] !== undefined).sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonical(value[name])}`).join(",")}}`;
}

// The event's canonical bytes (schema_version 1): the API's object without its hashes,
// absent members left out, the time as YYYY-MM-DDTHH:MM:SS.mmmZ.
export function canonicalEvent(event) {
  const actor = {};
  for (const name of ["user_id", "email", "ip", "user_agent"]) {
    if (event.actor[name] != null) actor[name] = event.actor[name];
  }
  const target = { type: event.target.type };
  if (event.target.id != null) target.id = event.target.id;
  const object = {
    id: event.id, seq: event.seq, schema_version: 1,
    occurred_at: new Date(event.occurred_at).toISOString(),
    action: event.action, outcome: event.outcome, actor, target,
    request_id: event.request_id ?? null, metadata: event.metadata || {},
  };
  if (event.changes != null) object.changes = event.changes;
  return encoder.encode(canonical(object));
}

// The 78 bytes a checkpoint's signature covers.
function signedBytes(checkpoint) {
  const bytes = new Uint8Array(78);
  bytes.set(encoder.encode("stockroom-audit-checkpoint-v1\0"), 0);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(30, BigInt(checkpoint.seq));
  bytes.set(fromHex(checkpoint.hash), 38);
  view.setBigInt64(70, BigInt(Date.parse(checkpoint.created_at)));
  return bytes;
}

// Each step of the proof, in order: `{ok, text}`; `ok` is null for what could not be checked.
export async function checkProof(proof, keys) {
  const { event, chain, checkpoint } = proof;
  const steps = [];
  const step = (ok, text) => { steps.push({ ok, text }); return ok; };
  const content = await sha256(canonicalEvent(event));
  if (!step(hex(content) === event.content_hash,
    `the event's fields hash to its content_hash (${event.content_hash.slice(0, 12)}…)`)) return steps;
  let current = await sha256(fromHex(event.prev_hash), content);
  if (!step(hex(current) === event.hash, `SHA-256(prev_hash ‖ content_hash) is its hash, at seq ${event.seq}`)) return steps;
  let seq = event.seq;
  for (const link of chain) {
    seq += 1;
    current = await sha256(current, fromHex(link.content_hash));
    if (link.seq !== seq || hex(current) !== link.hash) {
      step(false, `the link at seq ${link.seq} does not follow (expected seq ${seq} and its hash)`);
      return steps;
    }
  }
  step(true, `${chain.length} following link(s) hash in order up to seq ${seq}`);
  if (!step(seq === checkpoint.seq && hex(current) === checkpoint.hash,
    `the chain's hash at seq ${checkpoint.seq} is the signed checkpoint's`)) return steps;
  const key = keys.find((k) => k.key_id === checkpoint.key_id);
  if (!key) {
    step(false, `the checkpoint's key ${checkpoint.key_id} is not one this service lists`);
    return steps;
  }
  let publicKey;
  try {
    publicKey = await crypto.subtle.importKey("raw", fromBase64(key.public_key), { name: "Ed25519" }, false, ["verify"]);
  } catch {
    step(null, "this browser cannot check Ed25519 signatures: the signature was not checked here (tools/audit-verify can)");
    return steps;
  }
  const valid = await crypto.subtle.verify("Ed25519", publicKey, fromBase64(checkpoint.signature), signedBytes(checkpoint));
  step(valid, `the checkpoint's Ed25519 signature verifies under ${key.key_id} (compare it with the key you hold)`);
  return steps;
}

export function setupIntegrity(call, notice) {
  let keys = null;

  async function loadStatus(full = false) {
    const status = $("chain-status");
    try {
      const [verification, checkpoints] = await Promise.all([
        call(`/audit-trail/verification${full ? "?full=true" : ""}`),
        call("/audit-trail/checkpoints?limit=1"),
      ]);
      const broken = verification.first_break;
      status.dataset.status = verification.status;
      status.textContent = broken
        ? `Chain broken at seq ${broken.seq} (${broken.kind}): ${broken.detail}`
        : `Chain intact through seq ${verification.verified_through_seq} of ${verification.head_seq}` +
          `${verification.pending ? ` (${verification.pending} pending delivery)` : ""}, checked ${utc(verification.checked_at)}.`;
      const last = checkpoints.items[0];
      $("chain-checkpoint").textContent = last
        ? `Last signed checkpoint: seq ${last.seq} at ${utc(last.created_at)}, key ${last.key_id}.`
        : "No signed checkpoint yet.";
    } catch (error) {
      status.textContent = `Chain status unavailable: ${error.message}`;
    }
  }

  async function showProof(event) {
    const out = $("detail-proof");
    out.replaceChildren();
    const say = (ok, text) => {
      const li = document.createElement("li");
      li.dataset.ok = ok === null ? "unknown" : String(ok);
      li.textContent = `${ok === null ? "–" : ok ? "✓" : "✗"} ${text}`;
      out.append(li);
    };
    if (event.seq == null) {
      say(null, "This event was stored before the chain started: it has no proof.");
      return;
    }
    try {
      keys ||= (await call("/audit-trail/keys")).keys;
      const proof = await call(`/audit-events/${event.id}/proof`);
      const steps = await checkProof(proof, keys);
      for (const { ok, text } of steps) say(ok, text);
      const failed = steps.some((s) => s.ok === false);
      const whole = steps.every((s) => s.ok === true);
      say(failed ? false : whole ? true : null, failed ? "The proof does NOT hold."
        : whole ? "Proof checked in this browser." : "Proof partly checked.");
    } catch (error) {
      say(null, error.status === 409
        ? "No signed checkpoint covers this event yet; try again in a minute."
        : `The proof could not be read: ${error.message}`);
    }
  }

  $("chain-verify").addEventListener("click", () => { notice("Verifying the whole chain…"); loadStatus(true).then(() => notice("")); });
  return { loadStatus, showProof };
}
