#!/usr/bin/env bash
# Create (or reuse) the reference verifier's virtualenv with requirements.txt installed.
#   AUDIT_VERIFY_VENV  venv location (default: <this dir>/.venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${AUDIT_VERIFY_VENV:-$here/.venv}"
requirements="$here/requirements.txt"
stamp="$venv/.audit-verify-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && "$venv/bin/python" -c 'import cryptography' 2>/dev/null; then
    exit 0
fi
rm -rf "$venv"
# The stand-in's setup installs python3-venv when Debian lacks it; it runs first.
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$requirements" >&2
"$venv/bin/python" -c 'import cryptography.hazmat.primitives.asymmetric.ed25519'
echo "$want" > "$stamp"
echo "setup.sh: audit verifier venv ready at $venv" >&2
