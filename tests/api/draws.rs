//! Release draws (`[[office.release]] draw = true`): entries while they are open, one
//! per document; the released dates closed to everyone until the draw has run; at the
//! instant each entrant in a seeded order gets the earliest time that fits, no time is
//! given twice, the rest go first come; the seed, the entries and the supply are
//! published and the result recomputes from them (and a tampered result does not). On
//! both databases.

use std::collections::BTreeSet;

use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;
use crate::web::{Browser, csrf_of};

/// The demo offices plus a draw for Las Palmas' DNI renewals (the last office of the
/// file): Mondays at 07:30 Canary time (07:30 UTC in March), giving out the Monday two
/// weeks later, 2027-03-15: one desk from 08:00 to 15:00, 10-minute appointments, 42
/// times. The test clock starts at 07:00 on Monday 2027-03-01: entries are open (since
/// Saturday) and close at 07:25.
fn with_draw() -> String {
    let demo = include_str!("../../demo/offices.toml");
    format!(
        "{demo}\n  [[office.release]]\n  service = \"{RENOVACION}\"\n  at = \"07:30\"\n  \
         days = [\"mon\"]\n  opens = \"D+14..D+14\"\n  draw = true\n"
    )
}

const DRAW: &str = "las-palmas-dni.renovacion-dni.20270301T0730";
const DATE: &str = "2027-03-15";

fn entry(n: u32, part: &str) -> Value {
    json!({
        "citizen": {"name": format!("Entrant {n}"), "document": dni(n)},
        "from": DATE, "to": DATE, "part_of_day": part,
    })
}

async fn enter(app: &TestApp, body: &Value) -> crate::common::Answer {
    app.post_json(&format!("/api/v1/draws/{DRAW}/entries"), body)
        .await
}

async fn day(app: &TestApp) -> Value {
    let path =
        format!("/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/days?from={DATE}&to={DATE}");
    app.get(&path).await.ok(200)["days"][0].clone()
}

async fn installed(db: Db) -> Option<TestApp> {
    let app = spawn(db).await?;
    let auth = app.admin_auth("draw-admin").await;
    assert_eq!(app.put_config(&auth, &with_draw()).await.status, 200);
    // What every server does each second: makes the rows (and seeds) of draws whose
    // entries have opened, and runs the past ones (here with no entries).
    app.state.booking.run_due_draws("ticker").await.unwrap();
    Some(app)
}

