use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Weekday};
use proptest::prelude::*;

use super::*;
use crate::domain::{
    DateException, Desk, DeskId, ExceptionHours, MonthDay, OfficeId, OpeningRule, Season, Service,
    ServiceId, WallTime, Weekdays,
};

fn no_files(path: &str) -> std::io::Result<String> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("no file {path} in this test"),
    ))
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, &no_files)
}

fn parse_with_files(text: &str, files: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::parse(text, &|path: &str| {
        files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not found"))
    })
}

fn problems(text: &str) -> Vec<ConfigProblem> {
    match parse(text) {
        Ok(_) => panic!("expected problems, the configuration was accepted:\n{text}"),
        Err(ConfigError::Invalid(problems)) => problems,
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// Asserts that `text` has exactly one problem, on `line`, whose message contains `fragment`.
#[track_caller]
fn assert_only(text: &str, line: usize, fragment: &str) {
    let found = problems(text);
    assert!(
        found.len() == 1 && found[0].line == line && found[0].message.contains(fragment),
        "expected only `line {line}: …{fragment}…`, got:\n{}",
        ConfigError::Invalid(found.clone())
    );
}

#[track_caller]
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the text");
    text.replacen(from, to, 1)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(text: &str) -> WallTime {
    WallTime::parse(text).unwrap()
}

/// A minimal valid configuration; tests replace one line at a time so line numbers hold.
const BASE: &str = r#"[[office]]
id = "o1"
name = "Office"
timezone = "Europe/Madrid"
address = "Somewhere 1"

  [[office.hours]]
  days = ["mon"]
  open = "09:00"
  close = "14:00"

  [[office.service]]
  id = "s1"
  name = "Service"
  duration_minutes = 15

  [[office.desk]]
  id = "d1"
  services = ["s1"]
"#;

/// DESIGN §7, verbatim apart from the comments.
const DESIGN_EXAMPLE: &str = r#"[[holiday_calendar]]
id = "es-national"
dates = ["2027-01-01", "2027-01-06"]      # or: ics = "holidays/es.ics"

[[office]]
id = "madrid-extranjeria"
name = "Oficina de Extranjería — Madrid"
timezone = "Europe/Madrid"
address = "Calle Ejemplo 1, Madrid"
holiday_calendars = ["es-national"]
closed_dates = ["2027-05-15"]

  [[office.hours]]
  days = ["mon", "tue", "wed", "thu", "fri"]
  open = "09:00"
  close = "14:00"

  [[office.hours]]                          # summer hours replace the above
  days = ["mon", "tue", "wed", "thu", "fri"]
  open = "08:00"
  close = "13:00"
  from = "07-01"
  to = "08-31"

  [[office.exception]]
  date = "2027-12-24"
  open = "09:00"
  close = "12:00"                           # or: closed = true

  [[office.service]]
  id = "huellas-tie"
  name = "Toma de huellas (TIE)"
  duration_minutes = 15

  [[office.desk]]
  id = "puesto-1"
  services = ["huellas-tie"]
  # [[office.desk.hours]] ... replaces the office hours for this desk
"#;

#[test]
fn base_is_valid() {
    let config = parse(BASE).unwrap();
    assert_eq!(config.offices.len(), 1);
    assert_eq!(config.booking, BookingSettings::default());
    assert_eq!(config.booking.hold_ttl_seconds, 300);
    assert_eq!(config.limits, crate::limits::LimitSettings::default());
}

#[test]
fn design_example_parses_to_domain_values_with_defaults() {
    let config = parse(DESIGN_EXAMPLE).unwrap();
    let weekdays: Weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .collect();
    assert_eq!(
        config.holiday_calendars,
        vec![HolidayCalendar {
            id: HolidayCalendarId::new("es-national"),
            dates: BTreeSet::from([d(2027, 1, 1), d(2027, 1, 6)]),
        }]
    );
    let expected = Office {
        id: OfficeId::new("madrid-extranjeria"),
        name: "Oficina de Extranjería — Madrid".to_owned(),
        timezone: chrono_tz::Europe::Madrid,
        address: "Calle Ejemplo 1, Madrid".to_owned(),
        municipality: None,
        province: None,
        holiday_calendars: vec![HolidayCalendarId::new("es-national")],
        holidays: BTreeSet::from([d(2027, 1, 1), d(2027, 1, 6)]),
        closed_dates: BTreeSet::from([d(2027, 5, 15)]),
        hours: vec![
            OpeningRule {
                days: weekdays,
                open: t("09:00"),
                close: t("14:00"),
                season: None,
            },
            OpeningRule {
                days: weekdays,
                open: t("08:00"),
                close: t("13:00"),
                season: Some(Season {
                    from: MonthDay::new(7, 1).unwrap(),
                    to: MonthDay::new(8, 31).unwrap(),
                }),
            },
        ],
        exceptions: vec![DateException {
            date: d(2027, 12, 24),
            hours: ExceptionHours::Open {
                open: t("09:00"),
                close: t("12:00"),
            },
        }],
        services: vec![Service::new("huellas-tie", "Toma de huellas (TIE)", 15)],
        desks: vec![Desk {
            id: DeskId::new("puesto-1"),
            services: BTreeSet::from([ServiceId::new("huellas-tie")]),
            hours: None,
        }],
    };
    assert_eq!(config.offices, vec![expected]);
    assert_eq!(config.booking.hold_ttl_seconds, 300);
}

#[test]
fn every_optional_field_is_read() {
    let text = r#"
[booking]
hold_ttl_seconds = 600

[limits]
browse = { per_minute = 30, burst = 10 }
max_writes_in_flight = 24

[[office]]
id = "o1"
name = "  Office  "
timezone = "Atlantic/Canary"
address = "Somewhere 1"
closed_dates = [2027-03-01, "2027-03-02"]

  [[office.exception]]
  date = 2027-12-31
  closed = true

  [[office.service]]
  id = "s1"
  name = "Service"
  duration_minutes = 30
  buffer_minutes = 5
  step_minutes = 10
  min_notice_minutes = 120
  max_advance_days = 366
  max_active_per_citizen = 2
  max_reschedules = 5

  [[office.desk]]
  id = "d1"
  services = ["s1"]

    [[office.desk.hours]]
    days = ["SAT", "sun"]
    open = "00:00"
    close = "24:00"
    from = "12-15"
    to = "01-15"
"#;
    let config = parse(text).unwrap();
    assert_eq!(config.booking.hold_ttl_seconds, 600);
    assert_eq!(
        config.limits.browse,
        crate::limits::Rate {
            per_minute: 30,
            burst: 10
        }
    );
    assert_eq!(config.limits.max_writes_in_flight, Some(24));
    let office = &config.offices[0];
    assert_eq!(office.name, "Office");
    assert_eq!(office.timezone, chrono_tz::Atlantic::Canary);
    assert_eq!(
        office.closed_dates,
        BTreeSet::from([d(2027, 3, 1), d(2027, 3, 2)])
    );
    assert_eq!(
        office.exceptions,
        vec![DateException {
            date: d(2027, 12, 31),
            hours: ExceptionHours::Closed
        }]
    );
    assert_eq!(
        office.services[0],
        Service {
            id: ServiceId::new("s1"),
            name: "Service".to_owned(),
            duration_minutes: 30,
            buffer_minutes: 5,
            step_minutes: 10,
            min_notice_minutes: 120,
            max_advance_days: 366,
            max_active_per_citizen: 2,
            max_reschedules: 5,
            releases: Vec::new(),
            pending_draws: Vec::new(),
            cancelled_return_minutes: None,
            no_show_cool_off_days: 0,
            max_cancellations: None,
            cancellations_window_days: 30,
            staff_share: None,
            description: None,
            requirements: Vec::new(),
        }
    );
    assert!(office.hours.is_empty());
    let rules = office.desks[0].hours.as_ref().unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].days.contains(Weekday::Sat) && rules[0].days.contains(Weekday::Sun));
    assert_eq!(
        (rules[0].open, rules[0].close),
        (WallTime::MIDNIGHT, WallTime::END_OF_DAY)
    );
}

