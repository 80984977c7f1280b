-- Access tokens carry their session (`sid`, the refresh-token family). An access token counts
-- only while its session is live: not revoked (logout, refresh reuse, password change,
-- deactivation) and not expired. The identity lookup every request needs reads the user's
-- live sessions with the rest, so checking a token's session costs no query of its own.

-- A family's live token is its one unused, unrevoked token.
CREATE INDEX refresh_tokens_live_idx ON refresh_tokens (user_id)
    WHERE revoked_at IS NULL AND used_at IS NULL;

CREATE OR REPLACE VIEW users_with_access AS
SELECT u.id, u.email, u.full_name, u.is_active, u.last_login_at, u.created_at, u.updated_at,
       ARRAY(SELECT r.name
             FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = u.id
             ORDER BY r.name) AS roles,
       ARRAY(SELECT DISTINCT rp.permission
             FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
             WHERE ur.user_id = u.id
             ORDER BY rp.permission) AS permissions,
       ARRAY(SELECT rt.family_id
             FROM refresh_tokens rt
             WHERE rt.user_id = u.id AND rt.revoked_at IS NULL AND rt.used_at IS NULL
               AND rt.expires_at > now()) AS sessions
FROM users u;

-- A revoked session is announced like any other identity change, so every instance forgets
-- the user's remembered sessions at once (a new session needs no announcement: a token whose
-- session is not remembered is looked up afresh).
CREATE OR REPLACE FUNCTION notify_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('stockroom_identity', COALESCE(NEW.id, OLD.id)::text);
    ELSIF TG_TABLE_NAME IN ('user_roles', 'refresh_tokens') THEN
        PERFORM pg_notify('stockroom_identity', COALESCE(NEW.user_id, OLD.user_id)::text);
    ELSE
        PERFORM pg_notify('stockroom_identity', '*');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER refresh_tokens_session_revoked
AFTER UPDATE OF revoked_at ON refresh_tokens
FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
EXECUTE FUNCTION notify_identity_changed();