async fn a_draw_gives_out_its_dates_in_an_order_anyone_can_check(db: Db) {
    let Some(app) = installed(db).await else {
        return;
    };
    // Announced, open for entries, its seed committed to.
    let listed = app
        .get(&format!(
            "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/draws"
        ))
        .await
        .ok(200);
    let draw = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == DRAW)
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(draw["state"], "open", "{draw}");
    assert_eq!(draw["draw_at"], "2027-03-01T07:30:00+00:00");
    assert_eq!(draw["entries_close_at"], "2027-03-01T07:25:00+00:00");
    assert_eq!(draw["first_date"], DATE);
    let commitment = draw["seed_sha256"].as_str().unwrap().to_owned();
    assert!(draw.get("seed").is_none(), "{draw}");
    // The date is the draw's: nothing to take first come, and /days says so.
    let closed = day(&app).await;
    assert_eq!(closed["slots"], 0, "{closed}");
    assert_eq!(closed["draw_id"], DRAW, "{closed}");
    assert_eq!(closed["opens_at"], "2027-03-01T07:30:00+00:00");
    let first = "2027-03-15T08:00:00+00:00";
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, first, &dni(900)))
        .await
        .problem(422, "outside_booking_window");

    // 48 entries for 42 times: the first 6 want the afternoon (14:00 to 15:00: 6 times).
    let mut tokens = Vec::new();
    for n in 1..=48 {
        let part = if n <= 6 { "afternoon" } else { "any" };
        let created = enter(&app, &entry(n, part)).await.ok(201);
        // Priority says something of the document's past: only its result tells it.
        assert!(created.get("priority").is_none(), "{created}");
        assert_eq!(
            created["entry_code"].as_str().unwrap().len(),
            8,
            "{created}"
        );
        let salt = created["salt"].as_str().unwrap();
        // The receipt: the entrant can find themselves in the published list.
        assert_eq!(
            created["entry_hash"],
            cita::draw::entry_hash(salt, "dni", &dni(n))
        );
        tokens.push((n, created["token"].as_str().unwrap().to_owned()));
    }
    // One entry per document, however it is typed.
    let spaced = format!("{} {}", &dni(7)[..4], &dni(7)[4..]);
    let mut again = entry(7, "any");
    again["citizen"]["document"] = json!(spaced);
    enter(&app, &again).await.problem(409, "already_entered");
    // Bad entries.
    let mut bad = entry(100, "evening");
    enter(&app, &bad).await.problem(422, "validation_failed");
    bad = entry(100, "any");
    bad["from"] = json!("2027-03-16");
    bad["to"] = json!("2027-03-20");
    enter(&app, &bad).await.problem(422, "validation_failed");
    bad = entry(100, "any");
    bad["citizen"]["document"] = json!("12345678A");
    enter(&app, &bad).await.problem(422, "invalid_document");
    app.post_json(
        "/api/v1/draws/nowhere.x.20270301T0730/entries",
        &entry(100, "any"),
    )
    .await
    .problem(404, "not_found");
    let waiting = app
        .get_with_token("/api/v1/draw-entries/mine", &tokens[0].1)
        .await
        .ok(200);
    assert_eq!(waiting["result"], "waiting", "{waiting}");
    app.get_with_token("/api/v1/draw-entries/mine", &"f".repeat(64))
        .await
        .problem(404, "not_found");
    app.get("/api/v1/draw-entries/mine")
        .await
        .problem(401, "unauthorized");

    // Entries close five minutes before: the list is published, without documents.
    app.clock.advance(Duration::minutes(26));
    enter(&app, &entry(101, "any"))
        .await
        .problem(409, "draw_closed");
    let record = app
        .get(&format!("/api/v1/draws/{DRAW}/record"))
        .await
        .ok(200);
    assert_eq!(record["draw"]["state"], "closed");
    assert_eq!(record["entries"].as_array().unwrap().len(), 48);
    let text = record.to_string();
    for n in 1..=48 {
        assert!(!text.contains(&dni(n)), "a document in the public record");
    }
    assert!(!text.contains("Entrant"), "a name in the public record");

    // Past the instant, before the draw has run: still closed to everyone.
    app.clock.advance(Duration::minutes(5));
    assert_eq!(day(&app).await["slots"], 0);
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, first, &dni(900)))
        .await
        .problem(422, "outside_booking_window");

    // (The draws of the Mondays before, made before this configuration, run too: with
    // no entries, they only open their dates first come.)
    let run = app
        .state
        .booking
        .run_due_draws("test-runner")
        .await
        .unwrap();
    assert_eq!(run.drawn.last().map(String::as_str), Some(DRAW), "{run:?}");
    let drawn = app.get(&format!("/api/v1/draws/{DRAW}")).await.ok(200);
    // The list's digest, published at the close, is the sha256sum recipe over the list.
    let lines: Vec<String> = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:0:{}:{}:{}",
                e["entry_hash"].as_str().unwrap(),
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["part_of_day"].as_str().unwrap()
            )
        })
        .collect();
    let mut lines = lines;
    lines.sort();
    assert_eq!(
        drawn["entries_sha256"],
        cita::draw::sha256_hex(&lines.join("\n"))
    );
    assert_eq!(drawn["state"], "drawn");
    assert_eq!(drawn["assigned"], 42, "{drawn}");
    let seed = drawn["seed"].as_str().unwrap();
    assert_eq!(cita::draw::sha256_hex(seed), commitment);

    // Each entrant's result: 42 distinct times, the afternoon ones after 14:00.
    let mut starts = BTreeSet::new();
    let mut nothing = 0;
    for (n, token) in &tokens {
        let mine = app
            .get_with_token("/api/v1/draw-entries/mine", token)
            .await
            .ok(200);
        match mine["result"].as_str().unwrap() {
            "assigned" => {
                let start = mine["appointment"]["start"].as_str().unwrap().to_owned();
                assert!(start.starts_with(DATE), "{mine}");
                assert!(mine["appointment"].get("token").is_none(), "{mine}");
                if *n <= 6 {
                    assert!(start.as_str() >= "2027-03-15T14:00", "{n}: {start}");
                }
                assert!(starts.insert(start), "a time given twice");
                // The appointment is the entrant's: its locator and document open it.
                let locator = mine["appointment"]["locator"].as_str().unwrap();
                app.post_json(
                    "/api/v1/appointments/lookup",
                    &json!({"locator": locator, "document": dni(*n)}),
                )
                .await
                .ok(200);
            }
            "none" => nothing += 1,
            other => panic!("{other}: {mine}"),
        }
        assert!(mine["position"].as_i64().unwrap() >= 1);
    }
    assert_eq!((starts.len(), nothing), (42, 6));
    // What was not given goes first come: here nothing is left.
    let after = day(&app).await;
    assert_eq!(after["slots"], 0, "{after}");
    assert!(after.get("draw_id").is_none(), "{after}");
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, first, &dni(900)))
        .await
        .problem(409, "slot_unavailable");
    // The entries keep no personal data once drawn.
    let pool = app.state.booking.store().sql_pool().unwrap().clone();
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM draw_entries WHERE document IS NOT NULL OR citizen_name IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 0);

    // The record checks out; running again gives nothing twice.
    let checked = app.state.booking.verify_draw(DRAW).await.unwrap();
    assert!(checked.ok(), "{:?}", checked.problems);
    assert_eq!((checked.entries, checked.assigned), (48, 42));
    let again = app
        .state
        .booking
        .run_due_draws("another-runner")
        .await
        .unwrap();
    assert!(again.drawn.is_empty(), "{again:?}");
    let booked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM appointments WHERE office_id = $1 AND status = 'booked' \
         AND start_at >= $2 AND start_at < $3",
    )
    .bind(LAS_PALMAS)
    .bind(instant("2027-03-15T00:00:00Z").timestamp())
    .bind(instant("2027-03-16T00:00:00Z").timestamp())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(booked, 42);

    // Anyone can check it from the public record alone, as JSON; and a record with two
    // entrants' times swapped does not check out.
    let json = app
        .get(&format!("/api/v1/draws/{DRAW}/record"))
        .await
        .text();
    let outside = cita::booking::verify_record_json(&json).unwrap();
    assert!(outside.ok(), "{:?}", outside.problems);
    assert_eq!((outside.entries, outside.assigned), (48, 42));
    let mut doctored: Value = serde_json::from_str(&json).unwrap();
    let entries = doctored["entries"].as_array_mut().unwrap();
    let (a, b) = (entries[0]["start"].clone(), entries[1]["start"].clone());
    assert_ne!(a, b);
    entries[0]["start"] = b;
    entries[1]["start"] = a;
    let caught = cita::booking::verify_record_json(&doctored.to_string()).unwrap();
    assert_eq!(caught.problems.len(), 2, "{:?}", caught.problems);
    // An entry dropped from the list after the close is caught by the digest.
    let mut shortened: Value = serde_json::from_str(&json).unwrap();
    shortened["entries"].as_array_mut().unwrap().pop();
    let caught = cita::booking::verify_record_json(&shortened.to_string()).unwrap();
    assert!(
        caught.problems.iter().any(|p| p.contains("digest")),
        "{:?}",
        caught.problems
    );
    assert!(cita::booking::verify_record_json("{}").is_err());

    // A result changed behind the draw's back does not check out: two entrants' places
    // swapped.
    sqlx::query(
        "UPDATE draw_entries SET position = CASE position WHEN 1 THEN 2 WHEN 2 THEN 1 END \
         WHERE draw_id = $1 AND position IN (1, 2)",
    )
    .bind(DRAW)
    .execute(&pool)
    .await
    .unwrap();
    let tampered = app.state.booking.verify_draw(DRAW).await.unwrap();
    assert!(!tampered.ok());
    assert_eq!(tampered.problems.len(), 2, "{:?}", tampered.problems);
}

