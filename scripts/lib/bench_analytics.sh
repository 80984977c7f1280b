# shellcheck shell=bash
# The analytics section of scripts/bench.sh (sourced by it: uses BASE, MONGODB_URL,
# MONGODB_DATABASE, ROOT_DIR, TMP_DIR). Seeds BENCH_ACTIVITY_EVENTS (default 1,000,000)
# activity events over 92 days straight into MongoDB, then times the counts, top products and
# active users endpoints over 1, 30 and 92 days: the median of 3 sequential requests each, as
# a dashboard loads them (one at a time, not under concurrent load). These read raw events;
# rollups are not built yet, so there is no "with rollups" column.

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

printf '\n== analytics over %s seeded activity events (raw events; median of 3) ==\n' "$EVENTS"
now="$(date -u +%Y-%m-%dT%H:00:00Z)"
for days in 1 30 92; do
    from="$(date -u -d "$now - $days days" +%Y-%m-%dT%H:00:00Z)"
    window="from=$from&to=$now"
    bucket=day; [[ "$days" == 1 ]] && bucket=hour
    for endpoint in "events/counts?$window&bucket=$bucket" "top-products?$window" "active-users?$window&bucket=$bucket"; do
        read -r seconds status < <(median_seconds "$BASE/api/v1/analytics/$endpoint")
        printf '%-4s days  %-28s %8s s  (HTTP %s)\n' "$days" "${endpoint%%\?*}" "$seconds" "$status"
    done
done
