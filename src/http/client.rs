//! Who a request comes from: the [`ClientKey`] that rate limits, the live-holds cap,
//! idempotency scopes and the access log count by.
//!
//! Contract:
//! - The address is the TCP peer's. Behind reverse proxies (`--trust-proxy`), it is the
//!   entry of `X-Forwarded-For` that the trusted proxies appended: with `hops` trusted
//!   proxies in front, the `hops`-th entry from the right (entries further left were
//!   written by the client and can be forged). A header with fewer entries, or whose chosen
//!   entry is not an address, means the peer address: never a client-written entry.
//! - Addresses are grouped by prefix: an IPv4 address per /32 and an IPv6 one per /64 by
//!   default (a home or phone gets a whole /64, so keying per /128 would give it 2^64
//!   budgets). Both lengths are configurable in `[limits]`.
//! - The key never leaves the process in clear: what is stored (holds, idempotency
//!   scopes) or logged is a keyed digest of it ([`crate::booking::secrets::Pepper`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

/// How client keys are derived (the `[limits]` settings and `--trust-proxy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKeys {
    /// Read `X-Forwarded-For` (only behind proxies that append to it).
    pub trust_proxy: bool,
    /// Trusted proxies in front of the server, each appending one entry.
    pub proxy_hops: u8,
    /// Prefix length an IPv4 address is grouped by (1–32).
    pub ipv4_prefix: u8,
    /// Prefix length an IPv6 address is grouped by (1–128).
    pub ipv6_prefix: u8,
}

impl Default for ClientKeys {
    fn default() -> Self {
        ClientKeys {
            trust_proxy: false,
            proxy_hops: 1,
            ipv4_prefix: 32,
            ipv6_prefix: 64,
        }
    }
}

/// A client: its address reduced to the configured prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of a request with `peer` as TCP peer and `headers`.
    pub fn of(settings: &ClientKeys, peer: IpAddr, headers: &HeaderMap) -> ClientKey {
        let address = if settings.trust_proxy {
            forwarded_address(headers, settings.proxy_hops).unwrap_or(peer)
        } else {
            peer
        };
        ClientKey(grouped(address, settings))
    }

    /// The (grouped) address, for in-memory limiters only.
    pub fn address(&self) -> IpAddr {
        self.0
    }
}

/// `a.b.c.d/32` or `x:y::/64`: stable text to derive digests from.
impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}"),
        }
    }
}

