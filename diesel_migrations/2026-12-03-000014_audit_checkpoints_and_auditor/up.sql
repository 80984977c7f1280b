-- Signed checkpoints are copied to MongoDB after they are written here; `delivered_at` says
-- which are there, so a copy interrupted (MongoDB down, a crash) is made again.
ALTER TABLE audit_checkpoints ADD COLUMN delivered_at TIMESTAMPTZ;
CREATE INDEX audit_checkpoints_undelivered_idx ON audit_checkpoints (seq) WHERE delivered_at IS NULL;

-- The built-in `auditor` role reads the audit trail and nothing else. A custom role already
-- named so keeps its permissions under a new name, said in its description.
UPDATE roles
SET name = 'auditor-custom',
    description = left('(renamed: auditor is now built in) ' || coalesce(description, ''), 500)
WHERE lower(name) = 'auditor' AND NOT is_builtin;
INSERT INTO roles (id, name, description, is_builtin) VALUES
    ('00000000-0000-7000-8000-000000000004', 'auditor', 'Read and verify the audit trail', TRUE);
INSERT INTO role_permissions (role_id, permission) VALUES
    ('00000000-0000-7000-8000-000000000004', 'audit:read');
