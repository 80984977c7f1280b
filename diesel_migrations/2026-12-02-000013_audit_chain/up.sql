-- The audit chain (docs/AUDIT_INTEGRITY.md). Each audit event's position and hashes are fixed
-- here by the relay, in order under the head's lock and in a short transaction of their own,
-- before the event is delivered: every delivery of an event, by any instance, is then the same
-- document, and the chain never forks or gaps.
ALTER TABLE outbox
    ADD COLUMN chain_seq BIGINT UNIQUE CHECK (chain_seq > 0),
    ADD COLUMN prev_hash BYTEA CHECK (octet_length(prev_hash) = 32),
    ADD COLUMN content_hash BYTEA CHECK (octet_length(content_hash) = 32),
    ADD COLUMN hash BYTEA CHECK (octet_length(hash) = 32),
    ADD CONSTRAINT outbox_chained_whole CHECK (
        (chain_seq IS NULL) = (prev_hash IS NULL)
        AND (chain_seq IS NULL) = (content_hash IS NULL)
        AND (chain_seq IS NULL) = (hash IS NULL)
    );

-- What the relay chains next, and what it delivers next (in chain order).
CREATE INDEX outbox_unchained_idx ON outbox (seq) WHERE chain_seq IS NULL;
CREATE INDEX outbox_chained_pending_idx ON outbox (chain_seq)
    WHERE delivered_at IS NULL AND chain_seq IS NOT NULL;

-- The chain's head: the last position given and its hash. One row, locked while chaining.
CREATE TABLE audit_chain_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    seq BIGINT NOT NULL CHECK (seq >= 0),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    -- When the chain started: audit events delivered before it are unchained.
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- Signed checkpoints of the chain: `hash` is the chain's hash at `seq`.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY CHECK (seq > 0),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    key_id TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    signature BYTEA NOT NULL CHECK (octet_length(signature) = 64)
);
