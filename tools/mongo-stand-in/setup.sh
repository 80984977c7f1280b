#!/usr/bin/env bash
# Create (or reuse) the stand-in's virtualenv and install requirements.txt.
# Idempotent: skips the install when the venv already holds the same requirements.
#   MONGO_STAND_IN_VENV  venv location (default: <this dir>/.venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${MONGO_STAND_IN_VENV:-$here/.venv}"
requirements="$here/requirements.txt"
stamp="$venv/.stand-in-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && "$venv/bin/python" -c 'import mongomock, pymongo' 2>/dev/null; then
    exit 0
fi

make_venv() { python3 -m venv "$venv"; }

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! make_venv 2>/dev/null; then
        # Debian ships venv/ensurepip separately
        echo "setup.sh: python3 -m venv failed; installing python3-venv" >&2
        rm -rf "$venv"
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq >&2 || true
            pyver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2 \
                || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" >&2
        else
            echo "setup.sh: cannot create a venv; install python3-venv" >&2
            exit 1
        fi
        make_venv
    fi
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$requirements" >&2
"$venv/bin/python" -c 'import mongomock, pymongo; assert mongomock.__version__ == "4.3.0"'
echo "$want" > "$stamp"
echo "setup.sh: stand-in venv ready at $venv" >&2
