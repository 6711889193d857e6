//! The request extractors against garbage, in the manner of a fuzzer (DESIGN §6: every
//! error is problem+json with a stable code).
//!
//! Every POST and PUT route of `cita::http::route_table()` is taken from the table, so a
//! new route is fuzzed without touching this file. Each gets requests with:
//! - bodies: random bytes, random JSON values, JSON nested past any parser's depth, the
//!   route's valid body cut short or with invalid UTF-8, and the valid body made invalid
//!   by one or two mutations (a required member removed, a member of another JSON type,
//!   an unknown member, an odd or huge value) — mutations of a valid body get past the
//!   extractor into the use cases' validation;
//! - any or no `Content-Type`, sometimes an `Idempotency-Key`;
//! - path parameters that are real (an office, the booked appointment), well-formed but
//!   unknown, arbitrary (percent-encoded) or odd (`%FF`, `%00`, `..`);
//! - no `Authorization`, a malformed one, a random bearer token, or the real token of an
//!   admin (so that the staff routes read their bodies too).
//!
//! Every answer must be a 4xx `application/problem+json` whose `code` is a string: never a
//! 5xx, never axum's plain-text rejection, and never a success — no case is a valid
//! request: mutations always break the body, and the admin token is never sent with the
//! real appointment's locator. Each route's valid body is then sent unmutated and must be
//! accepted, which proves the mutations start from a request that works.
//!
//! The configuration route also gets edits of the demo configuration that are often still
//! valid (`config_changes_are_applied_or_refused_with_problems`): those may be stored, and
//! must leave a service that answers.
//!
//! Cases come from proptest's `TestRunner` with a fixed seed per route, so runs are
//! reproducible; a failure is shrunk to a minimal request.

use std::fmt;

use axum::http::Method;
use cita::booking::Role;
use cita::domain::Locator;
use cita::http::{BODY_LIMIT, route_table};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::common::*;
use crate::mutations::{TOML, edited, restructured};

/// Requests per route (each test takes one to two seconds in a debug build).
const CASES_PER_ROUTE: u32 = 400;
/// Edited configurations sent to the configuration route.
const CONFIG_CHANGES: u32 = 400;
/// The date the valid bodies book on: a Tuesday with nothing else booked.
const DATE: &str = "2027-03-02";
const DEMO_CONFIG: &str = include_str!("../../demo/offices.toml");

#[test]
fn public_routes_answer_garbage_with_problems() {
    fuzz_routes(|path| !is_staff(path));
}

#[test]
fn staff_and_admin_routes_answer_garbage_with_problems() {
    fuzz_routes(is_staff);
}

fn is_staff(path: &str) -> bool {
    path.starts_with("/api/v1/staff/") || path.starts_with("/api/v1/admin/")
}

/// Configurations an admin might send by mistake: the demo configuration with a few
/// random edits — of its text (bytes and lines changed, values swapped for odd ones) or of
/// its structure (values swapped for others of their kind, keys and array elements removed
/// or duplicated) — valid or not, with and without `?force=cancel`, over booked
/// appointments.
/// Each is stored (200 with its version) or refused with a 4xx problem — never a 5xx —
/// and after each one the offices in force are listed and their free days computed.
#[test]
fn config_changes_are_applied_or_refused_with_problems() {
    let rt = runtime();
    let app = rt
        .block_on(spawn(Db::Sqlite))
        .expect("SQLite is always there");
    let admin = rt.block_on(async {
        // Appointments the changes may strand (and `?force=cancel` cancel).
        for (i, office, service) in [
            (0, MADRID, HUELLAS),
            (1, MADRID, ASILO),
            (2, LAS_PALMAS, RENOVACION),
        ] {
            let start = app.slots(office, service, DATE).await[0].start.clone();
            app.book(&BookReq::new(office, service, &start, &dni(71_000 + i)))
                .await;
        }
        app.state
            .booking
            .add_staff_user("fuzz-admin", Role::Admin, None)
            .await
            .unwrap()
            .token
    });
    let auth = format!("Bearer {admin}");
    let config = Config {
        cases: CONFIG_CHANGES,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, route_rng("config changes"));
    let stored = std::cell::Cell::new(0);
    let text = prop_oneof![
        1 => edited(DEMO_CONFIG, TOML, 1..=2),
        3 => restructured(DEMO_CONFIG, 1..=2),
    ];
    let outcome = runner.run(&(text, any::<bool>()), |(text, force)| {
        rt.block_on(async {
            let path = if force {
                "/api/v1/admin/config?force=cancel"
            } else {
                "/api/v1/admin/config"
            };
            let headers = [
                ("authorization", auth.as_str()),
                ("content-type", "application/toml"),
            ];
            let answer = app.raw(Method::PUT, path, &headers, text).await;
            let body = String::from_utf8_lossy(&answer.body);
            prop_assert!(
                answer.status == 200 || answer.status.is_client_error(),
                "answered {}: {}",
                answer.status,
                body
            );
            if answer.status == 200 {
                stored.set(stored.get() + 1);
                let applied: Value = serde_json::from_slice(&answer.body)
                    .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {body}")))?;
                prop_assert!(applied["version"].is_i64(), "{}", applied);
            } else {
                problem(&answer)?;
            }
            serves(&app).await
        })
    });
    if let Err(failure) = outcome {
        panic!("PUT /api/v1/admin/config: {failure}");
    }
    // The edits keep many configurations valid: the accepted path is exercised too.
    let stored = stored.get();
    assert!(
        stored >= 10,
        "only {stored} edited configurations were stored"
    );
}

