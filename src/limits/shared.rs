//! The limits one server enforces: in its own memory ([`Limiters`]), or, with
//! `[limits] shared`, in Redis so that every instance draws from the same budgets. While
//! Redis does not answer, a check either counts in memory (fail open: each instance on
//! its own, as without Redis) or is refused (fail closed), per `shared_unreachable`, and a
//! warning is logged at most every [`WARN_EVERY`].

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::redis::{Answer, RedisBudgets, Spend, Unanswered};
use super::settings::Unreachable;
use super::{Allowed, LimitSettings, Limited, Limiters, Rate, RouteClass};

/// Least time between two warnings that the shared limits are unreachable.
pub const WARN_EVERY: Duration = Duration::from_secs(10);
/// After Redis failed, how long checks fall back at once instead of each waiting out its
/// own timeout (a request makes up to three checks; every one holds its place in flight).
pub const REST: Duration = Duration::from_secs(1);

/// Why a request is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Over its budget.
    Limited(Limited),
    /// The shared limits are unreachable and configured to fail closed.
    Unavailable,
}

impl From<Limited> for Refused {
    fn from(limited: Limited) -> Self {
        Refused::Limited(limited)
    }
}

/// The limits of one server.
#[derive(Debug)]
pub struct Limits {
    local: Limiters,
    shared: Option<Shared>,
}

#[derive(Debug)]
struct Shared {
    budgets: RedisBudgets,
    settings: LimitSettings,
    /// When this server's limits were made: the origin of `quiet_until`.
    origin: Instant,
    /// Seconds after `origin` before which no new warning is logged.
    quiet_until: AtomicU64,
    /// Milliseconds after `origin` before which Redis is not asked (it just failed).
    resting_until: AtomicU64,
}

impl Limits {
    /// The limits of `settings`; with `shared` set, in that Redis, keys hashed with `key`
    /// (the same on every instance, so that they share budgets).
    pub fn new(settings: &LimitSettings, key: [u8; 32]) -> Result<Self, String> {
        let shared = match &settings.shared {
            None => None,
            Some(url) => Some(Shared {
                budgets: RedisBudgets::open(url.as_str(), key, settings.shared_timeout())?,
                settings: settings.clone(),
                origin: Instant::now(),
                quiet_until: AtomicU64::new(0),
                resting_until: AtomicU64::new(0),
            }),
        };
        Ok(Limits {
            local: Limiters::new(settings),
            shared,
        })
    }

    /// Whether budgets are kept in Redis.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Charges one request of `class` to the client at `address`.
    pub async fn check_client(
        &self,
        class: RouteClass,
        address: IpAddr,
    ) -> Result<Allowed, Refused> {
        let local = || self.local.check_client(class, address);
        let Some(shared) = &self.shared else {
            return Ok(local()?);
        };
        let subject = address.to_string();
        let rate = shared.settings.rate_of(class);
        shared
            .take(class.name(), subject.as_bytes(), rate, local)
            .await
    }

    /// Charges one booking to a normalized document, whatever address it comes from.
    pub async fn check_document(&self, normalized_document: &str) -> Result<Allowed, Refused> {
        let local = || self.local.check_document(normalized_document);
        let Some(shared) = &self.shared else {
            return Ok(local()?);
        };
        let rate = shared.settings.document;
        shared
            .take("document", normalized_document.as_bytes(), rate, local)
            .await
    }

    /// Whether a look-up of `locator` from `client` may run (see
    /// [`Limiters::check_lookup`]); spends nothing.
    pub async fn check_lookup(&self, client: IpAddr, locator: &str) -> Result<(), Refused> {
        let Some(shared) = &self.shared else {
            return Ok(self.local.check_lookup(client, locator)?);
        };
        let keys = shared.lookup_keys(client, locator);
        match shared.ask(&keys, Spend::Peek).await {
            Ok(answer) if answer.allowed => Ok(()),
            Ok(answer) => {
                let rate = keys[answer.refusing.unwrap_or(0).min(1)].1;
                Err(Refused::Limited(limited(answer.ms, rate)))
            }
            Err(unanswered) => {
                shared.fall_back(&unanswered)?;
                Ok(self.local.check_lookup(client, locator)?)
            }
        }
    }

