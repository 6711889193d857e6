//! Surge protection (DESIGN §8): per-client rate limits by route class, a per-document
//! limit on booking, budgets of failed look-ups per client and per locator, and load
//! shedding past bounds of requests in flight (one
//! for all requests, and for writes, which all wait for the same database, one that
//! adapts to how long they wait there: [`WriteBound`]).
//!
//! Limiters are governor GCRA limiters keyed by client address (or by a keyed hash of the
//! normalized document, so no personal data sits in memory), with an injectable clock so
//! tests use governor's fake clock instead of sleeping. Keyed state is pruned by
//! [`Limiters::prune`] (run periodically) and never exceeds `max_tracked_keys` per
//! limiter: memory stays bounded under millions of distinct keys.

mod failures;
mod redis;
mod settings;
mod shared;
mod writes;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::RwLock;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

pub use settings::{
    LimitSettings, MAX_BATCH, Rate, RedisUrl, SHARED_BOOKINGS, Unreachable, WRITES_PER_CONNECTION,
};
pub use shared::{Limits, Refused, WARN_EVERY};
pub use writes::{MIN_WRITES_IN_FLIGHT, WriteBound};

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    /// Reading offices, days and slots.
    Browse,
    /// Taking capacity: holds, bookings, reschedules, cancellations.
    HoldBook,
    /// Guessable secrets: look-up by locator and document, reads with a token.
    Lookup,
}

impl RouteClass {
    pub fn name(self) -> &'static str {
        match self {
            RouteClass::Browse => "browse",
            RouteClass::HoldBook => "hold-book",
            RouteClass::Lookup => "lookup",
        }
    }

    /// The class of a public request, or `None` for endpoints that are not limited here
    /// (staff and admin are authenticated; feeds are fetched by calendar servers; health
    /// and metrics must always answer).
    pub fn of(method: &str, path: &str) -> Option<RouteClass> {
        let Some(rest) = path.strip_prefix("/api/v1/") else {
            return Self::of_page(method, path);
        };
        if rest.starts_with("staff/") || rest.starts_with("admin/") || rest == "openapi.json" {
            return None;
        }
        if rest == "offices" || rest.starts_with("offices/") {
            return Some(RouteClass::Browse);
        }
        match (method, rest) {
            ("POST", "appointments/lookup" | "citizen-links") => Some(RouteClass::Lookup),
            ("GET", r) if r.starts_with("my/") => Some(RouteClass::Lookup),
            ("POST", _) => Some(RouteClass::HoldBook),
            ("GET", r) if r.starts_with("appointments/") || r.starts_with("draw-entries/") => {
                Some(RouteClass::Lookup)
            }
            _ => Some(RouteClass::Browse),
        }
    }
}

impl RouteClass {
    /// The class of a web page request: the same budgets as the API calls the page makes
    /// (its forms hold, book, look up, reschedule and cancel); assets and other paths
    /// (health, metrics, feeds) are not limited here.
    fn of_page(method: &str, path: &str) -> Option<RouteClass> {
        if path.starts_with("/static/") || path.starts_with("/feeds/") || path.starts_with("/api/")
        {
            return None;
        }
        if matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/manifest.webmanifest"
        ) {
            return None;
        }
        match (method, path) {
            ("POST", "/manage" | "/draw/result" | "/staff/sign-in" | "/my") => {
                Some(RouteClass::Lookup)
            }
            ("GET", "/my/open") => Some(RouteClass::Lookup),
            ("POST", _) => Some(RouteClass::HoldBook),
            _ => Some(RouteClass::Browse),
        }
    }
}

/// A request within its budget, with what the `RateLimit` header reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub limit: Rate,
    pub remaining: u32,
    /// Seconds until the whole burst is available again.
    pub reset_seconds: u64,
}

/// A request over its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: Rate,
    /// Whole seconds to wait, at least 1 (never the 0 a rounding-down would give).
    pub retry_after_seconds: u64,
}

type Keyed<K, C> = RateLimiter<K, DashMapStateStore<K>, C, StateInformationMiddleware>;

