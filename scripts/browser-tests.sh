#!/usr/bin/env bash
# The citizens' pages in a real browser: headless Chromium (Debian's package) driven by
# playwright-core, with axe-core checking every page (tests/browser/).
#
# 1. Builds `cita` (debug; CARGO_TARGET_DIR as cargo).
# 2. Installs Chromium with apt-get if /usr/bin/chromium is missing (sudo when not root);
#    npm never downloads a browser (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
# 3. Runs `npm ci` in tests/browser when node_modules is missing or older than the
#    lock file (exact versions pinned there).
# 4. Starts the tests' SMTP server (scripts/smtp_sink.py, with the Python that
#    scripts/smtp-sink-env.sh makes: aiosmtpd and icalendar, pinned, in a virtualenv under
#    ~/.cache) on a free loopback port, writing what it receives to a temporary folder;
#    then `cita serve --demo --no-rate-limit --smtp-url smtp://127.0.0.1:PORT --mail-from
#    "Cita previa <citas@example.es>"` on a free loopback port over a fresh SQLite
#    database in a temporary folder, and waits until /readyz answers. The server's own
#    worker mails every message (the journeys' too) to that SMTP server.
# 5. Runs with node's test runner, which takes the files in alphabetical order:
#    tests/browser/draws.test.mjs: a release draw (entered from the week page, a mistake
#    first, the result found again with the code) with JavaScript on and off and by
#    keyboard alone; tests/browser/journeys.test.mjs: the whole journey (book,
#    confirmation and its .ics, manage, reschedule, cancel) in Spanish and English, with
#    JavaScript on and off, at 360×640 and 1280×800, once with the keyboard alone; the
#    error states, the information pages and the problem pages;
#    tests/browser/mail.test.mjs: the confirmation e-mail of an appointment booked on the
#    pages in Spanish and in English, as the SMTP server received it (subject, language,
#    invitation, no document number, no token), its HTML part opened in Chromium at
#    360×640 and 1280×800; and a message refused by the mail server (an address with
#    "reject") on the staff's page of unsent messages, sent again by keyboard alone, and
#    that page's empty state, with JavaScript on and off; tests/browser/mine.test.mjs:
#    "Mis citas" (/my): three appointments booked with one document (two with one
#    address, in Madrid and Las Palmas, one with another), the link asked for (the form
#    sent empty first), received by the SMTP server and opened, those two listed and not
#    the third, a calendar link made, its feed fetched, revoked by keyboard alone, the
#    page closed, and a link that is not one, in Spanish with JavaScript on at 360 px and
#    in English with it off at 1280 px; tests/browser/queue.test.mjs: a
#    release's waiting room (the week page leads to it, a place taken with its Refresh
#    header, and past the release instant the turn, the dates and a time held; it waits
#    up to 85 s for that instant) with JavaScript on and off and by keyboard alone,
#    putting the demo configuration back at the end; and tests/browser/staff.test.mjs:
#    the staff's day (sign in with the demo admin's token, check in the next citizen and
#    undo, walk-in and check-in, a no-show on the demo's past day, statistics and their
#    CSV download, the fairness report and its CSV, the activity log, a calendar feed
#    link created, copied and revoked, an invalid configuration refused by line, a
#    closure previewed then confirmed, sign out) with JavaScript on and off and by
#    keyboard alone. axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) must find no
#    violation on any page (nor on the e-mail).
# 6. Prints the per-page axe table, stops the server and the SMTP server, exits non-zero
#    on any failure.
#
# Screenshots of every page (full page) and the axe tables (axe-report.md for the
# citizens' pages, axe-report-staff.md for the staff's, axe-report-draws.md,
# axe-report-mail.md, axe-report-mine.md and axe-report-queue.md for the draw, e-mail and
# unsent messages, "Mis citas" and waiting room pages) are written to
# target/browser-screenshots/, with the HTML of
# the e-mails checked (mail-*.html).
#
# Usage: scripts/browser-tests.sh [extra `node --test` options, e.g. --test-name-pattern=keyboard]
# Env: CARGO_TARGET_DIR (as cargo), CITA_CHROMIUM (default /usr/bin/chromium),
#      CITA_SMTP_SINK_VENV (as scripts/smtp-sink-env.sh).
# Exit: 0 all passed; 1 a test failed or axe found a violation; 2 set-up failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
suite="$root/tests/browser"
shots="$root/target/browser-screenshots"
chromium="${CITA_CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

started=$SECONDS

cargo build --quiet --bin cita || { echo "FAIL: cargo build" >&2; exit 2; }
cita="${CARGO_TARGET_DIR:-$root/target}/debug/cita"

if [ ! -x "$chromium" ]; then
    echo "installing chromium (apt-get)"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    apt_install() {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends chromium >/dev/null
    }
    if ! apt_install; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
            apt_install || { echo "FAIL: cannot install chromium" >&2; exit 2; }
    fi
    [ -x "$chromium" ] || { echo "FAIL: no browser at $chromium" >&2; exit 2; }
fi

# node_modules is stale when npm's record of it is older than the lock file.
if [ ! -f "$suite/node_modules/.package-lock.json" ] ||
    [ "$suite/package-lock.json" -nt "$suite/node_modules/.package-lock.json" ]; then
    echo "installing the browser tests' packages (npm ci)"
    (cd "$suite" && npm ci --no-audit --no-fund --loglevel=error) ||
        { echo "FAIL: npm ci in tests/browser" >&2; exit 2; }
