-- Privacy and abuse hardening.
--
-- `server_secrets` keeps the key of the digests stored instead of a client's address or a
-- citizen's document (`booking::secrets::Pepper`): one row, made by the first instance
-- that starts. A hold remembers who took it (`client_key`: the digest of the client's
-- address group, to cap live holds per client) and, when it names one, the citizen's
-- document (`document_key`: its digest, one live hold per document). A token has a scope:
-- `manage` (read, reschedule, cancel, erase) or `calendar` (the `.ics` file only). An
-- appointment whose personal data was erased keeps its row for anonymous statistics, with
-- `erased_at` set.

CREATE TABLE server_secrets (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pepper      TEXT    NOT NULL            -- 64 hex digits
);

ALTER TABLE holds ADD COLUMN client_key TEXT;
ALTER TABLE holds ADD COLUMN document_key TEXT;
CREATE INDEX holds_client ON holds (client_key, expires_at);
CREATE INDEX holds_document ON holds (document_key, expires_at);
CREATE INDEX holds_expiry ON holds (expires_at);

ALTER TABLE appointment_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'manage';

ALTER TABLE appointments ADD COLUMN erased_at BIGINT;
-- What the retention job looks for: appointments that ended and still hold personal data.
CREATE INDEX appointments_unerased_end ON appointments (end_at) WHERE erased_at IS NULL;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