/// One rate per key. The limiter sits behind a lock only so that [`Self::prune`] can swap
/// in an empty one; checks take the shared side.
struct KeyedLimit<K: Hash + Eq + Clone, C: Clock + Clone> {
    rate: Rate,
    clock: C,
    limiter: RwLock<Keyed<K, C>>,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedLimit<K, C> {
    fn new(rate: Rate, clock: C) -> Self {
        let limiter = RwLock::new(Self::fresh(rate, clock.clone()));
        KeyedLimit {
            rate,
            clock,
            limiter,
        }
    }

    fn fresh(rate: Rate, clock: C) -> Keyed<K, C> {
        let per_minute = NonZeroU32::new(rate.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        RateLimiter::dashmap_with_clock(quota, clock).with_middleware()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keyed<K, C>> {
        self.limiter
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check(&self, key: &K, clock: &C) -> Result<Allowed, Limited> {
        let period = 60.0 / f64::from(self.rate.per_minute.max(1));
        let outcome = self.read().check_key(key);
        match outcome {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = self.rate.burst.max(1).saturating_sub(remaining + 1) + 1;
                Ok(Allowed {
                    limit: self.rate,
                    remaining,
                    reset_seconds: (f64::from(used) * period).ceil() as u64,
                })
            }
            Err(not_until) => {
                let wait: Duration = not_until.wait_time_from(clock.now());
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(Limited {
                    limit: self.rate,
                    retry_after_seconds: seconds.max(1),
                })
            }
        }
    }

    fn prune(&self, max_keys: usize) {
        let over = {
            let limiter = self.read();
            limiter.retain_recent();
            limiter.shrink_to_fit();
            limiter.len() > max_keys
        };
        if over {
            // Still too many live keys (an attack from many addresses): forget them all
            // rather than grow without bound; each starts again with a full burst.
            let mut limiter = self
                .limiter
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *limiter = Self::fresh(self.rate, self.clock.clone());
        }
    }

    fn len(&self) -> usize {
        self.read().len()
    }
}

/// All the limiters of one server.
pub struct Limiters<C: Clock + Clone = DefaultClock> {
    browse: KeyedLimit<IpAddr, C>,
    hold_book: KeyedLimit<IpAddr, C>,
    lookup: KeyedLimit<IpAddr, C>,
    document: KeyedLimit<u64, C>,
    failed_lookups: failures::FailureBudget<C>,
    failed_locators: failures::FailureBudget<C>,
    hasher: RandomState,
    max_tracked_keys: usize,
    clock: C,
}

impl<C: Clock + Clone> std::fmt::Debug for Limiters<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters")
            .field("tracked_keys", &self.tracked_keys())
            .finish_non_exhaustive()
    }
}

impl Limiters<DefaultClock> {
    pub fn new(settings: &LimitSettings) -> Self {
        Limiters::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limiters<C> {
    pub fn with_clock(settings: &LimitSettings, clock: C) -> Self {
        Limiters {
            browse: KeyedLimit::new(settings.browse, clock.clone()),
            hold_book: KeyedLimit::new(settings.hold_book, clock.clone()),
            lookup: KeyedLimit::new(settings.lookup, clock.clone()),
            document: KeyedLimit::new(settings.document, clock.clone()),
            failed_lookups: failures::FailureBudget::new(settings.failed_lookups, clock.clone()),
            failed_locators: failures::FailureBudget::new(
                settings.failed_lookups_per_locator,
                clock.clone(),
            ),
            hasher: RandomState::new(),
            max_tracked_keys: settings.max_tracked_keys,
            clock,
        }
    }

    /// Charges one request of `class` to the client at `address`.
    pub fn check_client(&self, class: RouteClass, address: IpAddr) -> Result<Allowed, Limited> {
        let limit = match class {
            RouteClass::Browse => &self.browse,
            RouteClass::HoldBook => &self.hold_book,
            RouteClass::Lookup => &self.lookup,
        };
        limit.check(&address, &self.clock)
    }

    /// Charges one booking to a normalized document, whatever address it comes from
    /// (bots rotate addresses, not identities). Look-ups have budgets of their own
    /// ([`Self::check_lookup`]): failing look-ups with someone's document must not stop
    /// them from booking.
    pub fn check_document(&self, normalized_document: &str) -> Result<Allowed, Limited> {
        let key = self.hasher.hash_one(normalized_document);
        self.document.check(&key, &self.clock)
    }

    /// Whether a look-up of `locator` from `client` may run: neither may have spent its
    /// budget of failed look-ups. Spends nothing; see [`Self::lookup_failed`].
    pub fn check_lookup(&self, client: IpAddr, locator: &str) -> Result<(), Limited> {
        self.failed_lookups.check(self.hasher.hash_one(client))?;
        self.failed_locators.check(self.locator_key(locator))
    }

    /// Charges a failed look-up to the client and to the locator it named.
    pub fn lookup_failed(&self, client: IpAddr, locator: &str) {
        self.failed_lookups.fail(self.hasher.hash_one(client));
        self.failed_locators.fail(self.locator_key(locator));
    }

    fn locator_key(&self, locator: &str) -> u64 {
        self.hasher.hash_one(normalize_locator(locator))
    }

    /// Forgets keys whose budget is full again, and caps what is left.
    pub fn prune(&self) {
        for limit in [&self.browse, &self.hold_book, &self.lookup] {
            limit.prune(self.max_tracked_keys);
        }
        self.document.prune(self.max_tracked_keys);
        self.failed_lookups.prune(self.max_tracked_keys);
        self.failed_locators.prune(self.max_tracked_keys);
    }

    /// Keys held in memory across all limiters.
    pub fn tracked_keys(&self) -> usize {
        self.browse.len()
            + self.hold_book.len()
            + self.lookup.len()
            + self.document.len()
            + self.failed_lookups.len()
            + self.failed_locators.len()
    }
}

/// Locators are accepted in any case and with spaces around.
fn normalize_locator(locator: &str) -> String {
    locator.trim().to_ascii_uppercase()
}

/// `RateLimit-Policy` header value (IETF draft): `"browse";q=120;w=60`.
pub fn policy_header(class_name: &str, rate: Rate) -> String {
    format!("\"{class_name}\";q={};w=60", rate.per_minute)
}

/// `RateLimit` header value: `"browse";r=12;t=30`.
pub fn ratelimit_header(class_name: &str, remaining: u32, reset_seconds: u64) -> String {
    format!("\"{class_name}\";r={remaining};t={reset_seconds}")
}

#[cfg(test)]
mod tests;
