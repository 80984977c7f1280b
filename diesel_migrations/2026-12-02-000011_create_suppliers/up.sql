-- Suppliers: who the shop buys from. Soft-deleted like products (`deleted_at`,
-- `is_active = false`), so the audit trail keeps pointing at a row; a deleted supplier reads
-- as absent, and its name may be taken again.
CREATE TABLE suppliers (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    contact_email text CHECK (char_length(contact_email) <= 254),
    phone         text CHECK (char_length(phone) <= 50),
    notes         text CHECK (char_length(notes) <= 2000),
    is_active     boolean NOT NULL DEFAULT true,
    version       bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    CONSTRAINT suppliers_active_iff_not_deleted CHECK (is_active = (deleted_at IS NULL))
);

-- Names are unique case-insensitively among live suppliers (409).
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (lower(name)) WHERE is_active;
-- The list: by name (id breaks ties), live or deleted ones; `q` is a literal
-- case-insensitive substring of the name (ILIKE '%q%'), answered by a trigram index.
CREATE INDEX suppliers_active_name_idx ON suppliers (is_active, name, id);
CREATE INDEX suppliers_name_trgm_idx ON suppliers USING gin (name gin_trgm_ops);

INSERT INTO permissions (name, description) VALUES
    ('suppliers:write', 'Create, change and delete suppliers');
-- admin holds every permission; managers run the catalogue.
INSERT INTO role_permissions (role_id, permission) VALUES
    ('00000000-0000-7000-8000-000000000001', 'suppliers:write'),
    ('00000000-0000-7000-8000-000000000002', 'suppliers:write');