#[test]
fn many_mistakes_are_all_reported_with_their_lines() {
    let text = r#"[booking]
hold_ttl_seconds = 5
colour = "red"

[[holiday_calendar]]
id = "es"
dates = ["2027-01-01", "2027-02-30"]

[[holiday_calendar]]
id = "es"
ics = "missing.ics"

[[office]]
id = "madrid"
name = ""
timezone = "Europe/Madird"
address = "Calle 1"
holiday_calendars = ["nope"]
closed_dates = ["2027-05-15"]

  [[office.hours]]
  days = []
  open = "9:00"
  close = "14:00"
  from = "07-01"

  [[office.hours]]
  days = ["mon", "monday"]
  open = "14:00"
  close = "09:00"

  [[office.exception]]
  date = "2027-05-15"
  closed = true

  [[office.exception]]
  date = "2027-12-24"

  [[office.service]]
  id = "huellas"
  name = "H"
  duration_minutes = 0
  buffer_minuts = 3
  max_active_per_citizen = 0

  [[office.service]]
  id = "huellas"
  name = "H2"
  duration_minutes = "15"

  [[office.service]]
  id = "nadie"
  name = "Nobody serves this"
  duration_minutes = 10

  [[office.desk]]
  id = "puesto-3"
  services = ["huellas", "asilo"]

  [[office.desk]]
  id = "puesto-3"
  services = []

[[office]]
id = "madrid"
name = "Second"
timezone = "Europe/Madrid"
address = "Calle 2"
"#;
    let expected: &[(usize, &str)] = &[
        (2, "hold_ttl_seconds must be between 30 and 3600, not 5"),
        (3, "unknown key \"colour\""),
        (7, "dates \"2027-02-30\" is not a date"),
        (10, "holiday calendar id \"es\" is already used on line 6"),
        (11, "cannot read \"missing.ics\""),
        (15, "office \"madrid\": name must not be empty"),
        (16, "unknown time zone \"Europe/Madird\""),
        (
            18,
            "office \"madrid\" names unknown holiday calendar \"nope\"",
        ),
        (22, "days is empty"),
        (23, "open \"9:00\" is not a time"),
        (25, "a season needs both from and to"),
        (28, "unknown weekday \"monday\""),
        (30, "close 09:00 must be later than open 14:00"),
        (33, "2027-05-15 is also in closed_dates (line 19)"),
        (
            36,
            "exception on 2027-12-24 needs open and close, or closed = true",
        ),
        (42, "duration_minutes must be between 1 and 1440, not 0"),
        (
            43,
            "unknown key \"buffer_minuts\" (did you mean \"buffer_minutes\"?)",
        ),
        (44, "max_active_per_citizen must be at least 1, not 0"),
        (47, "service id \"huellas\" is already used on line 40"),
        (49, "duration_minutes must be a whole number, not a string"),
        (52, "service \"nadie\" is not served by any desk"),
        (58, "desk \"puesto-3\" names unknown service \"asilo\""),
        (61, "desk id \"puesto-3\" is already used on line 57"),
        (62, "desk \"puesto-3\" serves no services"),
        (64, "office \"madrid\" has no desks"),
        (65, "office id \"madrid\" is already used on line 14"),
    ];
    let found = problems(text);
    let report = ConfigError::Invalid(found.clone()).to_string();
    for (line, fragment) in expected {
        assert!(
            found
                .iter()
                .any(|p| p.line == *line && p.message.contains(fragment)),
            "missing `line {line}: …{fragment}…` in:\n{report}"
        );
    }
    assert_eq!(
        found.len(),
        expected.len(),
        "unexpected extra problems:\n{report}"
    );
    assert!(
        found.windows(2).all(|w| w[0].line <= w[1].line),
        "sorted by line"
    );
}

