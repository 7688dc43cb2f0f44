//! Logins: who may read and send, and brute-force protection across SMTP, IMAP
//! and POP3.
//!
//! RFC 6109 5.2: access to the access point is allowed only after the user has
//! authenticated, so that a message is sent by the holder of the sender address.
//! The status rules (who may send, who may only read) are the provider's contract
//! with its holders (lifecycle.md, "Expiry, suspension, closure": a suspended
//! mailbox neither sends nor receives and nothing is deleted; a receive-only one is
//! in the grace after expiry, receiving but not sending; a closed one is gone).
//!
//! Password logins invite online guessing (RFC 4954 9 and RFC 3501 11, the
//! security considerations of SMTP AUTH and IMAP LOGIN): failed logins are
//! counted per account and per client IP in a sliding window; past the limit,
//! logins from that account or IP are refused for a while, even with the right
//! password, and every failure and lockout is logged. The numbers are ours.
//!
//! Two-factor login (RFC 6238, office::security): once a mailbox has TOTP on,
//! its main password opens only the web (which then asks for a code), and the
//! mail protocols, which cannot ask for one, take only its app passwords; an
//! app password never opens the web. The [`Channel`] of a login says which.
//! A wrong second factor counts in the same limits ([`Engine::second_factor_failed`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use store::mailboxes::{Mailbox, Status};

use crate::{Engine, Result};

/// Limits of the brute-force protection.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Failures of one account within `window` before it is locked.
    pub per_account: usize,
    /// Failures from one IP address within `window` before it is locked.
    pub per_ip: usize,
    pub window: Duration,
    pub lockout: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            per_account: 10,
            per_ip: 30,
            window: Duration::from_secs(900),
            lockout: Duration::from_secs(900),
        }
    }
}

/// In-memory failure counters (per node). The engine keeps one for the logins;
/// the Order's reserved area (`office::registry::reserved`) keeps its own, with
/// its own limits, for its link requests and wrong links.
#[derive(Debug, Default)]
pub struct LoginGuard {
    config: GuardConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures: HashMap<String, Vec<Instant>>,
    locked: HashMap<String, Instant>,
}

impl LoginGuard {
    pub fn new(config: GuardConfig) -> Self {
        LoginGuard {
            config,
            state: Mutex::new(State::default()),
        }
    }

    fn keys(account: &str, ip: IpAddr) -> [String; 2] {
        [
            format!("account:{}", account.trim().to_ascii_lowercase()),
            format!("ip:{ip}"),
        ]
    }

    /// When the account or the IP is locked, for how long more.
    pub fn locked(&self, account: &str, ip: IpAddr) -> Option<Duration> {
        let mut s = self.state.lock().ok()?;
        let now = Instant::now();
        s.locked.retain(|_, until| *until > now);
        Self::keys(account, ip)
            .iter()
            .filter_map(|k| s.locked.get(k))
            .map(|until| *until - now)
            .max()
    }

    /// Counts a failure (or, for a limit on requests, a request) of `account` from `ip`.
    pub fn failed(&self, account: &str, ip: IpAddr) {
        let Ok(mut s) = self.state.lock() else { return };
        let now = Instant::now();
        let window = self.config.window;
        for (key, limit) in Self::keys(account, ip)
            .into_iter()
            .zip([self.config.per_account, self.config.per_ip])
        {
            let list = s.failures.entry(key.clone()).or_default();
            list.retain(|t| now.duration_since(*t) < window);
            list.push(now);
            if list.len() >= limit {
                tracing::warn!(target: "security", "{key} locked for {:?} after {} failed logins", self.config.lockout, list.len());
                s.locked.insert(key, now + self.config.lockout);
            }
        }
        // Bound the memory an attacker can make us use.
        if s.failures.len() > 100_000 {
            s.failures
                .retain(|_, l| l.last().is_some_and(|t| now.duration_since(*t) < window));
        }
    }

    /// Forgets the failures of `account` (not of the IP).
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.failures.remove(&Self::keys(account, IpAddr::from([0, 0, 0, 0]))[0]);
        }
    }
}

/// Why a login is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    /// Wrong user or password (the two are not told apart).
    Invalid,
    /// Too many failures: try again later.
    Throttled { retry_after: Duration },
    /// The mailbox is closed (or suspended where reading is not allowed).
    Disabled(String),
}

/// What a login is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// SMTP submission: only an active mailbox may send.
    Send,
    /// IMAP, POP3: reading (a suspended mailbox may, if configured).
    Read,
}

/// Where a login comes from, which decides the credentials it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The webmail: the main password only (then a code, when TOTP is on).
    Web,
    /// SMTP, IMAP, POP3: the main password while TOTP is off; app passwords always.
    Mail,
}

/// A login allowed.
#[derive(Debug, Clone)]
pub struct Granted {
    pub mailbox: Mailbox,
    /// The session may read but change nothing: a suspended mailbox let in by
    /// [`crate::Config::suspended_can_read`]. A front end without that notion
    /// (POP3) ignores it.
    pub read_only: bool,
}

