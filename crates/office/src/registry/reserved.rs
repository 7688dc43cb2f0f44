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

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engine::guard::{GuardConfig, LoginGuard};
use engine::work::{Work, enqueue};
use registry::Member;
use registry::pec_checks::{self, PecWarning};
use serde::Serialize;
use store::registry::{StoredOrder, StoredPec, StoredStep};
use store::reserved::{self as tokens, NewToken, Purpose};

use super::members::{self, CommunicatedPec, MemberShown, PecRecorded};
use super::pec_checker::CheckLists;
use super::send::{mail_domain, send_once, unwritable, why_mailbox_cannot_send};
use super::stored;
use crate::login::{hash, random_hex};
use crate::{Error, Office, Result};
use registry::model::Channel;

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

/// What asking for a link came to.
#[derive(Debug, Clone, Serialize)]
pub struct LinkAsked {
    pub order: AreaOrder,
    pub outcome: Asked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "asked", rename_all = "kebab-case")]
pub enum Asked {
    /// Taken: a link goes to the member if the code is on the roll (not told).
    Taken,
    /// Not a codice fiscale: why.
    BadCodiceFiscale {
        reason: String,
    },
    Throttled(Throttled),
}

/// Asks for a link to the reserved area of `order` for `codice_fiscale`, from
/// `ip`. `base_url` is where the web pages are reached (ending in `/`). The
/// Order must exist and the code must be well formed; whether it is on the roll
/// is not told: the member is looked up and the link sent after the answer
/// (see [`send_link`]).
pub async fn request_link(
    office: &Office,
    order: &str,
    codice_fiscale: &str,
    ip: IpAddr,
    base_url: &str,
) -> Result<LinkAsked> {
    let order = area(office, order).await?;
    let asked = |outcome| LinkAsked {
        order: order.clone(),
        outcome,
    };
    let cf = match registry::TaxId::parse(codice_fiscale) {
        Ok(cf) => cf,
        Err(e) => return Ok(asked(Asked::BadCodiceFiscale { reason: e.to_string() })),
    };
    let account = format!("reserved:{}:{}", order.code, cf.as_str());
    let limits = office.reserved_limits();
    if let Some(after) = limits.requests.locked(&account, ip) {
        tracing::warn!(target: "security", order = %order.code, %ip, "reserved-area link refused: too many requests");
        return Ok(asked(Asked::Throttled(throttled(after))));
    }
    limits.requests.failed(&account, ip);
    let (task_office, base_url, code) = (office.clone(), base_url.to_owned(), order.code.clone());
    let cf = cf.as_str().to_owned();
    // After the answer: how long a lookup and a PEC take would tell who is on the roll.
    tokio::spawn(async move {
        match send_link(&task_office, &code, &cf, &base_url).await {
            Ok(Some(sent)) => {
                tracing::info!(order = %sent.order, to = %sent.to, by = sent.by, "reserved-area link sent");
            }
            Ok(None) => {
                tracing::info!(order = %code, "reserved-area link asked for a code not on the roll, or without an address");
            }
            Err(e) => tracing::error!(order = %code, "cannot send a reserved-area link: {e}"),
        }
    });
    Ok(asked(Asked::Taken))
}

/// A link sent.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSent {
    pub order: String,
    pub codice_fiscale: String,
    /// Where it went.
    pub to: String,
    /// `pec` (from the Order's mailbox) or `e-mail` (through the smarthost).
    pub by: &'static str,
    /// The PEC's identificativo, when sent as a PEC.
    pub identificativo: Option<String>,
}