async fn those_who_got_nothing_go_first_in_the_next_draw(db: Db) {
    let Some(app) = installed(db).await else {
        return;
    };
    // 45 entrants for 42 times: three get nothing.
    let mut tokens = Vec::new();
    for n in 1..=45 {
        let created = enter(&app, &entry(n, "any")).await.ok(201);
        tokens.push((n, created["token"].as_str().unwrap().to_owned()));
    }
    app.clock.advance(Duration::minutes(31));
    app.state.booking.run_due_draws("runner").await.unwrap();
    let (mut unlucky, mut lucky) = (Vec::new(), Vec::new());
    for (n, token) in &tokens {
        let mine = app
            .get_with_token("/api/v1/draw-entries/mine", token)
            .await
            .ok(200);
        match mine["result"].as_str() {
            Some("none") => unlucky.push(*n),
            Some("assigned") => lucky.push(*n),
            _ => panic!("{mine}"),
        }
    }
    assert_eq!((unlucky.len(), lucky.len()), (3, 42));
    // The next Monday's draw gives out 2027-03-22; its entries open on Saturday.
    app.clock.advance(Duration::days(6));
    let next = "las-palmas-dni.renovacion-dni.20270308T0730";
    let enter_next = |n: u32| {
        let mut body = entry(n, "any");
        body["from"] = json!("2027-03-22");
        body["to"] = json!("2027-03-22");
        body
    };
    let priority_of = |created: Value| {
        let token = created["token"].as_str().unwrap().to_owned();
        let app = &app;
        async move {
            app.get_with_token("/api/v1/draw-entries/mine", &token)
                .await
                .ok(200)["priority"]
                .clone()
        }
    };
    for n in &unlucky {
        let created = app
            .post_json(&format!("/api/v1/draws/{next}/entries"), &enter_next(*n))
            .await
            .ok(201);
        assert_eq!(priority_of(created).await, true);
    }
    // Someone who got a time already has this procedure: not in the next draw.
    app.post_json(
        &format!("/api/v1/draws/{next}/entries"),
        &enter_next(lucky[0]),
    )
    .await
    .problem(409, "citizen_limit_reached");
    // Someone new goes in with the others.
    let created = app
        .post_json(&format!("/api/v1/draws/{next}/entries"), &enter_next(300))
        .await
        .ok(201);
    assert_eq!(priority_of(created).await, false);
}

