//! Appointment locators: 8 Crockford base32 characters (40 random bits), short enough to
//! read over the phone, random so they reveal nothing about volume or order.

use std::fmt;

use rand::Rng;
use thiserror::Error;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 8;

/// A public appointment reference such as `7K3MZQ2D`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locator(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocatorError {
    #[error("a locator has 8 letters and digits")]
    Malformed,
}

impl Locator {
    /// A fresh random locator. Uniqueness is enforced by the store, which retries.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let text = (0..LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..32)]))
            .collect();
        Locator(text)
    }

    /// Accepts any case, ignores spaces and dashes, and reads the look-alikes Crockford
    /// allows (`O` as `0`, `I`/`L` as `1`), so a locator copied by hand still works.
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let mut out = String::with_capacity(LEN);
        for c in text.chars().filter(|c| !matches!(c, ' ' | '-')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(LocatorError::Malformed);
            }
            out.push(c);
        }
        if out.len() == LEN {
            Ok(Locator(out))
        } else {
            Err(LocatorError::Malformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn generated_locators_parse_back_and_differ() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let locator = Locator::generate(&mut rng);
            assert_eq!(locator.as_str().len(), 8);
            assert_eq!(Locator::parse(locator.as_str()), Ok(locator.clone()));
            seen.insert(locator);
        }
        assert_eq!(
            seen.len(),
            10_000,
            "40 random bits should not collide in 10k draws"
        );
    }

    #[test]
    fn parse_accepts_any_case_and_crockford_lookalikes() {
        let canonical = Locator::parse("7K3MZQ2D").unwrap();
        assert_eq!(Locator::parse("7k3mzq2d"), Ok(canonical.clone()));
        assert_eq!(Locator::parse("7K3M-ZQ2D"), Ok(canonical.clone()));
        assert_eq!(Locator::parse("o1lI0000").unwrap().as_str(), "01110000");
    }

    #[test]
    fn parse_rejects_wrong_length_and_letters_outside_the_alphabet() {
        for bad in [
            "",
            "7K3MZQ2",
            "7K3MZQ2DX",
            "7K3MZQ2U",
            "7K3MZQ2Ñ",
            "7K3MZQ2!",
        ] {
            assert_eq!(Locator::parse(bad), Err(LocatorError::Malformed), "{bad}");
        }
    }
}
