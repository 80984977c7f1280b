"""The reference verifier against the documented test vectors (docs/AUDIT_INTEGRITY.md)."""

import base64
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

import audit_verify

EVENT = {
    "id": "0193e1c2-8000-7c00-8000-000000000001", "seq": 1, "schema_version": 1,
    "occurred_at": "2026-12-02T10:15:30.123+00:00", "action": "product.updated",
    "outcome": "success",
    "actor": {"user_id": "0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d20", "email": "ada@example.com",
              "ip": "203.0.113.7"},
    "target": {"type": "product", "id": "0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d21"},
    "changes": {"price": {"from": "12.50", "to": "9.99"}}, "request_id": "req-1",
    "metadata": {"stock": 7, "note": "café \"quoted\""},
}
CONTENT_HASH = "f6c4b02deb943ac2fc58d071fae330aea03abada972b7d84a4383a10763924d8"
HASH = "d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b2"
SEED = bytes([1] * 32)
PUBLIC_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
SIGNATURE = "jau+tjNpry32JVrd8Nl4Y/KZWdQjxcpNVZd31u6G3EXuvFbGG4OnSKnbFELMOsKquX9IsX4hltY1S9Wh8Q5HAA=="
CHECKPOINT = {"seq": 1, "hash": HASH, "created_at": "2026-05-28T20:26:40+00:00",
              "key_id": "ed25519:34750f98bd59fcfc", "signature": SIGNATURE}


def chained_event():
    return dict(EVENT, prev_hash="0" * 64, content_hash=CONTENT_HASH, hash=HASH)


class Vectors(unittest.TestCase):
    def test_the_event_vector(self):
        self.assertEqual(audit_verify.sha256_hex(audit_verify.canonical_bytes(EVENT)), CONTENT_HASH)
        self.assertEqual(audit_verify.link_hash("0" * 64, CONTENT_HASH), HASH)

    def test_the_checkpoint_vector(self):
        key = Ed25519PrivateKey.from_private_bytes(SEED)
        public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
        self.assertEqual(base64.b64encode(public).decode(), PUBLIC_KEY)
        self.assertEqual(audit_verify.key_id(public), CHECKPOINT["key_id"])
        signed = audit_verify.signed_bytes(CHECKPOINT)
        self.assertEqual(len(signed), 78)
        self.assertEqual(base64.b64encode(key.sign(signed)).decode(), SIGNATURE)

    def test_an_intact_export_and_each_break(self):
        keys = audit_verify.load_keys([PUBLIC_KEY])
        self.assertEqual(audit_verify.verify([chained_event()], [CHECKPOINT], keys), (1, 1, 1))
        changed = chained_event()
        changed["metadata"] = {"stock": 8, "note": "café \"quoted\""}
        with self.assertRaises(audit_verify.Broken) as broken:
            audit_verify.verify([changed], [CHECKPOINT], keys)
        self.assertEqual((broken.exception.kind, broken.exception.seq), ("modified", 1))
        with self.assertRaises(audit_verify.Broken) as broken:
            audit_verify.verify([], [CHECKPOINT], keys)
        self.assertEqual(broken.exception.kind, "truncated")
        forged = dict(CHECKPOINT, hash="ab" * 32)
        with self.assertRaises(audit_verify.Broken) as broken:
            audit_verify.verify([chained_event()], [forged], keys)
        self.assertEqual(broken.exception.kind, "checkpoint_invalid")
        other = Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        with self.assertRaises(audit_verify.Broken) as broken:
            audit_verify.verify([chained_event()], [CHECKPOINT],
                                audit_verify.load_keys([base64.b64encode(other).decode()]))
        self.assertEqual(broken.exception.kind, "checkpoint_invalid")


if __name__ == "__main__":
    unittest.main()
