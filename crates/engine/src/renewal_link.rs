//! The link of a renewal notice (issue 13): the page of one renewal order,
//! opened without logging in. The link carries the order's id, the last day it
//! opens, and an HMAC-SHA256 of both under the provider's key
//! (`<data dir>/renewal-link.key`, [`crate::keyfile`]): whoever has the notice
//! can open it, nobody can make one for another order, change its day or guess
//! one (the order number alone opens nothing).
//!
//! The token is `base64url(order id, "\n", yyyymmdd) "." base64url(MAC)`, all
//! URL-safe; [`LINK_DAYS`] after the expiry the order renews, it stops opening
//! (the mailbox is closed by then and can only be bought again).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, NaiveDate};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use crate::keyfile::{self, KEY_BYTES};

/// The key file under the data directory.
pub const KEY_FILE: &str = "renewal-link.key";

/// How many days after the expiry it renews a renewal link opens.
pub const LINK_DAYS: u64 = 180;

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link of this provider, or altered.
    Invalid,
    /// A true link whose last day has passed.
    Expired,
}

/// Makes and checks renewal links under one key.
pub struct RenewalLinks {
    key: [u8; KEY_BYTES],
}

impl std::fmt::Debug for RenewalLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RenewalLinks(..)")
    }
}

impl RenewalLinks {
    /// The links of the data directory `data_dir` (its key made on first use).
    pub fn of(data_dir: &std::path::Path) -> std::io::Result<RenewalLinks> {
        Ok(RenewalLinks {
            key: keyfile::load_or_create(&data_dir.join(KEY_FILE))?,
        })
    }

    /// The token of the order `order_id`, which renews the expiry `renews`.
    pub fn token(&self, order_id: &str, renews: NaiveDate) -> String {
        let until = renews.checked_add_days(Days::new(LINK_DAYS)).unwrap_or(renews);
        let claim = format!("{order_id}\n{}", until.format("%Y%m%d"));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(claim.as_bytes()),
            URL_SAFE_NO_PAD.encode(self.mac(claim.as_bytes()))
        )
    }

    /// The order a token opens on `today`.
    pub fn check(&self, token: &str, today: NaiveDate) -> Result<String, LinkProblem> {
        let (claim, mac) = token.split_once('.').ok_or(LinkProblem::Invalid)?;
        let claim = URL_SAFE_NO_PAD.decode(claim).map_err(|_| LinkProblem::Invalid)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| LinkProblem::Invalid)?;
        let expected = self.mac(&claim);
        if mac.len() != expected.len() || !openssl::memcmp::eq(&mac, &expected) {
            return Err(LinkProblem::Invalid);
        }
        let claim = String::from_utf8(claim).map_err(|_| LinkProblem::Invalid)?;
        let (order, until) = claim.split_once('\n').ok_or(LinkProblem::Invalid)?;
        let until = NaiveDate::parse_from_str(until, "%Y%m%d").map_err(|_| LinkProblem::Invalid)?;
        if today > until {
            return Err(LinkProblem::Expired);
        }
        Ok(order.to_string())
    }

    fn mac(&self, claim: &[u8]) -> Vec<u8> {
        // Both calls fail only if OpenSSL cannot make an HMAC at all; an empty
        // MAC then matches nothing, since `check` compares lengths first.
        let Ok(key) = PKey::hmac(&self.key) else {
            return Vec::new();
        };
        let Ok(mut signer) = Signer::new(MessageDigest::sha256(), &key) else {
            return Vec::new();
        };
        let mut input = b"certa renewal link\0".to_vec();
        input.extend_from_slice(claim);
        signer.sign_oneshot_to_vec(&input).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_link_opens_its_order_until_its_last_day_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let links = RenewalLinks::of(dir.path()).unwrap();
        let token = links.token("RIN-2026-000042", day(2026, 12, 31));
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert!(
            !token.contains("RIN-2026"),
            "the order number is not readable in the link"
        );
        assert_eq!(links.check(&token, day(2026, 12, 1)).unwrap(), "RIN-2026-000042");
        assert_eq!(links.check(&token, day(2027, 6, 29)).unwrap(), "RIN-2026-000042");
        assert_eq!(links.check(&token, day(2027, 6, 30)), Err(LinkProblem::Expired));

        // Another order or another day under the same MAC: refused.
        let (_, mac) = token.split_once('.').unwrap();
        for claim in ["RIN-2026-000043\n20270629", "RIN-2026-000042\n20991231"] {
            let forged = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(claim));
            assert_eq!(links.check(&forged, day(2026, 12, 1)), Err(LinkProblem::Invalid));
        }
        for bad in [
            "",
            ".",
            "abc",
            "RIN-2026-000042",
            &token[..token.len() - 1],
            &format!("{token}A"),
        ] {
            assert_eq!(links.check(bad, day(2026, 12, 1)), Err(LinkProblem::Invalid), "{bad:?}");
        }
        // Another provider's key: its links do not open here.
        let other = RenewalLinks::of(tempfile::tempdir().unwrap().path()).unwrap();
        assert_eq!(other.check(&token, day(2026, 12, 1)), Err(LinkProblem::Invalid));
    }
}
