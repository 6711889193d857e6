#!/usr/bin/env bash
# Tests the running API against its own OpenAPI document with Schemathesis (PyPI).
#
# 1. Installs Schemathesis (pinned) into a virtualenv under ~/.cache if it is not there.
# 2. Builds and starts `cita serve --demo --no-rate-limit` on a free loopback port, over
#    a fresh SQLite database in a temporary folder, and waits until /readyz answers.
# 3. Takes the demo admin token from the server's stdout: Schemathesis sends it only to
#    the operations whose security is `staff_token` (staff and admin routes; see
#    scripts/schemathesis/schemathesis.toml). The citizens' appointment tokens are not
#    configured: the stateful phase gets them from booking and look-up answers through
#    the document's links, and elsewhere those routes answer 401/404 as documented.
# 4. Runs the coverage, fuzzing and stateful phases with a fixed seed and a bounded number
#    of examples per operation, with the checks not_a_server_error,
#    status_code_conformance, content_type_conformance, response_schema_conformance,
#    positive_data_acceptance and negative_data_rejection.
# 5. Prints a summary, stops the server, and exits non-zero on any failure.
#
# What the document cannot state as JSON Schema (a DNI's check letter, the booking window,
# limits across two parameters, whether a TOML text is a valid configuration) is told to
# Schemathesis by scripts/schemathesis/hooks.py, which explains each rule; no check is
# turned off and no operation is left out.
#
# Usage: scripts/schemathesis.sh [extra `schemathesis run` options]
# Env: CARGO_TARGET_DIR (as cargo), CITA_SCHEMATHESIS_VENV (virtualenv folder),
#      CITA_SCHEMATHESIS_EXAMPLES (examples per operation and phase, default in the toml).
# Exit: 0 no failure; 1 failures; 2 set-up failed (install, build, server start).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

venv="${CITA_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cita/schemathesis-$SCHEMATHESIS_VERSION}"
st="$venv/bin/schemathesis"
if ! "$st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv" || { echo "FAIL: cannot create a virtualenv (python3-venv)" >&2; exit 2; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" ||
        { echo "FAIL: cannot install schemathesis from PyPI" >&2; exit 2; }
fi

cargo build --quiet --bin cita || { echo "FAIL: cargo build" >&2; exit 2; }
cita="${CARGO_TARGET_DIR:-$root/target}/debug/cita"

work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
RUST_LOG="${RUST_LOG:-warn}" "$cita" serve --demo --no-rate-limit \
    --addr "127.0.0.1:$port" --database-url "sqlite://$work/cita.db" \
    >"$work/server.out" 2>"$work/server.err" &
server=$!

# Ready when /readyz answers 200 and the token has been printed (it is printed before
# the server accepts connections); give up after 60 s or when the server exits.
token=""
for _ in $(seq 1 600); do
    if ! kill -0 "$server" 2>/dev/null; then
        echo "FAIL: the server exited:" >&2
        cat "$work/server.err" >&2
        exit 2
    fi
    token="$(sed -n 's/^demo admin token: //p' "$work/server.out" | head -n 1)"
    if [ -n "$token" ] && curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$token" ] || ! curl -fsS -o /dev/null "$base/readyz"; then
    echo "FAIL: the server did not become ready on $base" >&2
    cat "$work/server.err" >&2
    exit 2
fi
echo "server ready on $base"

examples=()
if [ -n "${CITA_SCHEMATHESIS_EXAMPLES:-}" ]; then
    examples=(--max-examples "$CITA_SCHEMATHESIS_EXAMPLES")
fi

started=$SECONDS
status=0
CITA_ADMIN_TOKEN="$token" \
    CITA_SCHEMATHESIS_DROPPED="$work/business-rejections.tsv" \
    CITA_BASE_URL="$base" \
    PYTHONDONTWRITEBYTECODE=1 \
    SCHEMATHESIS_HOOKS=hooks \
    PYTHONPATH="$here/schemathesis${PYTHONPATH:+:$PYTHONPATH}" \
    "$st" --config-file "$here/schemathesis/schemathesis.toml" --no-color run \
    "$base/api/v1/openapi.json" \
    --url "$base" \
    --phases coverage,fuzzing,stateful \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance,negative_data_rejection \
    --report junit --report-junit-path "$work/junit.xml" \
    "${examples[@]}" "$@" || status=$?

# One line for CI logs, from the JUnit report: entries with and without failures.
python3 - "$work/junit.xml" "$((SECONDS - started))" <<'EOF' || true
import sys
import xml.etree.ElementTree as ET

try:
    suites = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
cases = suites.iter("testcase")
total = failed = 0
for case in cases:
    total += 1
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
print(f"schemathesis: {total} report entries (each operation, and the stateful phase), {failed} with failures, in {sys.argv[2]} s")
EOF

# What the run left in the database: evidence that it reached real bookings.
python3 - "$work/cita.db" <<'EOF' || true
import sqlite3
import sys

try:
    rows = sqlite3.connect(sys.argv[1]).execute(
        "SELECT status, COUNT(*) FROM appointments GROUP BY status ORDER BY status"
    ).fetchall()
except sqlite3.Error as error:
    print(f"(could not read the database: {error})")
    sys.exit(0)
print("appointments made during the run: " + (", ".join(f"{n} {s}" for s, n in rows) or "none"))
EOF

# The documented business rejections of schema-valid requests (hooks.py), counted.
if [ -s "$work/business-rejections.tsv" ]; then
    echo "schema-valid requests refused by a documented business rule (not failures):"
    sort "$work/business-rejections.tsv" | uniq -c | sed 's/^/  /'
fi

if grep -qiE "panicked|internal error" "$work/server.out" "$work/server.err"; then
    echo "FAIL: the server logged a panic or an internal error:" >&2
    grep -iE "panicked|internal error" "$work/server.out" "$work/server.err" | head -n 20 >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "schemathesis: FAILED (exit $status)" >&2
    exit 1
fi
echo "schemathesis: no failures"
