//! Cancelled times are not a resale channel. A reseller hands a time over by cancelling
//! it (or moving away from it) at an agreed instant while the buyer rebooks it; so a time
//! a citizen cancels or leaves, for a procedure whose appointments are scarce, returns to
//! sale only after a random delay
//! (uniform, from the operating system's CSPRNG through `rand`'s thread generator), not
//! at an instant the reseller knows. Until then a hold that no booking can use keeps it.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::domain::{Appointment, Service};
use crate::store::{HoldRecord, Records, StoreError};

use super::secrets::random_id;

/// The document key of a held-back time's hold: never a document's digest (those are
/// hex), so no booking may use the hold ([`super::hold::hold_serves`]).
const NOBODY: &str = "held-back";

/// Keeps the time `appointment` had (just cancelled or moved by its citizen) off sale for
/// a random while of up to the service's `cancelled_return_minutes`, and says how long;
/// nothing when no delay is configured or the time has passed.
pub(crate) async fn hold_back(
    conn: &mut dyn Records,
    appointment: &Appointment,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, StoreError> {
    let most = i64::from(service.cancelled_return_minutes()) * 60;
    if most == 0 || appointment.start <= now {
        return Ok(None);
    }
    let delay = random_delay(most);
    conn.insert_hold(&HoldRecord {
        id: random_id(),
        office_id: appointment.office_id.to_string(),
        service_id: appointment.service_id.to_string(),
        desk_id: appointment.desk_id.to_string(),
        start_at: appointment.start.timestamp(),
        occupied_until: appointment.occupied_until.timestamp(),
        expires_at: (now + delay).timestamp(),
        created_at: now.timestamp(),
        client_key: None,
        document_key: Some(NOBODY.to_owned()),
    })
    .await?;
    Ok(Some(delay))
}

/// A whole number of seconds from 1 to `most` (at least 1), each equally likely.
fn random_delay(most: i64) -> Duration {
    Duration::seconds(rand::rng().random_range(1..=most.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_spread_over_the_whole_range() {
        let most = 20 * 60;
        let draws: Vec<i64> = (0..2000)
            .map(|_| random_delay(most).num_seconds())
            .collect();
        assert!(draws.iter().all(|&s| (1..=most).contains(&s)));
        // Uniform: each quarter of the range gets about 500 of 2000 draws (the chance
        // of any quarter falling under 350 is below one in a billion).
        for quarter in 0..4 {
            let (low, high) = (quarter * most / 4, (quarter + 1) * most / 4);
            let n = draws.iter().filter(|&&s| s > low && s <= high).count();
            assert!(n > 350, "quarter {quarter}: {n} of 2000");
        }
        assert_eq!(random_delay(0).num_seconds(), 1);
    }
}
