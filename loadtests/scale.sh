#!/usr/bin/env bash
# Scale: 100 offices × 20 desks with a year of appointments (about a million rows) on
# PostgreSQL, against one office of the same shape, side by side in one run.
#
# For each database (one office, then OFFICES offices) it:
#   1. creates a scratch database and imports the generated configuration (`cita serve
#      --config`, stopped once it answers);
#   2. writes the year's appointments with one INSERT … SELECT from generate_series
#      (PERCENT per cent of the desk-quarter-hours of every weekday from half a year back to half
#      a year ahead), never from a committed file;
#   3. starts `cita serve` again and times it until `/healthz` answers (start-up),
#      reads its resident memory, then times the first 60-day `/days` of SAMPLE offices
#      (nothing kept yet: every date computed) and one more `/days` after a booking and a
#      cancellation on the same office (the "cold" answer of the benchmark);
#   4. prints the resident memory after those requests and drops the database.
#
#   cargo build --release --bin cita
#   bash loadtests/scale.sh                  # OFFICES=100 PERCENT=10 SAMPLE=10
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${CITA_SCALE_POSTGRES:-postgres://postgres@127.0.0.1:5432}
export PGOPTIONS="--client-min-messages=warning"
OFFICES=${OFFICES:-100}
DESKS=${DESKS:-20}
PERCENT=${PERCENT:-10}
SAMPLE=${SAMPLE:-10}
PORT=${PORT:-18089}
BIN=${CITA_BIN:-target/release/cita}
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true' EXIT

config() { # offices
  for o in $(seq 0 $(($1 - 1))); do
    cat <<EOF
[[office]]
id = "oficina-$o"
name = "Oficina $o"
timezone = "Europe/Madrid"
address = "Calle Mayor $o"
[[office.hours]]
days = ["mon", "tue", "wed", "thu", "fri"]
open = "09:00"
close = "14:00"
[[office.service]]
id = "tramite"
name = "Trámite"
duration_minutes = 15
max_advance_days = 200
EOF
    for d in $(seq 0 $((DESKS - 1))); do
      printf '[[office.desk]]\nid = "mesa-%d"\nservices = ["tramite"]\n' "$d"
    done
  done
}

# The appointments, written straight into the table in one statement per office group.
seed() { # database offices
  psql -q "$PG/$1" <<EOF
INSERT INTO appointments (id, locator, office_id, service_id, desk_id, start_at, end_at,
    occupied_until, status, sequence, citizen_name, document, document_type, created_at,
    updated_at)
SELECT md5(o || '.' || s || '.' || d), upper(substr(md5('l' || o || '.' || s || '.' || d), 1, 12)),
       'oficina-' || o, 'tramite', 'mesa-' || d, s, s + 900, s + 900, 'booked', 0,
       'Persona', 'X' || o || '.' || s || '.' || d, 'nie', 0, 0
FROM generate_series(0, $2 - 1) AS o,
     generate_series(0, $DESKS - 1) AS d,
     (
        SELECT extract(epoch FROM (day::date + time '09:00' + q * interval '15 minutes')
                 AT TIME ZONE 'Europe/Madrid')::bigint AS s
        FROM generate_series(current_date - 182, current_date + 182, interval '1 day') AS day,
             generate_series(0, 19) AS q
        WHERE extract(isodow FROM day) < 6
     ) AS starts
WHERE (hashtext(o || '.' || s || '.' || d) & 2147483647) % 100 < $PERCENT;
EOF
  psql -qtA "$PG/$1" -c "SELECT count(*) FROM appointments"
}

wait_up() {
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  echo "the server did not answer" >&2
  exit 1
}

rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

monday() { date -d "next monday" +%F; }

run() { # offices
  local db="cita_scale_$1"
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  config "$1" >"$work/offices.toml"
  "$BIN" serve --addr "127.0.0.1:$PORT" --database-url "$PG/$db" --config "$work/offices.toml" \
    --no-rate-limit --no-worker >"$work/import.log" 2>&1 &
  server=$!
  wait_up
  kill "$server"; wait "$server" 2>/dev/null || true
  local rows; rows=$(seed "$db" "$1")
  psql -q "$PG/$db" -c "VACUUM ANALYZE"
  local started; started=$(date +%s.%N)
  "$BIN" serve --addr "127.0.0.1:$PORT" --database-url "$PG/$db" --no-rate-limit --no-worker \
    >"$work/serve.log" 2>&1 &
  server=$!
  wait_up
  local up; up=$(printf '%.3f' "$(echo "$(date +%s.%N) - $started" | bc)")
  local rss_start; rss_start=$(rss_mib "$server")
  local from; from=$(monday)
  local to; to=$(date -d "$from + 59 days" +%F)
  local first=() cold=()
  for o in $(seq 0 $(( $1 < SAMPLE ? $1 - 1 : SAMPLE - 1 ))); do
    local office=$(( o * $1 / SAMPLE ))
    [ "$1" -lt "$SAMPLE" ] && office=$o
    local path="/api/v1/offices/oficina-$office/services/tramite/days?from=$from&to=$to"
    first+=("$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT$path")")
    # A write on the office (book the first free time, cancel it), then the same question.
    local start
    start=$(curl -fs "http://127.0.0.1:$PORT/api/v1/offices/oficina-$office/services/tramite/slots?date=$from" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots"][0]["start"])')
    local booked
    booked=$(curl -fs -X POST -H 'content-type: application/json' "http://127.0.0.1:$PORT/api/v1/appointments" \
      -d "{\"office_id\":\"oficina-$office\",\"service_id\":\"tramite\",\"start\":\"$start\",\"citizen\":{\"name\":\"Ana\",\"document\":\"$(printf '%08d' $((o + 1)))$(python3 -c "print('TRWAGMYFPDXBNJZSQVHLCKE'[$((o + 1)) % 23])")\"}}")
    local locator token
    locator=$(echo "$booked" | python3 -c 'import json,sys; print(json.load(sys.stdin)["locator"])')
    token=$(echo "$booked" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    curl -fs -o /dev/null -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
      "http://127.0.0.1:$PORT/api/v1/appointments/$locator/cancel" -d '{}'
    cold+=("$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT$path")")
  done
  local rss_end; rss_end=$(rss_mib "$server")
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
  psql -q "$PG/postgres" -c "DROP DATABASE $db"
  median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] * 1000 }'; }
  echo "| $1 | $rows | ${up}s | ${rss_start} MiB | ${rss_end} MiB | $(median "${first[@]}") ms | $(median "${cold[@]}") ms |"
}

echo "scale run $(date -u '+%F %H:%M UTC'), cita at $(git rev-parse --short HEAD), $DESKS desks per office, $PERCENT % of desk-quarter-hours booked"
echo
echo "| offices | appointments | start-up | RSS at start | RSS after | first /days (median) | /days after a write (median) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
run 1
run "$OFFICES"