/// Issues a link for the member `codice_fiscale` of `order` and sends it;
/// None when the code is not on the roll or the member has neither a valid
/// PEC the Order can write to from here nor an e-mail.
pub async fn send_link(office: &Office, order: &str, codice_fiscale: &str, base_url: &str) -> Result<Option<LinkSent>> {
    let mut c = office.store().conn().await?;
    let order = stored::order(&mut c, order).await?;
    let Ok(cf) = registry::TaxId::parse(codice_fiscale) else {
        return Ok(None);
    };
    let Some(member) = store::registry::member(&mut c, &order.code, cf.as_str()).await? else {
        return Ok(None);
    };
    let data = stored::decode(&member)?;
    let pec = store::registry::pec_history(&mut c, member.id)
        .await?
        .into_iter()
        .find(|p| p.official && p.valid)
        .map(|p| p.address);
    let order_can_send = why_mailbox_cannot_send(&mut c, &order).await?.is_none();
    drop(c);
    let token = random_hex(32)?;
    let token_hash = hash(&token);
    let link = format!("{base_url}area-riservata/{}/accesso/{token}", order.code);
    let text = texts::login(&order, &data, &link);
    let now = office.now_ms();
    let new = NewToken {
        hash: &token_hash,
        purpose: Purpose::Login,
        member_id: member.id,
        address: None,
        expires_at: now + millis(LINK_VALIDITY),
    };
    match (pec, &data.email) {
        (Some(to), _) if order_can_send => {
            tokens::add_token(&mut *office.store().conn().await?, &new, now).await?;
            let id = format!("area-riservata-{}@{}", &token_hash[..24], mail_domain(&order));
            let sent = send_once(office, &order, &to, &id, |m| {
                m.subject(text.subject.as_str())
                    .text_body(text.body.as_str())
                    .write_to_vec()
                    .map_err(|e| unwritable("the reserved area's link", e))
            })
            .await?
            .map_err(|why| Error::refused(format!("the link to {to} was refused: {why}")))?;
            Ok(Some(LinkSent {
                order: order.code,
                codice_fiscale: member.codice_fiscale,
                to,
                by: "pec",
                identificativo: Some(sent),
            }))
        }
        (_, Some(email)) if pec_checks::split(&pec_checks::normalise(email)).is_ok() => {
            let to = pec_checks::normalise(email);
            let from = office.engine().management_address();
            let message = mail_builder::MessageBuilder::new()
                .from((order.name.as_str(), from.as_str()))
                .to(to.as_str())
                .subject(text.subject.as_str())
                .date(now / 1000)
                .message_id(format!("area-riservata-{}@{}", &token_hash[..24], mail_domain(&order)))
                .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-generated"))
                .text_body(text.body.as_str())
                .write_to_vec()
                .map_err(|e| unwritable("the reserved area's link", e))?;
            let blob = office.store().blobs().put(&message).await?;
            let mut tx = office.store().begin().await?;
            tokens::add_token(&mut tx, &new, now).await?;
            let work = Work::Mail {
                blob,
                mail_from: from,
                rcpts: vec![to.clone()],
            };
            enqueue(&mut tx, &work, now, now).await?;
            tx.commit().await?;
            Ok(Some(LinkSent {
                order: order.code,
                codice_fiscale: member.codice_fiscale,
                to,
                by: "e-mail",
                identificativo: None,
            }))
        }
        _ => Ok(None),
    }
}

/// A member session just opened: the token for the browser's cookie.
#[derive(Debug, Clone)]
pub struct NewMemberSession {
    pub token: String,
}

/// Opens the link `token` of `order` from `ip`: a member session.
pub async fn open_link(
    office: &Office,
    order: &str,
    token: &str,
    ip: IpAddr,
) -> Result<Result<NewMemberSession, LinkRefusal>> {
    let member_id = match use_token(office, order, token, Purpose::Login, ip).await? {
        None => return Ok(Err(refusal(office, ip))),
        Some(Err(t)) => return Ok(Err(LinkRefusal::Throttled(t))),
        Some(Ok((id, _))) => id,
    };
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    tokens::create_session(
        &mut *office.store().conn().await?,
        &hash(&token),
        member_id,
        &csrf,
        office.now_ms(),
    )
    .await?;
    tracing::info!(target: "security", order, %ip, "reserved-area login");
    Ok(Ok(NewMemberSession { token }))
}

