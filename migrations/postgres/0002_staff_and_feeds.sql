-- Staff users and calendar feed tokens (PostgreSQL). Tokens are never stored, only their
-- SHA-256 as hex. The SQLite migration of the same version has the same meaning.

CREATE TABLE staff_users (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
    office_id   TEXT    REFERENCES offices(id),      -- NULL for admins, required otherwise
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT,
    CHECK ((role = 'admin' AND office_id IS NULL) OR (role <> 'admin' AND office_id IS NOT NULL))
);
-- One active user per name, so `cita user add` and `serve --demo` can find a user by it.
CREATE UNIQUE INDEX staff_users_active_name ON staff_users (name) WHERE revoked_at IS NULL;

CREATE TABLE feed_tokens (
    token_hash  TEXT    PRIMARY KEY,
    office_id   TEXT    NOT NULL REFERENCES offices(id),
    desk_id     TEXT,                                -- NULL: the whole office
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
