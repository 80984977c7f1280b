-- The catalogue: categories, products and their stock.
--
-- Categories are deleted for real (409 while live products use one). Products are
-- soft-deleted (`deleted_at`, `is_active = false`) so the audit trail keeps pointing at a
-- row; a soft-deleted product's category may then be deleted, which clears its
-- `category_id` (ON DELETE SET NULL), while a live product must always have one (CHECK).
CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description text CHECK (char_length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Names are unique case-insensitively ("Tools" and "tools" clash): 409 on insert/update.
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));

CREATE TABLE products (
    id             uuid PRIMARY KEY,
    name           text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200),
    description    text CHECK (char_length(description) <= 2000),
    sku            text NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,50}$'),
    -- Exact money: two decimal places, never rounded (the service refuses 1.005).
    price          numeric(10, 2) NOT NULL CHECK (price >= 0),
    stock_quantity bigint NOT NULL CHECK (stock_quantity >= 0),
    category_id    uuid REFERENCES categories (id) ON DELETE SET NULL,
    is_active      boolean NOT NULL DEFAULT true,
    version        bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    CONSTRAINT products_active_iff_not_deleted CHECK (is_active = (deleted_at IS NULL)),
    CONSTRAINT products_live_have_a_category CHECK (category_id IS NOT NULL OR NOT is_active)
);

-- SKUs are unique case-insensitively among live products (409); a deleted product's SKU
-- may be reused.
CREATE UNIQUE INDEX products_sku_key ON products (lower(sku)) WHERE is_active;

-- Indexes for what GET /products offers, all partial on live rows (lists never show
-- deleted ones):
-- - `category_id` filter (and the category-in-use check on delete), in name order;
CREATE INDEX products_category_name_idx ON products (category_id, name) WHERE is_active;
-- - the sort orders (`name`, `price`, `created_at`, each both ways; id breaks ties);
CREATE INDEX products_name_idx ON products (name, id) WHERE is_active;
CREATE INDEX products_price_idx ON products (price, id) WHERE is_active;
CREATE INDEX products_created_at_idx ON products (created_at, id) WHERE is_active;
-- - `q`, a literal case-insensitive substring of name or SKU (ILIKE '%q%'), which B-trees
--   cannot answer: trigram GIN indexes, combined by a BitmapOr.
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops) WHERE is_active;
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops) WHERE is_active;
-- `min_price`/`max_price` use products_price_idx; `in_stock` (stock_quantity > 0) is
-- applied as a filter on whichever index drives the scan.