#[test]
fn error_display_lists_one_problem_per_line() {
    let text = edit(
        &edit(BASE, "\"Europe/Madrid\"", "\"Mars/Olympus\""),
        "open = \"09:00\"",
        "open = \"9\"",
    );
    let err = parse(&text).unwrap_err();
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    assert!(lines[0].starts_with("line 4: "), "{shown}");
    assert!(lines[1].starts_with("line 9: "), "{shown}");
    assert_eq!(err.problems().len(), 2);
}

// --- syntax and shape ------------------------------------------------------------------

#[test]
fn toml_syntax_error_is_one_problem_at_its_line() {
    let text = edit(BASE, "name = \"Service\"", "name = \"Service");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 14);
    assert!(found[0].message.starts_with("invalid TOML"), "{found:?}");

    let text = format!("{BASE}\n[[office]\nid = \"x\"\n");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 21);

    // Redefining a key is a syntax error too.
    let text = edit(BASE, "address = \"Somewhere 1\"", "name = \"again\"");
    assert_eq!(problems(&text)[0].line, 5);
}

#[test]
fn wrong_types_are_reported_at_the_value_and_all_collected() {
    let text = edit(
        &edit(BASE, "duration_minutes = 15", "duration_minutes = 15.5"),
        "days = [\"mon\"]",
        "days = \"mon\"",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].line, 8);
    assert!(
        found[0]
            .message
            .contains("days must be a list, not a string")
    );
    assert_eq!(found[1].line, 15);
    assert!(
        found[1]
            .message
            .contains("duration_minutes must be a whole number")
    );

    assert_only(
        &edit(BASE, "services = [\"s1\"]", "services = [\"s1\", 2]"),
        19,
        "each entry of services must be a string, not a whole number",
    );
    assert_only(
        &edit(BASE, "[[office.desk]]", "[office.desk]"),
        17,
        "desk must be a list of tables ([[office.desk]])",
    );
    assert_only(
        "office = 3\n",
        1,
        "office must be a list of tables ([[office]])",
    );
    assert_only(
        "\n[office]\nid = \"o1\"\n",
        2,
        "office must be a list of tables",
    );
}

#[test]
fn unknown_keys_are_problems_everywhere_but_limits() {
    for (at, line_text, line) in [
        (
            "timezone = \"Europe/Madrid\"\n",
            "timezone = \"Europe/Madrid\"\nphone = \"1\"\n",
            5,
        ),
        (
            "  close = \"14:00\"\n",
            "  close = \"14:00\"\n  closes = \"15:00\"\n",
            11,
        ),
        (
            "  duration_minutes = 15\n",
            "  duration_minutes = 15\n  price = 3\n",
            16,
        ),
        (
            "  services = [\"s1\"]\n",
            "  services = [\"s1\"]\n  floor = 2\n",
            20,
        ),
    ] {
        let text = edit(BASE, at, line_text);
        assert_only(&text, line, "unknown key");
    }
    assert_only(
        &format!("version = 2\n{BASE}"),
        1,
        "unknown key \"version\"",
    );
    assert_only(
        &format!(
            "{BASE}\n    [[office.desk.hours]]\n    days = [\"mon\"]\n    open = \"09:00\"\n    close = \"10:00\"\n    when = 1\n"
        ),
        25,
        "desk \"d1\" opening hours: unknown key \"when\"",
    );
    assert_only(
        &format!("[[holiday_calendar]]\nid = \"h\"\ndates = []\nurl = \"x\"\n{BASE}"),
        4,
        "holiday calendar \"h\": unknown key \"url\"",
    );
    assert_only(
        &format!(
            "{BASE}\n  [[office.exception]]\n  date = \"2027-01-01\"\n  closed = true\n  reason = \"x\"\n"
        ),
        24,
        "unknown key \"reason\"",
    );
    assert_only(
        &format!("[booking]\nhold_ttl = 60\n{BASE}"),
        2,
        "[booking]: unknown key \"hold_ttl\" (did you mean \"hold_ttl_seconds\"?)",
    );
    // [limits] has its own schema (the surge-protection layer's), checked here too.
    let text = format!("[limits.book]\nper_minute = 5\nburst = 1\n\n{BASE}");
    let problems = parse(&text).unwrap_err().problems().to_vec();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.starts_with("[limits]"), "{problems:?}");
    assert_only(&format!("limits = 3\n{BASE}"), 1, "limits must be a table");
    assert_only(
        &format!("[limits]\nmax_writes_in_flight = 0\n\n{BASE}"),
        1,
        "[limits] max_writes_in_flight must be at least 1",
    );
}

