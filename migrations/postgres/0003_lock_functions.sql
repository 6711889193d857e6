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

-- A batch of bookings runs in two round trips (see `store::pipeline`): this function,
-- sent together with BEGIN, takes the locks and reads what the allocator needs; then
-- `cita_book_write`, sent together with COMMIT, writes what it decided.
--
-- `cita_book_begin` locks the citizens (in document order, as every writer does), then
-- the offices (in id order, bumping their versions), then reads, after both: the stored
-- configuration's version, each office's version and closure mark, the citizens' active
-- appointments that have not ended, the desk occupancies (appointments that take desk
-- time and holds live at `p_now`) overlapping each window `[p_from[i], p_to[i])` of
-- office `p_window_office[i]`, the live idempotency records under `p_keys` with their
-- appointments, and the holds named in `p_holds`. Orders are byte orders (COLLATE "C"),
-- as the application sorts. Offices not in the database are missing from the answer.
--
-- Plans: every statement has a generic plan, made once per connection and kept (custom
-- plans, made at every call, cost more than the statements cost to run). A plan made
-- while the tables were nearly empty stays with the connection while they grow, so each
-- statement is written to leave the planner nothing but index reads: scalar bounds per
-- window (a join of the windows with the appointments was planned as a scan of every
-- active appointment), `= ANY (array)` for lists, and sequential and bitmap scans off.
-- A test checks the blocks a call touches after the tables grew.
--
-- The transaction then commits asynchronously (synchronous_commit off): its commit does
-- not wait for the disk, so the offices' locks are released at once instead of after a
-- flush, and the next batch can start. The caller acknowledges the bookings only after a
-- later synchronous commit (`store::pipeline::Flusher`) has flushed the log past this one. Others may
-- see the bookings a moment before they are durable; should the server crash in that
-- moment they vanish together with everything that saw them, and nobody was told they
-- were booked.
CREATE FUNCTION cita_book_begin(
    p_documents TEXT[], p_offices TEXT[], p_now BIGINT,
    p_window_office TEXT[], p_from BIGINT[], p_to BIGINT[],
    p_keys TEXT[], p_holds TEXT[]
) RETURNS TEXT
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v_occupancies JSON[] := '{}';
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);

    INSERT INTO citizens (document, version)
        SELECT d.document, 1 FROM (SELECT DISTINCT unnest(p_documents) AS document) d
        ORDER BY d.document COLLATE "C"
        ON CONFLICT (document) DO UPDATE SET version = citizens.version + 1;

    WITH locked AS (
        SELECT o.id FROM offices o WHERE o.id = ANY (p_offices)
        ORDER BY o.id COLLATE "C" FOR UPDATE
    )
    UPDATE offices o SET version = o.version + 1 FROM locked WHERE o.id = locked.id;

    -- One statement per window, with scalar bounds: the plan reads the exclusion
    -- constraint's GiST index (office, range) whatever the tables' sizes. (One statement
    -- per office with its windows as a multirange was tried: the index can only narrow
    -- that down to the span from the first window to the last, so bookings spread over
    -- many dates read every appointment in between.)
    FOR i IN 1 .. coalesce(array_length(p_from, 1), 0) LOOP
        v_occupancies := v_occupancies || ARRAY(
            SELECT row_to_json(o) FROM (
                SELECT ap.office_id, 'appointment' AS kind, ap.id, ap.service_id, ap.desk_id,
                       ap.start_at, ap.occupied_until, ap.status
                FROM appointments ap
                WHERE ap.office_id = p_window_office[i]
                  AND ap.status IN ('booked', 'checked_in', 'completed')
                  AND int8range(ap.start_at, ap.occupied_until) && int8range(p_from[i], p_to[i])
                UNION ALL
                SELECT h.office_id, 'hold' AS kind, h.id, h.service_id, h.desk_id, h.start_at,
                       h.occupied_until, 'held' AS status
                FROM holds h
                WHERE h.office_id = p_window_office[i] AND h.expires_at > p_now
                  AND h.start_at < p_to[i] AND h.occupied_until > p_from[i]
            ) o);
    END LOOP;

    RETURN json_build_object(
        'config_version', (SELECT c.version FROM config c WHERE c.id = 1),
        'offices', (SELECT COALESCE(json_agg(json_build_object(
                'office_id', o.id,
                'version', o.version,
                'closures_count', (SELECT COUNT(*) FROM office_closures oc WHERE oc.office_id = o.id),
                'closures_newest', (SELECT COALESCE(MAX(oc.id), 0) FROM office_closures oc
                                    WHERE oc.office_id = o.id))), '[]')
            FROM offices o WHERE o.id = ANY (p_offices)),
        'active', (SELECT COALESCE(json_agg(a ORDER BY a.start_at, a.id), '[]') FROM (
                SELECT id, locator, office_id, service_id, desk_id, start_at, end_at,
                       occupied_until, status, sequence, citizen_name, document,
                       document_type, email, phone, created_at, updated_at
                FROM appointments
                WHERE document = ANY (p_documents) AND status IN ('booked', 'checked_in')
                  AND occupied_until > p_now
            ) a),
        'occupancies', array_to_json(v_occupancies),
        'replays', (SELECT COALESCE(json_agg(json_build_object(
                'key', k.key, 'fingerprint', k.fingerprint, 'appointment_id', k.appointment_id,
                'status_code', k.status_code, 'created_at', k.created_at,
                'expires_at', k.expires_at, 'appointment', a)), '[]')
            FROM idempotency_keys k
            LEFT JOIN LATERAL (
                SELECT id, locator, office_id, service_id, desk_id, start_at, end_at,
                       occupied_until, status, sequence, citizen_name, document,
                       document_type, email, phone, created_at, updated_at
                FROM appointments WHERE appointments.id = k.appointment_id
            ) a ON true
            WHERE k.key = ANY (p_keys) AND k.expires_at > p_now),
        'holds', (SELECT COALESCE(json_agg(h), '[]') FROM (
                SELECT id, office_id, service_id, desk_id, start_at, occupied_until,
                       expires_at, created_at
                FROM holds WHERE id = ANY (p_holds)
            ) h)
    )::text;
