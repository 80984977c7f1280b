# shellcheck shell=bash
# The catalogue section of scripts/bench.sh (sourced by it: uses BIN, BASE, DATABASE_URL,
# TEST_DATABASE_URL, CONNECTIONS, SECONDS_PER_RUN, SERVER_PID, TMP_DIR, wrk_summary,
# LAST_RPS). Seeds 10,000 products with SQL (fast and repeatable; the write path itself is
# measured by the stock-adjustment run), then loads three endpoints at $CONNECTIONS
# connections and reports each as a ratio of pgbench's select-only tps from the same run.

ADMIN_EMAIL="bench-admin-$$@example.com"
STOCKROOM_ADMIN_PASSWORD="$PASSWORD" "$BIN" create-admin --email "$ADMIN_EMAIL" >/dev/null
ADMIN_TOKEN="$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$PASSWORD\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')"

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

ratio() { awk -v r="$LAST_RPS" -v p="$PGB_TPS" -v t="$1" 'BEGIN { printf "%.2f x pgbench (target >= %s)", r / p, t }'; }

printf '\n== catalog (%s s per run, %s connections, machine: %s cores, %s) ==\n' "$SECONDS_PER_RUN" "$CONNECTIONS" \
    "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '%-40s %10s tps\n' "pgbench -S -c 64 -j 2 (scale 10)" "$PGB_TPS"
wrk_summary "GET /products/{id} (random of 10k)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE"
printf '%-40s %s\n' "" "$(ratio 0.6)"
wrk_summary "GET /products?limit=20" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/products?limit=20"
printf '%-40s %s\n' "" "$(ratio 0.3)"
wrk_summary "POST /products/{id}/stock-adjustments" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -s "$ADJUST_LUA" "$BASE"
printf '%-40s %s\n' "" "$(ratio 0.25)"
