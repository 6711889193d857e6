-- Server-side functions for the start of a write (PostgreSQL). In READ COMMITTED every
-- statement of a volatile function takes a fresh snapshot, so each read below sees all
-- that was committed before the lock it follows was granted: the same guarantees as
-- sending the statements one by one (DESIGN §5), in one round trip. A single statement
-- cannot give them: its subqueries read the snapshot taken before it waited for a lock.
-- The SQLite migration of the same version is empty (SQLite holds its write lock from
-- BEGIN IMMEDIATE, before any read).

-- Serializes on the office (bumping its version), then reads what a writer checks under
-- that lock: the stored configuration's version and the office's closure mark (count and
-- newest id). No row when the office is not in the database.
CREATE FUNCTION cita_lock_office(p_office TEXT)
RETURNS TABLE (version BIGINT, config_version BIGINT, closures_count BIGINT, closures_newest BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_version BIGINT;
BEGIN
    UPDATE offices SET version = offices.version + 1 WHERE id = p_office
        RETURNING offices.version INTO v_version;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT
        v_version,
        (SELECT c.version FROM config c WHERE c.id = 1),
        (SELECT COUNT(*) FROM office_closures oc WHERE oc.office_id = p_office),
        (SELECT COALESCE(MAX(oc.id), 0) FROM office_closures oc WHERE oc.office_id = p_office);
END;
$$;

-- The read-and-lock phase of a batch of bookings: lock the citizens (in document order,
-- as every writer does), read their active appointments that have not ended, lock the
-- offices (in id order), read the desk occupancies (appointments that take desk time and
-- holds live at `p_now`) overlapping any window `[p_from[i], p_to[i])` of office
-- `p_window_office[i]`. Orders are byte orders (COLLATE "C"), as the application sorts.
-- Returns JSON: {"locks": [{"office_id", ...lock}] (offices not in the database are
-- missing), "active": [appointment...], "occupancies": [{"office_id", ...}]}.
--
-- The transaction then commits asynchronously (synchronous_commit off): its commit does
-- not wait for the disk, so the offices' locks are released at once instead of after a
-- flush, and the next batch can start. The caller acknowledges the bookings only after a
-- later synchronous commit (`Store::flush`) has flushed the log past this one. Others may
-- see the bookings a moment before they are durable; should the server crash in that
-- moment they vanish together with everything that saw them, and nobody was told they
-- were booked.
CREATE FUNCTION cita_lock_for_booking(
    p_documents TEXT[], p_offices TEXT[], p_now BIGINT,
    p_window_office TEXT[], p_from BIGINT[], p_to BIGINT[]
) RETURNS TEXT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_active JSON;
    v_office TEXT;
    v_lock JSON;
    v_locks JSON[] := '{}';
    v_occupancies JSON;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);

    INSERT INTO citizens (document, version)
        SELECT d.document, 1 FROM (SELECT DISTINCT unnest(p_documents) AS document) d
        ORDER BY d.document COLLATE "C"
        ON CONFLICT (document) DO UPDATE SET version = citizens.version + 1;

    SELECT COALESCE(json_agg(a ORDER BY a.start_at, a.id), '[]'::json) INTO v_active FROM (
        SELECT id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
               status, sequence, citizen_name, document, document_type, email, phone,
               created_at, updated_at
        FROM appointments
        WHERE document = ANY (p_documents) AND occupied_until > p_now
          AND status IN ('booked', 'checked_in')
    ) a;

    FOR v_office IN SELECT DISTINCT o COLLATE "C" FROM unnest(p_offices) AS o ORDER BY 1 LOOP
        SELECT row_to_json(l) INTO v_lock
            FROM (SELECT v_office AS office_id, * FROM cita_lock_office(v_office)) l;
        IF v_lock IS NOT NULL THEN
            v_locks := v_locks || v_lock;
        END IF;
    END LOOP;

    -- Appointments through the exclusion constraint's GiST index (office, range).
    SELECT COALESCE(json_agg(o ORDER BY o.start_at, o.id), '[]'::json) INTO v_occupancies FROM (
        SELECT ap.office_id, 'appointment' AS kind, ap.id, ap.service_id, ap.desk_id,
               ap.start_at, ap.occupied_until, ap.status
        FROM unnest(p_window_office, p_from, p_to) AS w(office, f, t)
        JOIN appointments ap ON ap.office_id = w.office
             AND ap.status IN ('booked', 'checked_in', 'completed')
             AND int8range(ap.start_at, ap.occupied_until) && int8range(w.f, w.t)
        UNION
        SELECT h.office_id, 'hold' AS kind, h.id, h.service_id, h.desk_id, h.start_at,
               h.occupied_until, 'held' AS status
        FROM unnest(p_window_office, p_from, p_to) AS w(office, f, t)
        JOIN holds h ON h.office_id = w.office AND h.expires_at > p_now
             AND h.start_at < w.t AND h.occupied_until > w.f
    ) o;

    RETURN json_build_object('locks', array_to_json(v_locks), 'active', v_active,
                             'occupancies', v_occupancies)::text;
END;
$$;
