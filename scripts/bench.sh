#!/usr/bin/env bash
# Benchmarks (never timed tests): builds the release binary, starts the service against a
# scratch PostgreSQL database and MongoDB (or the stand-in), and measures with wrk on
# loopback. Results go to stdout; docs/BENCHMARKS.md records them with the machine.
#
#   scripts/bench.sh                 # all sections
#   scripts/bench.sh catalog         # one section
#   BENCH_SECONDS=30 scripts/bench.sh
#   BENCH_RATE_LIMIT=1000000 scripts/bench.sh identity   # with every rate limit checked
#
# Sections: identity (login latency: the argon2id cost; GET /users/me at 64 connections:
# authentication = one PostgreSQL round trip); catalog (10,000 products seeded, then
# GET /products/{id}, GET /products?limit=20 and stock adjustments at 64 connections, each
# also as a ratio of pgbench's select-only figure measured in the same run, the physical
# bound here; resident memory sampled every second under load); analytics (not in the
# default run: BENCH_ACTIVITY_EVENTS activity events seeded over 92 days, then the analytics
# endpoints over 1, 30 and 92 days); audit (not in the default run: relay throughput with
# chaining over BENCH_AUDIT_EVENTS, verification rates, checkpoint signing).
set -euo pipefail

LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"
cd "$ROOT_DIR"