/// `address` with every bit past the prefix cleared.
fn grouped(address: IpAddr, settings: &ClientKeys) -> IpAddr {
    // An IPv4 client reached over IPv6 (`::ffff:a.b.c.d`) is an IPv4 client.
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(settings.ipv4_prefix.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u32::from(settings.ipv6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// The entry the trusted proxies appended: the `hops`-th from the right of every
/// `X-Forwarded-For` line taken together. `None` (use the peer) when the header is
/// missing, too short, not text, or that entry is not an address.
fn forwarded_address(headers: &HeaderMap, hops: u8) -> Option<IpAddr> {
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let text = value.to_str().ok()?;
        entries.extend(text.split(',').map(str::trim));
    }
    let index = entries.len().checked_sub(usize::from(hops.max(1)))?;
    parse_entry(entries.get(index)?)
}

/// An address as proxies write it: `a.b.c.d`, `x::y`, `a.b.c.d:port` or `[x::y]:port`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The middleware that works out the request's [`ClientKey`] once, for every layer and
/// handler after it.
pub async fn identify(
    State(settings): State<ClientKeys>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let key = ClientKey::of(&settings, peer, request.headers());
    request.extensions_mut().insert(key);
    next.run(request).await
}

/// Handlers take the key [`identify`] found (the unspecified address if it did not run,
/// as in router tests without a socket).
impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientKey>()
            .copied()
            .unwrap_or(ClientKey(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append("x-forwarded-for", line.parse().unwrap());
        }
        map
    }

    fn key(settings: &ClientKeys, peer: &str, lines: &[&str]) -> String {
        ClientKey::of(settings, peer.parse().unwrap(), &headers(lines)).to_string()
    }

    const PEER: &str = "10.0.0.1";

    #[test]
    fn ipv6_clients_are_grouped_per_64_and_ipv4_per_address() {
        let settings = ClientKeys::default();
        assert_eq!(
            key(&settings, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &[]),
            "2001:db8:1:2::"
        );
        assert_eq!(
            key(&settings, "2001:db8:1:2::1", &[]),
            key(&settings, "2001:db8:1:2:ffff::9", &[])
        );
        assert_ne!(
            key(&settings, "2001:db8:1:2::1", &[]),
            key(&settings, "2001:db8:1:3::1", &[])
        );
        assert_eq!(key(&settings, "192.0.2.77", &[]), "192.0.2.77");
        assert_eq!(key(&settings, "::ffff:192.0.2.77", &[]), "192.0.2.77");
        let wide = ClientKeys {
            ipv4_prefix: 24,
            ipv6_prefix: 48,
            ..settings
        };
        assert_eq!(key(&wide, "192.0.2.77", &[]), "192.0.2.0");
        assert_eq!(key(&wide, "2001:db8:1:2::1", &[]), "2001:db8:1::");
        let whole = ClientKeys {
            ipv4_prefix: 0,
            ipv6_prefix: 0,
            ..settings
        };
        assert_eq!(key(&whole, "192.0.2.77", &[]), "0.0.0.0");
    }

    #[test]
    fn without_trust_the_header_is_ignored() {
        let settings = ClientKeys::default();
        assert_eq!(key(&settings, PEER, &["192.0.2.1"]), PEER);
    }

    #[test]
    fn behind_one_proxy_the_rightmost_entry_counts() {
        let settings = ClientKeys {
            trust_proxy: true,
            ..ClientKeys::default()
        };
        assert_eq!(key(&settings, PEER, &["192.0.2.1"]), "192.0.2.1");
        // Entries to its left were written by the client.
        assert_eq!(key(&settings, PEER, &["6.6.6.6, 192.0.2.1"]), "192.0.2.1");
        assert_eq!(key(&settings, PEER, &["6.6.6.6", "192.0.2.1"]), "192.0.2.1");
        assert_eq!(key(&settings, PEER, &["192.0.2.1:4711"]), "192.0.2.1");
        assert_eq!(key(&settings, PEER, &["[2001:db8::5]:443"]), "2001:db8::");
        assert_eq!(key(&settings, PEER, &[]), PEER);
    }

    #[test]
    fn a_malformed_entry_means_the_peer_never_a_client_written_one() {
        let settings = ClientKeys {
            trust_proxy: true,
            ..ClientKeys::default()
        };
        assert_eq!(key(&settings, PEER, &["6.6.6.6, garbage"]), PEER);
        assert_eq!(key(&settings, PEER, &["6.6.6.6, "]), PEER);
        assert_eq!(key(&settings, PEER, &["6.6.6.6,unknown"]), PEER);
        let mut map = headers(&["6.6.6.6"]);
        map.append(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"\xff").unwrap(),
        );
        assert_eq!(
            ClientKey::of(&settings, PEER.parse().unwrap(), &map).to_string(),
            PEER
        );
    }

    #[test]
    fn behind_two_proxies_the_second_entry_from_the_right_counts() {
        let settings = ClientKeys {
            trust_proxy: true,
            proxy_hops: 2,
            ..ClientKeys::default()
        };
        // client -> CDN (appends the client) -> balancer (appends the CDN) -> cita
        assert_eq!(
            key(&settings, PEER, &["6.6.6.6, 192.0.2.1, 198.51.100.9"]),
            "192.0.2.1"
        );
        // Too short for two trusted proxies: someone skipped one.
        assert_eq!(key(&settings, PEER, &["192.0.2.1"]), PEER);
    }
}
