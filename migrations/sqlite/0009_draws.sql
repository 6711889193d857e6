-- Release draws (`[[office.release]] draw = true`): one row per happening of a draw
-- release, made when its entries open. The seed is drawn then and kept secret until the
-- draw has run; its SHA-256 is public from the start, so the order cannot be chosen
-- after seeing the entries. `supply` is what the draw allocated from (the office's
-- snapshot of the released dates, as JSON, no personal data): with the seed and the
-- published entries it lets anyone recompute the result.
CREATE TABLE draws (
    id              TEXT    PRIMARY KEY,    -- office.service.YYYYMMDDTHHMM (local wall time)
    office_id       TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    release_at      BIGINT  NOT NULL,
    seed            TEXT    NOT NULL,
    seed_sha256     TEXT    NOT NULL,
    state           TEXT    NOT NULL,       -- open | running | drawn
    lease_owner     TEXT,
    lease_until     BIGINT,
    supply          TEXT,
    entries_sha256  TEXT,                   -- the entry list's digest, published at close
    drawn_at        BIGINT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX draws_by_release ON draws (office_id, service_id, release_at);

-- One entry per document and draw. The personal data are kept only until the draw has
-- run (the winners' then live in their appointments), and at most a day past its instant
-- whatever happened (`cita purge`); the keyed digest of the document stays, for one
-- entry per document and the priority of the unlucky in the next draw, until the rows
-- go (400 days).
CREATE TABLE draw_entries (
    id              TEXT    PRIMARY KEY,
    draw_id         TEXT    NOT NULL REFERENCES draws (id),
    document_key    TEXT    NOT NULL,
    entry_hash      TEXT    NOT NULL,       -- SHA-256 of the entrant's salt and document
    token_hash      TEXT    NOT NULL UNIQUE,
    entry_code      TEXT    NOT NULL,       -- shown to the entrant; with the document, reads the result
    priority        INTEGER NOT NULL,
    from_date       TEXT    NOT NULL,
    to_date         TEXT    NOT NULL,
    part_of_day     TEXT    NOT NULL,       -- any | morning | afternoon
    citizen_name    TEXT,
    document        TEXT,
    document_type   TEXT,
    email           TEXT,
    phone           TEXT,
    position        INTEGER,
    result          TEXT    NOT NULL,       -- waiting | assigned | none | refused (at booking)
    appointment_id  TEXT,
    assigned_start  BIGINT,                 -- the start the draw gave (published as is)
    created_at      BIGINT  NOT NULL,
    UNIQUE (draw_id, document_key)
);
CREATE INDEX draw_entries_by_code ON draw_entries (entry_code);
