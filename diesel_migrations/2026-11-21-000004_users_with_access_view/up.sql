-- A user with role names and effective permissions, as every authenticated request needs it.
-- As a view, the lookup by id is a plain query that diesel prepares once per connection
-- (raw SQL is re-prepared on every call: two round trips instead of one). PostgreSQL pushes
-- `WHERE id = $1` into the view, so the sub-selects run for that one user only.
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
