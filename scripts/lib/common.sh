# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Provides: log/warn/die, ROOT_DIR (repo root), TMP_DIR (<repo>/.tmp, gitignored),
# a cleanup trap (stops only what this script started), ensure_postgres and
# ensure_mongodb (export TEST_DATABASE_URL / TEST_MONGODB_URL for the Rust tests).
#
# Knobs: TEST_DATABASE_URL, TEST_MONGODB_URL (used untouched when they answer),
# MONGO_STAND_IN_VENV (stand-in venv, default tools/mongo-stand-in/.venv),
# MONGO_STAND_IN_PORT (preferred stand-in port, default 27027),
# MONGO_STAND_IN_DIR (stand-in scripts, default tools/mongo-stand-in; for testing these scripts).

if [[ -n "${_STOCKROOM_COMMON_LOADED:-}" ]]; then
    return 0
fi
_STOCKROOM_COMMON_LOADED=1

DEFAULT_TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"

# ---------------------------------------------------------------- logging
log() { printf '[%s %s] %s\n' "${LOG_TAG:-stockroom}" "$(date +%H:%M:%S)" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() {
    log "ERROR: $*"
    exit 1
}

# ---------------------------------------------------------------- paths
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP_DIR="$ROOT_DIR/.tmp"
STAND_IN_DIR="${MONGO_STAND_IN_DIR:-$ROOT_DIR/tools/mongo-stand-in}"
export ROOT_DIR
mkdir -p "$TMP_DIR"

stand_in_venv() {
    local venv="${MONGO_STAND_IN_VENV:-tools/mongo-stand-in/.venv}"
    [[ "$venv" == /* ]] || venv="$ROOT_DIR/$venv"
    printf '%s\n' "$venv"
}
stand_in_python() { printf '%s/bin/python\n' "$(stand_in_venv)"; }

# ---------------------------------------------------------------- cleanup trap
# Commands registered here run once, in reverse order, when the script exits
# (normally, on error, or on INT/TERM/HUP).
_CLEANUP_CMDS=()
_CLEANUP_DONE=0

register_cleanup() { _CLEANUP_CMDS+=("$(printf '%q ' "$@")"); }
has_cleanup() { ((${#_CLEANUP_CMDS[@]} > 0)); }

run_cleanup() {
    ((_CLEANUP_DONE == 0)) || return 0
    _CLEANUP_DONE=1
    local i
    for ((i = ${#_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
        eval "${_CLEANUP_CMDS[i]}" || warn "cleanup step failed: ${_CLEANUP_CMDS[i]}"
    done
}

_common_on_exit() {
    local rc=$?
    set +e
    run_cleanup
    if declare -F after_cleanup >/dev/null; then after_cleanup "$rc"; fi
    exit "$rc"
}
_common_on_signal() {
    log "caught SIG$1, cleaning up"
    exit "$((128 + $2))" # the EXIT trap does the cleanup
}
trap _common_on_exit EXIT
trap '_common_on_signal INT 2' INT
trap '_common_on_signal TERM 15' TERM
trap '_common_on_signal HUP 1' HUP

# ---------------------------------------------------------------- privileges
as_root() {
    if [[ "$EUID" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        log "root needed (no sudo) for: $*"
        return 1
    fi
}
as_postgres() {
    if [[ "$EUID" -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    else
        (cd / && sudo -n -u postgres "$@")
    fi
}

# ---------------------------------------------------------------- PostgreSQL
# pg_url_parse URL -> sets PGU_PREFIX (scheme://userinfo@), PGU_USER, PGU_PASS,
# PGU_HOST, PGU_PORT (default 5432), PGU_DB, PGU_QUERY. Returns 1 if unparsable.
_PG_URL_RE='^(postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?)(\[[^]/]*\]|[^:/?]*)(:([0-9]*))?(/([^?]*))?(\?.*)?$'
pg_url_parse() {
    [[ "$1" =~ $_PG_URL_RE ]] || return 1
    PGU_PREFIX="${BASH_REMATCH[1]}"
    PGU_USER="${BASH_REMATCH[4]:-postgres}"
    PGU_PASS="${BASH_REMATCH[6]}"
    PGU_HOST="${BASH_REMATCH[7]:-127.0.0.1}"
    PGU_PORT="${BASH_REMATCH[9]:-5432}"
    # shellcheck disable=SC2034 # used by callers (scripts/run.sh)
    PGU_DB="${BASH_REMATCH[11]:-$PGU_USER}"
    PGU_QUERY="${BASH_REMATCH[12]}"
    # percent-decoding of user and password
    PGU_USER="$(printf '%b' "${PGU_USER//%/\\x}")"
    PGU_PASS="$(printf '%b' "${PGU_PASS//%/\\x}")"
}
# pg_url_with_db URL DB -> the same URL pointing at database DB
pg_url_with_db() {
    pg_url_parse "$1" || return 1
    local port=""
    [[ "$1" =~ $_PG_URL_RE ]] && port="${BASH_REMATCH[8]}"
    printf '%s%s%s/%s%s\n' "$PGU_PREFIX" "${BASH_REMATCH[7]}" "$port" "$2" "$PGU_QUERY"
}
redact_url() { printf '%s\n' "$1" | sed -E 's#(://[^:/@]*:)[^@/]*@#\1***@#'; }

_pg_host_is_local() {
    case "$1" in
    "" | localhost | 127.0.0.1 | ::1 | "[::1]") return 0 ;;
    *) return 1 ;;
    esac
}

postgres_answers() {
    command -v psql >/dev/null 2>&1 || return 1
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -d "$1" >/dev/null 2>&1 || return 1
    fi
    PGCONNECT_TIMEOUT=5 psql "$1" -XqAtc 'SELECT 1' >/dev/null 2>&1
}

_install_postgres_packages() {
    local aptlog="$TMP_DIR/apt-postgresql.log"
    log "PostgreSQL is not installed: apt-get install postgresql (log: $aptlog)"
    if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >"$aptlog" 2>&1; then
        tail -n 30 "$aptlog" >&2
        log "apt-get install postgresql failed"
        return 1
    fi
    _PG_INSTALLED_BY_US=1
}

_pg_cluster_on_port() { # prints "VER NAME STATUS" of the cluster on port $1
    pg_lsclusters -h 2>/dev/null | awk -v p="$1" '$3 == p { print $1, $2, $4; exit }'
}

# provision_local_postgres PORT: install / create / start the local cluster on PORT
provision_local_postgres() {
    local port="$1" ver name status line i
    if ! command -v pg_lsclusters >/dev/null 2>&1 ||
        ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        _install_postgres_packages || return 1
    fi
    if [[ -z "$(pg_lsclusters -h 2>/dev/null)" ]]; then
        ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
        log "no PostgreSQL cluster: pg_createcluster $ver main -p $port"
        as_root pg_createcluster "$ver" main -p "$port" >&2 || return 1
    fi
    line="$(_pg_cluster_on_port "$port")"
    if [[ -z "$line" ]]; then
        log "no PostgreSQL cluster listens on port $port; clusters:"
        pg_lsclusters >&2 || true
        return 1
    fi
    read -r ver name status <<<"$line"
    if [[ "$status" != online* ]]; then
        log "starting PostgreSQL cluster $ver/$name (was: $status)"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 || {
            log "pg_ctlcluster start failed; log tail:"
            tail -n 20 "/var/log/postgresql/postgresql-$ver-$name.log" >&2 2>/dev/null || true
            return 1
        }
        register_cleanup stop_postgres_cluster "$ver" "$name"
    elif [[ -n "${_PG_INSTALLED_BY_US:-}" ]]; then
        register_cleanup stop_postgres_cluster "$ver" "$name"
    fi
    for ((i = 0; i < 30; i++)); do
        if pg_isready -q -h 127.0.0.1 -p "$port"; then return 0; fi
        sleep 1
    done
    log "PostgreSQL on 127.0.0.1:$port did not become ready in 30s"
    return 1
}

stop_postgres_cluster() {
    log "stopping PostgreSQL cluster $1/$2 (started by this script)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$1" "$2" stop >&2
}

# Give the URL's role its password (and create it if missing) over the local socket.
_pg_set_role_password() { # USER PASSWORD PORT
    local user="$1" pass="$2" port="$3"
    [[ "$user" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { log "refusing to manage role with unusual name: $user"; return 1; }
    local lit="'${pass//\'/\'\'}'" sql
    sql="DO \$\$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user') THEN
    ALTER ROLE \"$user\" WITH LOGIN PASSWORD $lit;
  ELSE
    CREATE ROLE \"$user\" WITH LOGIN CREATEDB PASSWORD $lit;
  END IF;
END \$\$;"
    log "setting the password of PostgreSQL role '$user'"
    as_postgres psql -X -q -p "$port" -v ON_ERROR_STOP=1 -c "$sql" >&2
}

# ensure_postgres_url URL: succeed once URL answers, provisioning a local
# PostgreSQL (install, start, password) if URL points at this machine.
ensure_postgres_url() {
    local url="$1"
    if postgres_answers "$url"; then
        log "PostgreSQL answers at $(redact_url "$url")"
        return 0
    fi
    pg_url_parse "$url" || {
        log "cannot parse PostgreSQL URL: $(redact_url "$url")"
        return 1
    }
    if ! _pg_host_is_local "$PGU_HOST"; then
        log "PostgreSQL at $(redact_url "$url") does not answer (not a local host: nothing to start)"
        return 1
    fi
    log "PostgreSQL does not answer at $(redact_url "$url"); provisioning the local server"
    provision_local_postgres "$PGU_PORT" || return 1
    postgres_answers "$url" && return 0
    pg_url_parse "$url"
    _pg_set_role_password "$PGU_USER" "${PGU_PASS:-postgres}" "$PGU_PORT" || return 1
    if ! postgres_answers "$url"; then
        log "PostgreSQL is up but $(redact_url "$url") still fails:"
        PGCONNECT_TIMEOUT=5 psql "$url" -XqAtc 'SELECT 1' 2>&1 | sed 's/^/    /' >&2 || true
        return 1
    fi
    log "PostgreSQL answers at $(redact_url "$url")"
}

# ensure_postgres: exports TEST_DATABASE_URL (default $DEFAULT_TEST_DATABASE_URL).
ensure_postgres() {
    local url="${TEST_DATABASE_URL:-$DEFAULT_TEST_DATABASE_URL}"
    ensure_postgres_url "$url" || die "no usable PostgreSQL at $(redact_url "$url")"
    export TEST_DATABASE_URL="$url"
}

# ---------------------------------------------------------------- MongoDB
# ensure_mongodb, the stand-in's venv and processes: scripts/lib/mongodb.sh.
# shellcheck source=scripts/lib/mongodb.sh
source "$(dirname "${BASH_SOURCE[0]}")/mongodb.sh"

# ---------------------------------------------------------------- misc
# dotenv_get KEY [FILE]: value of KEY in a .env file (last one wins), or nothing.
dotenv_get() {
    local key="$1" file="${2:-$ROOT_DIR/.env}" line val="" found=""
    [[ -f "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line#export }"
        [[ "$line" == "$key="* ]] || continue
        val="${line#"$key="}"
        found=1
        case "$val" in
        \"*\"*) val="${val#\"}" && val="${val%%\"*}" ;;
        \'*\'*) val="${val#\'}" && val="${val%%\'*}" ;;
        *) val="${val%%[[:space:]]#*}" && val="${val%"${val##*[![:space:]]}"}" ;;
        esac
    done <"$file"
    [[ -n "$found" ]] && printf '%s\n' "$val"
    return 0
}

fmt_duration() { # SECONDS -> 1m05s
    local s="$1"
    if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}
