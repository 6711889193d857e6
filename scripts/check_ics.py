"""Checks .ics files: RFC 5545 framing on the raw bytes, then Python `icalendar`.

Usage: check_ics.py FILE...   (normally run by check_ics.sh)
Prints one tab-separated line per VEVENT on stdout; problems on stderr.
Exit: 0 valid; 1 a file is invalid; 3 the icalendar package is not importable.
"""

import json
import os
import re
import sys
from datetime import datetime, timezone

MAX_OCTETS = 75
TZID_PARAM = re.compile(r'^[^:"]*(?:"[^"]*"[^:"]*)*;TZID=("?)([^";:]+)\1', re.IGNORECASE)


def framing_problems(raw):
    """RFC 5545 §3.1: CRLF line ends, at most 75 octets a line, UTF-8 (§3.1.4)."""
    problems = []
    if not raw.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            problems.append(f"line {number}: bare LF or CR")
        if len(line) > MAX_OCTETS:
            problems.append(f"line {number}: {len(line)} octets (max {MAX_OCTETS})")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"line {number}: not valid UTF-8 on its own (fold inside a character?): {e}")
    return problems


def unfold(text):
    return re.sub(r"\r\n[ \t]", "", text)


def tzid_problems(text):
    """RFC 5545 §3.2.19: every TZID= must name a VTIMEZONE in the same object."""
    lines = unfold(text).split("\r\n")
    defined = {l[5:] for l in lines if l.upper().startswith("TZID:")}
    problems = []
    for line in lines:
        m = TZID_PARAM.match(line)
        if m and m.group(2) not in defined:
            problems.append(f"TZID={m.group(2)} without a VTIMEZONE: {line}")
    return problems


def utc_iso(value, what):
    if not isinstance(value, datetime):
        raise ValueError(f"{what} is not a date-time: {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} is a floating time (no UTC, no zone): {value!r}")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(paths):
    try:
        import icalendar
    except ImportError as e:
        print(f"UNAVAILABLE: Python icalendar cannot be imported: {e}", file=sys.stderr)
        framing_only = True
    else:
        framing_only = False
        print(f"# python-icalendar {icalendar.__version__}")

    failed = False
    for path in paths:
        name = os.path.basename(path)
        with open(path, "rb") as f:
            raw = f.read()
        problems = framing_problems(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"not UTF-8: {e}")
            text = None
        if text is not None:
            problems += tzid_problems(text)
        if text is not None and not framing_only:
            try:
                problems += parse_and_print(icalendar, name, text)
            except Exception as e:  # any parser exception means the file is unusable
                problems.append(f"python icalendar: {type(e).__name__}: {e}")
        for p in problems:
            print(f"FAIL {name}: {p}", file=sys.stderr)
        failed = failed or bool(problems)
    if failed:
        return 1
    return 3 if framing_only else 0


def parse_and_print(icalendar, name, text):
    problems = []
    cal = icalendar.Calendar.from_ical(text)
    if cal.name != "VCALENDAR":
        problems.append(f"root component is {cal.name}, not VCALENDAR")
    for prop in ("VERSION", "PRODID"):
        if prop not in cal:
            problems.append(f"VCALENDAR has no {prop}")
    for component in cal.walk():
        for error in component.errors:
            problems.append(f"python icalendar: {component.name}: {error}")
    for event in cal.walk("VEVENT"):
        uid = event.get("UID")
        if not uid:
            problems.append("VEVENT without UID")
            continue
        try:
            start = utc_iso(event.decoded("DTSTART"), f"{uid} DTSTART")
            end = utc_iso(event.decoded("DTEND"), f"{uid} DTEND")
        except (KeyError, ValueError) as e:
            problems.append(str(e))
            continue
        fields = [
            "python-icalendar",
            name,
            f"uid={uid}",
            f"start={start}",
            f"end={end}",
            f"status={event.get('STATUS', '')}",
            f"sequence={event.get('SEQUENCE', '')}",
            "summary=" + json.dumps(str(event.get("SUMMARY", "")), ensure_ascii=False),
        ]
        print("\t".join(fields))
    return problems


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
