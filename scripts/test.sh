#!/usr/bin/env bash
# The test command (README, CI): makes a fresh machine ready and runs everything.
#
#   scripts/test.sh                 # fmt, clippy, stand-in tests, all cargo tests
#   scripts/test.sh outbox          # extra args go to `cargo test --locked`
#   SKIP_LINT=1 scripts/test.sh     # skip fmt/clippy (quick local runs; CI never sets it)
#   TEST_MONGODB_URL=mongodb://127.0.0.1:27017 scripts/test.sh   # real MongoDB
#                                   # (e.g. `docker compose up -d mongo`)
#
# Phases: Rust components, PostgreSQL (installed/started if needed), MongoDB
# (TEST_MONGODB_URL if it answers, else the in-memory stand-in), the stand-in's
# own tests (only when it is in use), the reference audit verifier (tools/audit-verify),
# cargo fmt --check, cargo clippy -D warnings,
# cargo test, conformance (scripts/conformance.sh: schemathesis against the live
# service), the console in headless Chromium (scripts/console-test.sh). Exports TEST_DATABASE_URL, TEST_MONGODB_URL (and TEST_MONGODB_STAND_IN=1|0)
# for the Rust tests. Stops only what it started.
# Exits non-zero if any phase failed; prints a timing summary.
# Functions here are called indirectly (run_phase "$@", traps):
# shellcheck disable=SC2317
set -euo pipefail

LOG_TAG="test"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT_DIR"

# CI clones afresh every run; a build cache outside the clone keeps each run from
# recompiling every dependency (like any CI cache). A new machine simply starts cold.
if [[ "${CI:-}" == "true" && -z "${CARGO_TARGET_DIR:-}" ]]; then
    export CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/stockroom/ci-target"
    mkdir -p "$CARGO_TARGET_DIR"
fi
# A hung test must fail the run, not eat CI's budget.
TEST_TIMEOUT="${TEST_TIMEOUT:-20m}"

SKIP_LINT="${SKIP_LINT:-0}"
CARGO_TEST_ARGS=("$@")

PHASE_NAMES=()
PHASE_RESULTS=()
PHASE_SECS=()
FAILED=0
RUN_STARTED=$SECONDS
CURRENT_PHASE=""
CURRENT_PHASE_START=0

record_phase() { # NAME RESULT SECONDS
    PHASE_NAMES+=("$1")
    PHASE_RESULTS+=("$2")
    PHASE_SECS+=("$3")
}

# run_phase NAME CMD...: runs CMD in this shell (so exports stick), records
# result and time. Returns CMD's status.
run_phase() {
    local name="$1" start=$SECONDS rc=0
    shift
    log "==> $name"
    CURRENT_PHASE="$name"
    CURRENT_PHASE_START=$start
    "$@" || rc=$?
    CURRENT_PHASE=""
    if ((rc == 0)); then
        record_phase "$name" ok $((SECONDS - start))
    else
        record_phase "$name" "FAILED($rc)" $((SECONDS - start))
        FAILED=1
        log "<== $name FAILED (exit $rc)"
    fi
    return "$rc"
}

skip_phase() { # NAME REASON
    log "--- skipping $1: $2"
    record_phase "$1" "skipped" 0
}

print_summary() {
    local i
    if [[ -n "$CURRENT_PHASE" ]]; then # died or was interrupted inside a phase
        record_phase "$CURRENT_PHASE" "interrupted" $((SECONDS - CURRENT_PHASE_START))
    fi
    {
        printf '\n==== scripts/test.sh timing summary ====\n'
        for i in "${!PHASE_NAMES[@]}"; do
            printf '  %-22s %-12s %8s\n' "${PHASE_NAMES[i]}" "${PHASE_RESULTS[i]}" "$(fmt_duration "${PHASE_SECS[i]}")"
        done
        printf '  %-22s %-12s %8s\n' "total" "" "$(fmt_duration $((SECONDS - RUN_STARTED)))"
    } >&2
}

# Called by common.sh's EXIT trap after the cleanup (also after a die()).
after_cleanup() {
    print_summary
    if (($1 == 0)); then
        log "all phases passed"
    else
        log "FAILED (exit $1)"
    fi
}

