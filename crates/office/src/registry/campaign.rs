//! The diffida campaign (`compliance warn`): every member due a diffida gets
//! one, dated, by letter when they have no PEC at all, by PEC to the address on
//! file otherwise (DL 185/2008 art. 16 c.7-bis).
//!
//! When the Order's PEC is a mailbox of this installation, each diffida is a
//! real PEC submitted through the engine from that mailbox (acceptance and
//! delivery receipts like any other), one message per member, with a Message-ID
//! made of Order, member and day: a campaign interrupted half-way is run again
//! without sending anything twice. The `warned` step names the message; what
//! became of it is read by the next report ([`super::compliance`]). Otherwise
//! the texts are returned, for the Order to send from elsewhere.

use std::fmt::Write as _;

use chrono::NaiveDate;
use registry::compliance::DiffidaChannel;
use registry::{Member, TaxId};
use serde::Serialize;
use store::registry::{self as reg, StoredMember, StoredOrder};

use super::compliance::{assess, current_roll};
use super::diffida;
use super::send::{mail_domain, send_once, unwritable, why_mailbox_cannot_send};
use crate::{Error, Office, Result};

/// How the PEC diffide go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PecDiffide {
    /// Submitted through this installation from the Order's mailbox.
    Send,
    /// Their texts returned ([`CampaignReport::messages`]), for the Order to send.
    Texts,
}

/// A campaign to run.
#[derive(Debug, Clone)]
pub struct Campaign<'a> {
    pub order: &'a str,
    /// The campaign's day (default today); a diffida sent through this
    /// installation is dated by its acceptance, so only today.
    pub date: Option<NaiveDate>,
    pub pec: PecDiffide,
    /// The caller takes the letters ([`CampaignReport::letters`]): without them
    /// a campaign that needs letters is refused.
    pub letters: bool,
}

/// A diffida accepted by the access point.
#[derive(Debug, Clone, Serialize)]
pub struct SentDiffida {
    pub codice_fiscale: TaxId,
    pub address: String,
    pub identificativo: String,
}

/// Why the campaign stopped before every PEC was sent: the ones sent are
/// recorded, and running the campaign again goes on from there.
#[derive(Debug, Clone, Serialize)]
pub struct Interruption {
    pub codice_fiscale: TaxId,
    pub address: String,
    /// The access point refused the message (its reply), rather than a failure
    /// of the installation.
    pub refused: bool,
    pub reason: String,
}

/// What a campaign did.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignReport {
    pub order: String,
    pub date: NaiveDate,
    /// Diffide due by PEC.
    pub by_pec: usize,
    /// Diffide recorded by letter.
    pub by_letter: usize,
    /// The PEC sent through this installation, in the order sent.
    pub sent: Vec<SentDiffida>,
    /// The letters, printable, one per page (form feed): empty when none is due.
    pub letters: String,
    /// The PEC diffide's texts (`To:`, `Subject:`, text), when asked for instead of sending.
    pub messages: Option<String>,
    pub interrupted: Option<Interruption>,
}

impl CampaignReport {
    /// The diffide by PEC done: sent through this installation, or recorded with their texts.
    pub fn warned_by_pec(&self) -> usize {
        match self.messages {
            Some(_) => self.by_pec,
            None => self.sent.len(),
        }
    }
}

/// One diffida to send by PEC.
struct ByPec<'a> {
    stored: &'a StoredMember,
    member: &'a Member,
    address: &'a str,
}

