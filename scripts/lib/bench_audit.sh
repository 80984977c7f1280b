# shellcheck shell=bash
# The audit section of scripts/bench.sh (sourced by it: uses BIN, BASE, DATABASE_URL,
# ROOT_DIR, TMP_DIR, SERVER_PID, cpu_ticks, cpu_share). The audit chain's cost:
#   1. relay throughput with chaining: BENCH_AUDIT_EVENTS (default 50,000) audit events
#      committed to the outbox in one transaction, then the time until the running service
#      has chained and delivered them all (with where the CPU went);
#   2. verification: `stockroom audit verify` over them (the store's read rate included), the
#      reference verifier (Python) over their NDJSON export, and the verifier's own rate in
#      memory with checkpoint signing (cargo bench --bench audit_chain).
# Stock adjustments with chaining are the catalog section's figure.

AUDIT_EVENTS="${BENCH_AUDIT_EVENTS:-50000}"
printf '\n== audit chain (%s events) ==\n' "$AUDIT_EVENTS"
backlog() { psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"; }
until [[ "$(backlog)" == 0 ]]; do sleep 0.2; done
head_before="$(psql "$DATABASE_URL" -Atqc "SELECT seq FROM audit_chain_head")"
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO outbox (event_id, occurred_at, payload)
SELECT id, at, jsonb_build_object(
    'id', id, 'occurred_at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'action', 'product.stock_adjusted', 'outcome', 'success',
    'actor', jsonb_build_object('user_id', id, 'email', 'clerk@example.com', 'ip', '203.0.113.7', 'user_agent', 'bench/1.0'),
    'target', jsonb_build_object('type', 'product', 'id', id::text),
    'changes', jsonb_build_object('stock_quantity', jsonb_build_object('from', n, 'to', n + 1)),
    'request_id', id::text, 'metadata', jsonb_build_object('delta', 1, 'reason', 'delivery'))
FROM (SELECT n, gen_random_uuid() AS id, date_trunc('milliseconds', now()) AS at
      FROM generate_series(1, $AUDIT_EVENTS) AS n) AS g;
SQL
cpu_before="$(cpu_ticks)"
started="$(date +%s.%N)"
until [[ "$(backlog)" == 0 ]]; do sleep 0.1; done
elapsed="$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')"
SECONDS_PER_RUN="$elapsed" LAST_CPU="$(cpu_share "$cpu_before" "$(cpu_ticks)")"
head_after="$(psql "$DATABASE_URL" -Atqc "SELECT seq FROM audit_chain_head")"
printf '%-40s %10s events/s  (%s chained and delivered in %s s)\n' "relay with chaining" \
    "$(awk -v n="$AUDIT_EVENTS" -v s="$elapsed" 'BEGIN { printf "%.0f", n / s }')" \
    "$((head_after - head_before))" "$elapsed"
printf '%-40s cpu: %s\n' "" "$LAST_CPU"
printf '%-40s %s\n' "checkpoints signed meanwhile" \
    "$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM audit_checkpoints WHERE seq > $head_before")"

verify_started="$(date +%s.%N)"
"$BIN" audit verify >"$TMP_DIR/bench-verify.out" 2>&1 || { cat "$TMP_DIR/bench-verify.out"; die "the chain did not verify"; }
verify_elapsed="$(awk -v s="$verify_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')"
printf '%-40s %10s events/s  (%s)\n' "stockroom audit verify (store reads)" \
    "$(awk -v n="$head_after" -v s="$verify_elapsed" 'BEGIN { printf "%.0f", n / s }')" \
    "$(head -1 "$TMP_DIR/bench-verify.out")"

ADMIN_EMAIL="bench-auditor-$$@example.com"
AUDITOR_TOKEN="$(create_admin_token "$ADMIN_EMAIL" "$PASSWORD")"
curl -fsS -H "Authorization: Bearer $AUDITOR_TOKEN" "$BASE/api/v1/audit-trail/checkpoints?limit=100" \
    | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["items"]))' >"$TMP_DIR/bench-checkpoints.json"
public_key="$(curl -fsS -H "Authorization: Bearer $AUDITOR_TOKEN" "$BASE/api/v1/audit-trail/keys" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["public_key"])')"
curl -fsS -o "$TMP_DIR/bench-export.ndjson" -H "Authorization: Bearer $AUDITOR_TOKEN" \
    "$BASE/api/v1/audit-events/export?format=ndjson"
bash "$ROOT_DIR/tools/audit-verify/setup.sh"
offline_started="$(date +%s.%N)"
"$ROOT_DIR/tools/audit-verify/.venv/bin/python" "$ROOT_DIR/tools/audit-verify/audit_verify.py" \
    "$TMP_DIR/bench-export.ndjson" --checkpoints "$TMP_DIR/bench-checkpoints.json" \
    --public-key "$public_key" >"$TMP_DIR/bench-offline.out" || { cat "$TMP_DIR/bench-offline.out"; die "the export did not verify"; }
offline_elapsed="$(awk -v s="$offline_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')"
printf '%-40s %10s events/s  (%s)\n' "reference verifier (Python, export file)" \
    "$(awk -v n="$(wc -l <"$TMP_DIR/bench-export.ndjson")" -v s="$offline_elapsed" 'BEGIN { printf "%.0f", n / s }')" \
    "$(cat "$TMP_DIR/bench-offline.out")"
cargo bench --locked --quiet --bench audit_chain -- 200000 --export "$TMP_DIR/bench-export.ndjson"
