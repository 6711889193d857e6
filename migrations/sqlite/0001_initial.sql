-- cita schema (SQLite). Instants are integer UTC seconds; ids are text. The PostgreSQL
-- migration of the same version has the same tables, columns and meaning.

CREATE TABLE config (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    toml        TEXT    NOT NULL,
    files       TEXT    NOT NULL,          -- JSON object: path -> content of referenced files
    digest      TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE offices (
    id          TEXT    PRIMARY KEY,
    version     BIGINT  NOT NULL DEFAULT 0  -- bumped by every write that can change feasibility
);

CREATE TABLE office_closures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id   TEXT    NOT NULL REFERENCES offices(id),
    from_date   TEXT    NOT NULL,           -- local dates, YYYY-MM-DD, inclusive
    to_date     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX office_closures_office ON office_closures (office_id);

CREATE TABLE citizens (
    document    TEXT    PRIMARY KEY,        -- normalized document; row exists to serialize on
    version     BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE appointments (
    id              TEXT    PRIMARY KEY,
    locator         TEXT    NOT NULL UNIQUE,
    office_id       TEXT    NOT NULL REFERENCES offices(id),
    service_id      TEXT    NOT NULL,
    desk_id         TEXT    NOT NULL,
    start_at        BIGINT  NOT NULL,
    end_at          BIGINT  NOT NULL,
    occupied_until  BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    citizen_name    TEXT    NOT NULL,
    document        TEXT    NOT NULL,
    document_type   TEXT    NOT NULL,
    email           TEXT,
    phone           TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    CHECK (start_at < end_at AND end_at <= occupied_until)
);
CREATE INDEX appointments_office_time ON appointments (office_id, start_at);
CREATE INDEX appointments_document ON appointments (document, service_id);

CREATE TABLE appointment_tokens (
    token_hash      TEXT    PRIMARY KEY,    -- SHA-256 of the bearer token, hex
    appointment_id  TEXT    NOT NULL REFERENCES appointments(id),
    created_at      BIGINT  NOT NULL
);
CREATE INDEX appointment_tokens_appointment ON appointment_tokens (appointment_id);

CREATE TABLE holds (
    id              TEXT    PRIMARY KEY,
    office_id       TEXT    NOT NULL REFERENCES offices(id),
    service_id      TEXT    NOT NULL,
    desk_id         TEXT    NOT NULL,
    start_at        BIGINT  NOT NULL,
    occupied_until  BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX holds_office_time ON holds (office_id, start_at);

CREATE TABLE idempotency_keys (
    key             TEXT    PRIMARY KEY,    -- scope and client key
    fingerprint     TEXT    NOT NULL,       -- SHA-256 of the canonical request
    appointment_id  TEXT    NOT NULL,
    status_code     INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              BIGINT  NOT NULL,
    office_id       TEXT    NOT NULL,
    appointment_id  TEXT,
    action          TEXT    NOT NULL,
    actor_kind      TEXT    NOT NULL,       -- citizen | staff | system
    actor_id        TEXT,
    detail          TEXT    NOT NULL
);
CREATE INDEX audit_log_appointment ON audit_log (appointment_id);