ensure_rust_components() {
    command -v cargo >/dev/null 2>&1 || {
        log "cargo not found: install Rust with rustup (https://rustup.rs)"
        return 1
    }
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if ((${#missing[@]} > 0)); then
        command -v rustup >/dev/null 2>&1 || {
            log "missing ${missing[*]} and no rustup to add them"
            return 1
        }
        log "rustup component add ${missing[*]}"
        rustup component add "${missing[@]}"
    fi
    cargo --version >&2
}

# The stand-in's own suite: tests/test_*.py (end to end and unit), with the venv's python.
stand_in_tests() {
    if [[ ! -f "$STAND_IN_DIR/tests/test_stand_in.py" ]]; then
        log "no $STAND_IN_DIR/tests/test_stand_in.py found"
        return 1
    fi
    (cd "$STAND_IN_DIR" && "$(stand_in_python)" -m unittest discover -s tests -t . -p 'test_*.py')
}

# The reference audit verifier (tools/audit-verify): its venv (Python + cryptography), its
# unit tests against the documented vectors; the Rust tests then run it on a live export
# (AUDIT_VERIFY_PYTHON).
AUDIT_VERIFY_DIR="$ROOT_DIR/tools/audit-verify"
audit_verifier() {
    bash "$AUDIT_VERIFY_DIR/setup.sh" || return 1
    export AUDIT_VERIFY_PYTHON="${AUDIT_VERIFY_VENV:-$AUDIT_VERIFY_DIR/.venv}/bin/python"
    (cd "$AUDIT_VERIFY_DIR" && "$AUDIT_VERIFY_PYTHON" -m unittest -q test_audit_verify)
}

# ---------------------------------------------------------------- phases
if [[ "$SKIP_LINT" == 1 ]]; then
    command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup"
    skip_phase "rust components" "SKIP_LINT=1"
else
    run_phase "rust components" ensure_rust_components || die "cannot get rustfmt/clippy"
fi

run_phase "postgresql" ensure_postgres || die "PostgreSQL is not available"
run_phase "mongodb" ensure_mongodb || die "MongoDB is not available"
log "TEST_DATABASE_URL=$(redact_url "$TEST_DATABASE_URL")"
log "TEST_MONGODB_URL=$(redact_url "$TEST_MONGODB_URL") (stand-in: $TEST_MONGODB_STAND_IN)"

if [[ "$TEST_MONGODB_STAND_IN" == 1 ]]; then
    run_phase "stand-in tests" stand_in_tests || true
else
    skip_phase "stand-in tests" "a real MongoDB is in use (the stand-in is not running)"
fi

run_phase "audit verifier" audit_verifier || true

if [[ "$SKIP_LINT" == 1 ]]; then
    skip_phase "cargo fmt" "SKIP_LINT=1"
    skip_phase "cargo clippy" "SKIP_LINT=1"
else
    run_phase "cargo fmt" cargo fmt --all -- --check || true
    run_phase "cargo clippy" cargo clippy --all-targets --locked -- -D warnings || true
fi

run_phase "cargo test" timeout --kill-after=30s "$TEST_TIMEOUT" cargo test --locked "${CARGO_TEST_ARGS[@]}" || true

# Conformance from outside (schemathesis against the live service), on full runs only: a
# run narrowed to some tests (`scripts/test.sh outbox`) skips it unless CONFORMANCE=1.
if ((${#CARGO_TEST_ARGS[@]} == 0)) || [[ "${CONFORMANCE:-}" == 1 ]]; then
    run_phase "conformance" timeout --kill-after=30s "${CONFORMANCE_TIMEOUT:-10m}" scripts/conformance.sh || true
else
    skip_phase "conformance" "a narrowed run (set CONFORMANCE=1 to include it)"
fi

# The console in headless Chromium (scripts/console-test.sh), on full runs only, like
# conformance; CONSOLE=1 includes it in a narrowed run.
if ((${#CARGO_TEST_ARGS[@]} == 0)) || [[ "${CONSOLE:-}" == 1 ]]; then
    run_phase "console" timeout --kill-after=30s "${CONSOLE_TIMEOUT:-5m}" scripts/console-test.sh || true
else
    skip_phase "console" "a narrowed run (set CONSOLE=1 to include it)"
fi

if ((FAILED != 0)); then
    exit 1
fi
exit 0
