//! Sample appointments for `serve --demo`, so that a newcomer who signs in finds a day to
//! run: on each office's last open day before today (already past, so its citizens can
//! be checked in, served or marked as not having come) and on its next day with free
//! times. They are booked through the ordinary path — the past day by a copy of the
//! service whose clock stands at that day's midnight — with invented names and
//! documents. A day that already has appointments is left alone, so restarting the demo
//! adds nothing.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::calendar::{desk_open_intervals, local_date, local_to_utc};
use crate::clock::ManualClock;
use crate::domain::{Office, WallTime};

use super::{Actor, BookRequest, Booking, BookingError, CitizenInput};

/// Invented people (no real person's name or document).
const PEOPLE: &[&str] = &[
    "Lucía Ejemplo Martín",
    "Mohamed Prueba Alami",
    "Carmen Muestra Ruiz",
    "Ioana Demo Popescu",
    "José Ficticio Navarro",
    "Ana Modelo Castro",
];

/// How far to look for an open day, either way.
const SEARCH_DAYS: i64 = 14;

impl Booking {
    /// Books the sample appointments (see the module docs); how many were booked.
    pub async fn seed_demo_appointments(&self) -> Result<usize, BookingError> {
        let catalog = self.catalog();
        let today = |office: &Office| local_date(office.timezone, self.clock().now());
        let mut booked = 0;
        for (n, office) in catalog.offices().enumerate() {
            let first_person = n * PEOPLE.len() * 2;
            let past = (1..=SEARCH_DAYS)
                .map(|back| today(office) - Duration::days(back))
                .find(|day| is_open(office, *day));
            if let Some(day) = past {
                let midnight = local_to_utc(office.timezone, day, WallTime::MIDNIGHT);
                let then = Booking {
                    clock: Arc::new(ManualClock::new(midnight)),
                    caches: Arc::default(),
                    book_queue: Arc::default(),
                    closures: Arc::default(),
                    ..self.clone()
                };
                booked += then.seed_day(office, day, first_person).await?;
            }
            for ahead in 0..=SEARCH_DAYS {
                let day = today(office) + Duration::days(ahead);
                if is_open(office, day) {
                    let count = self
                        .seed_day(office, day, first_person + PEOPLE.len())
                        .await?;
                    if count > 0 {
                        booked += count;
                        break;
                    }
                }
            }
        }
        Ok(booked)
    }

    /// Books up to one appointment per invented person on `day`, every other free time
    /// of the office's first procedure; none when the day already has appointments.
    async fn seed_day(
        &self,
        office: &Office,
        day: NaiveDate,
        first_person: usize,
    ) -> Result<usize, BookingError> {
        let agenda = self.agenda(&office.id, day).await?;
        if agenda.desks.iter().any(|d| !d.appointments.is_empty()) {
            return Ok(0);
        }
        let Some(service) = office.services.first() else {
            return Ok(0);
        };
        let slots = self.slots(&office.id, &service.id, day).await?;
        let mut booked = 0;
        for ((i, name), slot) in PEOPLE.iter().enumerate().zip(slots.iter().step_by(2)) {
            let request = BookRequest {
                office_id: office.id.clone(),
                service_id: service.id.clone(),
                start: slot.start,
                hold_id: None,
                citizen: CitizenInput {
                    name: (*name).to_owned(),
                    document: demo_dni(first_person + i),
                    document_type: None,
                    email: None,
                    phone: None,
                    language: None,
                },
            };
            match self.book(&request, None, &Actor::System).await {
                Ok(_) => booked += 1,
                // Taken meanwhile, or this invented person already has one: skip it.
                Err(BookingError::SlotUnavailable | BookingError::CitizenLimitReached(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(booked)
    }
}

/// Whether any desk of `office` opens on `day` (hours, holidays and closed dates).
fn is_open(office: &Office, day: NaiveDate) -> bool {
    office
        .desks
        .iter()
        .any(|desk| !desk_open_intervals(office, desk, day).is_empty())
}

/// A well-formed DNI from a range no one is issued (starting 99), `n` apart.
fn demo_dni(n: usize) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let number = 99_000_000 + n;
    format!("{number:08}{}", LETTERS[number % 23] as char)
}

#[cfg(test)]
mod tests {
    use super::demo_dni;
    use crate::domain::Document;

    #[test]
    fn demo_documents_are_valid_dnis() {
        for n in 0..40 {
            assert!(
                Document::parse(&demo_dni(n), None).is_ok(),
                "{}",
                demo_dni(n)
            );
        }
    }
}