#[test]
fn missing_required_keys_are_reported_at_the_table_header() {
    assert_only(
        &edit(BASE, "name = \"Office\"\n", "\n"),
        1,
        "office \"o1\" is missing name",
    );
    assert_only(
        &edit(BASE, "timezone = \"Europe/Madrid\"\n", "\n"),
        1,
        "missing timezone",
    );
    assert_only(
        &edit(BASE, "address = \"Somewhere 1\"\n", "\n"),
        1,
        "missing address",
    );
    assert_only(
        &edit(BASE, "id = \"o1\"\n", "\n"),
        1,
        "office is missing id",
    );
    assert_only(&edit(BASE, "  open = \"09:00\"\n", "\n"), 7, "missing open");
    assert_only(&edit(BASE, "  days = [\"mon\"]\n", "\n"), 7, "missing days");
    assert_only(
        &edit(BASE, "  duration_minutes = 15\n", "\n"),
        12,
        "missing duration_minutes",
    );
    assert_only(
        &edit(BASE, "  name = \"Service\"\n", "\n"),
        12,
        "missing name",
    );
    assert_only(
        &edit(BASE, "  services = [\"s1\"]\n", "\n"),
        17,
        "desk \"d1\" is missing services",
    );
}

// --- values ----------------------------------------------------------------------------

#[test]
fn unknown_time_zone() {
    assert_only(
        &edit(BASE, "\"Europe/Madrid\"", "\"Europe/Madird\""),
        4,
        "unknown time zone \"Europe/Madird\"",
    );
    assert_only(
        &edit(BASE, "\"Europe/Madrid\"", "\"atlantic/canary\""),
        4,
        "did you mean \"Atlantic/Canary\"?",
    );
    assert_only(
        &edit(BASE, "\"Europe/Madrid\"", "\"+02:00\""),
        4,
        "unknown time zone",
    );
}

#[test]
fn bad_wall_times() {
    for bad in ["9:00", "09:60", "24:01", "nine", "", "09:00:00"] {
        let text = edit(BASE, "open = \"09:00\"", &format!("open = \"{bad}\""));
        assert_only(&text, 9, "is not a time like \"09:00\"");
    }
    assert!(parse(&edit(BASE, "close = \"14:00\"", "close = \"24:00\"")).is_ok());
}

#[test]
fn close_must_be_after_open() {
    assert_only(
        &edit(BASE, "close = \"14:00\"", "close = \"08:00\""),
        10,
        "close 08:00 must be later than open 09:00",
    );
    assert_only(
        &edit(BASE, "close = \"14:00\"", "close = \"09:00\""),
        10,
        "must be later",
    );
}

#[test]
fn weekdays_must_be_known_and_not_empty() {
    assert_only(&edit(BASE, "[\"mon\"]", "[]"), 8, "days is empty");
    assert_only(
        &edit(BASE, "[\"mon\"]", "[\"mon\", \"lunes\"]"),
        8,
        "unknown weekday \"lunes\"",
    );
    assert!(parse(&edit(BASE, "[\"mon\"]", "[\"Mon\", \"FRI\"]")).is_ok());
}

#[test]
fn seasons_need_both_ends_and_valid_month_days() {
    let with = |lines: &str| {
        edit(
            BASE,
            "  close = \"14:00\"\n",
            &format!("  close = \"14:00\"\n{lines}"),
        )
    };
    assert_only(
        &with("  from = \"07-01\"\n"),
        11,
        "a season needs both from and to; from is given",
    );
    assert_only(
        &with("  to = \"08-31\"\n"),
        11,
        "to is given but from is not",
    );
    assert_only(
        &with("  from = \"7-1\"\n  to = \"08-31\"\n"),
        11,
        "from \"7-1\" is not a day of the year",
    );
    assert_only(
        &with("  from = \"07-01\"\n  to = \"02-30\"\n"),
        12,
        "to \"02-30\"",
    );
    let config = parse(&with("  from = \"12-15\"\n  to = \"01-15\"\n")).unwrap();
    assert!(config.offices[0].hours[0].season.is_some());
}

#[test]
fn bad_dates() {
    let with_closed = |dates: &str| {
        edit(
            BASE,
            "address = \"Somewhere 1\"\n",
            &format!("address = \"Somewhere 1\"\nclosed_dates = {dates}\n"),
        )
    };
    for bad in [
        "[\"2027-02-29\"]",
        "[\"27-01-01\"]",
        "[\"2027-1-1\"]",
        "[\"01/02/2027\"]",
        "[2027-01-01T10:00:00]",
    ] {
        assert_only(&with_closed(bad), 6, "is not a date like \"2027-01-06\"");
    }
    assert_only(
        &with_closed("\"2027-01-01\""),
        6,
        "closed_dates must be a list",
    );
    assert!(parse(&with_closed("[\"2028-02-29\", 2027-01-01]")).is_ok());
    let calendar = "[[holiday_calendar]]\nid = \"h\"\ndates = [\"2027-13-01\"]\n\n";
    assert_only(
        &format!("{calendar}{BASE}"),
        3,
        "holiday calendar \"h\": dates \"2027-13-01\"",
    );
}

