#!/usr/bin/env python3
"""A real SMTP server for cita's tests: aiosmtpd on a loopback port, writing each message
it accepts to a folder, so the tests read what a mail server received.

For each message, two files named <pid>-<n>: the raw bytes (.eml) and a JSON summary
(.json) with the envelope, the decoded headers and parts, and every text/calendar part
parsed by Python's `icalendar` (METHOD, and per VEVENT its UID, SEQUENCE, STATUS, DTSTART,
DTEND). A JSON file appears only once complete (written aside, then renamed), after the
message is on disk and before the server answers 250.

A recipient whose address contains "reject" is refused with a permanent 550 (which
quotes the address, as real servers do), for the dead-letter tests.

With --delay-ms N every recipient is answered N ms late, before any message content is
sent: a client killed then has delivered nothing (the fault tests kill a worker there).

Usage: smtp_sink.py --dir DIR [--port N] [--delay-ms N]   (prints "PORT <n>" once listening)
"""
import argparse
import asyncio
import email
import itertools
import json
import os
import socket
import sys
import time
from email import policy

import icalendar
from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def calendar_summary(text):
    cal = icalendar.Calendar.from_ical(text)
    events = []
    for event in cal.walk("VEVENT"):
        events.append({
            "uid": str(event.get("UID")),
            "sequence": int(event.get("SEQUENCE", 0)),
            "status": str(event.get("STATUS", "")),
            "dtstart": event.decoded("DTSTART").isoformat(),
            "dtend": event.decoded("DTEND").isoformat(),
            "organizer": str(event.get("ORGANIZER", "")),
            "attendee": str(event.get("ATTENDEE", "")),
        })
    return {"method": str(cal.get("METHOD", "")), "events": events}


class Sink:
    def __init__(self, folder, delay_ms):
        self.folder = folder
        self.delay = delay_ms / 1000
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay:
            await asyncio.sleep(self.delay)
        if "reject" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["Subject"] or ""),
            "message_id": str(message["Message-ID"] or ""),
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "content_type": message.get_content_type(),
            "parts": [],
            "calendars": [],
        }
        for part in message.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            if isinstance(content, bytes):
                content = content.decode("utf-8")
            entry = {
                "content_type": part.get_content_type(),
                "method": part.get_param("method") or "",
                "filename": part.get_filename() or "",
                "body": content,
            }
            record["parts"].append(entry)
            if entry["content_type"] in ("text/calendar", "application/ics"):
                summary = calendar_summary(content)
                summary["content_type"] = entry["content_type"]
                summary["mime_method"] = entry["method"]
                record["calendars"].append(summary)
        name = f"{os.getpid()}-{next(self.counter):06d}"
        with open(os.path.join(self.folder, name + ".eml"), "wb") as f:
            f.write(raw)
        path = os.path.join(self.folder, name + ".json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port or free_port()
    controller = Controller(Sink(args.dir, args.delay_ms), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"PORT {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
