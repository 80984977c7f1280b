DROP TRIGGER products_counted ON products;
DROP FUNCTION product_counts_follow();
DROP TABLE product_counts;
