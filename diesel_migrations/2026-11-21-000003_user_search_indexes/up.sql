-- Serves `GET /api/v1/users?q=`: a case-insensitive substring match (ILIKE '%...%') on email
-- or full_name, which B-tree indexes cannot answer. Trigram GIN indexes can, one per
-- column, combined by a BitmapOr. (Patterns under 3 characters still scan, which is fine.)
-- The `role` filter is served by user_roles_role_id_idx and `is_active` needs none (two
-- values); the newest-first order by users_created_at_idx.
-- pg_trgm ships with PostgreSQL's contrib modules and is a trusted extension (PG 13+), so
-- the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_full_name_trgm_idx ON users USING gin (full_name gin_trgm_ops);