/// With half of each day kept for staff, the draw gives out the public's half only (21 of
/// 42), the record publishes that limit, verification recomputes it, and the kept half
/// opens to everyone 48 hours before.
async fn a_draw_gives_out_only_the_public_part_of_the_day(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("draw-admin").await;
    let line = format!("  id = \"{RENOVACION}\"\n");
    let shared = with_draw().replacen(&line, &format!("{line}  staff_share_percent = 50\n"), 1);
    assert_eq!(app.put_config(&auth, &shared).await.status, 200);
    app.state.booking.run_due_draws("ticker").await.unwrap();
    for n in 1..=30 {
        enter(&app, &entry(n, "any")).await.ok(201);
    }
    app.clock.advance(Duration::minutes(31));
    app.state.booking.run_due_draws("runner").await.unwrap();
    let record = app
        .get(&format!("/api/v1/draws/{DRAW}/record"))
        .await
        .ok(200);
    let given = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["result"] == "assigned")
        .count();
    assert_eq!(given, 21, "{record}");
    assert_eq!(record["supply"]["public_places"][DATE], 21, "{record}");
    let checked = app.state.booking.verify_draw(DRAW).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    // The public sees nothing more that day; the staff's half (from 11:30, after the
    // draw's 21 from 08:00) opens to everyone 48 hours before each time.
    assert_eq!(day(&app).await["slots"], 0);
    app.clock.advance(Duration::days(12) + Duration::hours(3));
    assert_eq!(day(&app).await["slots"], 0, "Saturday 10:31: not yet");
    app.clock.advance(Duration::hours(1));
    assert_eq!(
        day(&app).await["slots"],
        1,
        "Saturday 11:31: the 11:30 time"
    );
    app.clock.advance(Duration::hours(4));
    assert_eq!(day(&app).await["slots"], 21, "all of them");
}

