-- What each feasibility-changing write touched, so an instance holding availability
-- answers per day can tell which days to compute again instead of all of them. A row is
-- the span of time [start_at, end_at) an occupancy covered before or after the write,
-- labelled with the office's version that write set (its lock bumped it first); a row
-- without a span means "the whole office" (a closure, a draw that ran, or the marker left
-- where older rows were pruned: a reader older than it starts over). Triggers write the
-- rows, so no write path can forget to; they are per statement, so a batch of bookings
-- adds its rows in one INSERT.
CREATE TABLE availability_changes (
    office_id   TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    start_at    BIGINT,
    end_at      BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX availability_changes_office ON availability_changes (office_id, version);
CREATE INDEX availability_changes_age ON availability_changes (created_at);

-- Rows added (appointments booked, holds taken) or removed.
CREATE FUNCTION cita_log_occupancies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
        SELECT n.office_id, o.version, n.start_at, n.occupied_until,
               extract(epoch FROM clock_timestamp())::bigint
        FROM new_rows n JOIN offices o ON o.id = n.office_id;
    ELSE
        INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
        SELECT d.office_id, o.version, d.start_at, d.occupied_until,
               extract(epoch FROM clock_timestamp())::bigint
        FROM old_rows d JOIN offices o ON o.id = d.office_id;
    END IF;
    RETURN NULL;
END $$;

-- Rows changed: the span before, and the span after when it moved. `expires_at` only
-- exists on holds, so each table has its own function.
CREATE FUNCTION cita_log_appointment_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT c.office_id, o.version, c.start_at, c.occupied_until,
           extract(epoch FROM clock_timestamp())::bigint
    FROM (
        SELECT b.office_id, b.start_at, b.occupied_until
        FROM old_rows b JOIN new_rows a ON a.id = b.id
        WHERE (b.status, b.start_at, b.occupied_until, b.desk_id, b.service_id)
              IS DISTINCT FROM (a.status, a.start_at, a.occupied_until, a.desk_id, a.service_id)
        UNION ALL
        SELECT a.office_id, a.start_at, a.occupied_until
        FROM old_rows b JOIN new_rows a ON a.id = b.id
        WHERE (b.start_at, b.occupied_until) IS DISTINCT FROM (a.start_at, a.occupied_until)
    ) c JOIN offices o ON o.id = c.office_id;
    RETURN NULL;
END $$;

CREATE FUNCTION cita_log_hold_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT c.office_id, o.version, c.start_at, c.occupied_until,
           extract(epoch FROM clock_timestamp())::bigint
    FROM (
        SELECT b.office_id, b.start_at, b.occupied_until
        FROM old_rows b JOIN new_rows a ON a.id = b.id
        WHERE (b.start_at, b.occupied_until, b.desk_id, b.expires_at)
              IS DISTINCT FROM (a.start_at, a.occupied_until, a.desk_id, a.expires_at)
        UNION ALL
        SELECT a.office_id, a.start_at, a.occupied_until
        FROM old_rows b JOIN new_rows a ON a.id = b.id
        WHERE (b.start_at, b.occupied_until) IS DISTINCT FROM (a.start_at, a.occupied_until)
    ) c JOIN offices o ON o.id = c.office_id;
    RETURN NULL;
END $$;

-- The whole office: closures added or lifted.
CREATE FUNCTION cita_log_whole_office() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
        SELECT o.id, o.version, NULL, NULL, extract(epoch FROM clock_timestamp())::bigint
        FROM offices o WHERE o.id IN (SELECT office_id FROM old_rows);
    ELSE
        INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
        SELECT o.id, o.version, NULL, NULL, extract(epoch FROM clock_timestamp())::bigint
        FROM offices o WHERE o.id IN (SELECT office_id FROM new_rows);
    END IF;
    RETURN NULL;
END $$;

-- A draw's state moving (its dates open to first come once it has run); its lease
-- renewals change nothing.
CREATE FUNCTION cita_log_draw_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT o.id, o.version, NULL, NULL, extract(epoch FROM clock_timestamp())::bigint
    FROM offices o WHERE o.id = NEW.office_id;
    RETURN NULL;
END $$;

CREATE TRIGGER appointments_booked_changes AFTER INSERT ON appointments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_occupancies();
CREATE TRIGGER appointments_changed_changes AFTER UPDATE ON appointments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_appointment_changes();
CREATE TRIGGER appointments_deleted_changes AFTER DELETE ON appointments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_occupancies();

CREATE TRIGGER holds_taken_changes AFTER INSERT ON holds
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_occupancies();
CREATE TRIGGER holds_changed_changes AFTER UPDATE ON holds
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_hold_changes();
CREATE TRIGGER holds_released_changes AFTER DELETE ON holds
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_occupancies();

CREATE TRIGGER closures_changes AFTER INSERT ON office_closures
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_whole_office();
CREATE TRIGGER closures_lifted_changes AFTER DELETE ON office_closures
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cita_log_whole_office();
CREATE TRIGGER draws_run_changes AFTER UPDATE OF state ON draws
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION cita_log_draw_state();
