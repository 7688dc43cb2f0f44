//! Identifiers: the PEC `identificativo` and the original `msgid`.
//!
//! RFC 6109 3.1.1 / 4.4: the access point gives each accepted message a unique
//! identifier in the provider's domain; it becomes the `Message-ID` of the
//! transport envelope and of `postacert.eml`, and the `<identificativo>` of every
//! daticert about that message. The client's own Message-ID is kept as `msgid`
//! (daticert `<msgid>`, header `X-Riferimento-Message-ID`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::time::LegalTime;

/// The PEC identifier of a certified message, without angle brackets: `local@provider-domain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Identificativo(String);

impl Identificativo {
    /// Accepts an identifier read from a message: angle brackets and blanks are removed.
    /// Returns `None` when nothing usable is left or it has no `@`.
    pub fn parse(text: &str) -> Option<Self> {
        let bare = text.trim().trim_start_matches('<').trim_end_matches('>').trim();
        if bare.is_empty() || !bare.contains('@') || bare.chars().any(|c| c.is_whitespace()) {
            return None;
        }
        Some(Identificativo(bare.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part (after the last `@`).
    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or_default()
    }

    /// As a `Message-ID:` header value: `<identificativo>`.
    pub fn as_message_id(&self) -> String {
        format!("<{}>", self.0)
    }
}

impl fmt::Display for Identificativo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An original Message-ID as written by the sender's client, with its angle brackets
/// (daticert `<msgid>&lt;...&gt;</msgid>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct MsgId(String);

impl MsgId {
    /// Normalises to exactly one pair of angle brackets around the trimmed value.
    /// Returns `None` for an empty value.
    pub fn parse(text: &str) -> Option<Self> {
        let bare = text.trim().trim_start_matches('<').trim_end_matches('>').trim();
        if bare.is_empty() {
            return None;
        }
        Some(MsgId(format!("<{bare}>")))
    }

    /// With angle brackets, as in headers and daticert.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Without angle brackets.
    pub fn bare(&self) -> &str {
        self.0.trim_start_matches('<').trim_end_matches('>')
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes identifiers unique in the provider's domain: the legal time to the second,
/// a random tag drawn once per generator (so two nodes or two runs never share one),
/// and a counter. Example: `certa.20261122130501.3fa2b1c4d5e6f708.42@pec.example.it`.
#[derive(Debug)]
pub struct IdGenerator {
    domain: String,
    node: String,
    counter: AtomicU64,
}

impl IdGenerator {
    pub fn new(domain: &str) -> Self {
        let mut random = [0u8; 8];
        // A failing system RNG is fatal for uniqueness; fall back to the process id and
        // address entropy rather than panic, and keep the counter as the tie-breaker.
        if openssl::rand::rand_bytes(&mut random).is_err() {
            let fallback = u64::from(std::process::id()) ^ (&random as *const _ as u64);
            random = fallback.to_be_bytes();
        }
        IdGenerator {
            domain: domain.to_ascii_lowercase(),
            node: random.iter().map(|b| format!("{b:02x}")).collect(),
            counter: AtomicU64::new(0),
        }
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// A new identificativo for a message accepted at `at`.
    pub fn identificativo(&self, at: LegalTime) -> Identificativo {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        Identificativo(format!(
            "certa.{}.{}.{}@{}",
            at.local().format("%Y%m%d%H%M%S"),
            self.node,
            n,
            self.domain
        ))
    }

    /// A Message-ID for a receipt or notice (distinct from the identificativo it certifies).
    pub fn message_id(&self, at: LegalTime) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "<certa-r.{}.{}.{}@{}>",
            at.local().format("%Y%m%d%H%M%S"),
            self.node,
            n,
            self.domain
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn identificativi_are_unique_and_in_the_provider_domain() {
        let at = LegalTime::from_utc(chrono::Utc::now());
        let a = IdGenerator::new("pec.example.it");
        let b = IdGenerator::new("pec.example.it");
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            for g in [&a, &b] {
                let id = g.identificativo(at);
                assert_eq!(id.domain(), "pec.example.it");
                assert!(seen.insert(id));
            }
        }
    }

    #[test]
    fn msgid_keeps_one_pair_of_brackets() {
        assert_eq!(MsgId::parse(" <a@b> ").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("a@b").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("<a@b>").unwrap().bare(), "a@b");
        assert!(MsgId::parse("<>").is_none());
    }

    #[test]
    fn identificativo_parse_strips_brackets() {
        let id = Identificativo::parse("<opec288.1.63@pec.aruba.it>").unwrap();
        assert_eq!(id.as_str(), "opec288.1.63@pec.aruba.it");
        assert_eq!(id.as_message_id(), "<opec288.1.63@pec.aruba.it>");
        assert!(Identificativo::parse("no-at-sign").is_none());
    }
}
