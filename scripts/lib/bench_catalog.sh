# shellcheck shell=bash
# The catalogue section of scripts/bench.sh (sourced by it: uses BIN, BASE, DATABASE_URL,
# TEST_DATABASE_URL, CONNECTIONS, SECONDS_PER_RUN, SERVER_PID, TMP_DIR, wrk_summary,
# LAST_RPS). Seeds 10,000 products with SQL (fast and repeatable; the write path itself is
# measured by the stock-adjustment run), then loads three endpoints at $CONNECTIONS
# connections and reports each as a ratio of pgbench's select-only tps from the same run.

ADMIN_EMAIL="bench-admin-$$@example.com"
ADMIN_TOKEN="$(create_admin_token "$ADMIN_EMAIL" "$PASSWORD")"

psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO categories (id, name)
SELECT gen_random_uuid(), 'Bench category ' || g FROM generate_series(1, 20) g;
INSERT INTO products (id, name, description, sku, price, stock_quantity, category_id)
SELECT gen_random_uuid(),
       'Product ' || lpad(g::text, 5, '0'),
       'Seeded for the benchmark',
       'BENCH-' || g,
       round((random() * 1000)::numeric, 2),
       1000000,
       (SELECT id FROM categories ORDER BY name OFFSET g % 20 LIMIT 1)
FROM generate_series(1, 10000) g;
VACUUM ANALYZE categories, products;
SQL
IDS="$TMP_DIR/bench-product-ids"
psql "$DATABASE_URL" -AtqX -c "SELECT id FROM products" >"$IDS"
log "seeded $(wc -l <"$IDS") products"

# pgbench select-only (scale 10) in a scratch database of its own: the physical bound.
PGB_DB="stockroom_pgbench_$$"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $PGB_DB" >/dev/null
register_cleanup psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)"
PGB_URL="$(pg_url_with_db "$TEST_DATABASE_URL" "$PGB_DB")"
pgbench -i -q -s 10 "$PGB_URL" >/dev/null 2>&1
PGB_TPS="$(pgbench -S -c 64 -j 2 -T "$SECONDS_PER_RUN" "$PGB_URL" 2>/dev/null \
    | awk '/^tps/ { print $3; exit }')"
psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)" >/dev/null

# The same statements each endpoint runs, straight from pgbench (no HTTP, no service, no
# MongoDB): what PostgreSQL alone allows for that endpoint here. The adjustment writes its
# events to a copy of the outbox (same columns and indexes) that no relay reads.
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM products;
CREATE UNIQUE INDEX ON bench_ids (n);
CREATE TABLE bench_outbox (LIKE outbox INCLUDING ALL);
SQL
COLUMNS="id, name, description, sku, price, stock_quantity, category_id, is_active, version, created_at, updated_at"
cat >"$TMP_DIR/bench-sql-get.sql" <<SQL
\set n random(1, 10000)
SELECT $COLUMNS FROM products WHERE id = (SELECT id FROM bench_ids WHERE n = :n) AND is_active;
SQL
cat >"$TMP_DIR/bench-sql-list.sql" <<SQL
SELECT $COLUMNS FROM products WHERE is_active ORDER BY name, id LIMIT 20 OFFSET 0;
SELECT sum(live) FROM product_counts;
SQL
cat >"$TMP_DIR/bench-sql-adjust.sql" <<SQL
\set n random(1, 10000)
BEGIN;
UPDATE products SET stock_quantity = stock_quantity + 1, version = version + 1, updated_at = now()
 WHERE id = (SELECT id FROM bench_ids WHERE n = :n) AND is_active AND stock_quantity + 1 >= 0
 RETURNING $COLUMNS;
INSERT INTO bench_outbox (event_id, occurred_at, payload) VALUES (gen_random_uuid(), now(),
 '{"action": "product.stock_adjusted", "outcome": "success", "actor": {"email": "a@example.com", "ip": "127.0.0.1", "user_agent": "wrk"}, "target": {"type": "product", "id": "01a20127-61ad-7297-aa76-55b13d143d8d"}, "changes": {"stock_quantity": {"from": 1, "to": 2}}, "metadata": {"delta": 1, "reason": "benchmark delivery", "version": 2}, "request_id": "01a20127-61ad-7297-aa76-55b13d143d8d"}');
COMMIT;
SQL
sql_ceiling() { pgbench -n -M prepared -c 64 -j 2 -T "$SECONDS_PER_RUN" -f "$TMP_DIR/bench-sql-$1.sql" "$DATABASE_URL" 2>/dev/null | awk '/^tps/ { print $3; exit }'; }
CEIL_GET="$(sql_ceiling get)"
CEIL_LIST="$(sql_ceiling list)"
CEIL_ADJUST="$(sql_ceiling adjust)"

GET_LUA="$TMP_DIR/bench-get-product.lua"
cat >"$GET_LUA" <<LUA
local ids = {}
for line in io.lines("$IDS") do ids[#ids + 1] = line end
request = function()
    return wrk.format("GET", "/api/v1/products/" .. ids[math.random(#ids)])
end
LUA

ADJUST_LUA="$TMP_DIR/bench-adjust.lua"
cat >"$ADJUST_LUA" <<LUA
local ids = {}
for line in io.lines("$IDS") do ids[#ids + 1] = line end
wrk.headers["Content-Type"] = "application/json"
request = function()
    return wrk.format("POST", "/api/v1/products/" .. ids[math.random(#ids)] .. "/stock-adjustments",
        nil, '{"delta": 1, "reason": "benchmark delivery"}')
end
LUA

# ratio TARGET CEILING: the run against pgbench -S, and the PostgreSQL-only ceiling of the
# endpoint's own statements against pgbench -S.
ratio() {
    awk -v r="$LAST_RPS" -v p="$PGB_TPS" -v t="$1" -v c="$2" 'BEGIN {
        printf "%.2f x pgbench (target >= %s); its statements alone in PostgreSQL: %.0f tps = %.2f x", r / p, t, c, c / p }'
}

printf '\n== catalog (%s s per run, %s connections, machine: %s cores, %s) ==\n' "$SECONDS_PER_RUN" "$CONNECTIONS" \
    "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '%-40s %10s tps\n' "pgbench -S -c 64 -j 2 (scale 10)" "$PGB_TPS"
wrk_summary "GET /products/{id} (random of 10k)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE"
printf '%-40s %s\n' "" "$(ratio 0.6 "$CEIL_GET")"
wrk_summary "GET /products?limit=20" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/products?limit=20"
printf '%-40s %s\n' "" "$(ratio 0.3 "$CEIL_LIST")"
wrk_summary "POST /products/{id}/stock-adjustments" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -s "$ADJUST_LUA" "$BASE"
printf '%-40s %s\n' "" "$(ratio 0.25 "$CEIL_ADJUST")"
