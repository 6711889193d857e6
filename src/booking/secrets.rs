//! Bearer tokens, hold ids and row ids: random, and tokens only ever stored hashed; and
//! the [`Pepper`] that keys the digests of client addresses and documents.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 160 random bits as lowercase hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// 128 random bits as hex, for row ids that are never secrets.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// SHA-256 as hex: what the store keeps instead of a token.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The server-wide secret key of the digests cita stores or logs instead of a client's
/// address or a citizen's document (a hold's owner, an idempotency scope, the access
/// log's client). Equal inputs give equal digests on every instance, since the key lives
/// in the database; without the key nobody can reverse a digest by trying every address
/// or every DNI, which a plain hash would allow (there are only 2^32 IPv4 addresses).
#[derive(Clone)]
pub struct Pepper(Arc<[u8; 32]>);

impl Pepper {
    /// A new random key.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Pepper(Arc::new(key))
    }

    /// The key as stored (64 hex digits).
    pub fn to_hex(&self) -> String {
        hex(self.0.as_slice())
    }

    /// A key read back from [`Pepper::to_hex`]; `None` if it is not 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (byte, pair) in key.iter_mut().zip(text.chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Pepper(Arc::new(key)))
    }

    /// 64 bytes of key material for `purpose` (two HMAC-SHA-256 tags), for keys other
    /// layers need, such as the pages' cookie encryption: the same on every instance.
    pub fn key_material(&self, purpose: &str) -> [u8; 64] {
        let mut material = [0u8; 64];
        for (half, chunk) in material.chunks_exact_mut(32).enumerate() {
            if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.as_slice()) {
                mac.update(purpose.as_bytes());
                mac.update(&[0, u8::try_from(half).unwrap_or(0)]);
                chunk.copy_from_slice(&mac.finalize().into_bytes());
            }
        }
        material
    }

    /// HMAC-SHA-256 of `value` for `purpose` (so one value gives unrelated digests for
    /// unrelated uses), as 32 hex digits (128 bits).
    pub fn digest(&self, purpose: &str, value: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.as_slice()) else {
            // HMAC takes keys of any length; this cannot happen.
            return sha256_hex(&format!("{purpose}\u{0}{value}"))[..32].to_owned();
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let tag = mac.finalize().into_bytes();
        hex(&tag[..16])
    }
}

/// Never print the key.
impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(sha256_hex(&a), a);
    }

    #[test]
    fn pepper_digests_are_keyed_per_purpose_and_round_trip() {
        let pepper = Pepper::random();
        let again = Pepper::from_hex(&pepper.to_hex()).unwrap();
        assert_eq!(
            pepper.digest("client", "192.0.2.1"),
            again.digest("client", "192.0.2.1")
        );
        assert_eq!(pepper.digest("client", "192.0.2.1").len(), 32);
        assert_ne!(pepper.digest("client", "x"), pepper.digest("document", "x"));
        assert_ne!(
            pepper.digest("client", "x"),
            Pepper::random().digest("client", "x")
        );
        assert!(Pepper::from_hex("abc").is_none());
        assert!(Pepper::from_hex(&"g".repeat(64)).is_none());
        assert_eq!(format!("{pepper:?}"), "Pepper(..)");
    }
}
