//! A PEC address a member communicates in the reserved area: the checks of
//! `member set-pec` as refusals and warnings in words, the address recorded by
//! `members::set_pec` (channel reserved area, today), or, for a mailbox of this
//! installation, a confirmation sent to it first.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use registry::Member;
use registry::model::Channel;
use registry::pec_checks::{self, PecWarning};
use serde::Serialize;
use store::registry::StoredOrder;
use store::reserved::{self as tokens, NewToken, Purpose};

use super::super::members::{self, CommunicatedPec, PecRecorded};
use super::super::pec_checker::CheckLists;
use super::super::send::{mail_domain, send_once, unwritable, why_mailbox_cannot_send};
use super::super::stored;
use super::link::{refusal, use_token};
use super::{CONFIRMATION_VALIDITY, LinkRefusal, MemberUser, millis, own_order, texts};
use crate::login::{hash, random_hex};
use crate::{Error, Office, Result};

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
