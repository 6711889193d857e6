-- What a document did lately with a procedure, read only for procedures with a no-show
-- cool-off or a cap on cancellations (`no_show_cool_off_days`, `max_cancellations`):
-- an index of those appointments alone, as the active ones have theirs.
CREATE INDEX appointments_document_history ON appointments (document, service_id)
    WHERE status IN ('no_show', 'cancelled');