async fn entries_of_a_draw_that_never_runs_are_erased_a_day_after_its_instant(db: Db) {
    let Some(app) = installed(db).await else {
        return;
    };
    enter(&app, &entry(1, "any")).await.ok(201);
    // The draw is dropped from the configuration before it runs: nothing will run it.
    let auth = app.admin_auth("draw-admin-2").await;
    let plain = include_str!("../../demo/offices.toml");
    assert_eq!(app.put_config(&auth, plain).await.status, 200);
    let pool = app.state.booking.store().sql_pool().unwrap().clone();
    let kept = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM draw_entries WHERE document IS NOT NULL OR citizen_name IS NOT NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    app.state.booking.purge().await.unwrap();
    assert_eq!(kept().await, 1, "kept until a day past the draw's instant");
    app.clock.advance(Duration::hours(25));
    app.state.booking.purge().await.unwrap();
    assert_eq!(kept().await, 0);
}

async fn draw_settings_are_checked(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("draw-admin").await;
    let stray = with_draw().replace("  draw = true\n", "  entries_open_hours = 24\n");
    assert_eq!(app.put_config(&auth, &stray).await.status, 422);
    let inverted = with_draw().replace(
        "  draw = true\n",
        "  draw = true\n  entries_open_hours = 1\n  entries_close_minutes = 90\n",
    );
    assert_eq!(app.put_config(&auth, &inverted).await.status, 422);
    // Without the draw release, the demo's rolling window: no draws, the date open.
    let listed = app
        .get(&format!(
            "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/draws"
        ))
        .await
        .ok(200);
    assert_eq!(listed, json!([]));
    app.get(&format!("/api/v1/draws/{DRAW}"))
        .await
        .problem(404, "not_found");
    assert!(day(&app).await["slots"].as_u64().unwrap() > 0);
}

/// The text between `<p class="locator"><strong>` and `</strong>`.
fn big_code(body: &str) -> String {
    let start = body
        .find("<p class=\"locator\"><strong>")
        .unwrap_or_else(|| panic!("no code in {body}"))
        + "<p class=\"locator\"><strong>".len();
    body[start..start + body[start..].find('<').unwrap()].to_owned()
}

