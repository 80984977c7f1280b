#!/usr/bin/env bash
# Start the service on a machine without Docker (for trying it out), or run one of its
# commands once with the same configuration.
#
#   scripts/run.sh                                        # cargo run --release -- serve
#   scripts/run.sh create-admin --email you@example.com   # the first administrator
#   scripts/run.sh COMMAND [ARGS...]                      # any stockroom command, once
#
# 1. creates .env from .env.example with a fresh random JWT_SECRET if there is no .env;
# 2. PostgreSQL (serve, create-admin, migrate): DATABASE_URL (environment, else .env, else
#    postgres://postgres:postgres@127.0.0.1:5432/stockroom); a local server is
#    installed/started if needed and the database is created if missing;
# 3. MongoDB (serve): a MONGODB_URL you set (in the environment, or in .env changed from
#    .env.example's value) if it answers, else a MongoDB listening at .env.example's address
#    (e.g. docker compose up -d mongo), else the MongoDB stand-in (for trying the service
#    only, NEVER production), which keeps its data in .data/mongo-stand-in.bson across
#    restarts (delete the file to start clean);
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
STAND_IN_DATA_FILE="$ROOT_DIR/.data/mongo-stand-in.bson"

command="${1:-serve}"
[[ "$command" != serve ]] || shift $(($# > 0 ? 1 : 0))

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
    local secret signing_key tmp
    secret="$(random_secret)"
    [[ "$secret" =~ ^[0-9a-f]{64}$ ]] || die "could not generate a JWT secret"
    signing_key="$(random_signing_key)"
    [[ "$signing_key" =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "could not generate an audit signing key"
    tmp="$(mktemp "$ROOT_DIR/.env.XXXXXX")"
    chmod 600 "$tmp"
    # `|` delimits: base64 has `/` and `+` but never `|`.
    sed -E -e "s/^JWT_SECRET=.*/JWT_SECRET=$secret/" \
        -e "s|^AUDIT_SIGNING_KEY=.*|AUDIT_SIGNING_KEY=$signing_key|" .env.example >"$tmp"
    grep -q "^JWT_SECRET=$secret\$" "$tmp" || echo "JWT_SECRET=$secret" >>"$tmp"
    grep -qF "AUDIT_SIGNING_KEY=$signing_key" "$tmp" || echo "AUDIT_SIGNING_KEY=$signing_key" >>"$tmp"
    mv "$tmp" .env
    log "created .env from .env.example with a freshly generated JWT_SECRET and AUDIT_SIGNING_KEY"
}

# The base64 of a random 32-byte Ed25519 seed (what `stockroom audit keygen` prints).
random_signing_key() {
    head -c 32 /dev/urandom | base64 | tr -d '\n'
    echo
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

# cargo prints its own progress; say once why the first start takes long.
say_if_first_build() {
    [[ -x "${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/stockroom" ]] ||
        log "first start: compiling the release build (several minutes; later starts are quick)"
}

# A command other than serve, once, on the terminal (its prompts included); then the cleanup
# trap stops what this script started for it.
run_once() {
    say_if_first_build
    local rc=0
    cargo run --release --quiet -- "$@" || rc=$?
    exit "$rc"
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
if [[ -z "$(dotenv_get AUDIT_SIGNING_KEY)" && -z "${AUDIT_SIGNING_KEY:-}" ]]; then
    warn ".env has no AUDIT_SIGNING_KEY: the service will refuse to start." \
        "Set one, e.g. AUDIT_SIGNING_KEY=$(random_signing_key)"
fi

# ---------------------------------------------------------------- other commands
case "$command" in
serve | create-admin | migrate) ;;
*) run_once "$@" ;;
esac

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

# create-admin and migrate need PostgreSQL only (MONGODB_URL is read from .env).
[[ "$command" == serve ]] || run_once "$@"

# ---------------------------------------------------------------- MongoDB
# A MONGODB_URL the user chose: from the environment, or an edited .env. The value
# .env.example ships (and ensure_env_file copied) is a guess: if nothing listens there, the
# stand-in is used without a word about it.
example_mongo_url="$(dotenv_get MONGODB_URL "$ROOT_DIR/.env.example")"
chosen_mongo_url="${MONGODB_URL:-}"
chosen_in="the environment"
if [[ -z "$chosen_mongo_url" ]]; then
    chosen_mongo_url="$(dotenv_get MONGODB_URL)"
    chosen_in=".env"
    [[ "$chosen_mongo_url" != "$example_mongo_url" ]] || chosen_mongo_url=""
fi
ensure_stand_in_venv || die "cannot prepare tools/mongo-stand-in (needed to ping MongoDB and for the stand-in)"
mongo_url=""
if [[ -n "$chosen_mongo_url" ]]; then
    if mongo_port_listens "$chosen_mongo_url" && mongo_answers "$chosen_mongo_url" 5; then
        mongo_url="$chosen_mongo_url"
    else
        warn "MONGODB_URL=$(redact_url "$chosen_mongo_url") (set in $chosen_in) does not answer;" \
            "using the MongoDB stand-in instead"
    fi
elif [[ -n "$example_mongo_url" ]] && mongo_port_listens "$example_mongo_url" &&
    mongo_answers "$example_mongo_url" 5; then
    mongo_url="$example_mongo_url"
fi
if [[ -n "$mongo_url" ]]; then
    log "MongoDB answers at $(redact_url "$mongo_url")"
    export MONGODB_URL="$mongo_url"
else
    start_mongo_stand_in run "$STAND_IN_DATA_FILE" || die "could not start the MongoDB stand-in"
    export MONGODB_URL="$MONGO_STAND_IN_URL"
    loud_warning \
        "NO MONGODB: using the MongoDB stand-in at 127.0.0.1" \
        "MONGODB_URL=$MONGODB_URL" \
        "For trying the service only. NEVER use this in production." \
        "Its data is kept in .data/mongo-stand-in.bson (saved when it stops);" \
        "delete that file to start with an empty audit trail." \
        "Real MongoDB: docker compose up -d mongo, then scripts/run.sh"
fi

# ---------------------------------------------------------------- service
bind_addr="${BIND_ADDR:-$(dotenv_get BIND_ADDR)}"
say_if_first_build
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
