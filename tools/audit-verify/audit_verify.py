#!/usr/bin/env python3
"""Reference verifier of a Stockroom audit trail export (docs/AUDIT_INTEGRITY.md).

Checks an NDJSON export (GET /api/v1/audit-events/export?format=ndjson, unfiltered) against
exported checkpoints (the items of GET /api/v1/audit-trail/checkpoints: a JSON array, an
object with "items", or one checkpoint per line) and the public keys you trust, using only
the specification: Python's standard library and the `cryptography` package for Ed25519.

    audit_verify.py EXPORT.ndjson --checkpoints CHECKPOINTS.json --public-key BASE64 [...]

Exit status: 0 intact, 1 broken (the first break is printed), 2 could not run.
"""

import argparse
import base64
import datetime
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
SIGNING_CONTEXT = b"stockroom-audit-checkpoint-v1\x00"
CHAIN_FIELDS = ("prev_hash", "content_hash", "hash")


class Broken(Exception):
    def __init__(self, seq, kind, detail):
        super().__init__(f"broken at seq {seq}: {kind}: {detail}")
        self.seq, self.kind, self.detail = seq, kind, detail


def millis_z(text):
    """An RFC 3339 time written YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, three fraction digits)."""
    at = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    at = at.astimezone(datetime.timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def canonical_bytes(event):
    """RFC 8785 bytes of the event without its three hashes, the time at milliseconds.

    json.dumps with sorted keys, no whitespace and ensure_ascii=False is RFC 8785 for what
    audit events hold (ASCII member names, strings, integers, booleans, null): it escapes
    exactly `"`, `\\` and U+0000..U+001F, as \\b \\t \\n \\f \\r or lowercase \\u00xx.
    """
    body = {key: value for key, value in event.items() if key not in CHAIN_FIELDS}
    body["occurred_at"] = millis_z(body["occurred_at"])
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def link_hash(prev_hash, content_hash):
    return sha256_hex(bytes.fromhex(prev_hash) + bytes.fromhex(content_hash))


def key_id(public_bytes):
    return "ed25519:" + sha256_hex(public_bytes)[:16]


def signed_bytes(checkpoint):
    """The 78 bytes a checkpoint's signature covers."""
    at = datetime.datetime.fromisoformat(checkpoint["created_at"].replace("Z", "+00:00"))
    if at.microsecond % 1000:
        raise ValueError("created_at has sub-millisecond digits")
    delta = at - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    millis = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return (
        SIGNING_CONTEXT
        + struct.pack(">q", checkpoint["seq"])
        + bytes.fromhex(checkpoint["hash"])
        + struct.pack(">q", millis)
    )


def load_keys(encoded_keys):
    keys = {}
    for encoded in encoded_keys:
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 32:
            raise ValueError(f"{encoded} is not a 32-byte Ed25519 public key")
        keys[key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def load_checkpoints(text):
    text = text.strip()
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(parsed, dict):
        return parsed.get("items", [parsed])
    return parsed


def check_checkpoint(checkpoint, keys):
    key = keys.get(checkpoint.get("key_id"))
    if key is None:
        raise Broken(checkpoint["seq"], "checkpoint_invalid",
                     f"signed by key {checkpoint.get('key_id')}, which is not a trusted key")
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), signed_bytes(checkpoint))
    except (InvalidSignature, ValueError) as why:
        raise Broken(checkpoint["seq"], "checkpoint_invalid", "its signature does not verify") from why


def verify(events, checkpoints, keys):
    """Returns (first seq, last seq, checkpoints passed); raises Broken at the first break."""
    chained = sorted((e for e in events if "seq" in e), key=lambda e: e["seq"])
    signed = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c["seq"]):
        check_checkpoint(checkpoint, keys)
        signed[checkpoint["seq"]] = checkpoint["hash"]
    if not chained:
        if signed:
            raise Broken(min(signed), "truncated", "checkpoints name events the export lacks")
        return (0, 0, 0)
    first = chained[0]["seq"]
    prev = GENESIS if first == 1 else chained[0]["prev_hash"]
    expected = first
    passed = 0
    for event in chained:
        seq = event["seq"]
        if seq < expected:
            raise Broken(seq, "unexpected", f"a second event at seq {seq}")
        if seq > expected:
            raise Broken(expected, "missing", f"no event at seq {expected} (the next is {seq})")
        if sha256_hex(canonical_bytes(event)) != event["content_hash"]:
            raise Broken(seq, "modified", "its fields do not hash to its content_hash")
        if link_hash(event["prev_hash"], event["content_hash"]) != event["hash"]:
            raise Broken(seq, "modified", "its hash is not SHA-256(prev_hash || content_hash)")
        if event["prev_hash"] != prev:
            raise Broken(seq, "reordered", f"its prev_hash is not the hash at seq {seq - 1}")
        if seq in signed:
            if signed[seq] != event["hash"]:
                raise Broken(seq, "modified", "the chain's hash differs from its signed checkpoint")
            passed += 1
        prev = event["hash"]
        expected += 1
    last = expected - 1
    beyond = [seq for seq in signed if seq > last]
    if beyond:
        raise Broken(last + 1, "truncated",
                     f"a signed checkpoint covers seq {max(beyond)}; the export ends at {last}")
    return (first, last, passed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the NDJSON export of the audit trail")
    parser.add_argument("--checkpoints", required=True, help="the exported checkpoints")
    parser.add_argument("--public-key", action="append", required=True,
                        help="a trusted Ed25519 public key, base64 (repeat for retired keys)")
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as export:
            events = [json.loads(line) for line in export if line.strip()]
        with open(args.checkpoints, encoding="utf-8") as file:
            checkpoints = load_checkpoints(file.read())
        keys = load_keys(args.public_key)
    except (OSError, ValueError) as why:
        print(f"audit_verify: cannot run: {why}", file=sys.stderr)
        return 2
    try:
        first, last, passed = verify(events, checkpoints, keys)
    except Broken as broken:
        print(broken)
        return 1
    except (KeyError, TypeError, ValueError) as why:
        print(f"broken: an event or checkpoint is not readable: {why!r}")
        return 1
    print(f"intact: seq {first} to {last}, {passed} signed checkpoint(s) passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
