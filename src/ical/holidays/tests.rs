use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn calendar(events: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{events}END:VCALENDAR\n")
}

fn event(body: &str) -> String {
    format!("BEGIN:VEVENT\nUID:x@test\n{body}END:VEVENT\n")
}

#[test]
fn single_all_day_event_is_one_date() {
    let text = calendar(&event(
        "SUMMARY:Año Nuevo\nDTSTART;VALUE=DATE:20270101\nDTEND;VALUE=DATE:20270102\n",
    ));
    assert_eq!(
        holiday_dates_from_ics(&text).unwrap(),
        BTreeSet::from([d(2027, 1, 1)])
    );
}

#[test]
fn multi_day_event_expands_with_exclusive_end() {
    let text = calendar(&event(
        "SUMMARY:Navidad\nDTSTART;VALUE=DATE:20271224\nDTEND;VALUE=DATE:20280102\n",
    ));
    let dates = holiday_dates_from_ics(&text).unwrap();
    assert_eq!(dates.len(), 9);
    assert_eq!(dates.first(), Some(&d(2027, 12, 24)));
    assert_eq!(dates.last(), Some(&d(2028, 1, 1)));
    assert!(!dates.contains(&d(2028, 1, 2)));
}

#[test]
fn missing_dtend_is_one_day_and_duration_counts_days() {
    let text = calendar(&format!(
        "{}{}",
        event("SUMMARY:Reyes\nDTSTART;VALUE=DATE:20270106\n"),
        event("SUMMARY:Semana\nDTSTART;VALUE=DATE:20270322\nDURATION:P2D\n"),
    ));
    assert_eq!(
        holiday_dates_from_ics(&text).unwrap(),
        BTreeSet::from([d(2027, 1, 6), d(2027, 3, 22), d(2027, 3, 23)])
    );
}

#[test]
fn end_equal_to_start_still_closes_that_day() {
    let text = calendar(&event(
        "SUMMARY:Fiesta\nDTSTART;VALUE=DATE:20270501\nDTEND;VALUE=DATE:20270501\n",
    ));
    assert_eq!(
        holiday_dates_from_ics(&text).unwrap(),
        BTreeSet::from([d(2027, 5, 1)])
    );
}

#[test]
fn crlf_and_folded_lines_are_read() {
    let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n\
                    UID:fold@test\r\nSUMMARY:Fiesta Nacional de Espa\r\n ña con un resumen muy\r\n  largo\r\n\
                    DTSTART;VALUE=DATE:2027\r\n 1012\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert_eq!(
        holiday_dates_from_ics(text).unwrap(),
        BTreeSet::from([d(2027, 10, 12)])
    );
}

#[test]
fn yearly_events_repeat_on_their_date() {
    let text = calendar(&format!(
        "{}{}{}{}",
        event("SUMMARY:Año Nuevo\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\n"),
        event(
            "SUMMARY:Navidad\nDTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261226\n\
                 RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25;COUNT=3\nEXDATE;VALUE=DATE:20271225\n"
        ),
        event(
            "SUMMARY:Fiesta\nDTSTART;VALUE=DATE:20260301\nDTEND;VALUE=DATE:20260303\n\
                 RRULE:FREQ=YEARLY;INTERVAL=2;UNTIL=20301231T000000Z\n"
        ),
        event("SUMMARY:Bisiesto\nDTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY;COUNT=3\n"),
    ));
    let dates = holiday_dates_from_ics(&text).unwrap();
    for year in [2026, 2027, 2050, 2126] {
        assert!(dates.contains(&d(year, 1, 1)), "{year}");
    }
    assert!(!dates.contains(&d(2127, 1, 1)), "past the horizon");
    assert!(dates.contains(&d(2026, 12, 25)) && dates.contains(&d(2028, 12, 25)));
    assert!(!dates.contains(&d(2027, 12, 25)), "EXDATE");
    assert!(
        !dates.contains(&d(2029, 12, 25)),
        "COUNT=3 with one excluded"
    );
    for (year, closed) in [
        (2026, true),
        (2027, false),
        (2028, true),
        (2030, true),
        (2032, false),
    ] {
        assert_eq!(dates.contains(&d(year, 3, 1)), closed, "{year}");
        assert_eq!(dates.contains(&d(year, 3, 2)), closed, "{year}");
    }
    // 29 February in leap years only; COUNT counts the occurrences there are.
    assert!(dates.contains(&d(2024, 2, 29)) && dates.contains(&d(2028, 2, 29)));
    assert!(dates.contains(&d(2032, 2, 29)) && !dates.contains(&d(2036, 2, 29)));
}

#[test]
fn other_recurrences_are_refused_by_summary() {
    for rule in [
        "RRULE:FREQ=WEEKLY",
        "RRULE:FREQ=YEARLY;BYDAY=1MO",
        "RRULE:FREQ=YEARLY;BYMONTH=5",
        "RRULE:FREQ=YEARLY;COUNT=0",
        "RRULE:garbage",
        "RDATE;VALUE=DATE:20270102",
    ] {
        let text = calendar(&event(&format!(
            "SUMMARY:Raro\nDTSTART;VALUE=DATE:20270101\n{rule}\n"
        )));
        let err = holiday_dates_from_ics(&text).unwrap_err();
        assert!(
            matches!(
                &err,
                IcsHolidayError::Event {
                    problem: IcsEventProblem::Recurring(_),
                    ..
                }
            ),
            "{rule}: {err}"
        );
    }
}

