-- Single-use export links: a browser downloads an audit export through a short-lived URL
-- instead of an Authorization header. Kept here (not in one process) so any instance serves
-- the link; only the token's SHA-256 is stored, never the token.
CREATE TABLE audit_export_links (
    token_hash BYTEA PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    actor_id UUID,
    action TEXT,
    target_type TEXT,
    target_id TEXT,
    outcome TEXT,
    from_at TIMESTAMPTZ,
    to_at TIMESTAMPTZ,
    export_limit BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
-- Counting a user's outstanding links, and sweeping expired ones.
CREATE INDEX audit_export_links_user_id_idx ON audit_export_links (user_id, expires_at);
CREATE INDEX audit_export_links_expires_at_idx ON audit_export_links (expires_at);