SECONDS_PER_RUN="${BENCH_SECONDS:-15}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_PORT:-18080}"
PASSWORD="bench password 0123456789"
SECTIONS=("$@")
((${#SECTIONS[@]})) || SECTIONS=(identity catalog)
wants() { [[ " ${SECTIONS[*]} " == *" $1 "* ]]; }

ensure_wrk
command -v pgbench >/dev/null 2>&1 || { log "installing pgbench"; as_root apt-get install -y postgresql-contrib >/dev/null || as_root apt-get install -y postgresql-client >/dev/null; }

ensure_postgres
ensure_mongodb
log "building the release binary"
cargo build --release --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/stockroom"

# Limits off by default (one client address would exhaust them); BENCH_RATE_LIMIT=N sets every
# limit to N per minute, to measure what checking them costs (N far above the load).
LIMIT="${BENCH_RATE_LIMIT:-0}"
export RATE_LIMIT_REGISTER_PER_MINUTE="$LIMIT" RATE_LIMIT_LOGIN_PER_MINUTE="$LIMIT"
export RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE="$LIMIT" RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE="$LIMIT"
# As many pooled connections as load connections: a write holds one through its commit, and
# commits are grouped only among those in flight (32 gave adjustments 0.41 x pgbench -N).
export DATABASE_POOL_SIZE="${BENCH_POOL_SIZE:-64}"
# Analytics over seeded months: keep them (retention) and let a long scan finish (time limit).
export ACTIVITY_RETENTION_DAYS=120 MONGODB_QUERY_TIMEOUT_MS=600000
# Raw events first; the analytics section starts a second instance with rollups on.
export ACTIVITY_ROLLUPS=false
start_scratch_service "$BIN" "$PORT" bench

rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

# CPU time (clock ticks) of: the service, every PostgreSQL process, the MongoDB stand-in
# (if that is what runs), wrk; to say where the time goes.
ticks_of() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
cpu_ticks() {
    echo "$(ticks_of "$SERVER_PID") $(ticks_of $(pgrep -x postgres)) $(ticks_of $(pgrep -f -- '-m mongo_stand_in')) $(ticks_of $(pgrep -x wrk))"
}
# cpu_share BEFORE AFTER: each part's share of the machine's CPU over the run.
cpu_share() {
    local seconds="$SECONDS_PER_RUN" hz cores
    hz="$(getconf CLK_TCK)"; cores="$(nproc)"
    awk -v b="$1" -v a="$2" -v s="$seconds" -v hz="$hz" -v c="$cores" 'BEGIN {
        split(b, x, " "); split(a, y, " "); split("service postgres mongo wrk", n, " ");
        for (i = 1; i <= 4; i++) printf "%s %.0f%%  ", n[i], 100 * (y[i] - x[i]) / hz / s / c }'
}

# wrk_summary LABEL wrk-args...: one line with requests/s, p50, p99, non-2xx count and the
# highest resident memory sampled each second during the run; sets LAST_RPS.
LAST_RPS=0
wrk_summary() {
    local label="$1"
    shift
    local out peak_file="$TMP_DIR/bench-rss-peak"
    rss_mb >"$peak_file"
    ( while sleep 1; do r="$(rss_mb)"; (( r > $(cat "$peak_file") )) && echo "$r" >"$peak_file"; done ) &
    local sampler=$!
    local cpu_before
    cpu_before="$(cpu_ticks)"
    local profiler=""
    if [[ -n "${BENCH_PROFILE:-}" ]]; then # flat CPU profile of the service during the run
        perf record -q -e cpu-clock -F 499 -p "$SERVER_PID" -o "$TMP_DIR/perf-${label//[^A-Za-z0-9]/_}.data" \
            -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
        profiler=$!
    fi
    out="$(wrk --latency -t2 "$@")"
    [[ -z "$profiler" ]] || wait "$profiler" || true
    LAST_CPU="$(cpu_share "$cpu_before" "$(cpu_ticks)")"
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    LAST_RPS="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
    printf '%-40s %10s req/s  p50 %8s  p99 %8s  non-2xx %s  socket errors %s  peak rss %s MB\n' "$label" \
        "$LAST_RPS" \
        "$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
        "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
        "$(awk '/Non-2xx/ { print $5; found = 1 } END { if (!found) print 0 }' <<<"$out")" \
        "$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10; found = 1 } END { if (!found) print 0 }' <<<"$out")" \
        "$(cat "$peak_file")"
    printf '%-40s cpu: %s\n' "" "$LAST_CPU"
}

EMAIL="bench-$$@example.com"
curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"full_name\":\"Bench\"}" >/dev/null
TOKEN="$(login_token "$EMAIL" "$PASSWORD")"

if wants identity; then
LOGIN_LUA="$TMP_DIR/bench-login.lua"
cat >"$LOGIN_LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$EMAIL","password":"$PASSWORD"}'
LUA

UNKNOWN_LUA="$TMP_DIR/bench-login-unknown.lua"
sed "s/$EMAIL/nobody-$$@example.com/" "$LOGIN_LUA" >"$UNKNOWN_LUA"

printf '\n== identity (%s s per run, machine: %s cores, %s) ==\n' "$SECONDS_PER_RUN" "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
wrk_summary "POST /auth/login (2 conns)" -c2 -d"${SECONDS_PER_RUN}s" -s "$LOGIN_LUA" "$BASE/api/v1/auth/login"
# 401s by design: the latency should match a real login's (dummy hash verification).
wrk_summary "POST /auth/login unknown (2 conns)" -c2 -d"${SECONDS_PER_RUN}s" -s "$UNKNOWN_LUA" "$BASE/api/v1/auth/login"
wrk_summary "GET /users/me ($CONNECTIONS conns)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/users/me"
wrk_summary "GET /health/live ($CONNECTIONS conns)" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$BASE/health/live"

# PostgreSQL statements per authenticated request: each statement outside a transaction
# commits one; pg_stat_database counts them for the scratch database.
xacts() { psql "$DATABASE_URL" -Atqc "SELECT pg_stat_force_next_flush(); SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()" | tail -1; }
before="$(xacts)"
for _ in $(seq 1 200); do curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/users/me"; done
sleep 1
after="$(xacts)"
# The two psql calls commit a few transactions of their own (measured: 2 per call).
printf '%-34s %s\n' "PostgreSQL transactions per GET /users/me" "$(awk -v b="$before" -v a="$after" 'BEGIN { printf "%.2f", (a - b - 2) / 200 }')"
fi

# An `if`, so that leaving the section out does not make the script's exit status 1.
if wants catalog; then source "$ROOT_DIR/scripts/lib/bench_catalog.sh"; fi
if wants analytics; then source "$ROOT_DIR/scripts/lib/bench_analytics.sh"; fi
if wants audit; then source "$ROOT_DIR/scripts/lib/bench_audit.sh"; fi
