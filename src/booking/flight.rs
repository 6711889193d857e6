//! One query for many readers, without reading the past: concurrent requests for the same
//! key (an office's version) share one database round trip.
//!
//! The rule that keeps shared answers exact: a request joins only a query that has not
//! been sent yet. A query that is already running may have read the database before the
//! request arrived, so the request waits for the next one, which is sent after it arrived
//! and therefore sees every write committed before that. Per key at most one query runs
//! at a time; requests arriving meanwhile gather behind it and are all answered by the
//! single query sent when it finishes. Under a crowd that is one round trip per key per
//! round-trip time, whatever the number of readers.
//!
//! Queries run in a task of their own, so a reader that goes away (its client hung up)
//! never strands the others. An error reaches every reader of that query; the next
//! reader starts a fresh one.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// Why a shared query gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlightError<E> {
    /// The query failed; every reader that shared it gets the error.
    Failed(E),
    /// The task running the query ended without an answer (the runtime shut down).
    Abandoned,
}

type Answer<T, E> = Option<Result<T, E>>;

/// Per key: whether a query is running, and the query readers gather for next.
struct KeyState<T, E> {
    running: bool,
    next: Option<watch::Sender<Answer<T, E>>>,
}

impl<T, E> Default for KeyState<T, E> {
    fn default() -> Self {
        KeyState {
            running: false,
            next: None,
        }
    }
}

type States<K, T, E> = Arc<Mutex<HashMap<K, KeyState<T, E>>>>;

/// Shared queries by key.
pub(crate) struct SingleFlight<K, T, E> {
    states: States<K, T, E>,
}

impl<K, T, E> std::fmt::Debug for SingleFlight<K, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

impl<K, T, E> Default for SingleFlight<K, T, E> {
    fn default() -> Self {
        SingleFlight {
            states: Arc::default(),
        }
    }
}

fn lock<K, T, E>(
    states: &States<K, T, E>,
) -> std::sync::MutexGuard<'_, HashMap<K, KeyState<T, E>>> {
    states
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<K, T, E> SingleFlight<K, T, E>
where
    K: Hash + Eq + Clone + Send + 'static,
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// The answer of a `fetch` for `key` sent after this call began, shared with every
    /// other caller waiting for the same query. `fetch` runs in a spawned task; when no
    /// query for `key` is running, this call's `fetch` is the one used.
    pub(crate) async fn get<F, Fut>(&self, key: K, fetch: F) -> Result<T, FlightError<E>>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let mut answer = {
            let mut states = lock(&self.states);
            let state = states.entry(key.clone()).or_default();
            let answer = match &state.next {
                Some(next) => next.subscribe(),
                None => {
                    let (next, answer) = watch::channel(None);
                    state.next = Some(next);
                    answer
                }
            };
            if !state.running {
                state.running = true;
                tokio::spawn(drive(Arc::clone(&self.states), key, fetch));
            }
            answer
        };
        let answered = answer
            .wait_for(Option::is_some)
            .await
            .map_err(|_| FlightError::Abandoned)?;
        match &*answered {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(error)) => Err(FlightError::Failed(error.clone())),
            None => Err(FlightError::Abandoned),
        }
    }

    /// Callers waiting for the query not yet sent for `key`.
    #[cfg(test)]
    fn gathering(&self, key: &K) -> usize {
        lock(&self.states)
            .get(key)
            .and_then(|state| state.next.as_ref())
            .map_or(0, watch::Sender::receiver_count)
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        lock(&self.states).len()
    }
}

/// Runs the queries for `key` one after another while readers gather for a next one.
async fn drive<K, T, E, F, Fut>(states: States<K, T, E>, key: K, fetch: F)
where
    K: Hash + Eq + Clone,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    // If this task ends early (a panic, the runtime shutting down), let the key start
    // afresh; readers of the query it held see their sender dropped.
    let mut guard = Running {
        states: Arc::clone(&states),
        key: Some(key.clone()),
    };
    loop {
        let query = {
            let mut map = lock(&states);
            let Some(state) = map.get_mut(&key) else {
                break;
            };
            match state.next.take() {
                // Taken under the lock before it is sent: from here on, new readers
                // gather for the next query.
                Some(query) => query,
                None => {
                    map.remove(&key);
                    break;
                }
            }
        };
        let result = fetch().await;
        query.send_replace(Some(result));
    }
    guard.key = None;
}

/// Clears a key's `running` mark when its driving task ends without doing so.
struct Running<K: Hash + Eq, T, E> {
    states: States<K, T, E>,
    key: Option<K>,
}