#[test]
fn duplicate_ids() {
    // Offices, globally.
    let two = format!("{BASE}\n{BASE}");
    assert_only(&two, 22, "office id \"o1\" is already used on line 2");
    // Holiday calendars, globally.
    let cal = "[[holiday_calendar]]\nid = \"h\"\ndates = []\n";
    assert_only(
        &format!("{cal}{cal}{BASE}"),
        5,
        "holiday calendar id \"h\" is already used on line 2",
    );
    // Services within an office.
    let text = format!(
        "{BASE}\n  [[office.service]]\n  id = \"s1\"\n  name = \"Again\"\n  duration_minutes = 5\n"
    );
    assert_only(&text, 22, "service id \"s1\" is already used on line 13");
    // Desks within an office.
    let text = format!("{BASE}\n  [[office.desk]]\n  id = \"d1\"\n  services = [\"s1\"]\n");
    assert_only(&text, 22, "desk id \"d1\" is already used on line 18");
    // The same service and desk ids in two offices are fine.
    let other = BASE.replace("id = \"o1\"", "id = \"o2\"");
    assert!(parse(&format!("{BASE}\n{other}")).is_ok());
}

#[test]
fn exceptions() {
    let with = |lines: &str| format!("{BASE}{lines}");
    let ex =
        |date: &str, body: &str| format!("\n  [[office.exception]]\n  date = \"{date}\"\n{body}");
    let closed = "  closed = true\n";
    let open = "  open = \"10:00\"\n  close = \"12:00\"\n";
    // Duplicate dates.
    assert_only(
        &with(&(ex("2027-12-24", closed) + &ex("2027-12-24", open))),
        26,
        "there is already an exception on 2027-12-24 (line 22)",
    );
    // Both closed and hours, or neither.
    assert_only(
        &with(&ex("2027-12-24", &format!("{closed}{open}"))),
        21,
        "says closed = true and also gives open/close",
    );
    assert_only(
        &with(&ex("2027-12-24", "")),
        21,
        "needs open and close, or closed = true",
    );
    assert_only(
        &with(&ex("2027-12-24", "  closed = false\n")),
        21,
        "needs open and close",
    );
    assert_only(
        &with(&ex("2027-12-24", "  open = \"10:00\"\n")),
        21,
        "missing close",
    );
    assert_only(
        &with(&ex(
            "2027-12-24",
            "  open = \"12:00\"\n  close = \"10:00\"\n",
        )),
        24,
        "close 10:00 must be later than open 12:00",
    );
    assert_only(
        &with(&ex("2027-12-32", closed)),
        22,
        "date \"2027-12-32\" is not a date",
    );
    // On a closed_dates date.
    let text = edit(
        BASE,
        "address = \"Somewhere 1\"\n",
        "address = \"Somewhere 1\"\nclosed_dates = [\"2027-12-24\"]\n",
    ) + &ex("2027-12-24", open);
    assert_only(&text, 23, "2027-12-24 is also in closed_dates (line 6)");
    // An exception on a holiday is how an office opens on one: allowed.
    let text = format!(
        "[[holiday_calendar]]\nid = \"h\"\ndates = [\"2027-12-24\"]\n\n{}",
        BASE.replace(
            "address = \"Somewhere 1\"\n",
            "address = \"Somewhere 1\"\nholiday_calendars = [\"h\"]\n"
        )
    ) + &ex("2027-12-24", open);
    assert!(parse(&text).is_ok());
}

#[test]
fn holiday_calendar_references_and_sources() {
    let office = BASE.replace(
        "address = \"Somewhere 1\"\n",
        "address = \"Somewhere 1\"\nholiday_calendars = [\"es\", \"local\"]\n",
    );
    let es = "[[holiday_calendar]]\nid = \"es\"\ndates = [\"2027-01-01\"]\n";
    let local = "[[holiday_calendar]]\nid = \"local\"\ndates = [\"2027-05-15\", 2027-01-01]\n";
    let config = parse(&format!("{es}{local}{office}")).unwrap();
    assert_eq!(
        config.offices[0].holidays,
        BTreeSet::from([d(2027, 1, 1), d(2027, 5, 15)])
    );
    assert_eq!(config.offices[0].holiday_calendars.len(), 2);

    assert_only(
        &format!("{es}{office}"),
        9,
        "office \"o1\" names unknown holiday calendar \"local\"",
    );
    let both = "[[holiday_calendar]]\nid = \"x\"\ndates = []\nics = \"x.ics\"\n";
    assert_only(&format!("{both}{BASE}"), 1, "has both dates and ics");
    let neither = "[[holiday_calendar]]\nid = \"x\"\n";
    assert_only(&format!("{neither}{BASE}"), 1, "needs dates = [");
}

#[test]
fn ics_calendars_are_read_through_the_callback() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Reyes\r\nDTSTART;VALUE=DATE:20270106\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let office = BASE.replace(
        "address = \"Somewhere 1\"\n",
        "address = \"Somewhere 1\"\nholiday_calendars = [\"es\"]\n",
    );
    let text = format!("[[holiday_calendar]]\nid = \"es\"\nics = \"holidays/es.ics\"\n\n{office}");
    let config = parse_with_files(&text, &[("holidays/es.ics", ics)]).unwrap();
    assert_eq!(
        config.holiday_calendars[0].dates,
        BTreeSet::from([d(2027, 1, 6)])
    );
    assert_eq!(config.offices[0].holidays, BTreeSet::from([d(2027, 1, 6)]));

    // Unreadable: reported at the ics line, and the office's reference is not blamed too.
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 3);
    assert!(
        found[0].message.contains("cannot read \"holidays/es.ics\""),
        "{found:?}"
    );

    // Unparsable or refused content: also at the ics line.
    for bad in [
        "garbage",
        &ics.replace("VALUE=DATE:20270106", "TZID=Europe/Madrid:20270106T090000"),
    ] {
        let Err(ConfigError::Invalid(found)) = parse_with_files(&text, &[("holidays/es.ics", bad)])
        else {
            panic!("accepted {bad:?}");
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 3);
        assert!(
            found[0].message.contains("\"holidays/es.ics\" was refused"),
            "{found:?}"
        );
    }
}

