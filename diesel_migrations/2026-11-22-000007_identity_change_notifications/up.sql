-- Every change to who a user is or what they may do notifies `stockroom_identity` at commit
-- (NOTIFY is transactional: nothing is sent for a rolled-back change, and PostgreSQL folds
-- identical notifications of one transaction into one). Each service process listens and
-- drops what it remembered (src/service/identity_cache.rs). The payload is the user's id,
-- or `*` for a role or its permissions, which anyone may hold.
CREATE FUNCTION notify_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER users_identity_changed
AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION notify_identity_changed();

CREATE TRIGGER user_roles_identity_changed
AFTER INSERT OR UPDATE OR DELETE ON user_roles
FOR EACH ROW EXECUTE FUNCTION notify_identity_changed();

CREATE TRIGGER roles_identity_changed
AFTER UPDATE OR DELETE ON roles
FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();

CREATE TRIGGER role_permissions_identity_changed
AFTER INSERT OR UPDATE OR DELETE ON role_permissions
FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
