-- A product may name the supplier it comes from. Suppliers are only ever soft-deleted, so
-- the key never dangles; the service refuses a deleted supplier (422) and refuses to delete
-- a supplier that live products name (409).
ALTER TABLE products ADD COLUMN supplier_id uuid REFERENCES suppliers (id);
-- The list's `supplier_id` filter (and the supplier-in-use check on delete), in name order.
CREATE INDEX products_supplier_name_idx ON products (supplier_id, name) WHERE is_active;
