#!/usr/bin/env bash
# The console in a real browser: Debian's chromium (installed when missing), headless, driven
# by playwright-core (pinned in tools/console-test/package-lock.json, installed with npm ci)
# against a scratch service. scripts/test.sh runs it after the cargo tests. Screenshots are
# written to CONSOLE_ARTEFACTS (default: $TMP_DIR/console); CONSOLE_SCREENSHOTS_TO_DOCS=1
# also copies them into docs/ (how the README's pictures are made).
set -euo pipefail

LOG_TAG="console"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"
cd "$ROOT_DIR"

TEST_DIR="$ROOT_DIR/tools/console-test"
PORT="${CONSOLE_PORT:-$(_free_port)}"
PASSWORD="console admin password 0123456789"
export CONSOLE_ARTEFACTS="${CONSOLE_ARTEFACTS:-$TMP_DIR/console}"

ensure_chromium() {
    [[ -x /usr/bin/chromium ]] && return 0
    log "installing Debian's chromium"
    as_root apt-get install -y -qq chromium >/dev/null ||
        { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; }
}

ensure_playwright() {
    command -v npm >/dev/null 2>&1 || as_root apt-get install -y -qq nodejs npm >/dev/null
    local stamp="$TEST_DIR/node_modules/.lock.sha256" want
    want="$(sha256sum "$TEST_DIR/package-lock.json" | cut -d' ' -f1)"
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
    log "installing playwright-core (npm ci)"
    (cd "$TEST_DIR" && npm ci --no-audit --no-fund --silent)
    echo "$want" >"$stamp"
}

[[ -n "${TEST_DATABASE_URL:-}" ]] || ensure_postgres
[[ -n "${TEST_MONGODB_URL:-}" ]] || ensure_mongodb
ensure_chromium
ensure_playwright
log "the proof check on the documented test vectors (node --test)"
node --test "$TEST_DIR/proof.test.mjs" >"$TMP_DIR/console-proof-test.log" 2>&1 ||
    { cat "$TMP_DIR/console-proof-test.log"; die "the console's proof check fails its vectors"; }
log "building the service"
cargo build --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/debug/stockroom"
# A checkpoint and a verification a second, so the flow can check a fresh event's proof.
export AUDIT_CHECKPOINT_INTERVAL_SECONDS=1 AUDIT_VERIFY_INTERVAL_SECONDS=1
start_scratch_service "$BIN" "$PORT" console
ADMIN_EMAIL="console-admin@example.com"
[[ -n "$(create_admin_token "$ADMIN_EMAIL" "$PASSWORD")" ]] || die "no admin token"

BASE="$BASE" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$PASSWORD" \
    node "$TEST_DIR/console.test.mjs"
if [[ "${CONSOLE_SCREENSHOTS_TO_DOCS:-}" == 1 ]]; then
    cp "$CONSOLE_ARTEFACTS"/console-*.png "$ROOT_DIR/docs/"
    log "screenshots copied into docs/"
fi
