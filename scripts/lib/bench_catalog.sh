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
# pgbench's simple-update transaction (-N): the bound of a single-row write that commits,
# with synchronous_commit as the server has it; the disk's flush rate sets it.
PGB_N_TPS="$(pgbench -N -c 64 -j 2 -T "$SECONDS_PER_RUN" "$PGB_URL" 2>/dev/null \
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
        printf "%.2f x pgbench -S (target >= %s); its statements alone in PostgreSQL: %.0f tps = %.2f x", r / p, t, c, c / p }'
}
# of BASE RPS TARGET LABEL: the run as a ratio of another figure of the same run.
of() { awk -v r="$LAST_RPS" -v b="$1" -v t="$2" -v l="$3" 'BEGIN { printf "%.2f x %s (target >= %s)", r / b, l, t }'; }
# metric BASE NAME: the sum of a counter's series in /metrics (0 when absent).
metric() { curl -fsS "$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%.0f", s }'; }
# activity_during BASE COMMAND...: runs the command, then says what became of the activity
# events it caused (written to MongoDB, discarded by the benchmark sink, dropped).
activity_during() {
    local base="$1" w d x
    shift
    w="$(metric "$base" activity_events_written_total)"; d="$(metric "$base" activity_events_dropped_total)"
    x="$(metric "$base" activity_events_discarded_total)"
    "$@"
    sleep 1 # the writer's last batch
    printf '%-40s activity events: %s written, %s discarded (benchmark sink), %s dropped\n' "" \
        "$(( $(metric "$base" activity_events_written_total) - w ))" \
        "$(( $(metric "$base" activity_events_discarded_total) - x ))" \
        "$(( $(metric "$base" activity_events_dropped_total) - d ))"
}

printf '\n== catalog (%s s per run, %s connections, machine: %s cores, %s) ==\n' "$SECONDS_PER_RUN" "$CONNECTIONS" \
    "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '%-40s %10s tps\n' "pgbench -S -c 64 -j 2 (scale 10)" "$PGB_TPS"
printf '%-40s %10s tps\n' "pgbench -N -c 64 -j 2 (scale 10)" "$PGB_N_TPS"
wrk_summary "GET /health/live" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$BASE/health/live"
HEALTH_RPS="$LAST_RPS"
# A first pass fills the cache (every product once), as a catalogue in use has it.
wrk -t2 -c"$CONNECTIONS" -d5s -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE" >/dev/null
activity_during "$BASE" wrk_summary "GET /products/{id} (random of 10k)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE"
GET_RPS="$LAST_RPS"
printf '%-40s %s\n' "" "$(ratio 1.5 "$CEIL_GET")"
printf '%-40s %s\n' "" "$(of "$HEALTH_RPS" 0.5 "GET /health/live")"
wrk_summary "GET /products?limit=20 (first page)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/products?limit=20"
printf '%-40s %s\n' "" "$(ratio 0.6 "$CEIL_LIST")"
wrk_summary "GET /products?limit=20&skip=500 (deep)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/products?limit=20&skip=500"
wrk_summary "POST /products/{id}/stock-adjustments" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -s "$ADJUST_LUA" "$BASE"
printf '%-40s %s\n' "" "$(of "$PGB_N_TPS" 0.8 "pgbench -N")"
printf '%-40s %s\n' "" "$(ratio 0.25 "$CEIL_ADJUST")"
printf '%-40s %s\n' "catalogue notifications sent" "$(metric "$BASE" catalog_notifications_total)"

