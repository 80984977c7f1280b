#!/usr/bin/env bash
# Soak (not part of the test command: it takes over ten minutes). Builds the release binary,
# starts it against a scratch PostgreSQL database and MongoDB (or the stand-in), seeds a
# catalogue, then runs mixed traffic for SOAK_SECONDS from wrk on loopback: one wrk process
# per route (tools/soak/route.lua), each with a pause between requests on a connection, so
# the load is steady rather than maximal and every route has its own latency histogram.
#
#   scripts/soak.sh                      # 10 minutes
#   SOAK_SECONDS=120 scripts/soak.sh     # a short rehearsal
#
# Pass criteria (exit 1 otherwise): resident memory under 150 MB with the product cache full
# at its default size (60,000 products with long descriptions are read before the load), no 5xx (counted by wrk and by the service's own
# http_requests_total), no other non-2xx or socket error, resident memory without a growth
# trend (sampled every 10 s; the Theil-Sen slope after the first quarter, projected over
# that part of the run, under max(4 MB, 5% of its median)), and the outbox backlog back to 0
# within 30 s after the load stops. Results: stdout and $TMP_DIR/soak-*; docs/BENCHMARKS.md
# records a run.
set -euo pipefail

LOG_TAG="soak"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"
cd "$ROOT_DIR"

DURATION="${SOAK_SECONDS:-600}"
PORT="${SOAK_PORT:-18090}"
PASSWORD="soak password 0123456789"
LUA="$ROOT_DIR/tools/soak/route.lua"

ensure_wrk

ensure_postgres
ensure_mongodb
log "building the release binary"
cargo build --release --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/stockroom"

# Every client is 127.0.0.1, so the per-address login limit would refuse the login route
# (429 is covered by the security tests). Tokens outlive the run.
export RATE_LIMIT_REGISTER_PER_MINUTE=0 RATE_LIMIT_LOGIN_PER_MINUTE=0
export RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE=0 RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE=0
export ACCESS_TOKEN_TTL_SECONDS=$((DURATION + 3600))
start_scratch_service "$BIN" "$PORT" soak

export SOAK_USER_EMAIL="soak-user-$$@example.com" SOAK_USER_PASSWORD="$PASSWORD"
curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$SOAK_USER_EMAIL\",\"password\":\"$PASSWORD\",\"full_name\":\"Soak user\"}" >/dev/null
SOAK_USER_TOKEN="$(login_token "$SOAK_USER_EMAIL" "$PASSWORD")"
SOAK_ADMIN_TOKEN="$(create_admin_token "soak-admin-$$@example.com" "$PASSWORD")"
export SOAK_USER_TOKEN SOAK_ADMIN_TOKEN

# 2,000 products in 10 categories, seeded with SQL (the write routes then go through HTTP).
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO categories (id, name)
SELECT gen_random_uuid(), 'Soak category ' || g FROM generate_series(1, 10) g;
INSERT INTO products (id, name, description, sku, price, stock_quantity, category_id)
SELECT gen_random_uuid(), 'Soak product ' || lpad(g::text, 5, '0'), 'Seeded for the soak',
       'SOAK-SEED-' || g, round((random() * 500)::numeric, 2), 1000000,
       (SELECT id FROM categories ORDER BY name OFFSET g % 10 LIMIT 1)
FROM generate_series(1, 2000) g;
VACUUM ANALYZE categories, products;
SQL
export SOAK_PRODUCT_IDS="$TMP_DIR/soak-product-ids" SOAK_CATEGORY_IDS="$TMP_DIR/soak-category-ids"
psql "$DATABASE_URL" -AtqX -c "SELECT id FROM products" >"$SOAK_PRODUCT_IDS"
psql "$DATABASE_URL" -AtqX -c "SELECT id FROM categories" >"$SOAK_CATEGORY_IDS"

# The product cache full at its default budget before the load (and kept so: the soak's
# products are read throughout): 60,000 more products with 600-byte descriptions, more than
# PRODUCT_CACHE_MIB holds, each read once.
fill_product_cache "$SOAK_USER_TOKEN" 8 20
log "product cache before the load: $(cache_usage)"

# route connections pause-ms: about 500 requests/s in all on the benchmark machine
# (docs/BENCHMARKS.md), a third of the service's measured ceiling, with every kind of work at once.
ROUTES=(
    "login 1 400"
    "users_me 2 20"
    "get_product 4 10"
    "list_products 2 20"
    "search_products 2 20"
    "create_product 1 50"
    "patch_product 1 50"
    "adjust_stock 2 20"
    "audit_events 1 100"
)

rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
backlog() { psql "$DATABASE_URL" -AtqX -c "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"; }

SAMPLES="$TMP_DIR/soak-rss.tsv"
printf 'seconds\trss_mb\toutbox_backlog\n' >"$SAMPLES"
started=$SECONDS
( while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%d\t%s\t%s\n' $((SECONDS - started)) "$(rss_mb)" "$(backlog)" >>"$SAMPLES"
    sleep 10
done ) &
SAMPLER=$! # ends by itself once the service is stopped (the cleanup stops it)

