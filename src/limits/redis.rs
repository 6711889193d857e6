//! Budgets kept in Redis, so that every instance behind a load balancer draws from the
//! same ones (with budgets in memory, N instances would allow N times each limit).
//!
//! Each check is one round trip: one atomic Lua script ([`GCRA`]) that reads and updates
//! every key it names, on Redis's clock. Keys name no address, document or locator: they
//! are keyed hashes (HMAC-SHA-256 with a key all instances derive from the database's
//! secret), so Redis holds nothing personal and the keys of one deployment say nothing to
//! another. A key expires when its budget is full again.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::Sha256;

use super::Rate;

/// The script: see its comments for arguments and answer.
const GCRA: &str = include_str!("gcra.lua");

/// How a check spends the budgets it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spend {
    /// One from each if every one has room, else none (a rate limit).
    Take,
    /// Nothing (may a failure budget try again?).
    Peek,
    /// One from each even past its burst (a failed look-up always counts).
    Charge,
}

impl Spend {
    fn name(self) -> &'static str {
        match self {
            Spend::Take => "take",
            Spend::Peek => "peek",
            Spend::Charge => "charge",
        }
    }
}

/// What Redis answered for one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    pub allowed: bool,
    /// Requests left in the tightest budget (when allowed).
    pub remaining: u32,
    /// Allowed: ms until every budget is full again; refused: ms to wait.
    pub ms: u64,
    /// Refused: the position in the check's keys of the budget that refused.
    pub refusing: Option<usize>,
}

/// Why Redis gave no answer. Deliberately without detail: the caller logs that the
/// shared limits are unreachable and falls back, whatever the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unanswered {
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Redis failed: {0}")]
    Failed(String),
    /// Not asked: it failed less than [`super::shared::REST`] ago.
    #[error("Redis failed moments ago; not asked again yet")]
    Resting,
}

/// The shared budgets of one deployment.
pub(crate) struct RedisBudgets {
    connection: ConnectionManager,
    script: redis::Script,
    key: [u8; 32],
    timeout: Duration,
}

impl std::fmt::Debug for RedisBudgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBudgets")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBudgets {
    /// Budgets in the Redis at `url`, keys hashed with `key`. Connects lazily (and
    /// reconnects by itself), so a server starts while Redis is down; `url` is checked
    /// here.
    pub(crate) fn open(url: &str, key: [u8; 32], timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url)
            .map_err(|e| format!("[limits] shared: not a Redis URL ({:?})", e.kind()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("[limits] shared: {:?}", e.kind()))?;
        Ok(RedisBudgets {
            connection,
            script: redis::Script::new(GCRA),
            key,
            timeout,
        })
    }

    /// The Redis key of `subject`'s budget named `budget`.
    pub(crate) fn key_of(&self, budget: &str, subject: &[u8]) -> String {
        let mut tag = String::with_capacity(48);
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) {
            mac.update(budget.as_bytes());
            mac.update(&[0]);
            mac.update(subject);
            for byte in &mac.finalize().into_bytes()[..16] {
                tag.push_str(&format!("{byte:02x}"));
            }
        }
        format!("cita:limit:{budget}:{tag}")
    }

    /// Checks (and spends, per `spend`) the budgets `keys`, each with its rate, at once.
    pub(crate) async fn check(
        &self,
        keys: &[(String, Rate)],
        spend: Spend,
    ) -> Result<Answer, Unanswered> {
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(spend.name());
        for (key, rate) in keys {
            invocation
                .key(key)
                .arg(format!(
                    "{:.6}",
                    60_000.0 / f64::from(rate.per_minute.max(1))
                ))
                .arg(rate.burst.max(1));
        }
        let mut connection = self.connection.clone();
        let answer: (i64, i64, i64, i64) =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| Unanswered::Timeout(self.timeout))?
                .map_err(|e| Unanswered::Failed(format!("{:?}", e.kind())))?;
        let (allowed, remaining, ms, refusing) = answer;
        Ok(Answer {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            ms: u64::try_from(ms.max(0)).unwrap_or(0),
            refusing: usize::try_from(refusing - 1).ok(),
        })
    }
}