#[test]
fn recurring_event_is_refused_by_summary() {
    let text = calendar(&event(
        "SUMMARY:Año Nuevo\nDTSTART;VALUE=DATE:20270101\nRRULE:FREQ=MONTHLY\n",
    ));
    let err = holiday_dates_from_ics(&text).unwrap_err();
    assert!(matches!(
        &err,
        IcsHolidayError::Event { summary, problem: IcsEventProblem::Recurring(_) }
            if summary == "Año Nuevo"
    ));
    assert!(err.to_string().contains("Año Nuevo"), "{err}");
}

#[test]
fn timed_event_is_refused() {
    for start in [
        "DTSTART:20270101T090000Z",
        "DTSTART;TZID=Europe/Madrid:20270101T090000",
        "DTSTART;VALUE=DATE-TIME:20270101",
    ] {
        let text = calendar(&event(&format!("SUMMARY:Reunión\n{start}\n")));
        let err = holiday_dates_from_ics(&text).unwrap_err();
        assert!(
            matches!(
                &err,
                IcsHolidayError::Event {
                    problem: IcsEventProblem::Timed { .. },
                    ..
                }
            ),
            "{start}: {err}"
        );
    }
    let text = calendar(&event(
        "SUMMARY:Mixed\nDTSTART;VALUE=DATE:20270101\nDTEND:20270101T120000\n",
    ));
    assert!(holiday_dates_from_ics(&text).is_err());
}

#[test]
fn unreadable_dates_and_ranges_are_refused() {
    let cases = [
        "SUMMARY:A\nDTSTART;VALUE=DATE:20270230\n",
        "SUMMARY:B\nDTSTART;VALUE=DATE:2027-01-01\n",
        "SUMMARY:C\n",
        "SUMMARY:D\nDTSTART;VALUE=DATE:20270105\nDTEND;VALUE=DATE:20270101\n",
        "SUMMARY:E\nDTSTART;VALUE=DATE:20270101\nDTEND;VALUE=DATE:20290101\n",
        "SUMMARY:F\nDTSTART;VALUE=DATE:20270101\nDURATION:PT1H\n",
        "SUMMARY:G\nDTSTART;VALUE=DATE:20270101\nDURATION:P99999999999999999999D\n",
    ];
    for body in cases {
        let text = calendar(&event(body));
        assert!(
            matches!(
                holiday_dates_from_ics(&text),
                Err(IcsHolidayError::Event { .. })
            ),
            "{body}"
        );
    }
}

#[test]
fn cancelled_events_are_not_holidays() {
    let text = calendar(&event(
        "SUMMARY:Anulado\nSTATUS:CANCELLED\nDTSTART:20270101T090000Z\nRRULE:FREQ=DAILY\n",
    ));
    assert_eq!(holiday_dates_from_ics(&text).unwrap(), BTreeSet::new());
}

#[test]
fn event_without_summary_is_named_by_uid() {
    let text = calendar(&event("DTSTART;VALUE=DATE:2027\n"));
    let err = holiday_dates_from_ics(&text).unwrap_err().to_string();
    assert!(err.contains("x@test"), "{err}");
}

#[test]
fn garbage_is_refused() {
    for text in [
        "",
        "hello world",
        "BEGIN:VEVENT\nEND:VEVENT\n",
        "BEGIN:VCALENDAR\nEND:VEVENT\n",
        "\u{0}\u{1}BEGIN:",
    ] {
        assert!(holiday_dates_from_ics(text).is_err(), "{text:?}");
    }
    let err = holiday_dates_from_ics("BEGIN:VCALENDAR\nnot a property\nEND:VCALENDAR\n")
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn deeply_nested_components_are_refused_without_overflowing() {
    let n = 100_000;
    let text = format!(
        "BEGIN:VCALENDAR\n{}{}END:VCALENDAR\n",
        "BEGIN:X\n".repeat(n),
        "end:X\n".repeat(n)
    );
    assert!(matches!(
        holiday_dates_from_ics(&text),
        Err(IcsHolidayError::Syntax(_))
    ));
    let alarm = "BEGIN:VEVENT\nUID:a\nSUMMARY:A\nDTSTART;VALUE=DATE:20270101\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT1H\nEND:VALARM\nEND:VEVENT\n";
    assert_eq!(holiday_dates_from_ics(&calendar(alarm)).unwrap().len(), 1);
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = holiday_dates_from_ics(&text);
    }

    #[test]
    fn never_panics_on_mangled_calendars(cut in 0usize..400, insert in "[A-Z:;=\\r\\n 0-9]{0,12}") {
        let base = calendar(&event("SUMMARY:X\nDTSTART;VALUE=DATE:20270101\nDTEND;VALUE=DATE:20270103\n"));
        let cut = cut.min(base.len());
        let mut text = base.clone();
        if text.is_char_boundary(cut) {
            text.insert_str(cut, &insert);
        }
        let _ = holiday_dates_from_ics(&text);
        let _ = holiday_dates_from_ics(&base[..cut]);
    }
}
