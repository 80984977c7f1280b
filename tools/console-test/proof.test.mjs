// The console's proof check (src/http/console/proof.js) on the test vectors of
// docs/AUDIT_INTEGRITY.md, run by Node's own Web Crypto: the same code the browser runs.
//
//   node --test tools/console-test/proof.test.mjs

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalEvent, checkProof } from "../../src/http/console/proof.js";

const event = () => ({
  id: "0193e1c2-8000-7c00-8000-000000000001", seq: 1, schema_version: 1,
  occurred_at: "2026-12-02T10:15:30.123+00:00", action: "product.updated", outcome: "success",
  actor: { user_id: "0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d20", email: "ada@example.com", ip: "203.0.113.7" },
  target: { type: "product", id: "0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d21" },
  changes: { price: { from: "12.50", to: "9.99" } }, request_id: "req-1",
  metadata: { stock: 7, note: "café \"quoted\"" },
  prev_hash: "0".repeat(64),
  content_hash: "f6c4b02deb943ac2fc58d071fae330aea03abada972b7d84a4383a10763924d8",
  hash: "d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b2",
});
const checkpoint = () => ({
  seq: 1, hash: "d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b2",
  created_at: "2026-05-28T20:26:40.000Z", key_id: "ed25519:34750f98bd59fcfc",
  signature: "jau+tjNpry32JVrd8Nl4Y/KZWdQjxcpNVZd31u6G3EXuvFbGG4OnSKnbFELMOsKquX9IsX4hltY1S9Wh8Q5HAA==",
});
const keys = [{ key_id: "ed25519:34750f98bd59fcfc", public_key: "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=" }];

test("canonical bytes are the documented ones", () => {
  const expected = '{"action":"product.updated","actor":{"email":"ada@example.com","ip":"203.0.113.7","user_id":"0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d20"},"changes":{"price":{"from":"12.50","to":"9.99"}},"id":"0193e1c2-8000-7c00-8000-000000000001","metadata":{"note":"café \\"quoted\\"","stock":7},"occurred_at":"2026-12-02T10:15:30.123Z","outcome":"success","request_id":"req-1","schema_version":1,"seq":1,"target":{"id":"0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d21","type":"product"}}';
  assert.equal(new TextDecoder().decode(canonicalEvent(event())), expected);
});

test("the documented proof holds, step by step, signature included", async () => {
  const steps = await checkProof({ event: event(), chain: [], checkpoint: checkpoint() }, keys);
  assert.equal(steps.length, 5);
  assert.deepEqual(steps.map((s) => s.ok), [true, true, true, true, true], JSON.stringify(steps));
});

test("a changed field, a forged link or signature, or an unknown key is caught", async () => {
  const changed = event();
  changed.changes.price.to = "0.99";
  let steps = await checkProof({ event: changed, chain: [], checkpoint: checkpoint() }, keys);
  assert.equal(steps.at(-1).ok, false, "content_hash");

  const link = { seq: 2, content_hash: "ab".repeat(32), hash: "cd".repeat(32) };
  steps = await checkProof({ event: event(), chain: [link], checkpoint: checkpoint() }, keys);
  assert.equal(steps.at(-1).ok, false, "link");

  const forged = checkpoint();
  forged.created_at = "2026-05-28T20:26:41.000Z";
  steps = await checkProof({ event: event(), chain: [], checkpoint: forged }, keys);
  assert.equal(steps.at(-1).ok, false, "signature");

  steps = await checkProof({ event: event(), chain: [], checkpoint: checkpoint() }, []);
  assert.equal(steps.at(-1).ok, false, "key");
});
