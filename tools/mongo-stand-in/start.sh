#!/usr/bin/env bash
# start.sh PORT PIDFILE LOGFILE [DATA_FILE]
# Set up the venv, start the stand-in (python -m mongo_stand_in) on 127.0.0.1:PORT in the
# background and wait (up to MONGO_STAND_IN_START_TIMEOUT seconds, default 20) until it
# answers ping.
# With DATA_FILE, the data is loaded from it at start and saved to it on a clean stop.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $0 PORT PIDFILE LOGFILE [DATA_FILE]" >&2
    exit 2
fi
port="$1"; pidfile="$2"; logfile="$3"; data_file="${4:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${MONGO_STAND_IN_VENV:-$here/.venv}"
timeout="${MONGO_STAND_IN_START_TIMEOUT:-20}"

"$here/setup.sh"

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "start.sh: a stand-in is already running with pid $(cat "$pidfile") ($pidfile)" >&2
    exit 1
fi

url="mongodb://127.0.0.1:$port/?directConnection=true"
if "$venv/bin/python" "$here/ping.py" "$url" --timeout 0.5 2>/dev/null; then
    echo "start.sh: something already answers MongoDB pings on 127.0.0.1:$port" >&2
    exit 1
fi

mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
persistence=()
if [ -n "$data_file" ]; then
    mkdir -p "$(dirname "$data_file")"
    persistence=(--data-file "$data_file")
fi
# The package is found through PYTHONPATH, so relative paths given to this script keep
# meaning what they meant in the caller's directory.
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" nohup "$venv/bin/python" -m mongo_stand_in \
    --host 127.0.0.1 --port "$port" --log-level "${MONGO_STAND_IN_LOG_LEVEL:-info}" \
    "${persistence[@]}" >>"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" > "$pidfile"

deadline=$(( $(date +%s) + timeout ))
while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "start.sh: the stand-in exited during startup; log tail:" >&2
        tail -n 30 "$logfile" >&2 || true
        rm -f "$pidfile"
        exit 1
    fi
    if "$venv/bin/python" "$here/ping.py" "$url" --timeout 1 2>/dev/null \
            && sleep 0.2 && kill -0 "$pid" 2>/dev/null; then
        echo "start.sh: MongoDB stand-in up on 127.0.0.1:$port (pid $pid)" >&2
        exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "start.sh: the stand-in did not answer ping within ${timeout}s; log tail:" >&2
        tail -n 30 "$logfile" >&2 || true
        kill "$pid" 2>/dev/null || true
        rm -f "$pidfile"
        exit 1
    fi
    sleep 0.2
done
