//! The Order's reserved area for its members (issue 13, item 5): a member of
//! an Order kept here logs in with their codice fiscale and a one-time link the
//! Order sends them, sees what the Order has of them, and communicates their PEC.
//!
//! - **The link.** Asked for with the Order and a codice fiscale; the answer is
//!   the same whether or not the code is on the roll (what a stranger types
//!   tells them nothing), and the lookup and the sending happen after it.
//!   The link goes as a PEC from the Order's mailbox to the member's official
//!   PEC when there is a valid one and the Order's mailbox can send from here,
//!   else as an ordinary e-mail through the smarthost to the e-mail on the roll.
//!   Its token is 32 random bytes, kept as its SHA-256, good for
//!   [`LINK_VALIDITY`] and once (OWASP's forgot-password guidance: a random,
//!   single-use, short-lived token, the same answer for every account).
//! - **Limits.** Link requests are counted per member and per client address,
//!   and wrong or used links per client address, in the engine's
//!   [`LoginGuard`] (the webmail's sliding windows and lockouts), each with
//!   limits of their own ([`Limits`]).
//! - **The session** is the member's, apart from the webmail's: its own cookie,
//!   its own table, its own token against cross-site requests; it ends after
//!   [`SESSION_IDLE`] without a request or [`SESSION_LIFETIME`] after the link.
//! - **A communicated PEC** is checked as `member set-pec` checks it (the same
//!   [`super::members::check`]): what makes an address not count (not an
//!   address, an employer's institutional domain, a CEC-PAC, another member's,
//!   a mailbox of this installation that does not exist or is closed) is
//!   refused in words; what only looks odd (not a known PEC provider's domain,
//!   an office's mailbox name) is shown as a warning, recorded once the member
//!   says so. It is recorded by [`super::members::set_pec`], channel
//!   `reserved-area`, dated the day the Order receives it: from then on it is
//!   the official address and the next INI-PEC file carries it.
//! - **A mailbox of this installation** must be proved held first: a PEC with a
//!   confirmation link goes from the Order's mailbox to it, and the address is
//!   recorded only when the link is used (dated that day). Until then it is
//!   nowhere in the roll, so no INI-PEC file carries an address nobody proved.
//!
//! | module | what |
//! | --- | --- |
//! | here | the limits, the member's session, their record |
//! | [`link`] | the one-time link: asked for, sent, opened |
//! | [`communicate`] | a communicated PEC: checked, recorded or confirmed first |
//! | `texts` | the messages the Order sends |

mod communicate;
mod link;
mod texts;

use std::time::Duration;

use chrono::{DateTime, Utc};
use engine::guard::{GuardConfig, LoginGuard};
use registry::Member;
use serde::Serialize;
use store::registry::{StoredPec, StoredStep};
use store::reserved as tokens;

use super::members::{self, MemberShown};
use super::stored;
use crate::login::hash;
use crate::{Error, Office, Result};

pub use communicate::{Communicated, Problem, communicate, confirm};
pub use link::{Asked, LinkAsked, LinkSent, NewMemberSession, open_link, request_link, send_link};

/// How long a link to log in opens.
pub const LINK_VALIDITY: Duration = Duration::from_secs(30 * 60);
/// How long a confirmation link opens.
pub const CONFIRMATION_VALIDITY: Duration = Duration::from_secs(48 * 3600);
/// Without a request for this long, a member session ends.
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// This long after the link, a member session ends whatever the activity.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(4 * 3600);

/// The reserved area's counters (per node, like the logins').
#[derive(Debug)]
pub struct Limits {
    /// Link requests: per member (Order and codice fiscale) and per client address.
    requests: LoginGuard,
    /// Links that did not open (unknown, used, expired), per client address.
    wrong: LoginGuard,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A member needs one link, two if the first went astray: 5 an hour
            // each, 20 an hour from one address (an office behind one NAT).
            requests: LoginGuard::new(GuardConfig {
                per_account: 5,
                per_ip: 20,
                window: Duration::from_secs(3600),
                lockout: Duration::from_secs(3600),
            }),
            wrong: LoginGuard::new(GuardConfig {
                per_account: 10,
                per_ip: 10,
                window: Duration::from_secs(900),
                lockout: Duration::from_secs(900),
            }),
        }
    }
}

/// Too many requests or wrong links: try again after this many minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Throttled {
    pub minutes: u64,
}

fn throttled(retry_after: Duration) -> Throttled {
    Throttled {
        minutes: retry_after.as_secs().div_ceil(60).max(1),
    }
}

/// Why a link did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "refused", rename_all = "kebab-case")]
pub enum LinkRefusal {
    /// Unknown, used already, expired, or of another Order (never told apart).
    NotValid,
    Throttled(Throttled),
}