#[test]
fn desks_must_name_known_services_and_serve_something() {
    assert_only(
        &edit(
            BASE,
            "services = [\"s1\"]",
            "services = [\"s1\", \"huellas\"]",
        ),
        19,
        "desk \"d1\" names unknown service \"huellas\"",
    );
    let text = edit(BASE, "services = [\"s1\"]", "services = []");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.line == 19 && p.message.contains("serves no services")),
        "{found:?}"
    );
    // With its only desk serving nothing, s1 is unserved as well.
    assert!(
        found
            .iter()
            .any(|p| p.line == 13 && p.message.contains("not served by any desk")),
        "{found:?}"
    );
}

#[test]
fn office_needs_desks_and_services_need_desks() {
    let no_desk = BASE.split("  [[office.desk]]").next().unwrap().to_owned();
    let found = problems(&no_desk);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 1);
    assert!(found[0].message.contains("office \"o1\" has no desks"));

    let text = format!(
        "{BASE}\n  [[office.service]]\n  id = \"s2\"\n  name = \"Other\"\n  duration_minutes = 5\n"
    );
    assert_only(&text, 22, "service \"s2\" is not served by any desk");
}

#[test]
fn office_without_hours_needs_desks_with_their_own() {
    let no_hours = BASE.replace(
        "  [[office.hours]]\n  days = [\"mon\"]\n  open = \"09:00\"\n  close = \"14:00\"\n",
        "",
    );
    assert_only(&no_hours, 1, "has no [[office.hours]], so desk \"d1\"");
    let desk_hours = format!(
        "{no_hours}\n    [[office.desk.hours]]\n    days = [\"mon\"]\n    open = \"09:00\"\n    close = \"10:00\"\n"
    );
    assert!(parse(&desk_hours).is_ok());
    let empty_desk_hours = format!("{BASE}  hours = []\n");
    assert_only(&empty_desk_hours, 20, "hours is an empty list");
}

#[test]
fn service_numbers_are_range_checked() {
    let set = |key: &str, value: &str| {
        edit(
            BASE,
            "  duration_minutes = 15\n",
            &format!("  duration_minutes = 15\n  {key} = {value}\n"),
        )
    };
    for bad in ["0", "1441", "-5"] {
        assert_only(
            &edit(
                BASE,
                "duration_minutes = 15",
                &format!("duration_minutes = {bad}"),
            ),
            15,
            "duration_minutes must be between 1 and 1440",
        );
        assert_only(
            &set("step_minutes", bad),
            16,
            "step_minutes must be between 1 and 1440",
        );
    }
    assert_only(
        &set("max_advance_days", "367"),
        16,
        "max_advance_days must be between 0 and 366, not 367",
    );
    assert_only(
        &set("max_active_per_citizen", "0"),
        16,
        "max_active_per_citizen must be at least 1, not 0",
    );
    assert_only(
        &set("cancelled_return_minutes", "1441"),
        16,
        "cancelled_return_minutes must be between 0 and 1440, not 1441",
    );
    assert_only(
        &set("max_cancellations", "0"),
        16,
        "max_cancellations must be at least 1, not 0",
    );
    assert_only(
        &set("no_show_cool_off_days", "400"),
        16,
        "no_show_cool_off_days must be between 0 and 366, not 400",
    );
    assert_only(
        &set("staff_share_percent", "0"),
        16,
        "staff_share_percent must be between 1 and 100, not 0",
    );
    assert_only(
        &set("staff_share_percent", "101"),
        16,
        "staff_share_percent must be between 1 and 100, not 101",
    );
    assert_only(
        &set("staff_share_until_hours", "24"),
        16,
        "staff_share_until_hours needs staff_share_percent",
    );
    assert_only(
        &set("staff_share_until_hours", "9000"),
        16,
        "staff_share_until_hours must be between 0 and 8784, not 9000",
    );
    let shared = parse(&set("staff_share_percent", "25")).unwrap();
    assert_eq!(
        shared.offices[0].services[0].staff_share,
        Some(crate::domain::StaffShare {
            percent: 25,
            until_hours: 48
        })
    );
    assert_only(
        &set("max_reschedules", "-1"),
        16,
        "max_reschedules must be at least 0, not -1",
    );
    assert_only(
        &set("buffer_minutes", "-1"),
        16,
        "buffer_minutes must be between 0 and 1440",
    );
    assert_only(&set("buffer_minutes", "1430"), 12, "longer than a day");
    assert_only(
        &set("min_notice_minutes", "99999999999999999999"),
        16,
        "min_notice_minutes is far too large",
    );
    let notice = |minutes: u32| {
        set(
            "max_advance_days",
            &format!("1\n  min_notice_minutes = {minutes}"),
        )
    };
    assert_only(
        &notice(2880),
        17,
        "min_notice_minutes 2880 reaches past max_advance_days 1",
    );
    assert!(parse(&notice(2879)).is_ok());
    assert!(parse(&set("max_advance_days", "0")).is_ok());
    assert!(parse(&set("step_minutes", "1440")).is_ok());
    let config = parse(&set("step_minutes", "5")).unwrap();
    assert_eq!(config.offices[0].services[0].step_minutes, 5);
    // step defaults to the duration.
    assert_eq!(parse(BASE).unwrap().offices[0].services[0].step_minutes, 15);
}

