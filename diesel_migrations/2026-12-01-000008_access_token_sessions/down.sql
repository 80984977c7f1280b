DROP TRIGGER refresh_tokens_session_revoked ON refresh_tokens;

CREATE OR REPLACE FUNCTION notify_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('stockroom_identity', COALESCE(NEW.id, OLD.id)::text);
    ELSIF TG_TABLE_NAME = 'user_roles' THEN
        PERFORM pg_notify('stockroom_identity', COALESCE(NEW.user_id, OLD.user_id)::text);
    ELSE
        PERFORM pg_notify('stockroom_identity', '*');
    END IF;
    RETURN NULL;
END
$$;

-- A view's columns cannot be dropped by CREATE OR REPLACE.
DROP VIEW users_with_access;
CREATE VIEW users_with_access AS
SELECT u.id, u.email, u.full_name, u.is_active, u.last_login_at, u.created_at, u.updated_at,
       ARRAY(SELECT r.name
             FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = u.id
             ORDER BY r.name) AS roles,
       ARRAY(SELECT DISTINCT rp.permission
             FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
             WHERE ur.user_id = u.id
             ORDER BY rp.permission) AS permissions
FROM users u;

DROP INDEX refresh_tokens_live_idx;