/// A token of `purpose` used for `order`: its member and address; None when it
/// did not open (counted), `Err` when the client is throttled.
async fn use_token(
    office: &Office,
    order: &str,
    token: &str,
    purpose: Purpose,
    ip: IpAddr,
) -> Result<Option<std::result::Result<(i64, Option<String>), Throttled>>> {
    let limits = office.reserved_limits();
    let account = format!("reserved-link:{ip}");
    if let Some(after) = limits.wrong.locked(&account, ip) {
        return Ok(Some(Err(throttled(after))));
    }
    // A token is hex: anything else is not one (and never reaches the database).
    if token.is_empty() || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let mut c = office.store().conn().await?;
    let Some(order) = store::registry::order(&mut c, order).await? else {
        return Ok(None);
    };
    let used = tokens::use_token(&mut c, &hash(token), purpose, &order.code, office.now_ms()).await?;
    Ok(used.map(Ok))
}

/// A link that did not open: counted against the client.
fn refusal(office: &Office, ip: IpAddr) -> LinkRefusal {
    tracing::warn!(target: "security", %ip, "a reserved-area link that does not open");
    office
        .reserved_limits()
        .wrong
        .failed(&format!("reserved-link:{ip}"), ip);
    LinkRefusal::NotValid
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

/// Something the checks found in an address a member typed, in terms a page
/// can say in either language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// Refused: not an e-mail address.
    Malformed { reason: String },
    /// Refused: an employer's institutional domain.
    Institutional { domain: String },
    /// Refused: a CEC-PAC.
    CecPac { domain: String },
    /// Refused: another member communicated it (who is not said).
    AnotherMembers,
    /// Refused: on this installation's domain, but no such mailbox.
    NoSuchMailbox,
    /// Refused: a mailbox of this installation that is closed.
    ClosedMailbox,
    /// Refused: it is the official address already.
    AlreadyOfficial,
    /// Warning: not a known PEC provider's domain.
    NotAPecDomain { domain: String },
    /// Warning: looks like an office's mailbox.
    OfficeMailbox { name: String },
}

/// What communicating an address did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Communicated {
    /// Not recorded: why.
    Refused { address: String, problems: Vec<Problem> },
    /// Not recorded yet: the warnings, to record it anyway if the member says so.
    Warned { address: String, problems: Vec<Problem> },
    /// Recorded, official from now.
    Recorded(PecRecorded),
    /// A mailbox of this installation: a confirmation link was sent to it.
    ToConfirm { address: String, until: DateTime<Utc> },
}

/// `address` communicated by the logged-in `user` in `order`; `despite_warnings`
/// once the member saw the warnings and keeps the address.
pub async fn communicate(
    office: &Office,
    user: &MemberUser,
    order: &str,
    address: &str,
    despite_warnings: bool,
    lists: &CheckLists,
    base_url: &str,
) -> Result<Communicated> {
    own_order(user, order)?;
    let address = pec_checks::normalise(address);
    if let Err(e) = pec_checks::split(&address) {
        return Ok(Communicated::Refused {
            problems: vec![Problem::Malformed { reason: e.to_string() }],
            address,
        });
    }
    let mut c = office.store().conn().await?;
    let stored_order = stored::order(&mut c, &user.order).await?;
    let (stored_member, member) = members::member_of(&mut c, &stored_order, &user.codice_fiscale).await?;
    let checked = members::check(office, &mut c, &address, &member, lists).await?;
    let official = store::registry::pec_history(&mut c, stored_member.id)
        .await?
        .into_iter()
        .find(|p| p.official);
    let (mut refusals, warnings) = problems(&checked.found, checked.flag.as_deref());
    if official.as_ref().is_some_and(|p| p.valid && p.address == address) {
        refusals.push(Problem::AlreadyOfficial);
    }
    if !refusals.is_empty() {
        return Ok(Communicated::Refused {
            address,
            problems: refusals,
        });
    }
    if !warnings.is_empty() && !despite_warnings {
        return Ok(Communicated::Warned {
            address,
            problems: warnings,
        });
    }
    let domains = store::mailboxes::domains(&mut c).await?;
    let on_this_installation = address
        .rsplit_once('@')
        .is_some_and(|(_, d)| domains.iter().any(|x| x.eq_ignore_ascii_case(d)));
    drop(c);
    if on_this_installation {
        let until = ask_confirmation(office, &stored_order, &member, stored_member.id, &address, base_url).await?;
        return Ok(Communicated::ToConfirm {
            address,
            until: store::instant(until),
        });
    }
    let recorded = record_address(office, user, &address, lists).await?;
    Ok(Communicated::Recorded(recorded))
}

