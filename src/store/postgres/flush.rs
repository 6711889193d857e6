//! Acknowledging asynchronously committed transactions once they are on disk.

use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::oneshot;

use super::super::{StoreError, record_wait};

/// Makes asynchronously committed transactions durable (PostgreSQL): one small
/// synchronous commit flushes the log up to itself, and with it every commit before it.
/// Everyone who asks while no flush runs shares the next one; who asks while one runs
/// waits for the one after (the running one may have started before their commit). The
/// flushing task keeps its connection while there is work.
#[derive(Debug, Default)]
pub(super) struct Flusher {
    state: Mutex<FlushState>,
}

type FlushAnswer = Result<(), Arc<StoreError>>;

#[derive(Debug, Default)]
struct FlushState {
    waiting: Vec<oneshot::Sender<FlushAnswer>>,
    running: bool,
}

impl Flusher {
    fn state(&self) -> MutexGuard<'_, FlushState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns once every transaction committed before the call is on disk.
    pub(super) async fn flush(self: &Arc<Self>, pool: &AnyPool) -> Result<(), StoreError> {
        let asked = std::time::Instant::now();
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = self.state();
            state.waiting.push(reply);
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            tokio::spawn(flush_rounds(Arc::clone(self), pool.clone()));
        }
        let answer = answer.await;
        record_wait(asked.elapsed());
        match answer {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(StoreError::shared(error)),
            Err(_) => Err(StoreError::Corrupt("the flushing task stopped".into())),
        }
    }
}

/// Runs flushes until nobody waits.
async fn flush_rounds(flusher: Arc<Flusher>, pool: AnyPool) {
    // Should the task stop early (a panic), those waiting are told (their senders drop)
    // and the next caller starts a new task.
    struct Running<'a> {
        flusher: &'a Flusher,
        armed: bool,
    }
    impl Drop for Running<'_> {
        fn drop(&mut self) {
            if self.armed {
                let mut state = self.flusher.state();
                state.running = false;
                state.waiting.clear();
            }
        }
    }
    let mut running = Running {
        flusher: &flusher,
        armed: true,
    };
    let mut conn: Option<PoolConnection<Any>> = None;
    loop {
        let waiting = {
            let mut state = flusher.state();
            if state.waiting.is_empty() {
                // In the same critical section: a caller that comes next starts a new task.
                state.running = false;
                running.armed = false;
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        let result = flush_once(&pool, &mut conn).await.map_err(Arc::new);
        for reply in waiting {
            let _ = reply.send(result.clone());
        }
    }
}

async fn flush_once(
    pool: &AnyPool,
    conn: &mut Option<PoolConnection<Any>>,
) -> Result<(), StoreError> {
    let mut held = match conn.take() {
        Some(held) => held,
        None => pool.acquire().await?,
    };
    sqlx::query("SELECT pg_logical_emit_message(true, 'cita', 'flush')::text")
        .execute(&mut *held)
        .await?;
    *conn = Some(held);
    Ok(())
}
