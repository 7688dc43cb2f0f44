//! The one-time link to the reserved area: asked for with the same answer for
//! everyone, sent after it (by PEC from the Order's mailbox, else by e-mail
//! through the smarthost), opened once into a member session.

use std::net::IpAddr;

use engine::work::{Work, enqueue};
use registry::pec_checks;
use serde::Serialize;
use store::reserved::{self as tokens, NewToken, Purpose};

use super::super::send::{mail_domain, send_once, unwritable, why_mailbox_cannot_send};
use super::super::stored;
use super::{AreaOrder, LINK_VALIDITY, LinkRefusal, Throttled, area, millis, texts, throttled};
use crate::login::{hash, random_hex};
use crate::{Error, Office, Result};

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
pub(super) async fn use_token(
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
pub(super) fn refusal(office: &Office, ip: IpAddr) -> LinkRefusal {
    tracing::warn!(target: "security", %ip, "a reserved-area link that does not open");
    office
        .reserved_limits()
        .wrong
        .failed(&format!("reserved-link:{ip}"), ip);
    LinkRefusal::NotValid
}
