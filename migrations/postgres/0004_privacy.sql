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

-- `cita_book_begin` and `cita_book_write` of migration 0003 take their values as one JSON
-- document, sent as a bound parameter: no name, document or e-mail is ever part of a
-- statement's text (which PostgreSQL writes to its log with every failed statement and
-- shows in pg_stat_activity). The holds a booking names now come with their owners' keys,
-- and tokens are written with their scope.

CREATE OR REPLACE FUNCTION cita_book_begin(
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
                       expires_at, created_at, client_key, document_key
                FROM holds WHERE id = ANY (p_holds)
            ) h)
    )::text;
END;
$$;

CREATE FUNCTION cita_book_begin(p JSONB) RETURNS TEXT
LANGUAGE sql VOLATILE AS $$
    SELECT cita_book_begin(
        ARRAY(SELECT x FROM jsonb_array_elements_text(p->'documents') WITH ORDINALITY AS t(x, i) ORDER BY i),
        ARRAY(SELECT x FROM jsonb_array_elements_text(p->'offices') WITH ORDINALITY AS t(x, i) ORDER BY i),
        (p->>'now')::bigint,
        ARRAY(SELECT x FROM jsonb_array_elements_text(p->'window_offices') WITH ORDINALITY AS t(x, i) ORDER BY i),
        ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(p->'window_from') WITH ORDINALITY AS t(x, i) ORDER BY i),
        ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(p->'window_to') WITH ORDINALITY AS t(x, i) ORDER BY i),
        ARRAY(SELECT x FROM jsonb_array_elements_text(p->'keys') WITH ORDINALITY AS t(x, i) ORDER BY i),
        ARRAY(SELECT x FROM jsonb_array_elements_text(p->'holds') WITH ORDINALITY AS t(x, i) ORDER BY i))
$$;

CREATE OR REPLACE FUNCTION cita_book_write(p JSONB) RETURNS VOID
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
            WHERE id = ANY (ARRAY(SELECT x FROM jsonb_array_elements_text(p->'consumed_holds') WITH ORDINALITY AS t(x, i) ORDER BY i));
    END IF;
    INSERT INTO appointments (id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
        status, sequence, citizen_name, document, document_type, email, phone, created_at,
        updated_at)
        SELECT id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
        status, sequence, citizen_name, document, document_type, email, phone, created_at,
        updated_at
        FROM jsonb_populate_recordset(NULL::appointments, p->'appointments');
    INSERT INTO appointment_tokens (token_hash, appointment_id, created_at, scope)
        SELECT token_hash, appointment_id, created_at, scope
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
