//! The public receipt verifier: anyone uploads a PEC message (`.eml`) of any
//! provider and is told what it is, who it concerns, its legal time, whether
//! its signature matches and whether the signer is a provider of this
//! installation's index (its trust list, pec-rules.md 6.1) — the same verdict as
//! `certa inspect` and `certa verify` (`pec::verdict`). Nothing uploaded is
//! stored.
//!
//! The verifier needs no login, so it is rate-limited per client address
//! ([`Limiter`], a sliding window on the office's clock, per node like the
//! engine's login guard); the size of an upload is bounded by [`MAX_SIZE`].

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use engine::ProviderIndex;
use pec::parse::Parsed;
use pec::smime::SignatureReport;
use pec::verdict::{self, Outcome};
use serde::Serialize;

use crate::{Error, Office, Result};

/// The largest message the verifier reads: a PEC of the legal floor (DM
/// 2/11/2005 art. 12 c. 2: 30 MB) and its receipt fit.
pub const MAX_SIZE: usize = 30 * 1024 * 1024;

/// What the verifier says about one message.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub size: usize,
    pub outcome: Outcome,
    /// The line of `certa verify`.
    pub verdict: String,
    /// The PEC kind (`accettazione`, `busta-trasporto`, ...).
    pub kind: Option<String>,
    /// The kind in words, Italian name first.
    pub kind_description: Option<String>,
    pub subject: Option<String>,
    /// The original sender (daticert `mittente`, else `X-Mittente`).
    pub sender: Option<String>,
    /// `address (certificato|esterno)`, from daticert.
    pub recipients: Vec<String>,
    pub legal_time: Option<String>,
    pub identificativo: Option<String>,
    pub msgid: Option<String>,
    /// The provider that issued it (daticert `gestore-emittente`).
    pub issued_by: Option<String>,
    /// The recipient a delivery receipt or non-delivery notice is about.
    pub recipient: Option<String>,
    pub error: Option<String>,
    pub receipt_type: Option<String>,
    pub signature: Option<SignatureReport>,
    /// Who signed, as a person names them.
    pub signer: Option<String>,
    /// The provider of the index whose certificate signed, if one did.
    pub signer_provider: Option<String>,
    /// Deviations from the rules, then the signature's problems.
    pub problems: Vec<String>,
    /// Why it is not PEC, when it is not.
    pub not_pec: Option<String>,
    /// `certa inspect`'s summary.
    pub summary: String,
}

/// A message examined against the index: parsed with its trust list, the
/// verdict, and the provider whose certificate signed. The proof bundle's
/// signature checks are these too.
pub(crate) struct Examined {
    pub parsed: Parsed,
    pub outcome: Outcome,
    pub line: String,
    pub provider: Option<String>,
}

pub(crate) fn examine(index: &ProviderIndex, raw: &[u8]) -> Examined {
    let parsed = pec::parse(raw, Some(index.trust()));
    let (outcome, line) = verdict::verdict(&parsed);
    let provider = match &parsed {
        Parsed::Pec(m) if outcome.signature_matches() => {
            index.provider_for_signer(&m.signature).map(|p| p.name.clone())
        }
        _ => None,
    };
    Examined {
        parsed,
        outcome,
        line,
        provider,
    }
}

/// Verifies an uploaded message. An empty or oversized upload is refused; any
/// other bytes get a verdict (random bytes are "not a PEC message", a cut
/// S/MIME message an unreadable or invalid signature), never an error.
pub async fn verify(office: &Office, raw: Vec<u8>) -> Result<Verification> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("message", "the file is empty"));
    }
    if raw.len() > MAX_SIZE {
        return Err(Error::invalid(
            "message",
            format!("the file is larger than {} MB", MAX_SIZE / (1024 * 1024)),
        ));
    }
    let engine = office.engine().clone();
    let report = tokio::task::spawn_blocking(move || {
        let size = raw.len();
        let e = examine(engine.index(), &raw);
        report(size, e)
    })
    .await
    .map_err(|e| Error::corrupt(format!("the verification stopped: {e}")))?;
    tracing::info!(
        size = report.size,
        outcome = report.outcome.as_str(),
        "public verifier used"
    );
    Ok(report)
}

