"""Schemathesis hooks for cita: what the OpenAPI document cannot say as JSON Schema.

Loaded by scripts/schemathesis.sh (SCHEMATHESIS_HOOKS). Nothing here disables a check or
skips an operation. It does four things:

1. Formats. The check letter of a DNI or NIE (DESIGN §3) is not a pattern: the document
   marks those strings with the custom formats `dni`, `nie` and `dni-or-nie`, and here
   they get generators of valid documents (any case, with or without separators), so a
   schema-valid booking carries a valid document.

2. Media types. `PUT /api/v1/admin/config` takes TOML text as `application/toml`; the
   string body is sent as UTF-8 bytes like `text/plain`.

3. Business rejections. Some rules depend on time, on stored data or on two values at
   once, and cannot be a schema: the booking window (422 `outside_booking_window`), a
   reused Idempotency-Key (422 `idempotency_key_reused`), a live hold taken for another
   slot or document, the 62-day limit of `/days`, the 366-day limit of a closure, a
   no-show before the start, a walk-in whose `office_id` is not the path's office, and
   whether a TOML text is a valid office configuration. The document lists each under
   the operation's 422. `positive_data_acceptance` stays on for every operation; the
   `filter_failure` hook below drops only its failures whose answer is a 422 problem
   with exactly one of those documented codes (and, for `validation_failed`, one of
   those documented details) for that operation. Any other 4xx for schema-valid data
   (a 400, a 422 for a shape the schema allowed) still fails the run. Each dropped
   failure is listed in the run's summary by operation and code.

4. Data. Half of the schema-valid cases are steered to the demo offices and to dates
   and times near today (`flatmap_case`), so that bookings, holds and availability reach
   the allocator instead of stopping at 404; the other half stay as generated (far
   dates, unknown ids), which is where most business rejections above come from.
"""

from __future__ import annotations

import datetime
import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st

CHECK_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _dni(number: int) -> str:
    return f"{number:08d}{CHECK_LETTERS[number % 23]}"


def _nie(prefix: str, number: int) -> str:
    lead = "XYZ".index(prefix)
    return f"{prefix}{number:07d}{CHECK_LETTERS[(lead * 10_000_000 + number) % 23]}"


def _spelled(document: str, lower: bool, dashed: bool) -> str:
    """One of the spellings the server accepts: any case, a dash before the letter."""
    text = document.lower() if lower else document
    return f"{text[:-1]}-{text[-1]}" if dashed else text


