ALTER TABLE products DROP COLUMN supplier_id;