log "load: ${#ROUTES[@]} routes for ${DURATION} s"
WRK_PIDS=()
for spec in "${ROUTES[@]}"; do
    read -r route connections pause <<<"$spec"
    SOAK_ROUTE="$route" SOAK_DELAY_MS="$pause" wrk -t1 -c"$connections" -d"${DURATION}s" --timeout 10s \
        -s "$LUA" "$BASE" >"$TMP_DIR/soak-wrk-$route.txt" 2>&1 &
    WRK_PIDS+=($!)
done
wait "${WRK_PIDS[@]}" || true
load_stopped=$SECONDS

drained=""
for _ in $(seq 0 30); do
    if [[ "$(backlog)" == 0 ]]; then drained=$((SECONDS - load_stopped)); break; fi
    sleep 1
done
kill "$SAMPLER" 2>/dev/null || true
printf '%d\t%s\t%s\n' $((SECONDS - started)) "$(rss_mb)" "$(backlog)" >>"$SAMPLES"

FAILED=0
printf '\n== soak: %s s, %s, machine: %s cores, %s ==\n' "$DURATION" "$(basename "$BIN") release" "$(nproc)" \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '%-16s %9s %7s %6s %6s %6s %8s %8s %8s\n' route requests req/s 4xx 5xx errors p50_ms p99_ms max_ms
for spec in "${ROUTES[@]}"; do
    read -r route _ <<<"$spec"
    line="$(grep '^SOAK ' "$TMP_DIR/soak-wrk-$route.txt" || true)"
    if [[ -z "$line" ]]; then
        warn "no result from wrk for $route:"; cat "$TMP_DIR/soak-wrk-$route.txt" >&2; FAILED=1; continue
    fi
    # shellcheck disable=SC2086 # the line is key=value words
    eval "$(tr ' ' '\n' <<<"${line#SOAK }" | sed -E 's/^([0-9a-z_]+)=/r_\1=/; s/^r_2xx/r_ok/; s/^r_4xx/r_c4/; s/^r_5xx/r_c5/')"
    printf '%-16s %9d %7.1f %6d %6d %6d %8s %8s %8s\n' "$route" "$r_requests" \
        "$(awk -v n="$r_requests" -v s="$DURATION" 'BEGIN { print n / s }')" \
        "$r_c4" "$r_c5" "$r_socket_errors" "$r_p50_ms" "$r_p99_ms" "$r_max_ms"
    ((r_c4 + r_c5 + r_other + r_socket_errors == 0)) || FAILED=1
done

METRICS="$(curl -fsS "$BASE/metrics")"
metric_sum() { awk -v pattern="$1" '$0 ~ pattern { n += $NF } END { printf "%d", n }' <<<"$METRICS"; }
service_5xx="$(metric_sum '^http_requests_total.*status="5[0-9][0-9]"')"
printf '\n5xx counted by the service (http_requests_total): %s\n' "$service_5xx"
((service_5xx == 0)) || FAILED=1
printf 'audit events relayed: %s; activity events written: %s, dropped: %s\n' \
    "$(metric_sum '^outbox_delivered_total')" "$(metric_sum '^activity_events_written_total')" \
    "$(metric_sum '^activity_events_dropped_total')"

if [[ -n "$drained" ]]; then
    printf 'outbox backlog back to 0: %s s after the load stopped\n' "$drained"
else
    printf 'outbox backlog NOT drained 30 s after the load stopped: %s rows\n' "$(backlog)"
    FAILED=1
fi

# Resident memory: samples after the first quarter (warm-up: pool, caches, allocator). The
# allocator hands memory back now and then, so single samples dip 15-20 MB below the rest;
# the Theil-Sen slope (median of the pairwise slopes) ignores such dips where a
# least-squares line would follow them.
verdict="$(python3 - "$SAMPLES" "$DURATION" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()[1:]]
duration = int(sys.argv[2])
all_rss = [float(r[1]) for r in rows]
kept = [(int(r[0]), float(r[1])) for r in rows if duration / 4 <= int(r[0]) <= duration]
if len(kept) < 3:
    print("rss: too few samples"); sys.exit(1)
slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(kept) for x2, y2 in kept[i + 1:] if x2 > x1]
span = kept[-1][0] - kept[0][0]
growth = statistics.median(slopes) * span
median = statistics.median(y for _, y in kept)
limit = max(4.0, median / 20)
flat = growth < limit
print(f"rss: min {min(all_rss):.1f} MB, max {max(all_rss):.1f} MB, median after warm-up {median:.1f} MB; "
      f"trend after warm-up {growth:+.2f} MB over {span} s (limit {limit:.1f} MB): {'flat' if flat else 'GROWING'}")
sys.exit(0 if flat else 1)
PY
)" || FAILED=1
printf '%s\n' "$verdict"
# The resident-memory budget with the product cache full at its default size.
printf 'product cache after the load: %s\n' "$(cache_usage)"
peak="$(awk -F'\t' 'NR > 1 && $2 > m { m = $2 } END { printf "%.0f", m }' "$SAMPLES")"
if ((peak < 150)); then
    printf 'peak resident memory %s MB: under the 150 MB budget\n' "$peak"
else
    printf 'peak resident memory %s MB: OVER the 150 MB budget\n' "$peak"
    FAILED=1
fi
printf 'samples (every 10 s): %s\n' "$(awk -F'\t' 'NR > 1 { printf "%s ", $2 }' "$SAMPLES")"

if ((FAILED)); then
    log "soak FAILED (service log: $SERVER_LOG)"
    exit 1
fi
log "soak passed"