impl<K: Hash + Eq, T, E> Drop for Running<K, T, E> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Dropping the waiting query's sender answers its readers `Abandoned`.
            lock(&self.states).remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

    use tokio::sync::{Semaphore, mpsc};

    use super::*;

    /// A fake database: a value that "commits" change, and queries that read it when
    /// they are sent, report that they were sent, and answer when the test lets them.
    #[derive(Clone)]
    struct FakeDb {
        value: Arc<AtomicI64>,
        queries: Arc<AtomicU32>,
        sent: mpsc::UnboundedSender<u32>,
        release: Arc<Semaphore>,
        fail_query: Arc<AtomicU32>,
    }

    impl FakeDb {
        fn new() -> (FakeDb, mpsc::UnboundedReceiver<u32>) {
            let (sent, seen) = mpsc::unbounded_channel();
            let db = FakeDb {
                value: Arc::new(AtomicI64::new(1)),
                queries: Arc::default(),
                sent,
                release: Arc::new(Semaphore::new(0)),
                fail_query: Arc::default(),
            };
            (db, seen)
        }

        fn commit(&self, value: i64) {
            self.value.store(value, Ordering::SeqCst);
        }

        /// The fetcher: the n-th query (from 1) reads the value at send time.
        fn fetcher(
            &self,
        ) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<i64, String>> + Send>>
        + Send
        + 'static {
            let db = self.clone();
            move || {
                let db = db.clone();
                Box::pin(async move {
                    let n = db.queries.fetch_add(1, Ordering::SeqCst) + 1;
                    let read = db.value.load(Ordering::SeqCst);
                    let _ = db.sent.send(n);
                    // Each permit the test adds lets exactly one query answer.
                    db.release.acquire().await.unwrap().forget();
                    if db.fail_query.load(Ordering::SeqCst) == n {
                        return Err(format!("query {n} failed"));
                    }
                    Ok(read)
                })
            }
        }
    }

    type Flight = SingleFlight<&'static str, i64, String>;

    fn spawn_get(
        flight: &Arc<Flight>,
        db: &FakeDb,
    ) -> tokio::task::JoinHandle<Result<i64, FlightError<String>>> {
        let (flight, fetch) = (Arc::clone(flight), db.fetcher());
        tokio::spawn(async move { flight.get("office", fetch).await })
    }

    async fn until_gathering(flight: &Flight, n: usize) {
        while flight.gathering(&"office") < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn one_query_answers_everyone_who_arrived_before_it_was_sent() {
        let flight = Arc::new(Flight::default());
        let (db, mut sent) = FakeDb::new();
        // Query 1 is sent for the first reader and held.
        let first = spawn_get(&flight, &db);
        assert_eq!(sent.recv().await, Some(1));
        // Fifty readers arrive while it runs: they gather for one next query.
        let crowd: Vec<_> = (0..50).map(|_| spawn_get(&flight, &db)).collect();
        until_gathering(&flight, 50).await;
        db.release.add_permits(1);
        assert_eq!(first.await.unwrap(), Ok(1));
        assert_eq!(sent.recv().await, Some(2));
        db.release.add_permits(1);
        for reader in crowd {
            assert_eq!(reader.await.unwrap(), Ok(1));
        }
        assert_eq!(
            db.queries.load(Ordering::SeqCst),
            2,
            "two round trips for 51"
        );
        // Idle keys are forgotten.
        while flight.keys() > 0 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_reader_never_joins_a_query_sent_before_it_arrived() {
        let flight = Arc::new(Flight::default());
        let (db, mut sent) = FakeDb::new();
        let early = spawn_get(&flight, &db);
        assert_eq!(sent.recv().await, Some(1)); // query 1 read the value 1
        // A write commits, then a reader arrives: query 1 cannot answer it.
        db.commit(2);
        let late = spawn_get(&flight, &db);
        until_gathering(&flight, 1).await;
        db.release.add_permits(1);
        assert_eq!(early.await.unwrap(), Ok(1));
        assert!(!late.is_finished());
        assert_eq!(sent.recv().await, Some(2));
        db.release.add_permits(1);
        assert_eq!(
            late.await.unwrap(),
            Ok(2),
            "sees the write committed before it"
        );
    }

    #[tokio::test]
    async fn an_error_reaches_every_reader_of_that_query_and_the_next_reader_retries() {
        let flight = Arc::new(Flight::default());
        let (db, mut sent) = FakeDb::new();
        db.fail_query.store(2, Ordering::SeqCst);
        let first = spawn_get(&flight, &db);
        assert_eq!(sent.recv().await, Some(1));
        let failing: Vec<_> = (0..5).map(|_| spawn_get(&flight, &db)).collect();
        until_gathering(&flight, 5).await;
        db.release.add_permits(2);
        assert_eq!(first.await.unwrap(), Ok(1));
        for reader in failing {
            assert_eq!(
                reader.await.unwrap(),
                Err(FlightError::Failed("query 2 failed".into()))
            );
        }
        db.commit(3);
        db.release.add_permits(1);
        assert_eq!(spawn_get(&flight, &db).await.unwrap(), Ok(3));
        assert_eq!(db.queries.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_reader_that_goes_away_strands_no_one() {
        let flight = Arc::new(Flight::default());
        let (db, mut sent) = FakeDb::new();
        // The reader whose call started the query gives up while it runs.
        let quitter = spawn_get(&flight, &db);
        assert_eq!(sent.recv().await, Some(1));
        let patient = spawn_get(&flight, &db);
        until_gathering(&flight, 1).await;
        quitter.abort();
        db.release.add_permits(2);
        assert_eq!(patient.await.unwrap(), Ok(1));
    }

    #[tokio::test]
    async fn keys_are_independent() {
        let flight = Arc::new(Flight::default());
        let (db, mut sent) = FakeDb::new();
        let a = {
            let (flight, fetch) = (Arc::clone(&flight), db.fetcher());
            tokio::spawn(async move { flight.get("a", fetch).await })
        };
        let b = {
            let (flight, fetch) = (Arc::clone(&flight), db.fetcher());
            tokio::spawn(async move { flight.get("b", fetch).await })
        };
        // Both queries are sent without one waiting for the other.
        let mut both = [sent.recv().await, sent.recv().await];
        both.sort();
        assert_eq!(both, [Some(1), Some(2)]);
        db.release.add_permits(2);
        assert_eq!(a.await.unwrap(), Ok(1));
        assert_eq!(b.await.unwrap(), Ok(1));
    }
}
