//! PostgreSQL: writers serialize on row locks (a citizen's, then an office's), so
//! instances on several machines share one database. A batch of bookings takes two round
//! trips ([`pipeline`]) on a connection the booking worker keeps between batches, and
//! commits asynchronously: its answers wait until a later synchronous commit has flushed
//! the log past it ([`flush`]).

mod flush;
mod json;
mod pipeline;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use sqlx::AnyPool;

use super::options::{StoreOptions, open_pool};
use super::sql::{self, Sql};
use super::{
    BookingBegin, BookingLocks, BookingTx, ConnectionSlot, Database, Records, StoreError, WriteTx,
    record_wait,
};

/// A PostgreSQL database.
#[derive(Debug)]
pub(super) struct Postgres {
    pool: AnyPool,
    flusher: Arc<flush::Flusher>,
}

impl Postgres {
    pub(super) async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        Ok(Postgres {
            pool: open_pool(url, options, None).await?,
            flusher: Arc::default(),
        })
    }
}

#[async_trait]
impl Database for Postgres {
    async fn migrate(&self) -> Result<(), StoreError> {
        sql::migrate(&sqlx::migrate!("migrations/postgres"), &self.pool).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sql::ping(&self.pool).await
    }

    async fn read(&self) -> Result<Box<dyn Records>, StoreError> {
        sql::read(&self.pool).await
    }

    async fn begin_write(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        let asked = Instant::now();
        let tx = self.pool.begin().await?;
        record_wait(asked.elapsed());
        // Its locks are taken statement by statement.
        Ok(Box::new(Sql::new(tx)))
    }

    /// On the worker's held connection if it has one (no trip through the pool, whose
    /// health check on every checkout costs a round trip of its own).
    async fn begin_booking(
        &self,
        held: &ConnectionSlot,
        begin: &BookingBegin<'_>,
    ) -> Result<(Box<dyn BookingTx>, BookingLocks), StoreError> {
        let asked = Instant::now();
        let conn = match held.take() {
            Some(held) => held.0,
            None => self.pool.acquire().await?,
        };
        let begun = pipeline::begin(conn, begin).await;
        // Behind other writes of these offices and citizens (another instance's too).
        record_wait(asked.elapsed());
        let (tx, read) = begun?;
        Ok((Box::new(tx), read))
    }

    fn commits_durably(&self) -> bool {
        false
    }

    async fn flush_commits(&self) -> Result<(), StoreError> {
        self.flusher.flush(&self.pool).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    fn sql_pool(&self) -> Option<&AnyPool> {
        Some(&self.pool)
    }
}
