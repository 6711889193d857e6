#!/usr/bin/env bash
# Makes the Python environment of the tests' SMTP server (scripts/smtp_sink.py): aiosmtpd
# and icalendar from PyPI, pinned, in a virtualenv under ~/.cache (created on first use).
# Prints the environment's python, for CITA_TEST_SMTP_PYTHON.
set -euo pipefail
AIOSMTPD_VERSION=1.4.6
ICALENDAR_VERSION=7.3.2
venv="${CITA_SMTP_SINK_VENV:-$HOME/.cache/cita-smtp-sink-$AIOSMTPD_VERSION-$ICALENDAR_VERSION}"
if ! "$venv/bin/python" -c 'import aiosmtpd, icalendar' >/dev/null 2>&1; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet "aiosmtpd==$AIOSMTPD_VERSION" "icalendar==$ICALENDAR_VERSION" >&2
fi
echo "$venv/bin/python"
