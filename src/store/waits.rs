//! How long the writes of a request waited for their turn at the database: load
//! shedding sizes what it admits by it.

use std::time::Duration;

tokio::task_local! {
    /// How long the writes of the current request waited for their turn so far.
    static WAITED: std::cell::Cell<Option<Duration>>;
}

/// Runs `request`, adding up how long its writes waited for their turn at the database
/// (SQLite's write queue, a pool connection, an office's lock; over every retry): `None`
/// when it wrote nothing. Load shedding sizes what it admits by it.
pub async fn measure_waits<F: Future>(request: F) -> (F::Output, Option<Duration>) {
    WAITED
        .scope(std::cell::Cell::new(None), async {
            let output = request.await;
            (output, WAITED.with(std::cell::Cell::get))
        })
        .await
}

/// A write of the current request waited `waited` for its turn at the database (nothing
/// outside [`measure_waits`]).
pub fn record_wait(waited: Duration) {
    let _ = WAITED.try_with(|total| total.set(Some(total.get().unwrap_or_default() + waited)));
}

#[cfg(test)]
mod wait_tests {
    use std::time::Duration;

    use super::{measure_waits, record_wait};

    #[tokio::test]
    async fn waits_add_up_per_request_and_only_inside_one() {
        record_wait(Duration::from_millis(5)); // outside any request: ignored
        let ((), waited) = measure_waits(async {
            record_wait(Duration::from_millis(3));
            tokio::task::yield_now().await;
            record_wait(Duration::from_millis(4));
        })
        .await;
        assert_eq!(waited, Some(Duration::from_millis(7)));
        let ((), waited) = measure_waits(async {}).await;
        assert_eq!(waited, None, "a request that wrote nothing");
    }
}
