-- Notifications (the transactional outbox). Every change a citizen must hear about
-- (booked, rescheduled, cancelled, no-show) and every reminder is a row here, written in
-- the change's own transaction: a change that commits always has its messages, one that
-- rolls back never does. Rows hold no personal data: the address is read from the
-- appointment when the message is sent (an erased appointment gets none). `facts` is the
-- JSON of what the message says (times, sequence, reason, reminder lead). `ready_at` is
-- when it became due (the age metric); `due_at` is its next attempt. A worker takes rows
-- with a lease (`lease_until`, `leased_by`): a worker killed mid-send loses its rows to
-- another once the lease expires.
ALTER TABLE appointments ADD COLUMN language TEXT NOT NULL DEFAULT 'es';

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    appointment_id  TEXT    NOT NULL,
    office_id       TEXT    NOT NULL,
    event           TEXT    NOT NULL,       -- booked | rescheduled | cancelled | no_show | reminder
    channel         TEXT    NOT NULL,       -- email | webhook
    sequence        BIGINT  NOT NULL,       -- the appointment's sequence at the event
    facts           TEXT    NOT NULL,
    ready_at        BIGINT  NOT NULL,
    due_at          BIGINT  NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued', -- queued | sent | dead | dropped
    attempts        BIGINT  NOT NULL DEFAULT 0,
    lease_until     BIGINT,
    leased_by       TEXT,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    done_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'queued';
CREATE INDEX outbox_appointment ON outbox (appointment_id, event) WHERE state = 'queued';
-- Failed messages, for staff (few: a partial index costs a booking's insert nothing).
CREATE INDEX outbox_dead ON outbox (office_id, id) WHERE state = 'dead';
-- Finished rows go a month after (`cita purge`).
CREATE INDEX outbox_done ON outbox (done_at) WHERE state <> 'queued';
