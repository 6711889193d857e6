-- What each feasibility-changing write touched, so an instance holding availability
-- answers per day can tell which days to compute again instead of all of them. A row is
-- the span of time [start_at, end_at) an occupancy covered before or after the write,
-- labelled with the office's version that write set (its lock bumped it first); a row
-- without a span means "the whole office" (a closure, a draw that ran, or the marker left
-- where older rows were pruned: a reader older than it starts over). Triggers write the
-- rows, so no write path can forget to.
CREATE TABLE availability_changes (
    office_id   TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    start_at    BIGINT,
    end_at      BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX availability_changes_office ON availability_changes (office_id, version);
CREATE INDEX availability_changes_age ON availability_changes (created_at);

-- Occupancies by office and time without the cancelled and missed rows, which a release
-- day leaves by the thousand between the ones that take desk time (PostgreSQL reads
-- them through its exclusion constraint's index, partial in the same way).
CREATE INDEX appointments_occupying ON appointments (office_id, start_at, occupied_until)
    WHERE status IN ('booked', 'checked_in', 'completed');

CREATE TRIGGER appointments_booked_changes AFTER INSERT ON appointments
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NEW.start_at, NEW.occupied_until, unixepoch()
    FROM offices WHERE id = NEW.office_id;
END;

CREATE TRIGGER appointments_changed_changes AFTER UPDATE ON appointments
WHEN OLD.status IS NOT NEW.status OR OLD.start_at IS NOT NEW.start_at
  OR OLD.occupied_until IS NOT NEW.occupied_until OR OLD.desk_id IS NOT NEW.desk_id
  OR OLD.service_id IS NOT NEW.service_id
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT OLD.office_id, version, OLD.start_at, OLD.occupied_until, unixepoch()
    FROM offices WHERE id = OLD.office_id;
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NEW.start_at, NEW.occupied_until, unixepoch()
    FROM offices WHERE id = NEW.office_id
      AND (OLD.start_at IS NOT NEW.start_at OR OLD.occupied_until IS NOT NEW.occupied_until);
END;

CREATE TRIGGER appointments_deleted_changes AFTER DELETE ON appointments
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT OLD.office_id, version, OLD.start_at, OLD.occupied_until, unixepoch()
    FROM offices WHERE id = OLD.office_id;
END;

CREATE TRIGGER holds_taken_changes AFTER INSERT ON holds
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NEW.start_at, NEW.occupied_until, unixepoch()
    FROM offices WHERE id = NEW.office_id;
END;

CREATE TRIGGER holds_changed_changes AFTER UPDATE ON holds
WHEN OLD.start_at IS NOT NEW.start_at OR OLD.occupied_until IS NOT NEW.occupied_until
  OR OLD.desk_id IS NOT NEW.desk_id OR OLD.expires_at IS NOT NEW.expires_at
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT OLD.office_id, version, OLD.start_at, OLD.occupied_until, unixepoch()
    FROM offices WHERE id = OLD.office_id;
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NEW.start_at, NEW.occupied_until, unixepoch()
    FROM offices WHERE id = NEW.office_id
      AND (OLD.start_at IS NOT NEW.start_at OR OLD.occupied_until IS NOT NEW.occupied_until);
END;

CREATE TRIGGER holds_released_changes AFTER DELETE ON holds
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT OLD.office_id, version, OLD.start_at, OLD.occupied_until, unixepoch()
    FROM offices WHERE id = OLD.office_id;
END;

CREATE TRIGGER closures_changes AFTER INSERT ON office_closures
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NULL, NULL, unixepoch() FROM offices WHERE id = NEW.office_id;
END;

CREATE TRIGGER closures_lifted_changes AFTER DELETE ON office_closures
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT OLD.office_id, version, NULL, NULL, unixepoch() FROM offices WHERE id = OLD.office_id;
END;

CREATE TRIGGER draws_run_changes AFTER UPDATE OF state ON draws
WHEN OLD.state IS NOT NEW.state
BEGIN
    INSERT INTO availability_changes (office_id, version, start_at, end_at, created_at)
    SELECT NEW.office_id, version, NULL, NULL, unixepoch() FROM offices WHERE id = NEW.office_id;
END;
