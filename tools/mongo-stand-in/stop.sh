#!/usr/bin/env bash
# stop.sh PIDFILE — stop a stand-in started by start.sh (SIGTERM, then SIGKILL after 10 s).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PIDFILE" >&2
    exit 2
fi
pidfile="$1"
[ -f "$pidfile" ] || exit 0
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop.sh: pid $pid ignored SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
fi
rm -f "$pidfile"
