#!/usr/bin/env bash
# Start the service on a machine without Docker (for trying it out).
#
#   scripts/run.sh            # -> cargo run --release -- serve
#   scripts/run.sh ARGS...    # extra args go after `serve`
#
# 1. creates .env from .env.example with a fresh random JWT_SECRET if there is no .env;
# 2. PostgreSQL: DATABASE_URL (environment, else .env, else
#    postgres://postgres:postgres@127.0.0.1:5432/stockroom); a local server is
#    installed/started if needed and the database is created if missing;
# 3. MongoDB: MONGODB_URL (environment, else .env) if it answers, else the
#    in-memory stand-in (for trying the service only, NEVER production);
# 4. runs the service with DATABASE_URL/MONGODB_URL exported.
# Ctrl-C stops the service, then the stand-in (and PostgreSQL) if this script started them.
# Functions here are called indirectly (run_phase "$@", traps):
# shellcheck disable=SC2317
set -euo pipefail

LOG_TAG="run"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT_DIR"

DEFAULT_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/stockroom"

random_secret() {
    if command -v openssl >/dev/null 2>&1; then
        openssl rand -hex 32
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import secrets; print(secrets.token_hex(32))'
    else
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
        echo
    fi
}

ensure_env_file() {
    [[ -f .env ]] && return 0
    [[ -f .env.example ]] || die ".env.example is missing: cannot create .env"
    local secret tmp
    secret="$(random_secret)"
    [[ "$secret" =~ ^[0-9a-f]{64}$ ]] || die "could not generate a JWT secret"
    tmp="$(mktemp "$ROOT_DIR/.env.XXXXXX")"
    chmod 600 "$tmp"
    sed -E "s/^JWT_SECRET=.*/JWT_SECRET=$secret/" .env.example >"$tmp"
    grep -q "^JWT_SECRET=$secret\$" "$tmp" || echo "JWT_SECRET=$secret" >>"$tmp"
    mv "$tmp" .env
    log "created .env from .env.example with a freshly generated JWT_SECRET"
}

# Create database DB on the server of ADMIN_URL if it does not exist.
ensure_database() { # ADMIN_URL DB
    local admin="$1" db="$2" exists
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unusual database name '$db': create it yourself"
    exists="$(PGCONNECT_TIMEOUT=5 psql "$admin" -XqAtc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ||
        die "cannot query databases at $(redact_url "$admin")"
    if [[ "$exists" != 1 ]]; then
        log "creating database $db"
        PGCONNECT_TIMEOUT=5 psql "$admin" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >&2 ||
            die "CREATE DATABASE $db failed"
    fi
}

loud_warning() {
    {
        printf '\n'
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        printf '!!  %-70s  !!\n' "$@"
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
    } >&2
}

# ---------------------------------------------------------------- .env
ensure_env_file
if [[ "$(dotenv_get JWT_SECRET)" == change-me && -z "${JWT_SECRET:-}" ]]; then
    warn ".env still has JWT_SECRET=change-me: the service will refuse to start." \
        "Set one, e.g. JWT_SECRET=$(random_secret)"
fi

# ---------------------------------------------------------------- PostgreSQL
db_url="${DATABASE_URL:-$(dotenv_get DATABASE_URL)}"
db_url="${db_url:-$DEFAULT_DATABASE_URL}"
if postgres_answers "$db_url"; then
    log "PostgreSQL answers at $(redact_url "$db_url")"
else
    pg_url_parse "$db_url" || die "cannot parse DATABASE_URL=$(redact_url "$db_url")"
    db_name="$PGU_DB"
    admin_url="$(pg_url_with_db "$db_url" postgres)"
    ensure_postgres_url "$admin_url" || die "no usable PostgreSQL for $(redact_url "$db_url")"
    ensure_database "$admin_url" "$db_name"
    postgres_answers "$db_url" || die "cannot connect to $(redact_url "$db_url")"
fi
[[ -n "${DATABASE_URL:-}" ]] || export DATABASE_URL="$db_url"

# ---------------------------------------------------------------- MongoDB
mongo_url="${MONGODB_URL:-$(dotenv_get MONGODB_URL)}"
ensure_stand_in_venv || die "cannot prepare tools/mongo-stand-in (needed to ping MongoDB and for the stand-in)"
if [[ -n "$mongo_url" ]] && mongo_answers "$mongo_url" 5; then
    log "MongoDB answers at $(redact_url "$mongo_url")"
    [[ -n "${MONGODB_URL:-}" ]] || export MONGODB_URL="$mongo_url"
else
    [[ -z "$mongo_url" ]] || warn "MONGODB_URL=$(redact_url "$mongo_url") does not answer"
    start_mongo_stand_in run || die "could not start the MongoDB stand-in"
    export MONGODB_URL="$MONGO_STAND_IN_URL"
    loud_warning \
        "NO MONGODB: using the IN-MEMORY MongoDB stand-in at 127.0.0.1" \
        "MONGODB_URL=$MONGODB_URL" \
        "The audit trail and activity events are LOST when this script stops." \
        "For trying the service only. NEVER use this in production." \
        "Real MongoDB: docker compose up -d mongo, then" \
        "MONGODB_URL=mongodb://127.0.0.1:27017 scripts/run.sh"
fi

# ---------------------------------------------------------------- service
bind_addr="${BIND_ADDR:-$(dotenv_get BIND_ADDR)}"
log "starting stockroom (cargo run --release -- serve) on ${bind_addr:-127.0.0.1:8080}"
log "DATABASE_URL=$(redact_url "$DATABASE_URL") MONGODB_URL=$(redact_url "$MONGODB_URL")"

if ! has_cleanup; then
    # Nothing of ours to stop afterwards: hand the terminal to the service.
    exec cargo run --release -- serve "$@"
fi

# We started something (the stand-in, maybe PostgreSQL): keep this shell alive
# to stop it once the service has shut down. A Ctrl-C in the terminal reaches
# the service directly; a signal to this script is forwarded as SIGTERM
# (a second one kills the service).
cargo run --release -- serve "$@" &
SERVICE_PID=$!
SIGNALS_SEEN=0
forward_signal() {
    SIGNALS_SEEN=$((SIGNALS_SEEN + 1))
    if ((SIGNALS_SEEN == 1)); then
        log "SIG$1: stopping the service (pid $SERVICE_PID), then what this script started"
        kill -TERM "$SERVICE_PID" 2>/dev/null || true
    else
        log "SIG$1 again: killing the service"
        kill -KILL "$SERVICE_PID" 2>/dev/null || true
    fi
}
trap 'forward_signal INT' INT
trap 'forward_signal TERM' TERM
trap 'forward_signal HUP' HUP

rc=0
while :; do
    rc=0
    wait "$SERVICE_PID" || rc=$?
    kill -0 "$SERVICE_PID" 2>/dev/null || break
done
log "the service exited with status $rc"
exit "$rc"
