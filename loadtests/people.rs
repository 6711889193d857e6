//! Simulated people: their documents, their addresses, and the dates they ask for.

use std::net::Ipv4Addr;

use anyhow::Context;
use chrono::NaiveDate;
use cita::clock::{Clock, SystemClock};
use serde::{Deserialize, Serialize};

use crate::client::{Http, Sent};

/// The address the generator's own set-up requests come from.
pub const SETUP_CLIENT: Ipv4Addr = Ipv4Addr::new(10, 255, 255, 254);

/// A valid DNI for `n` (< 10^8): eight digits and the check letter.
pub fn dni(n: u32) -> String {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let n = n % 100_000_000;
    format!("{n:08}{}", LETTERS[(n % 23) as usize] as char)
}

/// The `n`-th distinct client address, `10.0.0.1` upwards (16 million of them), never
/// [`SETUP_CLIENT`]. Only ever sent in `X-Forwarded-For`: traffic goes to 127.0.0.1.
pub fn client(n: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0A00_0001 + n % 0x00FF_FFF0)
}

/// Today's date in Madrid (the demo offices' zone; Las Palmas is one hour behind).
pub fn today() -> NaiveDate {
    SystemClock
        .now()
        .with_timezone(&chrono_tz::Europe::Madrid)
        .date_naive()
}

#[derive(Debug, Deserialize)]
pub struct DaysBody {
    pub days: Vec<Day>,
}

#[derive(Debug, Deserialize)]
pub struct Day {
    pub date: NaiveDate,
    pub slots: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SlotsBody {
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Slot {
    pub start: String,
    pub capacity: u32,
}

#[derive(Debug, Serialize)]
pub struct HoldRequest<'a> {
    pub office_id: &'a str,
    pub service_id: &'a str,
    pub start: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct HoldCreated {
    pub hold_id: String,
}

#[derive(Debug, Serialize)]
pub struct BookRequest<'a> {
    pub office_id: &'a str,
    pub service_id: &'a str,
    pub start: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<&'a str>,
    pub citizen: Citizen,
}

#[derive(Debug, Serialize)]
pub struct Citizen {
    pub name: String,
    pub document: String,
}

impl Citizen {
    pub fn numbered(n: u32) -> Citizen {
        Citizen {
            name: format!("Persona {n}"),
            document: dni(n),
        }
    }
}

pub fn days_path(office: &str, service: &str, from: NaiveDate, to: NaiveDate) -> String {
    format!("/api/v1/offices/{office}/services/{service}/days?from={from}&to={to}")
}

pub fn slots_path(office: &str, service: &str, date: NaiveDate) -> String {
    format!("/api/v1/offices/{office}/services/{service}/slots?date={date}")
}

/// The dates in `[from, to]` with at least one bookable start, as the server says.
pub async fn open_dates(
    http: &Http,
    office: &str,
    service: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<(NaiveDate, u32)>> {
    let sent = http
        .get(&days_path(office, service, from, to), SETUP_CLIENT)
        .await;
    let Sent::Reply(reply) = sent else {
        anyhow::bail!("GET /days failed: {}", sent.outcome());
    };
    let body: DaysBody = reply.json().context("reading /days")?;
    Ok(body
        .days
        .into_iter()
        .filter(|d| d.slots > 0)
        .map(|d| (d.date, d.slots))
        .collect())
}

/// The bookable starts of one date (set-up traffic, from address `from`).
pub async fn slots_of(
    http: &Http,
    office: &str,
    service: &str,
    date: NaiveDate,
    from: Ipv4Addr,
) -> anyhow::Result<Vec<Slot>> {
    let sent = http.get(&slots_path(office, service, date), from).await;
    let Sent::Reply(reply) = sent else {
        anyhow::bail!("GET /slots failed: {}", sent.outcome());
    };
    let body: SlotsBody = reply.json().context("reading /slots")?;
    Ok(body.slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dni_letters_follow_the_rule() {
        assert_eq!(dni(12_345_678), "12345678Z");
        assert_eq!(dni(0), "00000000T");
        assert_eq!(dni(1), "00000001R");
    }

    #[test]
    fn client_addresses_are_distinct_and_in_ten_slash_eight() {
        assert_eq!(client(0), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(client(256), Ipv4Addr::new(10, 0, 1, 1));
        assert_ne!(client(70_000), client(70_001));
        assert_ne!(client(0x00FF_FFEF), SETUP_CLIENT);
    }
}