fn report(size: usize, e: Examined) -> Verification {
    let summary = verdict::summary("message", &e.parsed);
    let mut v = Verification {
        size,
        outcome: e.outcome,
        verdict: e.line,
        kind: None,
        kind_description: None,
        subject: None,
        sender: None,
        recipients: Vec::new(),
        legal_time: None,
        identificativo: None,
        msgid: None,
        issued_by: None,
        recipient: None,
        error: None,
        receipt_type: None,
        signature: None,
        signer: None,
        signer_provider: e.provider,
        problems: Vec::new(),
        not_pec: None,
        summary,
    };
    match e.parsed {
        Parsed::NotPec(n) => {
            v.not_pec = Some(n.reason);
            v.subject = n.subject;
        }
        Parsed::Pec(m) => {
            v.kind = Some(m.kind.to_string());
            v.kind_description = Some(m.kind.describe().to_string());
            v.subject = m.headers.subject.clone();
            v.sender = m.sender().map(str::to_string);
            v.legal_time = verdict::legal_time(&m);
            v.error = verdict::error(&m);
            v.receipt_type = m.receipt_kind().map(|k| k.as_str().to_string());
            v.problems = verdict::problems(&m).into_iter().cloned().collect();
            if m.signature.verdict != pec::smime::SignatureVerdict::Unreadable {
                v.signer = Some(verdict::signer_name(&m.signature));
            }
            if let Some(d) = &m.daticert {
                v.recipients = d
                    .destinatari
                    .iter()
                    .map(|r| format!("{} ({})", r.address, r.tipo))
                    .collect();
                v.identificativo = Some(d.identificativo.clone());
                v.msgid = d.msgid.clone();
                v.issued_by = Some(d.gestore_emittente.clone()).filter(|g| !g.is_empty());
                v.recipient = d.consegna.clone();
            } else {
                v.msgid = m.headers.x_riferimento_message_id.clone();
            }
            v.signature = Some(m.signature);
        }
    }
    v
}

/// Too many verifications from one client address: try again after this many minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Throttled {
    pub minutes: u64,
}

/// Verifications allowed per client address in a sliding window, on the
/// office's clock. Per node, in memory: a client that spreads over nodes gets
/// one allowance from each, which bounds the work all the same.
#[derive(Debug)]
pub struct Limiter {
    per_window: usize,
    window_ms: i64,
    seen: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl Default for Limiter {
    /// 20 verifications per client address in 10 minutes: a person checking a
    /// folder of receipts one by one is not held up; a script is.
    fn default() -> Self {
        Limiter::new(20, Duration::from_secs(600))
    }
}

impl Limiter {
    pub fn new(per_window: usize, window: Duration) -> Limiter {
        Limiter {
            per_window,
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one verification from `ip` at `now` (ms), or says how long to wait.
    fn admit_at(&self, ip: IpAddr, now: i64) -> Result<(), Throttled> {
        let Ok(mut seen) = self.seen.lock() else {
            return Ok(());
        };
        // Bound the memory a crowd of addresses can make us use.
        if seen.len() > 100_000 {
            seen.retain(|_, times| times.back().is_some_and(|t| now - t < self.window_ms));
        }
        let times = seen.entry(client(ip)).or_default();
        while times.front().is_some_and(|t| now - t >= self.window_ms) {
            times.pop_front();
        }
        if times.len() >= self.per_window {
            let oldest = times.front().copied().unwrap_or(now);
            let wait_ms = (oldest + self.window_ms - now).max(0);
            return Err(Throttled {
                minutes: u64::try_from(wait_ms).unwrap_or(0).div_ceil(60_000).max(1),
            });
        }
        times.push_back(now);
        Ok(())
    }
}

/// Counts one verification from `ip` on the office's clock; `Err` when the
/// address is over its allowance.
pub fn admit(office: &Office, limiter: &Limiter, ip: IpAddr) -> Result<(), Throttled> {
    let outcome = limiter.admit_at(ip, office.now_ms());
    if let Err(t) = &outcome {
        tracing::warn!(target: "security", %ip, minutes = t.minutes, "public verifier: too many requests");
    }
    outcome
}

/// The key of a client: its IPv4 address, or the /64 of its IPv6 address (RFC
/// 4291 2.5.4: one network's hosts share it, and a host picks among its /64 at will).
fn client(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_allowance_per_window() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(l.admit_at(ip, 0).is_ok());
        assert!(l.admit_at(ip, 1_000).is_ok());
        assert_eq!(l.admit_at(ip, 2_000), Err(Throttled { minutes: 1 }));
        assert!(
            l.admit_at("192.0.2.2".parse().unwrap(), 2_000).is_ok(),
            "another address"
        );
        assert!(l.admit_at(ip, 60_000).is_ok(), "the first one left the window");
    }

    #[test]
    fn ipv6_hosts_of_one_network_share_an_allowance() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(client(a), client(b));
        assert_ne!(client(a), client("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(client("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
