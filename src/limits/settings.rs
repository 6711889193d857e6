//! The `[limits]` section of the configuration.

use serde::Deserialize;

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
    /// Bookings and look-ups per normalized document, from any address.
    pub document: Rate,
    /// Requests in flight past which the server answers 503 at once.
    pub max_in_flight: usize,
    /// Keys each limiter may remember; past it the limiter forgets them all.
    pub max_tracked_keys: usize,
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
            max_in_flight: 1024,
            max_tracked_keys: 1_000_000,
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
        ] {
            if rate.per_minute == 0 || rate.burst == 0 {
                return Err(format!(
                    "[limits] {name}: per_minute and burst must be at least 1"
                ));
            }
        }
        if settings.max_in_flight == 0 || settings.max_tracked_keys == 0 {
            return Err("[limits] max_in_flight and max_tracked_keys must be at least 1".into());
        }
        Ok(settings)
    }
}
