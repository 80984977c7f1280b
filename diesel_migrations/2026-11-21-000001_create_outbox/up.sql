-- Transactional outbox: audit events written in the same transaction as the change they
-- describe, relayed to MongoDB (`audit_events`) by the relay task.
CREATE TABLE outbox (
    -- Claim order (FIFO) for the relay; the event id is the identity that travels.
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     UUID        NOT NULL UNIQUE,
    occurred_at  TIMESTAMPTZ NOT NULL,
    payload      JSONB       NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT,
    delivered_at TIMESTAMPTZ
);

-- The relay's claim query and the backlog count only ever look at undelivered rows.
CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE delivered_at IS NULL;
-- Pruning delivered rows after the retention window.
CREATE INDEX outbox_delivered_at_idx ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