/// The checks' findings as refusals and warnings.
fn problems(found: &[PecWarning], flag: Option<&str>) -> (Vec<Problem>, Vec<Problem>) {
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    for w in found {
        match w {
            PecWarning::Malformed { reason } => refusals.push(Problem::Malformed { reason: reason.clone() }),
            PecWarning::InstitutionalDomain { domain } => {
                refusals.push(Problem::Institutional { domain: domain.clone() })
            }
            PecWarning::CecPac { domain } => refusals.push(Problem::CecPac { domain: domain.clone() }),
            PecWarning::SharedWith { .. } => refusals.push(Problem::AnotherMembers),
            PecWarning::NotAPecDomain { domain } => warnings.push(Problem::NotAPecDomain { domain: domain.clone() }),
            PecWarning::OfficeMailbox { name } => warnings.push(Problem::OfficeMailbox { name: name.clone() }),
        }
    }
    // pec_checker's flag without a refusing finding: a mailbox of this installation
    // that is missing or closed.
    if refusals.is_empty()
        && let Some(flag) = flag
    {
        refusals.push(if flag.contains("closed") {
            Problem::ClosedMailbox
        } else {
            Problem::NoSuchMailbox
        });
    }
    (refusals, warnings)
}

/// Records `address` as the member's official PEC, channel reserved area, today.
async fn record_address(office: &Office, user: &MemberUser, address: &str, lists: &CheckLists) -> Result<PecRecorded> {
    let recorded = members::set_pec(
        office,
        &CommunicatedPec {
            order: &user.order,
            codice_fiscale: &user.codice_fiscale,
            address,
            channel: Channel::ReservedArea,
            date: None,
            lists,
        },
    )
    .await?;
    // A confirmation asked for before is superseded by the address now official.
    tokens::withdraw_confirmations(&mut *office.store().conn().await?, user.member_id, office.now_ms()).await?;
    Ok(recorded)
}

/// Sends the PEC that proves the member holds `address` (a mailbox of this
/// installation): when its link stops opening.
async fn ask_confirmation(
    office: &Office,
    order: &StoredOrder,
    member: &Member,
    member_id: i64,
    address: &str,
    base_url: &str,
) -> Result<i64> {
    if let Some(why) = why_mailbox_cannot_send(&mut *office.store().conn().await?, order).await? {
        return Err(Error::refused_on(
            "address",
            format!("the confirmation of {address} cannot be sent: {why}; write to the Order"),
        ));
    }
    let token = random_hex(32)?;
    let token_hash = hash(&token);
    let now = office.now_ms();
    let until = now + millis(CONFIRMATION_VALIDITY);
    {
        let mut tx = office.store().begin().await?;
        // One address awaits its confirmation at a time: the last one typed.
        tokens::withdraw_confirmations(&mut tx, member_id, now).await?;
        let new = NewToken {
            hash: &token_hash,
            purpose: Purpose::Confirm,
            member_id,
            address: Some(address),
            expires_at: until,
        };
        tokens::add_token(&mut tx, &new, now).await?;
        tx.commit().await?;
    }
    let link = format!("{base_url}area-riservata/{}/conferma/{token}", order.code);
    let text = texts::confirm(order, member, address, &link);
    let id = format!("conferma-pec-{}@{}", &token_hash[..24], mail_domain(order));
    send_once(office, order, address, &id, |m| {
        m.subject(text.subject.as_str())
            .text_body(text.body.as_str())
            .write_to_vec()
            .map_err(|e| unwritable("the confirmation of an address", e))
    })
    .await?
    .map_err(|why| Error::refused_on("address", format!("the confirmation to {address} was refused: {why}")))?;
    Ok(until)
}

