# shellcheck shell=bash
# MongoDB for the scripts (sourced by common.sh, whose log, die, TMP_DIR, STAND_IN_DIR and
# cleanup functions it uses): TEST_MONGODB_URL when it answers, else the project's stand-in.

ensure_stand_in_venv() { # runs the (idempotent) setup.sh once per script run
    local setup="$STAND_IN_DIR/setup.sh" setuplog="$TMP_DIR/mongo-stand-in-setup.log"
    [[ -z "${_STAND_IN_VENV_READY:-}" ]] || return 0
    [[ -f "$setup" ]] || { log "missing $setup"; return 1; }
    if ! bash "$setup" >"$setuplog" 2>&1; then
        tail -n 30 "$setuplog" >&2
        log "tools/mongo-stand-in/setup.sh failed (log: $setuplog)"
        return 1
    fi
    _STAND_IN_VENV_READY=1
}

# mongo_port_listens URL: whether anything accepts TCP connections at the host and port of
# a single-host mongodb:// URL (default port 27017). Instant when nothing listens, where a
# ping waits for its whole server selection timeout. Unknown shapes answer yes (ping them).
mongo_port_listens() {
    local re='^mongodb://([^/@]*@)?([A-Za-z0-9.-]+)(:([0-9]+))?(/.*)?$'
    [[ "$1" =~ $re ]] || return 0
    local host="${BASH_REMATCH[2]}" port="${BASH_REMATCH[4]:-27017}"
    # shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

mongo_answers() { # URL [TIMEOUT]
    local py
    py="$(stand_in_python)"
    [[ -x "$py" && -f "$STAND_IN_DIR/ping.py" ]] || return 1
    "$py" "$STAND_IN_DIR/ping.py" "$1" --timeout "${2:-3}" >/dev/null 2>&1
}

_port_is_free() {
    "$(stand_in_python)" - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}
_free_port() {
    "$(stand_in_python)" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stop stand-ins left behind by earlier runs that were killed (owner pid is in the name).
_reap_stale_stand_ins() {
    local f owner pid
    for f in "$TMP_DIR"/mongo-stand-in.*.pid; do
        [[ -e "$f" ]] || continue
        owner="${f%.pid}"
        owner="${owner##*.}"
        [[ "$owner" =~ ^[0-9]+$ ]] || continue
        kill -0 "$owner" 2>/dev/null && continue
        pid="$(cat "$f" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- '-m mongo_stand_in'; then
            log "stopping stale MongoDB stand-in (pid $pid) left by an earlier run"
            stop_mongo_stand_in "$f"
        fi
        rm -f "$f"
    done
}

stop_mongo_stand_in() { # PIDFILE
    [[ -f "$1" ]] || return 0
    log "stopping the MongoDB stand-in (pid $(cat "$1" 2>/dev/null))"
    bash "$STAND_IN_DIR/stop.sh" "$1" >&2 || return 1
    rm -f "$1"
}

# start_mongo_stand_in LABEL [DATA_FILE]: start the stand-in on a free port (preferring
# $MONGO_STAND_IN_PORT or 27027), keeping its data in DATA_FILE across restarts when given
# (else in memory only); sets MONGO_STAND_IN_URL and registers its stop.
start_mongo_stand_in() {
    local label="${1:-script}" data_file="${2:-}" port attempt pidfile logfile
    local preferred="${MONGO_STAND_IN_PORT:-27027}"
    ensure_stand_in_venv || return 1
    [[ -f "$STAND_IN_DIR/start.sh" ]] || { log "missing $STAND_IN_DIR/start.sh"; return 1; }
    _reap_stale_stand_ins
    pidfile="$TMP_DIR/mongo-stand-in.$label.$BASHPID.pid"
    logfile="$TMP_DIR/mongo-stand-in.$label.log"
    register_cleanup stop_mongo_stand_in "$pidfile"
    for attempt in 1 2; do
        if ((attempt == 1)) && _port_is_free "$preferred"; then
            port="$preferred"
        else
            ((attempt > 1)) || log "port $preferred is taken; picking another one"
            port="$(_free_port)" || return 1
        fi
        log "starting the MongoDB stand-in on 127.0.0.1:$port (log: $logfile)"
        : >"$logfile"
        # Own session: a Ctrl-C in the terminal must not kill it before the
        # service/tests have shut down; the cleanup trap stops it.
        local starter=(bash "$STAND_IN_DIR/start.sh" "$port" "$pidfile" "$logfile")
        [[ -z "$data_file" ]] || starter+=("$data_file")
        command -v setsid >/dev/null 2>&1 && starter=(setsid -w "${starter[@]}")
        if "${starter[@]}" >&2; then
            MONGO_STAND_IN_URL="mongodb://127.0.0.1:$port/?directConnection=true"
            MONGO_STAND_IN_PIDFILE="$pidfile"
            export MONGO_STAND_IN_URL MONGO_STAND_IN_PIDFILE
            return 0
        fi
        log "the MongoDB stand-in failed to start (attempt $attempt); last lines of $logfile:"
        tail -n 40 "$logfile" 2>/dev/null | sed 's/^/    /' >&2 || true
        stop_mongo_stand_in "$pidfile" 2>/dev/null || true
    done
    return 1
}

# ensure_mongodb: use TEST_MONGODB_URL if it answers (a real MongoDB, e.g.
# `docker compose up -d mongo` + TEST_MONGODB_URL=mongodb://127.0.0.1:27017),
# else start the stand-in. Exports TEST_MONGODB_URL and TEST_MONGODB_STAND_IN (1/0).
ensure_mongodb() {
    ensure_stand_in_venv || die "cannot prepare the MongoDB stand-in venv (needed for ping and the stand-in)"
    if [[ -n "${TEST_MONGODB_URL:-}" ]]; then
        if mongo_answers "$TEST_MONGODB_URL" 5; then
            log "MongoDB answers at $(redact_url "$TEST_MONGODB_URL")"
            export TEST_MONGODB_URL
            export TEST_MONGODB_STAND_IN=0
            return 0
        fi
        warn "TEST_MONGODB_URL=$(redact_url "$TEST_MONGODB_URL") does not answer; using the stand-in instead"
    fi
    start_mongo_stand_in test || die "could not start the MongoDB stand-in"
    export TEST_MONGODB_URL="$MONGO_STAND_IN_URL"
    export TEST_MONGODB_STAND_IN=1
    log "MongoDB stand-in ready: TEST_MONGODB_URL=$TEST_MONGODB_URL"
}

