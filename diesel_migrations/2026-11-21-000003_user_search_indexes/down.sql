DROP INDEX IF EXISTS users_full_name_trgm_idx;
DROP INDEX IF EXISTS users_email_trgm_idx;
-- Left installed: other objects may use it, and keeping it is harmless.
