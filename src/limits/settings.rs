//! The `[limits]` section of the configuration.

use serde::Deserialize;

/// Writes admitted per database connection when `max_writes_in_flight` is unset: one
/// running and one waiting, so an admitted write waits for at most about one other.
pub const WRITES_PER_CONNECTION: usize = 2;

/// The most bookings one transaction takes: enough to share a flush among a crowd, few
/// enough that the offices' locks are never held for long. Defined here, where admission
/// is sized by it, and used by `booking`'s queue (this layer depends on nothing above).
pub const MAX_BATCH: usize = 32;

/// Bookings admitted on top of that: they do not take a connection each but share
/// transactions of up to [`MAX_BATCH`], so a crowd needs two batches' worth in flight (one
/// being written while the next forms) to keep the database busy. With the writes bound
/// at the pool's size alone, a crowd at exactly the booking capacity was refused 28% of
/// the time on PostgreSQL.
pub const SHARED_BOOKINGS: usize = 2 * MAX_BATCH;

/// Requests per minute with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

/// Limits per client address and route class, per document, and for load shedding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    pub browse: Rate,
    pub hold_book: Rate,
    pub lookup: Rate,
    /// Bookings per normalized document, from any address.
    pub document: Rate,
    /// Failed look-ups per client (a wrong locator or document): past it the client's
    /// look-ups are refused for a while. Only failures count, so a citizen who mistypes
    /// once is not slowed, and nobody can spend a citizen's budget with their document.
    pub failed_lookups: Rate,
    /// Failed look-ups per locator, from any client: stops a guess of the document of one
    /// known locator spread over many addresses.
    pub failed_lookups_per_locator: Rate,
    /// Live holds one client may have at once (holds are short; a person needs one).
    pub holds_per_client: u32,
    /// Prefix lengths clients are grouped by: one budget per IPv4 address by default,
    /// and one per IPv6 /64 (what a home or a phone is given).
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    /// With `--trust-proxy`: how many reverse proxies in front of the server append to
    /// `X-Forwarded-For`; the client is the entry the outermost one appended.
    pub trusted_proxy_hops: u8,
    /// Requests in flight past which the server answers 503 at once.
    pub max_in_flight: usize,
    /// Most requests that write (every method but `GET`/`HEAD`: holds, bookings,
    /// changes, look-ups, staff and admin actions) in flight; past the bound a write is
    /// answered 503 at once. Unset: [`WRITES_PER_CONNECTION`] × the database pool size
    /// plus [`SHARED_BOOKINGS`].
    /// The bound in force adapts below it (see `write_wait_target_ms`).
    pub max_writes_in_flight: Option<usize>,
    /// How long an admitted write may wait for its turn at the database: while writes
    /// wait longer, fewer are admitted at once (see [`super::WriteBound`]).
    pub write_wait_target_ms: u64,
    /// Keys each limiter may remember; past it the limiter forgets them all.
    pub max_tracked_keys: usize,
    /// A Redis URL (`redis://host:port/db`): the per-client, per-document and failed
    /// look-up budgets then live there, shared by every instance that names it, instead
    /// of in each instance's memory (where N instances allow N times each limit).
    pub shared: Option<RedisUrl>,
    /// How long a check may wait for Redis before it counts as unreachable.
    pub shared_timeout_ms: u64,
    /// What a check does while Redis is unreachable.
    pub shared_unreachable: Unreachable,
}

/// A Redis URL. It may hold a password, so it is never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for RedisUrl {
    fn from(url: &str) -> Self {
        RedisUrl(url.to_owned())
    }
}

impl From<String> for RedisUrl {
    fn from(url: String) -> Self {
        RedisUrl(url)
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl(…)")
    }
}

/// What the shared limits do while Redis does not answer (a warning is logged either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unreachable {
    /// Fail open: each instance counts in its own memory until Redis is back (limits
    /// hold per instance; the service stays up).
    #[default]
    CountLocally,
    /// Fail closed: limited requests are answered 503 `unavailable` until Redis is back.
    Refuse,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            browse: Rate {
                per_minute: 120,
                burst: 60,
            },
            hold_book: Rate {
                per_minute: 12,
                burst: 6,
            },
            lookup: Rate {
                per_minute: 12,
                burst: 6,
            },
            document: Rate {
                per_minute: 6,
                burst: 3,
            },
            failed_lookups: Rate {
                per_minute: 6,
                burst: 10,
            },
            failed_lookups_per_locator: Rate {
                per_minute: 2,
                burst: 5,
            },
            holds_per_client: 2,
            ipv4_prefix: 32,
            ipv6_prefix: 64,
            trusted_proxy_hops: 1,
            max_in_flight: 1024,
            max_writes_in_flight: None,
            write_wait_target_ms: 20,
            max_tracked_keys: 1_000_000,
            shared: None,
            shared_timeout_ms: 50,
            shared_unreachable: Unreachable::CountLocally,
        }
    }
}