/// The offices in force are listed, and each procedure's free days computed.
async fn serves(app: &TestApp) -> Result<(), TestCaseError> {
    let answer = app.get("/api/v1/offices").await;
    prop_assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let offices = answer.json();
    for office in offices.as_array().into_iter().flatten() {
        for service in office["services"].as_array().into_iter().flatten() {
            let path = format!(
                "/api/v1/offices/{}/services/{}/days?from=2027-03-01&to=2027-03-14",
                percent_encode(office["id"].as_str().unwrap_or_default()),
                percent_encode(service["id"].as_str().unwrap_or_default()),
            );
            let answer = app.get(&path).await;
            prop_assert!(
                answer.status == 200,
                "GET {} answered {}: {}",
                path,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The routes this file knows a valid body for must exist: a renamed route would
/// otherwise lose its mutations silently.
#[test]
fn every_known_body_names_a_route() {
    let table = route_table();
    for (method, path) in KNOWN {
        assert!(
            table.iter().any(|(m, p)| *m == method && *p == path),
            "{method} {path} is not in the route table any more"
        );
    }
}

const KNOWN: [(Method, &str); 13] = [
    (Method::POST, "/api/v1/holds"),
    (Method::POST, "/api/v1/appointments"),
    (Method::POST, "/api/v1/appointments/lookup"),
    (Method::POST, "/api/v1/appointments/{locator}/reschedule"),
    (Method::POST, "/api/v1/appointments/{locator}/cancel"),
    (
        Method::POST,
        "/api/v1/staff/appointments/{locator}/check-in",
    ),
    (
        Method::POST,
        "/api/v1/staff/appointments/{locator}/complete",
    ),
    (Method::POST, "/api/v1/staff/appointments/{locator}/no-show"),
    (
        Method::POST,
        "/api/v1/staff/appointments/{locator}/undo-check-in",
    ),
    (Method::POST, "/api/v1/staff/appointments/{locator}/cancel"),
    (Method::POST, "/api/v1/staff/offices/{office}/appointments"),
    (Method::POST, "/api/v1/staff/offices/{office}/closures"),
    (Method::PUT, "/api/v1/admin/config"),
];

fn fuzz_routes(select_path: fn(&str) -> bool) {
    let rt = runtime();
    let app = rt
        .block_on(spawn(Db::Sqlite))
        .expect("SQLite is always there");
    let world = rt.block_on(World::prepare(&app));
    let routes: Vec<(Method, &'static str)> = route_table()
        .into_iter()
        .filter(|(m, p)| (*m == Method::POST || *m == Method::PUT) && select_path(p))
        .collect();
    assert!(routes.len() >= 4, "too few routes to fuzz: {routes:?}");
    for (method, template) in routes {
        let profile = Profile::of(&method, template, &world);
        let strategy = case_strategy(template, &profile, &world);
        let config = Config {
            cases: CASES_PER_ROUTE,
            failure_persistence: None,
            max_shrink_iters: 256,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, route_rng(template));
        let outcome = runner.run(&strategy, |case| {
            rt.block_on(refused(&app, &world, &method, &case))
        });
        if let Err(failure) = outcome {
            panic!("{method} {template}: {failure}");
        }
        if let Some(valid) = &profile.valid {
            let answer = rt.block_on(send(&app, &world, &method, &valid.case));
            assert_eq!(
                answer.status.as_u16(),
                valid.expect,
                "{method} {template}: the unmutated body should be accepted: {}",
                String::from_utf8_lossy(&answer.body)
            );
        }
    }
}

/// A fixed seed per route, so adding a route does not change the others' cases.
fn route_rng(template: &str) -> TestRng {
    let mut seed = *b"cita fuzz the http extractors!!!";
    for (i, byte) in template.bytes().enumerate() {
        seed[i % 32] = seed[i % 32].wrapping_mul(31).wrapping_add(byte);
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
}

// ---------------------------------------------------------------------------------------
// The world the requests are sent to

/// What the valid bodies refer to: free starts, a hold, a booked appointment, an admin.
struct World {
    starts: Vec<String>,
    hold_id: String,
    locator: String,
    citizen_token: String,
    document: String,
    admin: String,
}

impl World {
    async fn prepare(app: &TestApp) -> World {
        let starts: Vec<String> = app
            .slots(MADRID, HUELLAS, DATE)
            .await
            .into_iter()
            .map(|s| s.start)
            .take(5)
            .collect();
        assert_eq!(starts.len(), 5, "{DATE} has free starts");
        let document = dni(70_001);
        let booked = app
            .book(&BookReq::new(MADRID, HUELLAS, &starts[0], &document))
            .await;
        let hold = app
            .post_json(
                "/api/v1/holds",
                &json!({"office_id": MADRID, "service_id": HUELLAS, "start": starts[1]}),
            )
            .await
            .ok(201);
        let admin = app
            .state
            .booking
            .add_staff_user("fuzz-admin", Role::Admin, None)
            .await
            .unwrap()
            .token;
        World {
            hold_id: hold["hold_id"].as_str().unwrap().to_owned(),
            starts,
            locator: booked.locator,
            citizen_token: booked.token,
            document,
            admin,
        }
    }
}

// ---------------------------------------------------------------------------------------
// What each route accepts

/// A valid JSON body of a route, and which of its members are required.
#[derive(Debug, Clone)]
struct Seed {
    body: Value,
    /// JSON pointers of the members without which the body is refused.
    required: Vec<&'static str>,
}

impl Seed {
    /// Every member, as a JSON pointer, with whether it is required.
    fn members(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        collect_members(&self.body, "", &mut out);
        out.into_iter()
            .map(|p| {
                let required = self.required.contains(&p.as_str());
                (p, required)
            })
            .collect()
    }

    /// The objects of the body (where an unknown member can go).
    fn objects(&self) -> Vec<String> {
        let mut out = vec![String::new()];
        out.extend(
            self.members()
                .into_iter()
                .filter(|(p, _)| self.body.pointer(p).is_some_and(Value::is_object))
                .map(|(p, _)| p),
        );
        out
    }

    /// Members that have odd values, with them.
    fn odd(&self) -> Vec<(String, Vec<Value>)> {
        self.members()
            .into_iter()
            .filter_map(|(p, _)| {
                let name = p.rsplit('/').next().unwrap_or_default().to_owned();
                let values = odd_values(&name);
                (!values.is_empty()).then_some((p, values))
            })
            .collect()
    }

    fn strings(&self) -> Vec<String> {
        self.members()
            .into_iter()
            .filter(|(p, _)| self.body.pointer(p).is_some_and(Value::is_string))
            .map(|(p, _)| p)
            .collect()
    }
}

fn collect_members(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, member) in map {
            let pointer = format!("{prefix}/{key}");
            out.push(pointer.clone());
            collect_members(member, &pointer, out);
        }
    }
}

/// Every member name of the API's bodies: an "unknown" member is none of these.
const MEMBER_NAMES: &[&str] = &[
    "office_id",
    "service_id",
    "start",
    "hold_id",
    "citizen",
    "name",
    "document",
    "document_type",
    "email",
    "phone",
    "locator",
    "from",
    "to",
    "reason",
    "cancel_appointments",
];

/// Values of a member that no combination with the other members makes valid. (None of
/// them names a real office, procedure, slot or hold: with other members changed too, a
/// real one could make a valid request.)
fn odd_values(member: &str) -> Vec<Value> {
    let values: Vec<String> = match member {
        "office_id" => vec![
            "".into(),
            "nowhere".into(),
            "madrid-extranjeria\u{0}".into(),
            "../madrid-extranjeria".into(),
            "%".repeat(300),
        ],
        "service_id" => vec![
            "".into(),
            "nothing".into(),
            // Offered in Las Palmas only.
            "renovacion-dni".into(),
            "\u{7f}".into(),
        ],
        "start" => vec![
            "".into(),
            "tomorrow".into(),
            DATE.into(),
            "2027-03-02T09:00:00".into(),
            "2027-02-30T09:00:00+01:00".into(),
            "2027-03-02T25:00:00+01:00".into(),
            "2027-03-02T09:00:00+24:00".into(),
            "2027-03-02T09:01:00+01:00".into(),
            "2027-03-02T03:00:00+01:00".into(),
            "0000-01-01T00:00:00Z".into(),
            "1970-01-01T00:00:00Z".into(),
            "9999-12-31T23:59:59+14:00".into(),
            "2027-06-30T23:59:60Z".into(),
        ],
        "hold_id" => vec![
            "".into(),
            "   ".into(),
            "x".repeat(65),
            "abc\u{1}def".into(),
            "ñññ".into(),
            "a b".into(),
        ],
        "name" => vec![
            "".into(),
            "   ".into(),
            "a".repeat(201),
            "Ana\u{0}".into(),
            "Ana\nGarcía".into(),
            "\u{7f}".into(),
        ],
        // Invalid under any declared type (too short or long, or not letters and digits).
        "document" => vec![
            "".into(),
            " ".into(),
            ".-".into(),
            "1234".into(),
            "12345678Z!".into(),
            "Ñ0000000T".into(),
            "１２３４５６７８Z".into(),
            "A".repeat(21),
            "0".repeat(10_000),
            "\u{0}".into(),
        ],
        // Not a type, or one the seed's DNI is not.
        "document_type" => vec![
            "".into(),
            "carnet".into(),
            "nie".into(),
            "pasaporte".into(),
            "ＤＮＩ".into(),
            "dni\u{0}".into(),
        ],
        "email" => vec![
            "no-at-sign".into(),
            "a@b".into(),
            "@example.es".into(),
            "a b@example.es".into(),
            format!("{}@example.es", "x".repeat(250)),
            "ana@example.es\u{0}".into(),
        ],
        "phone" => vec![
            "12345".into(),
            "abc".into(),
            "+34 600 000 000 000 000 000 00".into(),
            "６００ ０００ ０００".into(),
            "600000000\u{0}".into(),
        ],
        "locator" => vec![
            "".into(),
            "XXXX".into(),
            "ZZZZZZZZ".into(),
            "\u{0}".into(),
            "7".repeat(5000),
        ],
        // Not dates, or dates too far from the seed's `to`.
        "from" => vec![
            "".into(),
            "2027-02-30".into(),
            "27-04-05".into(),
            "2027-04-05T00:00:00Z".into(),
            "+10000-01-01".into(),
        ],
        // Not dates, before the seed's `from`, or more than a year after it.
        "to" => vec![
            "".into(),
            "2027-13-01".into(),
            "2000-01-01".into(),
            "2099-12-31".into(),
        ],
        "reason" => vec!["".into(), "x".repeat(501)],
        _ => vec![],
    };
    values.into_iter().map(Value::String).collect()
}

/// A request this file knows to be valid, with the status it gets.
#[derive(Debug, Clone)]
struct Valid {
    case: Case,
    expect: u16,
}

/// What the fuzzer knows of a route.
#[derive(Debug, Clone, Default)]
struct Profile {
    seed: Option<Seed>,
    /// The route takes the configuration as TOML.
    toml: bool,
    /// The real admin token may be sent: the route is known, and nothing in its cases can
    /// make a valid request (the real locator is never sent with it).
    admin: bool,
    valid: Option<Valid>,
}

impl Profile {
    fn of(method: &Method, template: &str, world: &World) -> Profile {
        let s = &world.starts;
        let book = |start: &str, document: &str| {
            json!({
                "office_id": MADRID,
                "service_id": HUELLAS,
                "start": start,
                "citizen": {
                    "name": "Ana García López",
                    "document": document,
                    "document_type": "dni",
                    "email": "ana@example.es",
                    "phone": "+34 600 000 000",
                },
            })
        };
        let book_required = vec![
            "/office_id",
            "/service_id",
            "/start",
            "/citizen",
            "/citizen/name",
            "/citizen/document",
        ];
        let valid = |path: String, auth: Auth, body: &Value, expect: u16| {
            Some(Valid {
                case: Case {
                    path,
                    auth,
                    content_type: Some("application/json".into()),
                    idempotency_key: None,
                    body: BodyCase::Json(body.clone()),
                },
                expect,
            })
        };
        let known = |seed: Option<Seed>, valid: Option<Valid>| Profile {
            seed,
            toml: false,
            admin: true,
            valid,
        };
        let seed = |body: Value, required: Vec<&'static str>| Seed { body, required };
        let transition = || known(Some(seed(json!({"reason": "llegó tarde"}), vec![])), None);
        match (method.as_str(), template) {
            ("POST", "/api/v1/holds") => {
                let body =
                    json!({"office_id": MADRID, "service_id": HUELLAS, "start": s[2].clone()});
                let ok = valid(template.into(), Auth::None, &body, 201);
                known(
                    Some(seed(body, vec!["/office_id", "/service_id", "/start"])),
                    ok,
                )
            }
            ("POST", "/api/v1/appointments") => {
                let mut body = book(&s[1], &dni(70_002));
                body["hold_id"] = json!(world.hold_id);
                let ok = valid(template.into(), Auth::None, &body, 201);
                known(Some(seed(body, book_required)), ok)
            }
            ("POST", "/api/v1/appointments/lookup") => {
                let body = json!({"locator": world.locator, "document": world.document});
                let ok = valid(template.into(), Auth::None, &body, 200);
                known(Some(seed(body, vec!["/locator", "/document"])), ok)
            }
            ("POST", "/api/v1/appointments/{locator}/reschedule") => {
                let body = json!({"start": s[4].clone()});
                let path = format!("/api/v1/appointments/{}/reschedule", world.locator);
                let auth = Auth::Header(format!("Bearer {}", world.citizen_token));
                let ok = valid(path, auth, &body, 200);
                known(Some(seed(body, vec!["/start"])), ok)
            }
            // No body: the bearer token decides.
            ("POST", "/api/v1/appointments/{locator}/cancel") => known(None, None),
            ("POST", "/api/v1/staff/appointments/{locator}/check-in")
            | ("POST", "/api/v1/staff/appointments/{locator}/complete")
            | ("POST", "/api/v1/staff/appointments/{locator}/no-show")
            | ("POST", "/api/v1/staff/appointments/{locator}/undo-check-in")
            | ("POST", "/api/v1/staff/appointments/{locator}/cancel") => transition(),
            ("POST", "/api/v1/staff/offices/{office}/appointments") => {
                let body = book(&s[3], &dni(70_003));
                let path = format!("/api/v1/staff/offices/{MADRID}/appointments");
                let ok = valid(path, Auth::Admin, &body, 201);
                known(Some(seed(body, book_required)), ok)
            }
            ("POST", "/api/v1/staff/offices/{office}/closures") => {
                let body = json!({
                    "from": "2027-04-05",
                    "to": "2027-04-06",
                    "reason": "Obras",
                    "cancel_appointments": false,
                });
                let path = format!("/api/v1/staff/offices/{MADRID}/closures");
                let ok = valid(path, Auth::Admin, &body, 200);
                known(Some(seed(body, vec!["/from", "/to", "/reason"])), ok)
            }
            ("PUT", "/api/v1/admin/config") => Profile {
                seed: None,
                toml: true,
                admin: true,
                // The configuration in force, sent again: stored as it is.
                valid: Some(Valid {
                    case: Case {
                        path: template.into(),
                        auth: Auth::Admin,
                        content_type: Some("application/toml".into()),
                        idempotency_key: None,
                        body: BodyCase::Toml(DEMO_CONFIG.into()),
                    },
                    expect: 200,
                }),
            },
            // A route this file does not know: random bodies, and no real credentials.
            _ => Profile::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cases

#[derive(Debug, Clone)]
enum Auth {
    None,
    /// The raw `Authorization` value.
    Header(String),
    /// `Bearer` and the real admin token.
    Admin,
}

/// A mutation that makes a valid body invalid; later ones never repair it.
#[derive(Debug, Clone)]
enum Mutation {
    /// Removes a required member.
    Drop(Index),
    /// Gives a member a value of another JSON type (null only for a required one).
    Retype(Index, Value),
    /// Adds a member none of the API's bodies has.
    Unknown(Index, String, Value),
    /// Gives a member one of its odd values.
    Odd(Index, Index),
    /// Makes a string member huge: past every length limit, or past the body limit.
    Huge(Index, bool),
}

#[derive(Clone)]
enum BodyCase {
    Empty,
    Bytes(Vec<u8>),
    Json(Value),
    /// The route's valid body, mutated.
    Mutated(Value, Vec<Mutation>),
    /// The route's valid body, serialized and cut short or given a non-UTF-8 byte.
    Broken(Vec<u8>),
    Toml(String),
}

impl BodyCase {
    fn bytes(&self) -> Vec<u8> {
        match self {
            BodyCase::Empty => Vec::new(),
            BodyCase::Bytes(bytes) | BodyCase::Broken(bytes) => bytes.clone(),
            BodyCase::Json(value) | BodyCase::Mutated(value, _) => {
                serde_json::to_vec(value).unwrap()
            }
            BodyCase::Toml(text) => text.clone().into_bytes(),
        }
    }
}

/// Shortened: shrunk failures should be readable, and some bodies are huge.
impl fmt::Debug for BodyCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            BodyCase::Empty => "Empty".to_owned(),
            BodyCase::Bytes(_) => "Bytes".to_owned(),
            BodyCase::Json(_) => "Json".to_owned(),
            BodyCase::Mutated(_, mutations) => format!("Mutated {mutations:?}"),
            BodyCase::Broken(_) => "Broken".to_owned(),
            BodyCase::Toml(_) => "Toml".to_owned(),
        };
        let bytes = self.bytes();
        let text = String::from_utf8_lossy(&bytes);
        let short: String = text.chars().take(600).collect();
        write!(f, "{kind} ({} bytes) {short:?}", bytes.len())
    }
}

#[derive(Debug, Clone)]
struct Case {
    path: String,
    auth: Auth,
    content_type: Option<String>,
    idempotency_key: Option<String>,
    body: BodyCase,
}

fn case_strategy(template: &'static str, profile: &Profile, world: &World) -> BoxedStrategy<Case> {
    let locator = world.locator.clone();
    let auth = auth_strategy(profile.admin);
    (
        auth,
        path_strategy(template, &world.locator),
        content_type(profile.toml),
        idempotency_key(),
        body_strategy(profile),
    )
        .prop_filter(
            "the admin token never reaches the real appointment",
            move |(auth, (_, decoded), ..)| {
                !matches!(auth, Auth::Admin)
                    || decoded
                        .iter()
                        .all(|d| Locator::parse(d).map_or(true, |l| l.as_str() != locator))
            },
        )
        .prop_map(
            |(auth, (path, _), content_type, idempotency_key, body)| Case {
                path,
                auth,
                content_type,
                idempotency_key,
                body,
            },
        )
        .boxed()
}

/// Text a header value may hold (visible ASCII, spaces, tabs and non-ASCII bytes).
fn header_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[\\t\\x20-\\x7e\\x{{80}}-\\x{{10FFFF}}]{{0,{max}}}"
    ))
    .unwrap()
}

fn auth_strategy(admin: bool) -> BoxedStrategy<Auth> {
    let token = prop_oneof![3 => "[A-Za-z0-9_-]{1,64}", 1 => header_text(300)];
    let malformed = prop_oneof![
        select(
            &[
                "",
                "Bearer",
                "Bearer ",
                "Bearer \t ",
                "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
                "Token abc",
                "bearer",
                "Bearer a b c",
            ][..]
        )
        .prop_map(str::to_owned),
        Just(format!("Bearer {}", "x".repeat(257))),
        header_text(40),
    ];
    let mut options: Vec<(u32, BoxedStrategy<Auth>)> = vec![
        (1, Just(Auth::None).boxed()),
        (
            2,
            token
                .prop_map(|t| Auth::Header(format!("Bearer {t}")))
                .boxed(),
        ),
        (1, malformed.prop_map(Auth::Header).boxed()),
    ];
    if admin {
        options.push((4, Just(Auth::Admin).boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// A path for `template`, and its parameters decoded (to keep the real locator from the
/// admin token).
fn path_strategy(
    template: &'static str,
    real_locator: &str,
) -> BoxedStrategy<(String, Vec<String>)> {
    let segments: Vec<BoxedStrategy<(String, Option<String>)>> = template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => parameter(name, real_locator)
                    .prop_map(|(shown, decoded)| (shown, Some(decoded)))
                    .boxed(),
                None => Just((segment.to_owned(), None)).boxed(),
            },
        )
        .collect();
    segments
        .prop_map(|parts| {
            let path = parts
                .iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join("/");
            let decoded = parts.into_iter().filter_map(|(_, d)| d).collect();
            (path, decoded)
        })
        .boxed()
}

/// A path parameter: the text in the path, and what it decodes to.
fn parameter(name: &str, real_locator: &str) -> BoxedStrategy<(String, String)> {
    let arbitrary = ".{0,40}".prop_map(plain);
    let odd = select(
        &[
            "%FF",
            "%00",
            "%",
            "%zz",
            "%2F",
            "a%2Fb",
            "..",
            ".",
            "%20",
            "%C3%28",
            "~",
            "lookup",
            "calendar.ics",
            "%E2%82%AC",
        ][..],
    )
    .prop_map(|shown| {
        (
            shown.to_owned(),
            String::from_utf8_lossy(&percent_decode(shown)).into_owned(),
        )
    });
    let long = Just(plain("A".repeat(2000)));
    match name {
        "locator" => {
            let real = real_locator.to_owned();
            let spelled = (any::<bool>(), any::<bool>()).prop_map(move |(lower, dashed)| {
                let mut text = if lower {
                    real.to_lowercase()
                } else {
                    real.clone()
                };
                if dashed {
                    text.insert(4, '-');
                }
                plain(text)
            });
            prop_oneof![
                3 => spelled,
                3 => "[0-9A-HJKMNP-TV-Z]{8}".prop_map(plain),
                2 => arbitrary,
                2 => odd,
                1 => long,
            ]
            .boxed()
        }
        // Mostly the office of the valid bodies, so that they get past the path check.
        "office" => prop_oneof![
            3 => Just(plain(MADRID.into())),
            1 => select(&[BARCELONA, LAS_PALMAS][..]).prop_map(|o| plain(o.to_owned())),
            1 => Just(plain("nowhere".into())),
            2 => arbitrary,
            2 => odd,
            1 => long,
        ]
        .boxed(),
        _ => prop_oneof![
            1 => Just(plain("x".into())),
            2 => arbitrary,
            2 => odd,
            1 => long,
        ]
        .boxed(),
    }
}

/// A parameter as sent (percent-encoded) and as decoded.
fn plain(text: String) -> (String, String) {
    (percent_encode(&text), text)
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Mostly the type the route reads (JSON, or TOML for the configuration), so that most
/// bodies get past the media type check.
fn content_type(toml: bool) -> BoxedStrategy<Option<String>> {
    let own: &'static [&'static str] = if toml {
        &[
            "application/toml",
            "text/plain; charset=utf-8",
            "text/x-toml",
        ]
    } else {
        &["application/json"]
    };
    prop_oneof![
        2 => Just(None),
        12 => select(own).prop_map(|t| Some(t.to_owned())),
        2 => Just(Some("application/json".to_owned())),
        3 => select(&[
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/problem+json",
            "application/vnd.api+json",
            "application/toml",
            "text/plain; charset=utf-8",
            "text/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "",
            ";",
        ][..])
        .prop_map(|t| Some(t.to_owned())),
        1 => header_text(40).prop_map(Some),
    ]
    .boxed()
}

fn idempotency_key() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        1 => "[!-~]{1,255}".prop_map(Some),
        1 => header_text(300).prop_map(Some),
    ]
}

/// Strings random JSON is made of: anything, and words of the API (never a valid date or
/// time, so no random object can be a valid closure or booking).
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[ -~]{0,20}",
        1 => select(&[
            MADRID, HUELLAS, "", "null", "true", "0", "2027-02-30", "9999-99-99T99:99:99Z",
            "dni", "passport", "cancel",
        ][..])
        .prop_map(str::to_owned),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        json_string().prop_map(Value::String),
    ];
    let key = prop_oneof![
        2 => select(MEMBER_NAMES).prop_map(str::to_owned),
        1 => "[a-z_]{0,10}",
        1 => any::<String>(),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(key.clone(), inner, 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// JSON nested deeper than any parser should follow.
fn deep_json() -> impl Strategy<Value = Vec<u8>> {
    (
        1..5000usize,
        select(&["[", "{\"a\":", "[{\"citizen\":"][..]),
        any::<bool>(),
    )
        .prop_map(|(depth, open, closed)| {
            let mut text = open.repeat(depth);
            if closed {
                text.push_str("null");
                let close: String = open
                    .chars()
                    .rev()
                    .filter_map(|c| match c {
                        '[' => Some(']'),
                        '{' => Some('}'),
                        _ => None,
                    })
                    .collect();
                text.push_str(&close.repeat(depth));
            }
            text.into_bytes()
        })
}

fn body_strategy(profile: &Profile) -> BoxedStrategy<BodyCase> {
    let mut options: Vec<(u32, BoxedStrategy<BodyCase>)> = vec![
        (1, Just(BodyCase::Empty).boxed()),
        (
            2,
            vec(any::<u8>(), 0..512).prop_map(BodyCase::Bytes).boxed(),
        ),
        (3, json_value().prop_map(BodyCase::Json).boxed()),
        (1, deep_json().prop_map(BodyCase::Bytes).boxed()),
    ];
    if let Some(seed) = &profile.seed {
        options.push((8, mutated(seed.clone())));
        let text = serde_json::to_vec(&seed.body).unwrap();
        let cut = text.clone();
        options.push((
            1,
            any::<Index>()
                .prop_map(move |at| BodyCase::Broken(cut[..at.index(cut.len())].to_vec()))
                .boxed(),
        ));
        options.push((
            1,
            any::<Index>()
                .prop_map(move |at| {
                    let mut bytes = text.clone();
                    let i = at.index(bytes.len());
                    bytes[i] = 0xFF;
                    BodyCase::Broken(bytes)
                })
                .boxed(),
        ));
    }
    if profile.toml {
        options.push((6, toml_body()));
    }
    Union::new_weighted(options).boxed()
}

/// The demo configuration with a few bytes changed and an unknown key appended: invalid
/// whatever the changes did (a key in whatever table is open, or a syntax error inside an
/// unclosed string or array).
fn toml_body() -> BoxedStrategy<BodyCase> {
    let edit = (any::<Index>(), 0..32usize, vec(any::<u8>(), 0..8));
    vec(edit, 0..4)
        .prop_map(|edits| {
            let mut bytes = DEMO_CONFIG.as_bytes().to_vec();
            for (at, len, new) in edits {
                let start = at.index(bytes.len() + 1);
                let end = (start + len).min(bytes.len());
                bytes.splice(start..end, new);
            }
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            text.push_str("\nfuzz_unknown_key = 1\n");
            BodyCase::Toml(text)
        })
        .boxed()
}

fn mutated(seed: Seed) -> BoxedStrategy<BodyCase> {
    let members = seed.members();
    let mut kinds: Vec<(u32, BoxedStrategy<Mutation>)> = vec![
        (
            2,
            (any::<Index>(), json_value())
                .prop_map(|(i, v)| Mutation::Retype(i, v))
                .boxed(),
        ),
        (
            1,
            (
                any::<Index>(),
                prop_oneof!["[a-z_]{0,12}", any::<String>()]
                    .prop_filter("an unknown member", |k| !MEMBER_NAMES.contains(&k.as_str())),
                json_value(),
            )
                .prop_map(|(i, k, v)| Mutation::Unknown(i, k, v))
                .boxed(),
        ),
        (
            1,
            (any::<Index>(), any::<bool>())
                .prop_map(|(i, past)| Mutation::Huge(i, past))
                .boxed(),
        ),
    ];
    if !seed.required.is_empty() {
        kinds.push((1, any::<Index>().prop_map(Mutation::Drop).boxed()));
    }
    if !seed.odd().is_empty() {
        // Odd values pass the extractor and reach the use cases' own validation.
        kinds.push((
            8,
            (any::<Index>(), any::<Index>())
                .prop_map(|(i, j)| Mutation::Odd(i, j))
                .boxed(),
        ));
    }
    assert!(!members.is_empty());
    vec(Union::new_weighted(kinds), 1..=2)
        .prop_map(move |mutations| BodyCase::Mutated(mutate(&seed, &mutations), mutations))
        .boxed()
}

/// The JSON type of a value, for `Retype`.
fn kind(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

fn mutate(seed: &Seed, mutations: &[Mutation]) -> Value {
    let members = seed.members();
    let objects = seed.objects();
    let odd = seed.odd();
    let strings = seed.strings();
    let mut body = seed.body.clone();
    for mutation in mutations {
        match mutation {
            Mutation::Drop(i) => {
                let pointer = seed.required[i.index(seed.required.len())];
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                if let Some(Value::Object(map)) = body.pointer_mut(parent) {
                    map.remove(key);
                }
            }
            Mutation::Retype(i, value) => {
                let (pointer, required) = &members[i.index(members.len())];
                if let Some(current) = body.pointer_mut(pointer) {
                    let usable = kind(value) != kind(current) && (*required || !value.is_null());
                    *current = if usable {
                        value.clone()
                    } else if current.is_number() {
                        json!("7")
                    } else {
                        json!(7)
                    };
                }
            }
            Mutation::Unknown(i, key, value) => {
                if let Some(Value::Object(map)) = body.pointer_mut(&objects[i.index(objects.len())])
                {
                    map.insert(key.clone(), value.clone());
                }
            }
            Mutation::Odd(i, j) => {
                let (pointer, values) = &odd[i.index(odd.len())];
                if let Some(current) = body.pointer_mut(pointer) {
                    *current = values[j.index(values.len())].clone();
                }
            }
            Mutation::Huge(i, past_limit) => {
                if strings.is_empty() {
                    continue;
                }
                let pointer = &strings[i.index(strings.len())];
                if let Some(current) = body.pointer_mut(pointer) {
                    let len = if *past_limit { BODY_LIMIT + 1 } else { 100_000 };
                    *current = Value::String("7".repeat(len));
                }
            }
        }
    }
    body
}

// ---------------------------------------------------------------------------------------
// Sending

async fn send(app: &TestApp, world: &World, method: &Method, case: &Case) -> Answer {
    let admin = format!("Bearer {}", world.admin);
    let mut headers: Vec<(&str, &str)> = Vec::new();
    match &case.auth {
        Auth::None => {}
        Auth::Header(value) => headers.push(("authorization", value)),
        Auth::Admin => headers.push(("authorization", &admin)),
    }
    if let Some(content_type) = &case.content_type {
        headers.push(("content-type", content_type));
    }
    if let Some(key) = &case.idempotency_key {
        headers.push(("idempotency-key", key));
    }
    app.raw(method.clone(), &case.path, &headers, case.body.bytes())
        .await
}

/// Sends `case` and checks that it was refused with a problem.
async fn refused(
    app: &TestApp,
    world: &World,
    method: &Method,
    case: &Case,
) -> Result<(), TestCaseError> {
    let answer = send(app, world, method, case).await;
    prop_assert!(
        answer.status.is_client_error(),
        "answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    problem(&answer)
}

/// `answer` is an RFC 9457 problem with a `code` and its own status.
fn problem(answer: &Answer) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(&answer.body);
    prop_assert_eq!(
        answer.content_type(),
        "application/problem+json",
        "answered {}: {}",
        answer.status,
        text
    );
    let problem: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {text}")))?;
    prop_assert!(
        problem["code"].as_str().is_some_and(|c| !c.is_empty()),
        "no code: {}",
        problem
    );
    prop_assert_eq!(&problem["status"], &json!(answer.status.as_u16()));
    Ok(())
}
