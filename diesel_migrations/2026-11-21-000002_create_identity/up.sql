-- Accounts, roles, permissions and refresh tokens.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    -- Stored trimmed and lowercased, so the unique constraint is case-insensitive.
    email         TEXT NOT NULL CONSTRAINT users_email_key UNIQUE
                  CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    full_name     TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 255),
    password_hash TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Listing users newest first, filtering by activity.
CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC);

CREATE TABLE permissions (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE roles (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL CONSTRAINT roles_name_key UNIQUE
                CHECK (name ~ '^[a-z][a-z0-9_-]{1,49}$'),
    description TEXT CHECK (length(description) <= 500),
    is_builtin  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE role_permissions (
    role_id    UUID NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL REFERENCES permissions (name),
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id UUID NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
-- "Who has this role?" (role deletion, filtering users by role).
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE refresh_tokens (
    id         UUID PRIMARY KEY,
    -- Rotation keeps the family; reuse of a used token revokes the whole family.
    family_id  UUID NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the opaque token; the token itself is never stored.
    token_hash BYTEA NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

INSERT INTO permissions (name, description) VALUES
    ('users:read', 'List and read user accounts'),
    ('users:write', 'Change, deactivate and assign roles to user accounts'),
    ('roles:read', 'List and read roles and permissions'),
    ('roles:write', 'Create, change and delete roles'),
    ('categories:write', 'Create, change and delete categories'),
    ('products:read', 'List and read categories and products'),
    ('products:write', 'Create and change products and adjust stock'),
    ('products:delete', 'Delete products'),
    ('audit:read', 'Read and export the audit trail'),
    ('analytics:read', 'Read the analytics dashboards');

-- Built-in roles have fixed ids so code and tests can name them.
INSERT INTO roles (id, name, description, is_builtin) VALUES
    ('00000000-0000-7000-8000-000000000001', 'admin', 'Everything', TRUE),
    ('00000000-0000-7000-8000-000000000002', 'manager', 'Catalogue management, audit and analytics', TRUE),
    ('00000000-0000-7000-8000-000000000003', 'user', 'Read the catalogue', TRUE);

INSERT INTO role_permissions (role_id, permission)
SELECT '00000000-0000-7000-8000-000000000001', name FROM permissions;
INSERT INTO role_permissions (role_id, permission) VALUES
    ('00000000-0000-7000-8000-000000000002', 'products:read'),
    ('00000000-0000-7000-8000-000000000002', 'products:write'),
    ('00000000-0000-7000-8000-000000000002', 'products:delete'),
    ('00000000-0000-7000-8000-000000000002', 'categories:write'),
    ('00000000-0000-7000-8000-000000000002', 'audit:read'),
    ('00000000-0000-7000-8000-000000000002', 'analytics:read'),
    ('00000000-0000-7000-8000-000000000003', 'products:read');
