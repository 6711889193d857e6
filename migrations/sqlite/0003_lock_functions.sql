-- SQLite needs no server-side functions (the PostgreSQL migration of this version adds
-- them to start a write in one round trip): it runs in the process and holds its write
-- lock from BEGIN IMMEDIATE, before any read.

-- A citizen's active appointments, which every booking reads: an index of those alone
-- (the one it replaces also held every past appointment).
DROP INDEX appointments_document;
CREATE INDEX appointments_document_active ON appointments (document)
    WHERE status IN ('booked', 'checked_in');
