# shellcheck shell=bash
# The analytics section of scripts/bench.sh (sourced by it: uses BASE, MONGODB_URL,
# MONGODB_DATABASE, ROOT_DIR, TMP_DIR). Seeds BENCH_ACTIVITY_EVENTS (default 1,000,000)
# activity events over 92 days straight into MongoDB, then times the counts, top products and
# active users endpoints over 1, 30 and 92 days: the median of 3 sequential requests each, as
# a dashboard loads them (one at a time, not under concurrent load). First from raw events
# (the benchmark's service runs with ACTIVITY_ROLLUPS=false), then from a second instance on the
# same databases with rollups on, once its first pass has caught up (timed).

EVENTS="${BENCH_ACTIVITY_EVENTS:-1000000}"
ANALYST_EMAIL="bench-analyst-$$@example.com"
ANALYST_TOKEN="$(create_admin_token "$ANALYST_EMAIL" "$PASSWORD")"
log "seeding $EVENTS activity events over 92 days"
seed_started="$(date +%s)"
"$(stand_in_python)" "$ROOT_DIR/scripts/lib/seed_activity.py" "$MONGODB_URL" "$MONGODB_DATABASE" "$EVENTS" 92 >/dev/null
log "seeded in $(( $(date +%s) - seed_started )) s"

# median_seconds URL: the median wall time of 3 requests (and the last status).
median_seconds() {
    local times=() status t
    for _ in 1 2 3; do
        read -r status t < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
            -H "Authorization: Bearer $ANALYST_TOKEN" "$1")
        times+=("$t")
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)" "$status"
}

now="$(date -u +%Y-%m-%dT%H:00:00Z)"
# time_endpoints BASE: each endpoint over the last 1, 30 and 92 days (to the current hour).
time_endpoints() {
    local base="$1" days from window bucket endpoint seconds status
    for days in 1 30 92; do
        from="$(date -u -d "$now - $days days" +%Y-%m-%dT%H:00:00Z)"
        window="from=$from&to=$now"
        bucket=day; [[ "$days" == 1 ]] && bucket=hour
        for endpoint in "events/counts?$window&bucket=$bucket" "top-products?$window" "active-users?$window&bucket=$bucket" "top-searches?$window" "category-views?$window"; do
            read -r seconds status < <(median_seconds "$base/api/v1/analytics/$endpoint")
            [[ "$status" == 200 ]] || die "$endpoint answered $status"
            printf '%-4s days  %-28s %8s s  (HTTP %s)\n' "$days" "${endpoint%%\?*}" "$seconds" "$status"
        done
    done
}

# BENCH_ANALYTICS_RAW=0 leaves out the raw-event timings (the rollups' first pass and
# timings only).
if [[ "${BENCH_ANALYTICS_RAW:-1}" != 0 ]]; then
    printf '\n== analytics over %s seeded activity events, raw events (median of 3) ==\n' "$EVENTS"
    time_endpoints "$BASE"
fi

ROLLUP_PORT=$((PORT + 1))
log "starting a second instance with rollups on (port $ROLLUP_PORT) and waiting for its first pass"
rollups_started="$(date +%s)"
ACTIVITY_ROLLUPS=true BIND_ADDR="127.0.0.1:$ROLLUP_PORT" "$BIN" serve >"$TMP_DIR/rollups-server.log" 2>&1 &
ROLLUP_PID=$!
register_cleanup kill "$ROLLUP_PID"
"$(stand_in_python)" "$ROOT_DIR/scripts/lib/rollup_status.py" "$MONGODB_URL" "$MONGODB_DATABASE" wait 3600 \
    || die "the rollups did not catch up within an hour (log: $TMP_DIR/rollups-server.log)"
printf '\n== rollups: first pass over %s events in %s s ==\n' "$EVENTS" "$(( $(date +%s) - rollups_started ))"
for days in 1 30 92; do
    printf '%-4s days  ' "$days"
    "$(stand_in_python)" "$ROOT_DIR/scripts/lib/rollup_status.py" "$MONGODB_URL" "$MONGODB_DATABASE" counts \
        "$(date -u -d "$now - $days days" +%Y-%m-%dT%H:00:00Z)" "$now"
done
# The first pass may outlast an access token (15 minutes): sign in again.
ANALYST_TOKEN="$(login_token "$ANALYST_EMAIL" "$PASSWORD")"
printf '\n== analytics over %s seeded activity events, with rollups (median of 3) ==\n' "$EVENTS"
time_endpoints "http://127.0.0.1:$ROLLUP_PORT"