impl LimitSettings {
    /// Reads `[limits]` (absent: the defaults). Rates need at least 1 per minute and a
    /// burst of at least 1.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Self, String> {
        let Some(table) = table else {
            return Ok(LimitSettings::default());
        };
        let settings: LimitSettings = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| format!("[limits]: {}", e.message()))?;
        for (name, rate) in [
            ("browse", settings.browse),
            ("hold_book", settings.hold_book),
            ("lookup", settings.lookup),
            ("document", settings.document),
            ("failed_lookups", settings.failed_lookups),
            (
                "failed_lookups_per_locator",
                settings.failed_lookups_per_locator,
            ),
        ] {
            if rate.per_minute == 0 || rate.burst == 0 {
                return Err(format!(
                    "[limits] {name}: per_minute and burst must be at least 1"
                ));
            }
        }
        for (name, value) in [
            ("max_in_flight", Some(settings.max_in_flight)),
            ("max_writes_in_flight", settings.max_writes_in_flight),
            ("max_tracked_keys", Some(settings.max_tracked_keys)),
            (
                "holds_per_client",
                usize::try_from(settings.holds_per_client).ok(),
            ),
            (
                "trusted_proxy_hops",
                Some(usize::from(settings.trusted_proxy_hops)),
            ),
            (
                "write_wait_target_ms",
                usize::try_from(settings.write_wait_target_ms).ok(),
            ),
            (
                "shared_timeout_ms",
                usize::try_from(settings.shared_timeout_ms).ok(),
            ),
        ] {
            if value == Some(0) {
                return Err(format!(
                    "[limits] {name} must be at least 1 (0 would refuse every request)"
                ));
            }
        }
        if let Some(writes) = settings.max_writes_in_flight
            && writes > settings.max_in_flight
        {
            return Err(format!(
                "[limits] max_writes_in_flight ({writes}) must not exceed max_in_flight ({})",
                settings.max_in_flight
            ));
        }
        if settings.ipv4_prefix > 32 || settings.ipv6_prefix > 128 {
            return Err(format!(
                "[limits] ipv4_prefix must be at most 32 and ipv6_prefix at most 128 (they are {} and {})",
                settings.ipv4_prefix, settings.ipv6_prefix
            ));
        }
        if settings.shared_timeout_ms > 1000 {
            return Err(format!(
                "[limits] shared_timeout_ms must be at most 1000 (it is {}): every limited \
                 request may wait that long while Redis does not answer",
                settings.shared_timeout_ms
            ));
        }
        if let Some(url) = &settings.shared
            && !url.as_str().starts_with("redis://")
        {
            return Err(
                "[limits] shared must be a Redis URL such as \"redis://127.0.0.1:6379/0\""
                    .to_owned(),
            );
        }
        Ok(settings)
    }

    /// The per-client rate of `class`.
    pub fn rate_of(&self, class: super::RouteClass) -> Rate {
        match class {
            super::RouteClass::Browse => self.browse,
            super::RouteClass::HoldBook => self.hold_book,
            super::RouteClass::Lookup => self.lookup,
        }
    }

    /// How long a check may wait for the shared limits.
    pub fn shared_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.shared_timeout_ms)
    }

    /// How long an admitted write may wait for the database.
    pub fn write_wait_target(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.write_wait_target_ms)
    }

    /// The most writes in flight for a database pool of `connections`.
    pub fn writes_in_flight(&self, connections: u32) -> usize {
        let derived = WRITES_PER_CONNECTION
            .saturating_mul(connections.max(1) as usize)
            .saturating_add(SHARED_BOOKINGS);
        self.max_writes_in_flight
            .unwrap_or(derived)
            .clamp(1, self.max_in_flight.max(1))
    }

    /// How far the writes bound's ceiling may rise with the rate the database serves: not
    /// past `max_writes_in_flight` when it is set, up to `max_in_flight` when derived.
    pub fn writes_in_flight_cap(&self, connections: u32) -> usize {
        match self.max_writes_in_flight {
            Some(_) => self.writes_in_flight(connections),
            None => self.max_in_flight.max(1),
        }
    }
}