fi

sink_python="$(bash "$here/smtp-sink-env.sh")" ||
    { echo "FAIL: cannot make the SMTP server's Python (scripts/smtp-sink-env.sh)" >&2; exit 2; }

work="$(mktemp -d)"
server=""
sink=""
stop() {
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$server"
    stop "$sink"
    rm -rf "$work"
}
trap cleanup EXIT

# The SMTP server: it picks a free loopback port and prints "PORT <n>" once listening.
mail="$work/mail"
"$sink_python" "$here/smtp_sink.py" --dir "$mail" >"$work/sink.out" 2>"$work/sink.err" &
sink=$!
smtp_port=""
for _ in $(seq 1 100); do
    smtp_port="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/sink.out" 2>/dev/null || true)"
    [ -n "$smtp_port" ] && break
    if ! kill -0 "$sink" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$smtp_port" ]; then
    echo "FAIL: the SMTP server did not start:" >&2
    cat "$work/sink.err" >&2
    exit 2
fi
echo "SMTP server on 127.0.0.1:$smtp_port, writing to $mail"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
RUST_LOG="${RUST_LOG:-warn}" "$cita" serve --demo --no-rate-limit \
    --addr "127.0.0.1:$port" --database-url "sqlite://$work/cita.db" \
    --smtp-url "smtp://127.0.0.1:$smtp_port" --mail-from "Cita previa <citas@example.es>" \
    >"$work/server.out" 2>"$work/server.err" &
server=$!

for _ in $(seq 1 600); do
    if ! kill -0 "$server" 2>/dev/null; then
        echo "FAIL: the server exited:" >&2
        cat "$work/server.err" >&2
        exit 2
    fi
    curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
    sleep 0.1
done
if ! curl -fsS -o /dev/null "$base/readyz"; then
    echo "FAIL: the server did not become ready on $base" >&2
    cat "$work/server.err" >&2
    exit 2
fi
echo "server ready on $base"
# The demo admin's token, for the staff pages' tests.
staff_token="$(grep -o 'demo admin token: [0-9a-f]*' "$work/server.out" | head -n 1 | cut -d' ' -f4)"
[ -n "$staff_token" ] || { echo "FAIL: the server printed no demo admin token" >&2; exit 2; }

rm -rf "$shots"
mkdir -p "$shots"
status=0
(cd "$suite" && CITA_BASE_URL="$base" CITA_CHROMIUM="$chromium" CITA_SCREENSHOTS="$shots" \
    CITA_STAFF_TOKEN="$staff_token" CITA_MAIL_DIR="$mail" \
    node --test --test-concurrency=1 --test-reporter=spec "$@" \
        draws.test.mjs journeys.test.mjs mail.test.mjs mine.test.mjs queue.test.mjs staff.test.mjs) || status=$?

if grep -qiE "panicked|internal error" "$work/server.out" "$work/server.err"; then
    echo "FAIL: the server logged a panic or an internal error:" >&2
    grep -iE "panicked|internal error" "$work/server.out" "$work/server.err" | head -n 20 >&2
    status=1
fi

echo
if [ -f "$shots/axe-report.md" ]; then
    cat "$shots/axe-report.md"
    # Each page's violations fail its test already; the total must be nought too.
    head -n 1 "$shots/axe-report.md" | grep -q " 0 violations$" || status=1
else
    echo "no axe report was written" >&2
    status=1
fi
if [ -f "$shots/axe-report-staff.md" ]; then
    head -n 1 "$shots/axe-report-staff.md"
    head -n 1 "$shots/axe-report-staff.md" | grep -q " 0 violations$" || status=1
fi
if [ -f "$shots/axe-report-draws.md" ]; then
    head -n 1 "$shots/axe-report-draws.md"
    head -n 1 "$shots/axe-report-draws.md" | grep -q " 0 violations$" || status=1
else
    echo "no axe report of the draw pages was written" >&2
    status=1
fi
if [ -f "$shots/axe-report-mail.md" ]; then
    head -n 1 "$shots/axe-report-mail.md"
    head -n 1 "$shots/axe-report-mail.md" | grep -q " 0 violations$" || status=1
else
    echo "no axe report of the e-mail and the unsent messages page was written" >&2
    status=1
fi
if [ -f "$shots/axe-report-mine.md" ]; then
    head -n 1 "$shots/axe-report-mine.md"
    head -n 1 "$shots/axe-report-mine.md" | grep -q " 0 violations$" || status=1
else
    echo "no axe report of the \"Mis citas\" pages was written" >&2
    status=1
fi
if [ -f "$shots/axe-report-queue.md" ]; then
    head -n 1 "$shots/axe-report-queue.md"
    head -n 1 "$shots/axe-report-queue.md" | grep -q " 0 violations$" || status=1
else
    echo "no axe report of the waiting room pages was written" >&2
    status=1
fi
echo "screenshots: $shots ($(find "$shots" -name '*.png' | wc -l) pages)"
if [ "$status" -ne 0 ]; then
    echo "browser tests: FAILED (exit $status) in $((SECONDS - started)) s" >&2
    exit 1
fi
echo "browser tests: passed in $((SECONDS - started)) s"
