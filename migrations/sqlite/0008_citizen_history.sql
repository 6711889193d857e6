-- What a document did with a procedure that makes it wait before booking it again
-- (`no_show_cool_off_days`, `max_cancellations`): written only for procedures that set
-- those rules, when the office records a no-show or the citizen cancels. It names the
-- document by a keyed digest (the database's secret), so erasing an appointment's
-- personal data, by the citizen or after the retention period, does not erase the
-- record of what it did; rows go when older than the longest window (366 days).
CREATE TABLE citizen_marks (
    document_key    TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    kind            TEXT    NOT NULL,       -- no_show | cancelled
    at              BIGINT  NOT NULL        -- the no-show's appointment start, or when cancelled
);
CREATE INDEX citizen_marks_lookup ON citizen_marks (document_key, service_id, at);