#[test]
fn ids_are_url_safe() {
    for bad in ["O1", "o 1", "", "ofícina", "o/1", &"a".repeat(65)] {
        assert_only(
            &edit(BASE, "id = \"o1\"", &format!("id = \"{bad}\"")),
            2,
            "office id",
        );
        assert_only(
            &edit(BASE, "id = \"d1\"", &format!("id = \"{bad}\"")),
            18,
            "desk id",
        );
    }
    let ok = "a-b_c-0123456789".repeat(4);
    assert_eq!(ok.len(), 64);
    assert!(parse(&edit(BASE, "id = \"o1\"", &format!("id = \"{ok}\""))).is_ok());
    // A service id that is not an id is reported once; desks naming it are not blamed again.
    let text = edit(BASE, "id = \"s1\"", "id = \"S1\"");
    assert_only(&text, 13, "service id \"S1\"");
}

#[test]
fn names_must_not_be_blank() {
    assert_only(
        &edit(BASE, "name = \"Office\"", "name = \"   \""),
        3,
        "office \"o1\": name must not be empty",
    );
    assert_only(
        &edit(BASE, "name = \"Service\"", "name = \"\""),
        14,
        "service \"s1\": name must not be empty",
    );
    assert_only(
        &edit(BASE, "address = \"Somewhere 1\"", "address = \"\""),
        5,
        "address must not be empty",
    );
}

#[test]
fn at_most_128_desks_per_office() {
    let with_desks = |n: usize| {
        let mut text = BASE.split("  [[office.desk]]").next().unwrap().to_owned();
        for i in 1..=n {
            text.push_str(&format!(
                "  [[office.desk]]\n  id = \"d{i}\"\n  services = [\"s1\"]\n"
            ));
        }
        text
    };
    assert_eq!(parse(&with_desks(128)).unwrap().offices[0].desks.len(), 128);
    // Desk 129 starts at line 17 + 128 * 3.
    assert_only(&with_desks(129), 17 + 128 * 3, "has more than 128 desks");
}

#[test]
fn per_citizen_limit_must_agree_across_offices() {
    let other = |limit: Option<u32>| {
        let mut office = BASE.replace("id = \"o1\"", "id = \"o2\"");
        if let Some(limit) = limit {
            office = office.replace(
                "  duration_minutes = 15\n",
                &format!("  duration_minutes = 15\n  max_active_per_citizen = {limit}\n"),
            );
        }
        format!("{BASE}\n{office}")
    };
    assert!(parse(&other(None)).is_ok());
    assert!(
        parse(&other(Some(1))).is_ok(),
        "an explicit 1 equals the default"
    );
    assert_only(
        &other(Some(2)),
        36,
        "service \"s1\" allows 2 active appointment(s) per citizen here but 1 in office \"o1\" (line 13)",
    );
}

#[test]
fn booking_hold_ttl() {
    let with = |v: &str| format!("[booking]\nhold_ttl_seconds = {v}\n\n{BASE}");
    assert_eq!(parse(&with("30")).unwrap().booking.hold_ttl_seconds, 30);
    assert_eq!(parse(&with("3600")).unwrap().booking.hold_ttl_seconds, 3600);
    assert_only(&with("29"), 2, "between 30 and 3600");
    assert_only(&with("3601"), 2, "between 30 and 3600");
    assert_only(&with("\"5m\""), 2, "must be a whole number");
    assert_eq!(
        parse(&format!("[booking]\n{BASE}")).unwrap().booking,
        BookingSettings::default()
    );
}

#[test]
fn booking_reminder_hours() {
    let with = |v: &str| format!("[booking]\nreminder_hours = {v}\n\n{BASE}");
    assert_eq!(parse(BASE).unwrap().booking.reminder_hours, [24, 2]);
    // Longest first, whatever the order written.
    assert_eq!(
        parse(&with("[1, 48]")).unwrap().booking.reminder_hours,
        [48, 1]
    );
    assert!(
        parse(&with("[]"))
            .unwrap()
            .booking
            .reminder_hours
            .is_empty()
    );
    assert_only(&with("[0]"), 2, "between 1 and 168, not 0");
    assert_only(&with("[169]"), 2, "between 1 and 168, not 169");
    assert_only(&with("[-3]"), 2, "between 1 and 168, not -3");
    assert_only(&with("[24, 24]"), 2, "lists 24 twice");
    assert_only(&with("[1, 2, 3, 4, 5]"), 2, "at most 4 reminders");
    assert_only(&with("[\"24h\"]"), 2, "must be a whole number");
    assert_only(&with("24"), 2, "must be a list");
}

#[test]
fn a_configuration_needs_offices() {
    assert_only("", 1, "defines no offices");
    assert_only(
        "[booking]\nhold_ttl_seconds = 60\n",
        1,
        "defines no offices",
    );
}

#[test]
fn problem_lines_count_crlf_files_correctly() {
    let text = edit(BASE, "\"Europe/Madrid\"", "\"Nowhere\"").replace('\n', "\r\n");
    assert_only(&text, 4, "unknown time zone");
}

