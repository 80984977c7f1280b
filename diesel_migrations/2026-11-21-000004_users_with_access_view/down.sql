DROP VIEW users_with_access;
