#!/usr/bin/env bash
# Contract conformance from outside: schemathesis (pinned in tools/conformance/requirements.txt,
# installed into a virtualenv this script creates) against the live service's /openapi.json,
# with an admin token, every check on, a fixed seed and a bounded number of examples per
# operation. scripts/test.sh runs it after the cargo tests; it needs PostgreSQL and MongoDB
# (TEST_DATABASE_URL / TEST_MONGODB_URL, made ready by test.sh or by ensure_* here).
#
#   scripts/conformance.sh
#   CONFORMANCE_EXAMPLES=50 CONFORMANCE_SEED=7 scripts/conformance.sh   # a longer, other run
#
# What is configured, and why, is in tools/conformance/schemathesis.toml (checks, phases,
# limits) and tools/conformance/hooks.py (the rules the schema cannot state, applied to the
# generated valid requests only). Then openapi-python-client (pinned in
# tools/conformance/client-requirements.txt) must generate every operation of the document,
# and a short flow through the generated client must work (tools/conformance/client_flow.py).
# Exit status: 0 when both found nothing wrong.
set -euo pipefail

LOG_TAG="conformance"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"
cd "$ROOT_DIR"

CONFORMANCE_DIR="$ROOT_DIR/tools/conformance"
VENV="${CONFORMANCE_VENV:-$CONFORMANCE_DIR/.venv}"
PORT="${CONFORMANCE_PORT:-$(_free_port)}"
PASSWORD="conformance password 0123456789"

# The pinned schemathesis, reinstalled only when requirements.txt changes.
ensure_schemathesis() {
    local requirements="$CONFORMANCE_DIR/requirements.txt" stamp="$VENV/.requirements.sha256" want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/st" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing schemathesis into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" 2>/dev/null || {
        as_root apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    }
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
    echo "$want" >"$stamp"
}

# The pinned client generator, in a virtualenv of its own (its pins are not schemathesis's).
CLIENT_VENV="${CONFORMANCE_CLIENT_VENV:-$CONFORMANCE_DIR/.client-venv}"
ensure_client_generator() {
    local requirements="$CONFORMANCE_DIR/client-requirements.txt"
    local stamp="$CLIENT_VENV/.requirements.sha256" want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [[ -x "$CLIENT_VENV/bin/openapi-python-client" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing openapi-python-client into $CLIENT_VENV"
    rm -rf "$CLIENT_VENV"
    python3 -m venv "$CLIENT_VENV"
    "$CLIENT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
    echo "$want" >"$stamp"
}

# The document is fit for client generators: openapi-python-client generates every operation.
check_client_generation() {
    local document="$TMP_DIR/openapi.json" client="$TMP_DIR/python-client" out="$TMP_DIR/python-client.txt"
    local operations generated
    curl -fsS -o "$document" "$BASE/openapi.json"
    rm -rf "$client"
    PATH="$CLIENT_VENV/bin:$PATH" "$CLIENT_VENV/bin/openapi-python-client" generate \
        --path "$document" --output-path "$client" >"$out" 2>&1 || {
        cat "$out"
        return 1
    }
    operations="$(grep -o '"operationId"' "$document" | wc -l)"
    generated="$(find "$client" -path '*/api/*' -name '*.py' ! -name '__init__.py' | wc -l)"
    log "openapi-python-client generated $generated of $operations operations"
    if grep -q "will not be generated" "$out" || ((generated != operations)); then
        cat "$out"
        return 1
    fi
}

[[ -n "${TEST_DATABASE_URL:-}" ]] || ensure_postgres
[[ -n "${TEST_MONGODB_URL:-}" ]] || ensure_mongodb
ensure_schemathesis
ensure_client_generator
log "building the service"
cargo build --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/debug/stockroom"

# Rate limits off: schemathesis sends many registrations and logins from one address, and
# 429 is covered by the Rust tests.
export RATE_LIMIT_REGISTER_PER_MINUTE=0 RATE_LIMIT_LOGIN_PER_MINUTE=0
export RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE=0 RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE=0
start_scratch_service "$BIN" "$PORT" conformance
ADMIN_EMAIL="conformance-admin@example.com"
TOKEN="$(create_admin_token "$ADMIN_EMAIL" "$PASSWORD")"
[[ -n "$TOKEN" ]] || die "no admin token"

# Rows the hooks point generated references at (see hooks.py).
CONFORMANCE_CATEGORY_ID="$(curl -fsS -X POST "$BASE/api/v1/categories" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"name":"Conformance"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')"
CONFORMANCE_SUPPLIER_ID="$(curl -fsS -X POST "$BASE/api/v1/suppliers" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"name":"Conformance"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')"
# Valid password changes end their caller's sessions: a dedicated account makes them.
CONFORMANCE_CHANGER_EMAIL="conformance-password-changer@example.com"
curl -fsS -o /dev/null -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$CONFORMANCE_CHANGER_EMAIL\",\"password\":\"$PASSWORD\",\"full_name\":\"Changer\"}"
export CONFORMANCE_CATEGORY_ID CONFORMANCE_SUPPLIER_ID CONFORMANCE_PASSWORD="$PASSWORD" CONFORMANCE_BASE="$BASE" CONFORMANCE_CHANGER_EMAIL

log "schemathesis $("$VENV/bin/st" --version | awk '{ print $NF }') against $BASE/openapi.json"
cd "$CONFORMANCE_DIR"
OUTPUT="$TMP_DIR/conformance-output.txt"
status=0
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$CONFORMANCE_DIR" "$VENV/bin/st" \
    --config-file "$CONFORMANCE_DIR/schemathesis.toml" run "$BASE/openapi.json" \
    -H "Authorization: Bearer $TOKEN" \
    --seed "${CONFORMANCE_SEED:-1}" \
    --max-examples "${CONFORMANCE_EXAMPLES:-10}" \
    --report junit --report-dir "$TMP_DIR/conformance" \
    --no-color | tee "$OUTPUT" || status=$?
# A run whose token stopped working passes while testing nothing but 401s: that is a failure.
if grep -q "Authentication failed" "$OUTPUT"; then
    log "the admin token stopped working during the run (see 'Authentication failed' above)"
    status=1
fi
if check_client_generation; then
    # ... and the client it generated works: a short flow through it.
    PYTHONPATH="$TMP_DIR/python-client" CONFORMANCE_ADMIN_EMAIL="$ADMIN_EMAIL" \
        "$CLIENT_VENV/bin/python" "$CONFORMANCE_DIR/client_flow.py" || status=1
else
    status=1
fi
exit "$status"
