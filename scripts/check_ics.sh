#!/usr/bin/env bash
# Validates every *.ics file in DIR the way calendar apps will read it:
#   1. framing, checked on the raw bytes: CRLF line ends only, no line over 75 octets,
#      every physical line valid UTF-8 (a fold inside a character breaks that);
#   2. Python `icalendar` (PyPI): parses, no component reports errors, no floating times;
#   3. Mozilla `ical.js` (npm, the parser inside Thunderbird): parses without throwing,
#      DTSTART/DTEND are UTC (not floating).
# Both clients print one line per VEVENT on stdout, tab-separated:
#   CLIENT  FILE  uid=...  start=ISO  end=ISO  status=...  sequence=N  summary=JSON
# Missing clients are installed on first use (pip; npm into scripts/node_modules).
#
# Usage: scripts/check_ics.sh DIR
# Exit: 0 all valid; 1 a file is invalid; 2 usage; 3 a client could not be installed or run.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 DIR   (validates DIR/*.ics)" >&2
    exit 2
fi

shopt -s nullglob
files=("$1"/*.ics)
if [ ${#files[@]} -eq 0 ]; then
    echo "FAIL: no .ics files in $1" >&2
    exit 1
fi

unavailable=0
failed=0

# Python: framing checks, then the icalendar package.
if ! command -v python3 >/dev/null 2>&1; then
    echo "UNAVAILABLE: python3 not found" >&2
    exit 3
fi
if ! python3 -c 'import icalendar' >/dev/null 2>&1; then
    echo "installing Python icalendar (pip)" >&2
    python3 -m pip install --quiet icalendar >&2 \
        || python3 -m pip install --quiet --user icalendar >&2 \
        || echo "could not install Python icalendar" >&2
fi
PYTHONIOENCODING=utf-8 python3 "$here/check_ics.py" "${files[@]}"
case $? in
    0) ;;
    3) unavailable=1 ;;
    *) failed=1 ;;
esac

# Node: Mozilla ical.js.
if ! command -v node >/dev/null 2>&1; then
    echo "UNAVAILABLE: node not found" >&2
    unavailable=1
else
    if [ ! -d "$here/node_modules/ical.js" ]; then
        echo "installing ical.js (npm) into $here/node_modules" >&2
        npm install --no-save --no-audit --no-fund --silent --prefix "$here" ical.js >&2 \
            || echo "could not install ical.js" >&2
    fi
    node "$here/check_ics.mjs" "${files[@]}"
    case $? in
        0) ;;
        3) unavailable=1 ;;
        *) failed=1 ;;
    esac
fi

if [ $failed -ne 0 ]; then
    echo "FAIL: invalid iCalendar output (see above)" >&2
    exit 1
fi
if [ $unavailable -ne 0 ]; then
    echo "UNAVAILABLE: not every client could be run" >&2
    exit 3
fi
echo "# ok: ${#files[@]} file(s) valid in Python icalendar and ical.js"