async fn a_person_enters_the_draw_and_reads_the_result_on_the_pages(db: Db) {
    let Some(app) = installed(db).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    // The week page says the day is drawn and leads to the draw.
    let week = browser
        .get(&format!(
            "/book/day?office_id={LAS_PALMAS}&service_id={RENOVACION}&week={DATE}"
        ))
        .await;
    assert_eq!(week.status, 200);
    assert!(
        week.body
            .contains("Se sortea el lunes 1 de marzo a las 07:30"),
        "{}",
        week.body
    );
    let href = format!("/draw?id={DRAW}");
    assert!(week.body.contains(&href), "{}", week.body);
    let page = browser.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Puedes apuntarte hasta el lunes, 1 de marzo de 2027 a las 07:25"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    let document = dni(501);
    let fields = |document: &str| {
        vec![
            ("draw_id", DRAW.to_owned()),
            ("name", "Ana García".to_owned()),
            ("document_type", "dni".to_owned()),
            ("document", document.to_owned()),
            ("email", String::new()),
            ("from", DATE.to_owned()),
            ("to", DATE.to_owned()),
            ("part_of_day", "morning".to_owned()),
        ]
    };
    let as_refs =
        |owned: &[(&'static str, String)]| -> Vec<(&'static str, String)> { owned.to_vec() };
    let sent = as_refs(&fields(&document));
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Without the session's token: refused.
    assert_eq!(browser.post("/draw", "", &pairs).await.status, 403);
    let entered = browser.post("/draw", &csrf, &pairs).await;
    assert_eq!(entered.status, 200, "{}", entered.body);
    assert!(
        entered.body.contains("Ya estás en el sorteo"),
        "{}",
        entered.body
    );
    let code = big_code(&entered.body);
    assert_eq!(code.len(), 8, "{code}");
    // No document and no token in any address the browser saw.
    for url in &browser.seen_urls {
        assert!(!url.contains(&document), "{url}");
    }
    // Twice: refused at the document field, the form kept.
    let again = browser.post("/draw", &csrf, &pairs).await;
    assert_eq!(again.status, 422);
    assert!(
        again.body.contains("ya hay una inscripción"),
        "{}",
        again.body
    );
    assert!(again.body.contains("Ana García"));
    // A wrong check letter: at its field, nothing stored.
    let wrong: Vec<(&str, &str)> = pairs
        .iter()
        .map(|&(k, v)| {
            if k == "document" {
                (k, "12345678A")
            } else {
                (k, v)
            }
        })
        .collect();
    assert_eq!(browser.post("/draw", &csrf, &wrong).await.status, 422);

    // Before the draw: waiting.
    let waiting = browser.get("/draw/result").await;
    assert!(
        waiting.body.contains("El sorteo todavía no se ha hecho"),
        "{}",
        waiting.body
    );
    app.clock.advance(Duration::minutes(31));
    app.state.booking.run_due_draws("runner").await.unwrap();
    // Half an hour later this browser's session has been forgotten (a shared computer
    // forgets): the code and the document find the entry, from here or any device.
    let form = browser.get("/draw/result").await;
    assert!(form.body.contains("Escribe el código"), "{}", form.body);
    let mut other = Browser::new(&app);
    let form = other.get("/draw/result").await;
    let csrf = csrf_of(&form.body);
    let wrong = other
        .post(
            "/draw/result",
            &csrf,
            &[("entry_code", &code), ("document", &dni(502))],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("No encontramos ninguna inscripción"));
    let found = other
        .post(
            "/draw/result",
            &csrf,
            &[
                ("entry_code", &code.to_lowercase()),
                ("document", &document),
            ],
        )
        .await;
    // The only entrant, wanting the morning: the day's first time, 08:00 in Las Palmas.
    assert!(found.body.contains("Te ha tocado cita"), "{}", found.body);
    assert!(found.body.contains("08:00"), "{}", found.body);
    let locator = big_code(&found.body);
    assert_eq!(found.status, 200, "{}", found.body);
    // The locator and the document open the appointment, as any other.
    app.post_json(
        "/api/v1/appointments/lookup",
        &json!({"locator": locator, "document": document}),
    )
    .await
    .ok(200);
    // And the draw's page now says it has run.
    let drawn = other.get(&href).await;
    assert!(
        drawn.body.contains("Este sorteo ya se hizo"),
        "{}",
        drawn.body
    );
    assert!(!drawn.body.contains("name=\"document\""));
}

both_backends!(
    a_person_enters_the_draw_and_reads_the_result_on_the_pages,
    a_draw_gives_out_its_dates_in_an_order_anyone_can_check,
    those_who_got_nothing_go_first_in_the_next_draw,
    entries_of_a_draw_that_never_runs_are_erased_a_day_after_its_instant,
    draw_settings_are_checked,
    a_draw_gives_out_only_the_public_part_of_the_day,
);
