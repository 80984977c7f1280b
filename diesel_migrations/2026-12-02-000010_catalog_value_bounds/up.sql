-- A product's price is greater than zero, and its stock never above 1,000,000,000 (the
-- bound creation always had, now held for adjustments too). NOT VALID: rows written before
-- these rules are kept as they are (nothing stored is lost); every new write is checked.
ALTER TABLE products
    ADD CONSTRAINT products_price_positive CHECK (price > 0) NOT VALID,
    ADD CONSTRAINT products_stock_at_most_max CHECK (stock_quantity <= 1000000000) NOT VALID;