/// An Order whose reserved area a page shows.
#[derive(Debug, Clone, Serialize)]
pub struct AreaOrder {
    /// The code as stored.
    pub code: String,
    pub name: String,
}

/// The Order `order` (any case), for its reserved area's login page.
pub async fn area(office: &Office, order: &str) -> Result<AreaOrder> {
    let o = stored::order(&mut *office.store().conn().await?, order).await?;
    Ok(AreaOrder {
        code: o.code,
        name: o.name,
    })
}

/// The logged-in member of a request.
#[derive(Debug, Clone, Serialize)]
pub struct MemberUser {
    pub member_id: i64,
    /// The Order's code as stored.
    pub order: String,
    pub codice_fiscale: String,
    /// Name and surname.
    pub name: String,
    /// The session's token against cross-site requests.
    #[serde(skip)]
    pub csrf: String,
}

/// The member session of `token`, if it is open.
pub async fn session(office: &Office, token: &str) -> Result<Option<MemberUser>> {
    let id = hash(token);
    let mut c = office.store().conn().await?;
    let Some(s) = tokens::session(&mut c, &id).await? else {
        return Ok(None);
    };
    let now = office.now_ms();
    let idle_for = now.saturating_sub(s.last_seen_at);
    if idle_for > millis(SESSION_IDLE) || now.saturating_sub(s.created_at) > millis(SESSION_LIFETIME) {
        tokens::delete_session(&mut c, &id).await?;
        return Ok(None);
    }
    let Some((order, cf)) = tokens::member_key(&mut c, s.member_id).await? else {
        tokens::delete_session(&mut c, &id).await?;
        return Ok(None);
    };
    let Some(stored_member) = store::registry::member(&mut c, &order, &cf).await? else {
        return Ok(None);
    };
    let member = stored::decode(&stored_member)?;
    if idle_for > 60_000 {
        tokens::touch_session(&mut c, &id, now).await?;
    }
    Ok(Some(MemberUser {
        member_id: s.member_id,
        order,
        codice_fiscale: cf,
        name: format!("{} {}", member.name, member.surname),
        csrf: s.csrf,
    }))
}

/// Whether `given` is the member session's token against cross-site requests,
/// compared in constant time.
pub fn csrf_matches(user: &MemberUser, given: &str) -> bool {
    user.csrf.len() == given.len() && openssl::memcmp::eq(user.csrf.as_bytes(), given.as_bytes())
}

/// Ends the member session of `token`.
pub async fn log_out(office: &Office, token: &str) -> Result<()> {
    tokens::delete_session(&mut *office.store().conn().await?, &hash(token)).await?;
    Ok(())
}

/// Removes ended member sessions and expired tokens; how many.
pub async fn purge(office: &Office) -> Result<u64> {
    let now = office.now_ms();
    let mut c = office.store().conn().await?;
    let sessions = tokens::purge_sessions(&mut c, now - millis(SESSION_IDLE), now - millis(SESSION_LIFETIME)).await?;
    // Kept a day past their expiry: a late click is told "not valid", not a 500.
    Ok(sessions + tokens::purge_tokens(&mut c, now - 24 * 3600 * 1000).await?)
}

/// What the Order has of a member, as the member sees it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRecord {
    pub order_name: String,
    /// The Order's PEC, to write to.
    pub order_pec: String,
    #[serde(flatten)]
    pub shown: MemberShown,
    /// Addresses of this installation awaiting their confirmation.
    pub pending: Vec<Pending>,
}

/// An address awaiting its confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub address: String,
    /// When its link stops opening.
    pub until: DateTime<Utc>,
}

impl MemberRecord {
    pub fn member(&self) -> &Member {
        &self.shown.member
    }

    pub fn history(&self) -> &[StoredPec] {
        &self.shown.pec
    }

    pub fn steps(&self) -> &[StoredStep] {
        &self.shown.steps
    }
}

/// The record of the logged-in `user` in `order`: a member of another Order
/// is not found there.
pub async fn record(office: &Office, user: &MemberUser, order: &str) -> Result<MemberRecord> {
    own_order(user, order)?;
    let shown = members::show(office, &user.order, &user.codice_fiscale).await?;
    let mut c = office.store().conn().await?;
    let o = stored::order(&mut c, &user.order).await?;
    let pending = tokens::pending_confirmations(&mut c, user.member_id, office.now_ms())
        .await?
        .into_iter()
        .map(|(address, until)| Pending {
            address,
            until: store::instant(until),
        })
        .collect();
    Ok(MemberRecord {
        order_name: o.name,
        order_pec: o.pec,
        shown,
        pending,
    })
}

fn own_order(user: &MemberUser, order: &str) -> Result<()> {
    if user.order.eq_ignore_ascii_case(order) {
        Ok(())
    } else {
        Err(Error::not_found(
            "order",
            format!("no member of Order {order:?} is logged in here"),
        ))
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