# The same reads on a second instance whose activity events go to the benchmark-only sink
# (ACTIVITY_SINK=discard): the service's own ceiling, apart from the MongoDB stand-in's.
DISCARD_PORT=$((PORT + 2))
DATABASE_POOL_SIZE=8 ACTIVITY_SINK=discard BIND_ADDR="127.0.0.1:$DISCARD_PORT" "$BIN" serve >"$TMP_DIR/bench-discard.log" 2>&1 &
DISCARD_PID=$!
register_cleanup kill "$DISCARD_PID"
DISCARD="http://127.0.0.1:$DISCARD_PORT"
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$DISCARD/health/ready" 2>/dev/null && break; sleep 0.2; done
wrk -t2 -c"$CONNECTIONS" -d5s -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$DISCARD" >/dev/null
SERVER_PID_MAIN="$SERVER_PID"; SERVER_PID="$DISCARD_PID"
activity_during "$DISCARD" wrk_summary "GET /products/{id}, events discarded" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$DISCARD"
printf '%-40s %s\n' "" "$(ratio 1.5 "$CEIL_GET")"
printf '%-40s %s\n' "" "$(of "$HEALTH_RPS" 0.5 "GET /health/live")"
wrk_summary "GET /products/{id}, discarded, 1,000 conns" -c1000 -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$DISCARD"
SERVER_PID="$SERVER_PID_MAIN"

# Three instances: a change through one, and how soon the two others serve it (the extra
# instances read from memory; 8 pooled connections each keep the three under PostgreSQL's
# max_connections of 100).
THIRD_PORT=$((PORT + 3))
DATABASE_POOL_SIZE=8 BIND_ADDR="127.0.0.1:$THIRD_PORT" "$BIN" serve >"$TMP_DIR/bench-third.log" 2>&1 &
THIRD_PID=$!
register_cleanup kill "$THIRD_PID"
THIRD="http://127.0.0.1:$THIRD_PORT"
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$THIRD/health/ready" 2>/dev/null && break; sleep 0.2; done
printf '%-40s %s\n' "change seen on 2 other instances" "$("$(stand_in_python)" "$ROOT_DIR/scripts/lib/cache_lag.py" \
    "$ADMIN_TOKEN" "$(head -1 "$IDS")" 200 "$BASE" "$DISCARD" "$THIRD")"

# Resident memory with the catalogue cache full at its default budget: 60,000 more products
# with 600-byte descriptions (more than PRODUCT_CACHE_MIB holds), each read at least once.
fill_product_cache "$TOKEN" "$CONNECTIONS" "$SECONDS_PER_RUN"
sleep 1
printf '%-40s %s MB resident; cache: %s\n' \
    "with the cache full ($(psql "$DATABASE_URL" -AtqX -c "SELECT count(*) FROM products") products)" \
    "$(rss_mb)" "$(cache_usage)"
# The fill pushed part of the 10,000 read below out of the cache; like the first pass, read
# them again before measuring (after such a scan they are all back within about 10 s).
wrk -t2 -c"$CONNECTIONS" -d10s -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE" >/dev/null

# Many clients: 1,000 connections at once; then 10,000 idle keep-alive connections (one
# request each, then silent) held open while 64 active ones run, against the run without.
wrk_summary "GET /products/{id} (1,000 conns)" -c1000 -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE"
P99_ALONE="$(wrk --latency -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE" | awk '$1 == "99%" { print $2 }')"
IDLE_OUT="$TMP_DIR/bench-idle.out"
( ulimit -n 20000 2>/dev/null || true; "$(stand_in_python)" "$ROOT_DIR/scripts/lib/idle_connections.py" 127.0.0.1 "$PORT" 10000 \
    "$((SECONDS_PER_RUN + 10))" >"$IDLE_OUT" 2>&1 ) &
IDLE_PID=$!
for _ in $(seq 1 300); do grep -q '^ready' "$IDLE_OUT" 2>/dev/null && break; kill -0 "$IDLE_PID" 2>/dev/null || break; sleep 0.2; done
printf '%-40s %s\n' "idle keep-alive connections" "$(head -1 "$IDLE_OUT")"
wrk_summary "GET /products/{id} beside 10,000 idle" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -H "Authorization: Bearer $TOKEN" -s "$GET_LUA" "$BASE"
wait "$IDLE_PID" || true
printf '%-40s p99 alone %s; %s\n' "" "$P99_ALONE" "$(tail -1 "$IDLE_OUT")"

