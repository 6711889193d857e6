-- The citizen's calendar: every appointment booked with one document and one e-mail
-- address, across offices. `citizen_links` are the links e-mailed to that address (only
-- their SHA-256 is kept; a link opens the list for 30 minutes, and its row goes when it
-- expires); `citizen_feeds` are the personal calendar subscriptions made from it (a
-- read-only token, SHA-256 only; deleting the row revokes it), kept while an appointment
-- with that document still holds its personal data. `email` is lower-cased.
CREATE TABLE citizen_links (
    token_hash  TEXT    PRIMARY KEY,
    document    TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX citizen_links_expiry ON citizen_links (expires_at);

CREATE TABLE citizen_feeds (
    id          TEXT    PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    document    TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX citizen_feeds_owner ON citizen_feeds (document, email);