    /// Charges a failed look-up to the client and to the locator it named.
    pub async fn lookup_failed(&self, client: IpAddr, locator: &str) {
        let Some(shared) = &self.shared else {
            return self.local.lookup_failed(client, locator);
        };
        let keys = shared.lookup_keys(client, locator);
        if let Err(unanswered) = shared.ask(&keys, Spend::Charge).await {
            // Counted here either way: a guesser gains nothing from an outage.
            let _ = shared.fall_back(&unanswered);
            self.local.lookup_failed(client, locator);
        }
    }

    /// Forgets in-memory keys whose budget is full again (Redis expires its own).
    pub fn prune(&self) {
        self.local.prune();
    }

    /// Keys held in this server's memory.
    pub fn tracked_keys(&self) -> usize {
        self.local.tracked_keys()
    }
}

impl Shared {
    /// Spends one of `subject`'s `budget` in Redis; while Redis does not answer, per
    /// `shared_unreachable`, `local` (this server's memory) or a refusal.
    async fn take(
        &self,
        budget: &str,
        subject: &[u8],
        rate: Rate,
        local: impl FnOnce() -> Result<Allowed, Limited>,
    ) -> Result<Allowed, Refused> {
        let key = self.budgets.key_of(budget, subject);
        match self.ask(&[(key, rate)], Spend::Take).await {
            Ok(answer) if answer.allowed => Ok(Allowed {
                limit: rate,
                remaining: answer.remaining,
                reset_seconds: answer.ms.div_ceil(1000),
            }),
            Ok(answer) => Err(Refused::Limited(limited(answer.ms, rate))),
            Err(unanswered) => {
                self.fall_back(&unanswered)?;
                Ok(local()?)
            }
        }
    }

    /// One check in Redis, unless it failed less than [`REST`] ago.
    async fn ask(&self, keys: &[(String, Rate)], spend: Spend) -> Result<Answer, Unanswered> {
        let millis = |elapsed: Duration| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if millis(self.origin.elapsed()) < self.resting_until.load(Ordering::Relaxed) {
            return Err(Unanswered::Resting);
        }
        let answer = self.budgets.check(keys, spend).await;
        if answer.is_err() {
            let until = millis(self.origin.elapsed() + REST);
            self.resting_until.store(until, Ordering::Relaxed);
        }
        answer
    }

    fn lookup_keys(&self, client: IpAddr, locator: &str) -> [(String, Rate); 2] {
        let locator = super::normalize_locator(locator);
        [
            (
                self.budgets
                    .key_of("failed-lookup", client.to_string().as_bytes()),
                self.settings.failed_lookups,
            ),
            (
                self.budgets.key_of("failed-locator", locator.as_bytes()),
                self.settings.failed_lookups_per_locator,
            ),
        ]
    }

    /// Logs (now and then) that Redis did not answer; refuses when failing closed.
    fn fall_back(&self, unanswered: &Unanswered) -> Result<(), Refused> {
        let now = self.origin.elapsed().as_secs();
        let quiet_until = self.quiet_until.load(Ordering::Relaxed);
        if now >= quiet_until
            && self
                .quiet_until
                .compare_exchange(
                    quiet_until,
                    now + WARN_EVERY.as_secs(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            tracing::warn!(
                error = %unanswered,
                unreachable = ?self.settings.shared_unreachable,
                "the shared rate limits are unreachable"
            );
        }
        match self.settings.shared_unreachable {
            Unreachable::CountLocally => Ok(()),
            Unreachable::Refuse => Err(Refused::Unavailable),
        }
    }
}

/// A refusal to wait `ms`, in whole seconds and at least 1.
fn limited(ms: u64, rate: Rate) -> Limited {
    Limited {
        limit: rate,
        retry_after_seconds: ms.div_ceil(1000).max(1),
    }
}