impl Engine {
    /// Checks a login for `purpose` from `ip` through `channel` (`protocol`
    /// names it in the logs).
    pub async fn login(
        &self,
        protocol: &str,
        user: &str,
        password: &str,
        ip: IpAddr,
        purpose: Purpose,
        channel: Channel,
    ) -> Result<std::result::Result<Granted, LoginRefused>> {
        // RFC 4954 9, RFC 3501 11: a locked account or address is refused before the
        // password is even checked, so guessing on gains nothing.
        if let Some(retry_after) = self.guard.locked(user, ip) {
            tracing::warn!(target: "security", protocol, user, %ip, "login refused: too many failures");
            return Ok(Err(LoginRefused::Throttled { retry_after }));
        }
        // RFC 6109 5.2: access only upon successful authentication.
        let found = match channel {
            Channel::Web => self.authenticate(user, password).await?,
            Channel::Mail => self.authenticate_mail(user, password).await?,
        };
        let Some(mailbox) = found else {
            tracing::warn!(target: "security", protocol, user, %ip, "failed login");
            self.guard.failed(user, ip);
            return Ok(Err(LoginRefused::Invalid));
        };
        self.guard.succeeded(user);
        let granted = |mailbox, read_only| Ok(Granted { mailbox, read_only });
        // lifecycle.md "Expiry, suspension, closure": what each status may do.
        Ok(match (mailbox.status, purpose) {
            (Status::Active, _) | (Status::ReceiveOnly, Purpose::Read) => granted(mailbox, false),
            (Status::ReceiveOnly, Purpose::Send) => Err(LoginRefused::Disabled(format!(
                "the mailbox {} has expired and can only receive: renew it to send again",
                mailbox.address
            ))),
            // Its contents are kept and remain the holder's: reading them, not changing them.
            (Status::Suspended, Purpose::Read) if self.config.suspended_can_read => granted(mailbox, true),
            (Status::Suspended, _) => Err(LoginRefused::Disabled(format!(
                "the mailbox {} is suspended: renew it to use it again",
                mailbox.address
            ))),
            (Status::Closed, _) => Err(LoginRefused::Disabled(format!(
                "the mailbox {} is closed",
                mailbox.address
            ))),
        })
    }
}

impl Engine {
    /// SMTP, IMAP, POP3: the mailbox when `password` is its main password and
    /// TOTP is off, or one of its app passwords.
    async fn authenticate_mail(&self, login: &str, password: &str) -> Result<Option<Mailbox>> {
        let mut c = self.store.conn().await?;
        let Some(mailbox) = store::mailboxes::get(&mut c, login).await? else {
            store::mailboxes::spend_a_check(password).await;
            return Ok(None);
        };
        let mut checked = false;
        if !store::two_factor::totp_enabled(&mut c, mailbox.id).await? {
            if let Some(m) = store::mailboxes::authenticate(&mut c, login, password).await? {
                return Ok(Some(m));
            }
            checked = true;
        }
        // Only what has the form of an app password is worth the slow checks.
        if let Some(candidate) = app_password_form(password) {
            for (id, hash) in store::two_factor::app_password_hashes(&mut c, mailbox.id).await? {
                if store::mailboxes::verify_password(&hash, &candidate).await {
                    store::two_factor::app_password_used(&mut c, id, self.now_ms()).await?;
                    tracing::info!(target: "security", address = %mailbox.address, app_password = id, "login with an app password");
                    return Ok(Some(mailbox));
                }
                checked = true;
            }
        }
        if !checked {
            // As slow as a refusal elsewhere: timing does not tell that TOTP is on.
            store::mailboxes::spend_a_check(password).await;
        }
        Ok(None)
    }

    /// When logins of `account` or from `ip` are locked, for how long more.
    pub fn login_locked(&self, account: &str, ip: IpAddr) -> Option<Duration> {
        self.guard.locked(account, ip)
    }

    /// A login of `account` that succeeded outside `login` (a console's): its failures are forgotten.
    pub fn login_succeeded(&self, account: &str) {
        self.guard.succeeded(account);
    }

    /// A wrong second factor: it counts as a failed login of `account` from `ip`.
    pub fn second_factor_failed(&self, account: &str, ip: IpAddr) {
        tracing::warn!(target: "security", user = account, %ip, "failed second factor");
        self.guard.failed(account, ip);
    }
}

/// The letters of an app password as generated (16 lowercase letters, shown in
/// groups of four): what a person pastes with spaces or dashes, or in capitals,
/// is the same password.
pub fn app_password_form(given: &str) -> Option<String> {
    let letters: String = given
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (letters.len() == 16 && letters.bytes().all(|b| b.is_ascii_lowercase())).then_some(letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_limit_and_other_accounts_are_not() {
        let g = LoginGuard::new(GuardConfig {
            per_account: 3,
            per_ip: 100,
            ..GuardConfig::default()
        });
        let ip = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..3 {
            assert!(g.locked("a@x.it", ip).is_none());
            g.failed("a@x.it", ip);
        }
        assert!(g.locked("A@x.it", ip).is_some());
        assert!(g.locked("b@x.it", ip).is_none());
    }

    #[test]
    fn app_passwords_are_read_with_or_without_separators() {
        assert_eq!(
            app_password_form("abcd-efgh-ijkl-mnop").as_deref(),
            Some("abcdefghijklmnop")
        );
        assert_eq!(
            app_password_form("ABCD efgh ijkl mnop").as_deref(),
            Some("abcdefghijklmnop")
        );
        assert_eq!(app_password_form("abcd-efgh-ijkl-mno"), None);
        assert_eq!(app_password_form("abcd-efgh-ijkl-mn0p"), None);
        assert_eq!(app_password_form("àbcd-efgh-ijkl-mnop"), None);
    }

    #[test]
    fn an_ip_is_locked_after_its_limit_whatever_the_accounts() {
        let g = LoginGuard::new(GuardConfig {
            per_account: 100,
            per_ip: 5,
            ..GuardConfig::default()
        });
        let ip = IpAddr::from([10, 0, 0, 1]);
        for i in 0..5 {
            g.failed(&format!("u{i}@x.it"), ip);
        }
        assert!(g.locked("new@x.it", ip).is_some());
        assert!(g.locked("new@x.it", IpAddr::from([10, 0, 0, 2])).is_none());
    }
}
