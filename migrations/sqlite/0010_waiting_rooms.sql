-- Waiting rooms in front of first-come releases (`[[office.release]] waiting_room = true`):
-- one place in line per document and room, as one entry per document in a draw: a bot
-- with a thousand addresses still has one place per buyer's document. `document_key` is
-- the keyed digest of the document (never the number); `lottery` is drawn from the
-- operating system's CSPRNG at joining and orders everyone who joined before the release
-- instant; those who join later go behind them in order of arrival. Joining again with
-- the same document keeps the place and replaces the ticket (only its SHA-256 is
-- stored). Rows go two days after joining (`cita purge`).
CREATE TABLE waiting_tickets (
    room_id         TEXT    NOT NULL,       -- office.service.YYYYMMDDTHHMM (local wall time)
    document_key    TEXT    NOT NULL,
    ticket_hash     TEXT    NOT NULL UNIQUE,
    joined_at       BIGINT  NOT NULL,
    lottery         BIGINT  NOT NULL,
    PRIMARY KEY (room_id, document_key)
);
CREATE INDEX waiting_tickets_line ON waiting_tickets (room_id, joined_at, lottery);
CREATE INDEX waiting_tickets_joined ON waiting_tickets (joined_at);

-- A citizen's booking line in the audit log keeps the keyed digest of their address
-- (`actor_id`) for the fairness report, until personal data are purged: this index keeps
-- that hourly purge from reading the whole log.
CREATE INDEX audit_log_citizen_clients ON audit_log (at)
    WHERE actor_kind = 'citizen' AND actor_id IS NOT NULL;
