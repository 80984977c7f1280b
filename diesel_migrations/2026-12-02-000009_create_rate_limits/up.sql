-- Rate-limit state shared by every instance: one row per (limit, client key) holding the
-- GCRA "theoretical arrival time" (the moment the key's budget is whole again).
-- UNLOGGED: no WAL for a counter that is rewritten on every login; a PostgreSQL crash
-- empties it (budgets start whole again) and standbys do not carry it.
-- No index on `tat`: updates stay HOT (fillfactor leaves room on the page), and the
-- cleanup worker's prune scans a table that only holds the keys of the last few minutes.
CREATE UNLOGGED TABLE rate_limits (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    tat TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, key)
) WITH (fillfactor = 70);
