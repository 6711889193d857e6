-- The staff audit page reads an office's trail newest first, a page at a time, filtered
-- by day and action: an index on (office, id) serves it without scanning other offices.
CREATE INDEX audit_log_office ON audit_log (office_id, id);