def _spellings(documents: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(_spelled, documents, st.booleans(), st.booleans())


DNI = _spellings(st.integers(0, 99_999_999).map(_dni))
NIE = _spellings(st.builds(_nie, st.sampled_from("XYZ"), st.integers(0, 9_999_999)))

schemathesis.openapi.format("dni", DNI)
schemathesis.openapi.format("nie", NIE)
schemathesis.openapi.format("dni-or-nie", st.one_of(DNI, NIE))

schemathesis.serializer.alias("application/toml", "text/plain")


# Steering schema-valid requests towards the demo data. Office and procedure ids, free
# dates and candidate starts are data, not shapes: drawn at random they would only ever
# meet 404 and 422 outside_booking_window. Half of the positive cases of the operations
# below get an office and procedure of the running server (CITA_BASE_URL), dates within
# the next weeks, and starts the server lists as free that day (`/slots`). Negative cases
# are never touched (that could make them valid).
BASE_URL = os.environ.get("CITA_BASE_URL")


def _catalog() -> list[tuple[str, str]]:
    if not BASE_URL:
        return []
    try:
        with urllib.request.urlopen(f"{BASE_URL}/api/v1/offices", timeout=10) as answer:
            offices = json.load(answer)
    except (OSError, ValueError):
        return []
    return [(office["id"], service["id"]) for office in offices for service in office["services"]]


PAIRS = _catalog()
TODAY = datetime.date.today()


def _start(office: str, service: str, day: datetime.date, pick: int) -> str:
    """A free start of that day if the server lists one, else a quarter hour of it."""
    url = f"{BASE_URL}/api/v1/offices/{office}/services/{service}/slots?date={day.isoformat()}"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            slots = json.load(answer)["slots"]
    except (OSError, ValueError, KeyError):
        slots = []
    if slots:
        return slots[pick % len(slots)]["start"]
    quarter = pick % 96
    return f"{day.isoformat()}T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00Z"


def _steer(case, pair, first, span, pick):
    office, service = pair
    path = case.operation.path
    if isinstance(case.path_parameters, dict):
        if "office" in case.path_parameters:
            case.path_parameters["office"] = office
        if "service" in case.path_parameters:
            case.path_parameters["service"] = service
    if isinstance(case.query, dict):
        if "date" in case.query:
            case.query["date"] = first.isoformat()
        if "from" in case.query and "to" in case.query:
            case.query["from"] = first.isoformat()
            case.query["to"] = (first + datetime.timedelta(days=span)).isoformat()
    if isinstance(case.body, dict) and path != "/api/v1/admin/config":
        if "office_id" in case.body:
            case.body["office_id"] = office
        if "service_id" in case.body:
            case.body["service_id"] = service
        if "start" in case.body:
            case.body["start"] = _start(office, service, first, pick)
        if "from" in case.body and "to" in case.body:
            # Closures: past every booking window, or one would close the demo offices
            # for the rest of the run.
            closed = first + datetime.timedelta(days=400)
            case.body["from"] = closed.isoformat()
            case.body["to"] = (closed + datetime.timedelta(days=span)).isoformat()
    return case


@schemathesis.hook
def flatmap_case(context, case):
    meta = case.meta
    if not PAIRS or meta is None or not meta.generation.mode.is_positive:
        return st.just(case)
    steered = st.builds(
        lambda pair, day, span, pick: _steer(case, pair, TODAY + datetime.timedelta(days=day), span, pick),
        st.sampled_from(PAIRS),
        st.integers(0, 45),
        st.integers(0, 61),
        st.integers(0, 10_000),
    )
    return st.one_of(st.just(case), steered)


# The documented business rejections, per operation: problem codes, or (code, start of the
# detail) for `validation_failed` answers of a rule the schema cannot state.
_BOOKING = {
    "outside_booking_window",
    "idempotency_key_reused",
    ("validation_failed", "hold_id is a hold for another office, procedure or time"),
    ("validation_failed", "hold_id was taken for another person's document"),
}
BUSINESS_422 = {
    "POST /api/v1/holds": {"outside_booking_window"},
    "POST /api/v1/appointments": _BOOKING,
    "POST /api/v1/staff/offices/{office}/appointments": _BOOKING
    | {("validation_failed", "office_id ")},
    "POST /api/v1/appointments/{locator}/reschedule": {
        "outside_booking_window",
        ("validation_failed", "hold_id is a hold for another office, procedure or time"),
        ("validation_failed", "hold_id was taken for another person's document"),
    },
    "GET /api/v1/offices/{office}/services/{service}/days": {
        ("validation_failed", "`to` must not be before `from`"),
        ("validation_failed", "ask for at most 62 days at a time"),
    },
    "POST /api/v1/staff/offices/{office}/closures": {
        ("validation_failed", "`to` must not be before `from`"),
        ("validation_failed", "a closure spans at most 366 days"),
    },
    "POST /api/v1/staff/appointments/{locator}/no-show": {
        ("validation_failed", "a no-show can only be recorded after the appointment's start"),
    },
    "PUT /api/v1/admin/config": {
        ("validation_failed", "the configuration is not valid"),
        ("validation_failed", "the configuration must be a JSON object"),
        ("validation_failed", "this JSON has no TOML equivalent"),
    },
}


def _business_rule(label: str, response) -> str | None:
    """The documented rule a 422 answer to `label` names, if it names one."""
    allowed = BUSINESS_422.get(label)
    if not allowed or response.status_code != 422:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(problem, dict):
        return None
    code, detail = problem.get("code"), problem.get("detail") or ""
    for rule in allowed:
        if isinstance(rule, str) and code == rule:
            return rule
        if isinstance(rule, tuple) and code == rule[0] and detail.startswith(rule[1]):
            return f"{rule[0]}: {rule[1]}"
    return None


# Where each dropped failure is written (one line: operation, code, detail), so that the
# run's summary can say how many schema-valid requests met each business rule.
DROPPED_LOG = os.environ.get("CITA_SCHEMATHESIS_DROPPED")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure except a documented business rejection of schema-valid data."""
    if type(failure).__name__ != "RejectedPositiveData" or response is None:
        return True
    rule = _business_rule(case.operation.label, response)
    if rule is None:
        return True
    if DROPPED_LOG:
        with open(DROPPED_LOG, "a", encoding="utf-8") as log:
            log.write(f"{case.operation.label}\t{rule}\n")
    return False