#[test]
fn load_resolves_ics_paths_next_to_the_file() {
    let dir = std::env::temp_dir().join(format!("cita-config-load-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("holidays")).unwrap();
    let ics = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:1\nSUMMARY:X\nDTSTART;VALUE=DATE:20270101\nEND:VEVENT\nEND:VCALENDAR\n";
    std::fs::write(dir.join("holidays/es.ics"), ics).unwrap();
    let text = format!("[[holiday_calendar]]\nid = \"es\"\nics = \"holidays/es.ics\"\n\n{BASE}");
    std::fs::write(dir.join("cita.toml"), text).unwrap();
    let config = Config::load(&dir.join("cita.toml"));
    let missing = Config::load(&dir.join("absent.toml"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        config.unwrap().holiday_calendars[0].dates,
        BTreeSet::from([d(2027, 1, 1)])
    );
    let err = missing.unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }));
    assert!(err.to_string().contains("absent.toml"), "{err}");
}

// --- robustness ------------------------------------------------------------------------

#[track_caller]
fn check_never_panics(text: &str) -> Result<(), TestCaseError> {
    let files = |_: &str| Ok("BEGIN:VCALENDAR\nEND:VCALENDAR\n".to_owned());
    if let Err(err) = Config::parse(text, &files) {
        let ConfigError::Invalid(found) = err else {
            return Err(TestCaseError::fail("parse returned an I/O error"));
        };
        prop_assert!(!found.is_empty());
        let max_line = text.lines().count() + 1;
        for problem in &found {
            prop_assert!(
                (1..=max_line).contains(&problem.line),
                "line {} outside 1..={max_line}: {}",
                problem.line,
                problem.message
            );
            prop_assert!(!problem.message.is_empty());
            prop_assert!(!problem.message.contains('\n'));
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapChars(usize, usize),
    Insert(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapChars(a, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                '"', '[', ']', '=', '\n', '#', '0', 'x', '-', ':', ' ', '{', 'é'
            ])
        )
            .prop_map(|(a, c)| Mutation::Insert(a, c)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::DeleteLine(i) | Mutation::DuplicateLine(i) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return String::new();
            }
            let i = i % lines.len();
            if matches!(m, Mutation::DeleteLine(_)) {
                lines.remove(i);
            } else {
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
        Mutation::SwapChars(a, b) => {
            let mut chars: Vec<char> = text.chars().collect();
            if !chars.is_empty() {
                let (a, b) = (a % chars.len(), b % chars.len());
                chars.swap(a, b);
            }
            chars.into_iter().collect()
        }
        Mutation::Insert(at, c) => {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() + 1);
            chars.insert(at, c);
            chars.into_iter().collect()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        check_never_panics(&text)?;
    }

    #[test]
    fn toml_like_text_never_panics(text in "[\\[\\]a-z_\\.= \"0-9:\\-\n]{0,300}") {
        check_never_panics(&text)?;
    }

    #[test]
    fn mutated_configurations_never_panic(
        mutations in prop::collection::vec(mutation(), 1..8),
        base in prop::sample::select(vec![BASE, DESIGN_EXAMPLE]),
    ) {
        let mut text = base.to_owned();
        for m in &mutations {
            text = apply(&text, m);
        }
        check_never_panics(&text)?;
    }
}

/// BASE with one release of `s1` (its lines are 21 to 25).
fn with_release(service: &str, at: &str, days: &str, opens: &str) -> String {
    format!(
        "{BASE}\n  [[office.release]]\n  service = \"{service}\"\n  at = \"{at}\"\n  days = {days}\n  opens = \"{opens}\"\n"
    )
}

#[test]
fn releases_attach_to_their_service() {
    let config = parse(&with_release(
        "s1",
        "09:30",
        r#"["mon", "thu"]"#,
        "D+7..D+9",
    ))
    .unwrap();
    let service = &config.offices[0].services[0];
    assert_eq!(service.max_reschedules, 2);
    assert_eq!(
        service.releases,
        vec![crate::domain::Release {
            days: Weekdays::empty().with(Weekday::Mon).with(Weekday::Thu),
            at: WallTime::parse("09:30").unwrap(),
            first: 7,
            last: 9,
            draw: None,
            room: None,
        }]
    );
    assert!(
        parse(BASE).unwrap().offices[0].services[0]
            .releases
            .is_empty()
    );
}

#[test]
fn bad_releases_are_reported_where_they_are() {
    assert_only(
        &with_release("s9", "09:00", r#"["mon"]"#, "D+7..D+9"),
        22,
        "service \"s9\" is not a service of this office",
    );
    assert_only(
        &with_release("s1", "9h", r#"["mon"]"#, "D+7..D+9"),
        23,
        "at \"9h\" is not a time",
    );
    assert_only(
        &with_release("s1", "09:00", r#"["lunes"]"#, "D+7..D+9"),
        24,
        "unknown weekday \"lunes\"",
    );
    assert_only(
        &with_release("s1", "09:00", "[]", "D+7..D+9"),
        24,
        "days is empty",
    );
    assert_only(
        &with_release("s1", "09:00", r#"["mon"]"#, "D+9..D+7"),
        25,
        "is not a range of days after the release",
    );
    // The service books 60 days ahead (the default): D+61 could never be booked.
    assert_only(
        &with_release("s1", "09:00", r#"["mon"]"#, "D+55..D+61"),
        25,
        "past the service's max_advance_days (60)",
    );
    assert_only(
        &edit(
            &with_release("s1", "09:00", r#"["mon"]"#, "D+7..D+9"),
            "  opens = \"D+7..D+9\"\n",
            "  opens = \"D+7..D+9\"\n  when = \"always\"\n",
        ),
        26,
        "when",
    );
    assert_only(
        &edit(
            &with_release("s1", "09:00", r#"["mon"]"#, "D+7..D+9"),
            "  at = \"09:00\"\n",
            "",
        ),
        21,
        "is missing at",
    );
}
