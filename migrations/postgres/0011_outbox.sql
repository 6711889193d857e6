-- Notifications (the transactional outbox). Every change a citizen must hear about
-- (booked, rescheduled, cancelled, no-show) and every reminder is a row here, written in
-- the change's own transaction: a change that commits always has its messages, one that
-- rolls back never does. Rows hold no personal data: the address is read from the
-- appointment when the message is sent (an erased appointment gets none). `facts` is the
-- JSON of what the message says (times, sequence, reason, reminder lead). `ready_at` is
-- when it became due (the age metric); `due_at` is its next attempt. A worker takes rows
-- with a lease (`lease_until`, `leased_by`): a worker killed mid-send loses its rows to
-- another once the lease expires.
ALTER TABLE appointments ADD COLUMN language TEXT NOT NULL DEFAULT 'es';

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id  TEXT    NOT NULL,
    office_id       TEXT    NOT NULL,
    event           TEXT    NOT NULL,       -- booked | rescheduled | cancelled | no_show | reminder
    channel         TEXT    NOT NULL,       -- email | webhook
    sequence        BIGINT  NOT NULL,       -- the appointment's sequence at the event
    facts           TEXT    NOT NULL,
    ready_at        BIGINT  NOT NULL,
    due_at          BIGINT  NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued', -- queued | sent | dead | dropped
    attempts        BIGINT  NOT NULL DEFAULT 0,
    lease_until     BIGINT,
    leased_by       TEXT,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    done_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'queued';
CREATE INDEX outbox_appointment ON outbox (appointment_id, event) WHERE state = 'queued';
-- Failed messages, for staff (few: a partial index costs a booking's insert nothing).
CREATE INDEX outbox_dead ON outbox (office_id, id) WHERE state = 'dead';
-- Finished rows go a month after (`cita purge`).
CREATE INDEX outbox_done ON outbox (done_at) WHERE state <> 'queued';

-- A batch of bookings writes its appointments' language and its messages too.
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
        updated_at, language)
        SELECT id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until,
        status, sequence, citizen_name, document, document_type, email, phone, created_at,
        updated_at, language
        FROM jsonb_populate_recordset(NULL::appointments, p->'appointments');
    INSERT INTO appointment_tokens (token_hash, appointment_id, created_at, scope)
        SELECT token_hash, appointment_id, created_at, scope
        FROM jsonb_populate_recordset(NULL::appointment_tokens, p->'tokens');
    INSERT INTO audit_log (at, office_id, appointment_id, action, actor_kind, actor_id, detail)
        SELECT at, office_id, appointment_id, action, actor_kind, actor_id, detail
        FROM jsonb_to_recordset(p->'audit') AS x(at BIGINT, office_id TEXT, appointment_id TEXT,
             action TEXT, actor_kind TEXT, actor_id TEXT, detail TEXT);
    IF jsonb_array_length(p->'outbox') > 0 THEN
        INSERT INTO outbox (appointment_id, office_id, event, channel, sequence, facts, ready_at,
                            due_at, created_at)
            SELECT appointment_id, office_id, event, channel, sequence, facts, due_at, due_at,
                   (p->>'now')::bigint
            FROM jsonb_to_recordset(p->'outbox') AS x(appointment_id TEXT, office_id TEXT,
                 event TEXT, channel TEXT, sequence BIGINT, facts TEXT, due_at BIGINT);
    END IF;
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