END;
$$;

-- What a batch of bookings decided, from one JSON document (see `store::pipeline`; jsonb,
-- parsed once rather than at every `->`):
-- desk moves of stored appointments and holds, the holds consumed, the new appointments,
-- the tokens issued, the audit lines and the idempotency records. Same plan settings as
-- above; moves go one statement each, so each reads the primary key.
CREATE FUNCTION cita_book_write(p JSONB) RETURNS VOID
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v_move RECORD;
BEGIN
    FOR v_move IN SELECT * FROM jsonb_to_recordset(p->'moves') AS m(id TEXT, desk_id TEXT) LOOP
        UPDATE appointments SET desk_id = v_move.desk_id WHERE id = v_move.id;
    END LOOP;
    FOR v_move IN SELECT * FROM jsonb_to_recordset(p->'hold_moves') AS m(id TEXT, desk_id TEXT) LOOP
        UPDATE holds SET desk_id = v_move.desk_id WHERE id = v_move.id;
    END LOOP;
    IF jsonb_array_length(p->'consumed_holds') > 0 THEN
        DELETE FROM holds
            WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text(p->'consumed_holds')));
    END IF;
    INSERT INTO appointments (id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
        status, sequence, citizen_name, document, document_type, email, phone, created_at,
        updated_at)
        SELECT id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
        status, sequence, citizen_name, document, document_type, email, phone, created_at,
        updated_at
        FROM jsonb_populate_recordset(NULL::appointments, p->'appointments');
    INSERT INTO appointment_tokens (token_hash, appointment_id, created_at)
        SELECT token_hash, appointment_id, created_at
        FROM jsonb_populate_recordset(NULL::appointment_tokens, p->'tokens');
    INSERT INTO audit_log (at, office_id, appointment_id, action, actor_kind, actor_id, detail)
        SELECT at, office_id, appointment_id, action, actor_kind, actor_id, detail
        FROM jsonb_to_recordset(p->'audit') AS x(at BIGINT, office_id TEXT, appointment_id TEXT,
             action TEXT, actor_kind TEXT, actor_id TEXT, detail TEXT);
    IF jsonb_array_length(p->'idempotency') > 0 THEN
        -- An expired record under the same key is replaced.
        DELETE FROM idempotency_keys
            WHERE key = ANY (ARRAY(SELECT x->>'key' FROM jsonb_array_elements(p->'idempotency') x))
              AND expires_at <= (p->>'now')::bigint;
        INSERT INTO idempotency_keys
                (key, fingerprint, appointment_id, status_code, created_at, expires_at)
            SELECT key, fingerprint, appointment_id, status_code, created_at, expires_at
            FROM jsonb_populate_recordset(NULL::idempotency_keys, p->'idempotency');
    END IF;
END;
$$;

-- A citizen's active appointments, which every booking reads under the citizen's lock:
-- an index of those alone (the one it replaces also held every past appointment).
DROP INDEX appointments_document;
CREATE INDEX appointments_document_active ON appointments (document)
    WHERE status IN ('booked', 'checked_in');
