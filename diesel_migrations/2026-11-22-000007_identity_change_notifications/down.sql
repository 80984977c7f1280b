DROP TRIGGER role_permissions_identity_changed ON role_permissions;
DROP TRIGGER roles_identity_changed ON roles;
DROP TRIGGER user_roles_identity_changed ON user_roles;
DROP TRIGGER users_identity_changed ON users;
DROP FUNCTION notify_identity_changed();
