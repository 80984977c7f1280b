DELETE FROM role_permissions WHERE permission = 'suppliers:write';
DELETE FROM permissions WHERE name = 'suppliers:write';
DROP TABLE suppliers;