/// Runs the campaign on `campaign.date`. Letters (and the PEC texts, when asked
/// for) are recorded in one transaction; then each PEC goes through the engine
/// and its step is recorded as soon as it is accepted, `on_sent` told, so an
/// interrupted campaign keeps what was sent ([`CampaignReport::interrupted`]).
pub async fn warn(
    office: &Office,
    campaign: &Campaign<'_>,
    on_sent: &mut (dyn FnMut(&SentDiffida) + Send),
) -> Result<CampaignReport> {
    let today = office.today();
    let on = campaign.date.unwrap_or(today);
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let roll = current_roll(&mut tx, campaign.order, now).await?;
    let (report, by_cf) = assess(&roll, on)?;
    let mut by_pec = Vec::new();
    let mut by_letter = Vec::new();
    for (cf, channel) in &report.diffida_due {
        let (stored, member) = by_cf[cf.as_str()];
        match channel {
            DiffidaChannel::Pec(address) => by_pec.push(ByPec {
                stored,
                member,
                address,
            }),
            DiffidaChannel::Letter => by_letter.push((stored, member)),
        }
    }
    if !by_letter.is_empty() && !campaign.letters {
        return Err(Error::refused_on(
            "letters",
            "some members have no PEC and must be warned by letter: give a file to write them to",
        ));
    }
    let through_engine = !by_pec.is_empty() && campaign.pec == PecDiffide::Send;
    if through_engine {
        if let Some(why) = why_mailbox_cannot_send(&mut tx, &roll.order).await? {
            return Err(Error::refused_on(
                "messages",
                format!("{why}: write the diffide's texts instead, for the Order to send them"),
            ));
        }
        if on != today {
            return Err(Error::refused_on(
                "date",
                format!(
                    "a diffida sent by PEC is dated by its acceptance, today ({today}); \
                     write the texts instead to date them otherwise"
                ),
            ));
        }
    }

    let mut letters = String::new();
    for (stored, member) in &by_letter {
        reg::add_step(&mut tx, stored.id, "letter", &on.to_string(), "raccomandata A/R", now).await?;
        let text = diffida::text(&roll.order.name, member, on);
        let _ = write!(letters, "{}\n\n{text}\n\x0c\n", diffida::letter_head(member));
    }
    let messages = match campaign.pec {
        PecDiffide::Texts => {
            let mut texts = String::new();
            for p in &by_pec {
                reg::add_step(&mut tx, p.stored.id, "warned", &on.to_string(), p.address, now).await?;
                let _ = write!(
                    texts,
                    "To: {}\nSubject: {}\n\n{}\n\n",
                    p.address,
                    diffida::SUBJECT,
                    diffida::text(&roll.order.name, p.member, on)
                );
            }
            Some(texts)
        }
        PecDiffide::Send => None,
    };
    tx.commit().await?;

    let mut sent = Vec::new();
    let mut interrupted = None;
    if through_engine {
        for p in &by_pec {
            let stop = |refused, reason| Interruption {
                codice_fiscale: p.member.codice_fiscale.clone(),
                address: p.address.to_owned(),
                refused,
                reason,
            };
            match send_and_record(office, &roll.order, p, on).await {
                Ok(Ok(identificativo)) => {
                    let s = SentDiffida {
                        codice_fiscale: p.member.codice_fiscale.clone(),
                        address: p.address.to_owned(),
                        identificativo,
                    };
                    on_sent(&s);
                    sent.push(s);
                }
                Ok(Err(refusal)) => {
                    interrupted = Some(stop(true, refusal));
                    break;
                }
                // The letters are recorded: the campaign reports them whatever happens here.
                Err(e) => {
                    interrupted = Some(stop(false, e.to_string()));
                    break;
                }
            }
        }
    }
    Ok(CampaignReport {
        order: roll.order.code.clone(),
        date: on,
        by_pec: by_pec.len(),
        by_letter: by_letter.len(),
        sent,
        letters,
        messages,
        interrupted,
    })
}

/// Submits one diffida from the Order's mailbox and records its `warned` step
/// naming the message: its identificativo, or the refusal's text. The
/// Message-ID is the Order's, the member's and the day's.
async fn send_and_record(
    office: &Office,
    order: &StoredOrder,
    p: &ByPec<'_>,
    on: NaiveDate,
) -> Result<Result<String, String>> {
    let id = format!(
        "diffida.{}.{}.{}@{}",
        order.code.to_ascii_lowercase(),
        p.member.codice_fiscale.as_str().to_ascii_lowercase(),
        on.format("%Y%m%d"),
        mail_domain(order)
    );
    let sent = send_once(office, order, p.address, &id, |m| {
        m.subject(diffida::SUBJECT)
            .text_body(diffida::text(&order.name, p.member, on))
            .write_to_vec()
            .map_err(|e| unwritable("the diffida", e))
    })
    .await?;
    if let Ok(identificativo) = &sent {
        reg::add_message_step(
            &mut *office.store().conn().await?,
            p.stored.id,
            "warned",
            &on.to_string(),
            p.address,
            Some(identificativo),
            office.now_ms(),
        )
        .await?;
    }
    Ok(sent)
}
