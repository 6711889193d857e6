-- Staff sign-in sessions of the web pages (PostgreSQL). The cookie holds a random id; only its
-- SHA-256 is stored, so a copy of the database opens no session. Signing out, expiry
-- and revoking the user end a session. The SQLite migration of the same version has the
-- same meaning.

CREATE TABLE staff_sessions (
    id_hash     TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES staff_users(id),
    csrf        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    seen_at     BIGINT  NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