/// Confirms the address of the link `token` of `order`, from `ip`: recorded as
/// the member's official PEC, channel reserved area, today.
pub async fn confirm(
    office: &Office,
    order: &str,
    token: &str,
    ip: IpAddr,
    lists: &CheckLists,
) -> Result<Result<PecRecorded, LinkRefusal>> {
    let (member_id, address) = match use_token(office, order, token, Purpose::Confirm, ip).await? {
        None => return Ok(Err(refusal(office, ip))),
        Some(Err(t)) => return Ok(Err(LinkRefusal::Throttled(t))),
        Some(Ok((id, Some(address)))) => (id, address),
        Some(Ok((_, None))) => return Err(Error::corrupt("a confirmation without its address in the database")),
    };
    let Some((order_code, cf)) = tokens::member_key(&mut *office.store().conn().await?, member_id).await? else {
        return Ok(Err(refusal(office, ip)));
    };
    let user = MemberUser {
        member_id,
        order: order_code,
        codice_fiscale: cf,
        name: String::new(),
        csrf: String::new(),
    };
    Ok(Ok(record_address(office, &user, &address, lists).await?))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The texts of the messages the Order sends: Italian, then English.
mod texts {
    use registry::Member;
    use store::registry::StoredOrder;

    pub struct Text {
        pub subject: String,
        pub body: String,
    }

    pub fn login(order: &StoredOrder, member: &Member, link: &str) -> Text {
        let minutes = super::LINK_VALIDITY.as_secs() / 60;
        Text {
            subject: format!("{}: accesso all'area riservata / reserved area access", order.name),
            body: format!(
                "Gentile {name} {surname},\n\n\
                 è stato chiesto l'accesso all'area riservata dell'{order} con il suo codice fiscale.\n\
                 Per entrare, aprire questo link entro {minutes} minuti (vale una sola volta):\n\n\
                 {link}\n\n\
                 Se non ha chiesto lei l'accesso, ignori questo messaggio: senza il link nessuno entra.\n\n\
                 ---\n\n\
                 Dear {name} {surname},\n\n\
                 access to the reserved area of {order} was asked for with your codice fiscale.\n\
                 To enter, open this link within {minutes} minutes (it works once):\n\n\
                 {link}\n\n\
                 If you did not ask, ignore this message: without the link nobody gets in.\n",
                name = member.name,
                surname = member.surname,
                order = order.name,
            ),
        }
    }

    pub fn confirm(order: &StoredOrder, member: &Member, address: &str, link: &str) -> Text {
        Text {
            subject: format!("{}: conferma dell'indirizzo PEC / confirm your PEC address", order.name),
            body: format!(
                "Gentile {name} {surname},\n\n\
                 nell'area riservata dell'{order} ha comunicato come suo indirizzo PEC {address}.\n\
                 Per confermare che la casella è sua, aprire questo link entro 48 ore:\n\n\
                 {link}\n\n\
                 Fino alla conferma l'indirizzo non viene registrato né comunicato a INI-PEC.\n\n\
                 ---\n\n\
                 Dear {name} {surname},\n\n\
                 in the reserved area of {order} you gave {address} as your PEC address.\n\
                 To confirm that the mailbox is yours, open this link within 48 hours:\n\n\
                 {link}\n\n\
                 Until it is confirmed the address is neither recorded nor sent to INI-PEC.\n",
                name = member.name,
                surname = member.surname,
                order = order.name,
            ),
        }
    }
}
