//! What happened to every message a mailbox sent (issue 12, "what happened to
//! every message"): the Sent folder at a glance from the provider's own records,
//! and one message's timeline per recipient, its receipts matched by
//! identificativo.
//!
//! Two sources, read together: the provider's records of the message (the
//! access point's `pec_messages` and `pec_recipients`, and the provider log,
//! which keeps the presa in carico that never reaches the mailbox, pec-rules.md
//! 3.6) and the receipts in the holder's mailbox (`messages` by identificativo
//! and PEC kind), whose daticert gives each event's legal time, the gestore that
//! issued it and, for a non-delivery, why (pec-rules.md 3.8, 4.2). An event with
//! a receipt links to it; one known only from the records (a receipt the holder
//! deleted) is still shown.
//!
//! Every function takes the logged-in mailbox's id: another mailbox's message is
//! "not found", whatever its receipts.

mod receipts;
mod why;

pub use why::{Reason, Why};

use receipts::{Fact, read_receipt, receipt_kind};

use chrono::{DateTime, FixedOffset};
use pec::time::LegalTime;
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::messages::StoredMessage;
use store::pec::{PecMessage, Recipient, RecipientState};

use crate::{Error, Office, Result};

/// Messages on a page of the Sent folder.
pub const PAGE: i64 = 50;

/// A page of the Sent folder.
#[derive(Debug, Clone, Serialize)]
pub struct SentList {
    pub messages: Vec<SentMessage>,
    /// The key of the next (older) page, if there is one.
    pub next: Option<i64>,
}

/// One sent message at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    pub identificativo: String,
    pub subject: String,
    /// The legal time of acceptance (Europe/Rome).
    pub accepted_at: DateTime<FixedOffset>,
    pub recipients: i64,
    pub delivered: i64,
    /// Ordinary (non-PEC) recipients handed to their mail server: no receipt follows.
    pub handed_on: i64,
    pub failed: i64,
    pub pending: i64,
    pub state: Overall,
}

/// Where a message stands, all recipients together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overall {
    /// Every recipient has its final word, none a failure.
    Delivered,
    /// No failure yet, some recipients still without their final word.
    Pending,
    /// Some recipients were not delivered to.
    FailedForSome,
    /// No recipient was delivered to.
    FailedForAll,
}

/// The messages the mailbox sent, newest first, from `before` (the key of the
/// page before, from [`SentList::next`]).
pub async fn list(office: &Office, mailbox_id: i64, before: Option<i64>) -> Result<SentList> {
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let mut rows = store::sent::page(&mut c, &mailbox.address, before, PAGE + 1).await?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let messages = rows
        .into_iter()
        .map(|r| {
            let done = r.delivered + r.ordinary_handed_on;
            let pending = (r.recipients - done - r.failed).max(0);
            let state = if r.failed > 0 && r.failed == r.recipients {
                Overall::FailedForAll
            } else if r.failed > 0 {
                Overall::FailedForSome
            } else if pending > 0 {
                Overall::Pending
            } else {
                Overall::Delivered
            };
            SentMessage {
                identificativo: r.identificativo,
                subject: r.subject,
                accepted_at: legal_ms(r.accepted_at),
                recipients: r.recipients,
                delivered: r.delivered,
                handed_on: r.ordinary_handed_on,
                failed: r.failed,
                pending,
                state,
            }
        })
        .collect();
    Ok(SentList { messages, next })
}

/// One message's story, recipient by recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub identificativo: String,
    pub subject: String,
    /// The client's Message-ID, with its angle brackets.
    pub msgid: Option<String>,
    /// The delivery receipt type asked for (`completa`, `breve`, `sintetica`).
    pub receipt_kind: String,
    pub acceptance: Acceptance,
    pub recipients: Vec<RecipientTimeline>,
    /// Whether every recipient has its final word: nothing more will happen.
    pub all_final: bool,
    /// Changes whenever anything shown changes (see [`progress`]).
    pub stamp: String,
}

/// The access point's verdict (RFC 6109 3.1.1-3.1.2).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Acceptance {
    Accepted {
        at: DateTime<FixedOffset>,
        /// The ricevuta di accettazione in the mailbox.
        receipt: Option<i64>,
    },
    NotAccepted {
        at: DateTime<FixedOffset>,
        /// The formal checks that failed, in the notice's words.
        reasons: Vec<String>,
        /// The avviso di non accettazione in the mailbox.
        notice: Option<i64>,
    },
}

/// One recipient's story.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientTimeline {
    pub address: String,
    /// A PEC address (receipts follow), or an ordinary one.
    pub certified: bool,
    /// A mailbox of this provider.
    pub local: bool,
    pub standing: Standing,
    /// Whether this recipient has its final word.
    pub is_final: bool,
    /// Oldest first.
    pub events: Vec<Event>,
}

/// Where a recipient stands now.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "standing", rename_all = "kebab-case")]
pub enum Standing {
    /// Accepted, not yet handed on.
    Waiting,
    /// Handed to the recipient's gestore (named when known), no answer yet.
    HandedOn {
        to: Option<String>,
    },
    /// An ordinary address: handed to its mail server; no receipt follows (pec-rules.md 5.4).
    HandedToOrdinaryServer,
    /// The recipient's gestore took the message over (presa in carico).
    TakenOver,
    Delivered,
    NotDelivered {
        why: Why,
    },
    /// The message was not accepted: it went to nobody.
    NotAccepted,
}

/// One thing that happened to the message for a recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub kind: EventKind,
    /// Its legal time (Europe/Rome): the receipt's daticert, else the provider's record.
    pub at: DateTime<FixedOffset>,
    /// The receipt or notice in the mailbox (a message id), when there is one.
    pub receipt: Option<i64>,
    /// The gestore that issued the receipt, when read from one.
    pub issued_by: Option<String>,
    /// Why, for a non-delivery.
    pub why: Option<Why>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// Ricevuta di accettazione (pec-rules.md 3.4).
    Accepted,
    /// Avviso di non accettazione (3.5).
    NotAccepted,
    /// Ricevuta di presa in carico (3.6): received by this provider, not by the mailbox.
    TakenOver,
    /// Ricevuta di avvenuta consegna (3.7).
    Delivered,
    /// Avviso di mancata consegna (3.8).
    NotDelivered,
    /// Preavviso: no presa in carico nor delivery within 12 hours (1.4).
    Warning12h,
    /// Avviso di mancata consegna per superamento dei tempi massimi: 24 hours (1.4).
    Timeout24h,
}

/// The cheap check a page that is open makes: has anything changed since `stamp`?
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub stamp: String,
    pub all_final: bool,
}

/// The timeline of the message `identificativo` the mailbox sent.
pub async fn timeline(office: &Office, mailbox_id: i64, identificativo: &str) -> Result<Timeline> {
    let found = find(office, mailbox_id, identificativo).await?;
    let mut facts = Vec::new();
    for m in &found.about {
        if let Some(f) = read_receipt(office, m, identificativo).await? {
            facts.push(f);
        }
    }
    let log = {
        let filter = store::log::Filter {
            identificativo: Some(identificativo.to_string()),
            limit: 10_000,
            ..Default::default()
        };
        store::log::search(&mut *office.store().conn().await?, &filter).await?
    };
    let stamp = stamp_of(&found);
    Ok(match &found.message {
        Some(pm) => accepted(pm, &found.recipients, &facts, &log, stamp),
        None => not_accepted(identificativo, &facts, &log, stamp),
    })
}

/// Whether the timeline of `identificativo` changed: its stamp, without reading
/// any receipt (what a page polls).
pub async fn progress(office: &Office, mailbox_id: i64, identificativo: &str) -> Result<Progress> {
    let found = find(office, mailbox_id, identificativo).await?;
    let all_final = match &found.message {
        Some(_) => found.recipients.iter().all(is_final),
        None => true,
    };
    Ok(Progress {
        stamp: stamp_of(&found),
        all_final,
    })
}

/// What the records hold about a message of this mailbox.
struct Found {
    /// None: not accepted (only its notice is known).
    message: Option<PecMessage>,
    recipients: Vec<Recipient>,
    /// The mailbox's receipts and notices about it.
    about: Vec<StoredMessage>,
}

async fn find(office: &Office, mailbox_id: i64, identificativo: &str) -> Result<Found> {
    let not_found = || {
        Error::not_found(
            "identificativo",
            format!("no message {identificativo} sent from this mailbox"),
        )
    };
    let identificativo = identificativo.trim();
    // PostgreSQL text holds no NUL, and no identificativo has control characters.
    if identificativo.is_empty() || identificativo.len() > 512 || identificativo.chars().any(char::is_control) {
        return Err(not_found());
    }
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let message = store::pec::by_identificativo(&mut c, identificativo).await?;
    let about: Vec<StoredMessage> = store::sent::about(&mut c, mailbox_id, identificativo)
        .await?
        .into_iter()
        .filter(|m| m.pec_kind.as_deref().and_then(receipt_kind).is_some())
        .collect();
    match message {
        Some(m) if m.sender.eq_ignore_ascii_case(&mailbox.address) => {
            let recipients = store::pec::recipients(&mut c, m.id).await?;
            Ok(Found {
                message: Some(m),
                recipients,
                about,
            })
        }
        Some(_) => Err(not_found()),
        // Not accepted: nothing was recorded but the notice, which only the sender got.
        None if about.iter().any(|m| m.pec_kind.as_deref() == Some("non-accettazione")) => Ok(Found {
            message: None,
            recipients: Vec::new(),
            about,
        }),
        None => Err(not_found()),
    }
}

fn stamp_of(found: &Found) -> String {
    let mut h = Sha256::new();
    for m in &found.about {
        h.update(format!("m{};", m.id));
    }
    for r in &found.recipients {
        h.update(format!("r{}:{}:{};", r.address, r.state.as_str(), r.updated_at));
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn accepted(
    pm: &PecMessage,
    recipients: &[Recipient],
    facts: &[Fact],
    log: &[store::log::Entry],
    stamp: String,
) -> Timeline {
    let acceptance_receipt = facts.iter().find(|f| f.kind == EventKind::Accepted);
    let accepted_at = acceptance_receipt.map_or_else(|| legal_ms(pm.accepted_at), |f| f.at);
    let mut out = Vec::new();
    for r in recipients {
        let address = r.address.to_ascii_lowercase();
        let mut events = vec![Event {
            kind: EventKind::Accepted,
            at: accepted_at,
            receipt: acceptance_receipt.map(|f| f.receipt),
            issued_by: acceptance_receipt.and_then(|f| f.issued_by.clone()),
            why: None,
        }];
        for f in facts.iter().filter(|f| f.rcpt.as_deref() == Some(address.as_str())) {
            events.push(Event {
                kind: f.kind,
                at: f.at,
                receipt: Some(f.receipt),
                issued_by: f.issued_by.clone(),
                why: f.why.clone(),
            });
        }
        // The provider's own records, for what has no receipt in the mailbox: the
        // presa in carico (sent to the provider, not to the holder), and receipts
        // the holder deleted.
        for e in log {
            let Some(kind) = logged_kind(&e.event) else {
                continue;
            };
            if !e.recipients.iter().any(|x| x.eq_ignore_ascii_case(&address)) || events.iter().any(|x| x.kind == kind) {
                continue;
            }
            let why = matches!(kind, EventKind::NotDelivered | EventKind::Timeout24h)
                .then(|| Why::from_text(r.detail.as_deref().unwrap_or_default()));
            events.push(Event {
                kind,
                at: legal_ms(e.at),
                receipt: None,
                issued_by: None,
                why,
            });
        }
        events.sort_by_key(|e| (stage(e.kind), e.at.timestamp(), order(e.kind)));
        let standing = standing(r, &events);
        out.push(RecipientTimeline {
            address: r.address.clone(),
            certified: r.certified,
            local: r.local,
            is_final: is_final(r),
            standing,
            events,
        });
    }
    Timeline {
        identificativo: pm.identificativo.clone(),
        subject: pm.subject.clone(),
        msgid: pm.msgid.clone(),
        receipt_kind: pm.receipt_kind.clone(),
        acceptance: Acceptance::Accepted {
            at: accepted_at,
            receipt: acceptance_receipt.map(|f| f.receipt),
        },
        all_final: out.iter().all(|r| r.is_final),
        recipients: out,
        stamp,
    }
}

/// A message the access point refused: its notice (and the log) are all there is.
fn not_accepted(identificativo: &str, facts: &[Fact], log: &[store::log::Entry], stamp: String) -> Timeline {
    let notice = facts.iter().find(|f| f.kind == EventKind::NotAccepted);
    let entry = log.iter().find(|e| e.event == "NonAccettazione");
    let at = notice
        .map(|f| f.at)
        .or_else(|| entry.map(|e| legal_ms(e.at)))
        .unwrap_or_default();
    // The notice's errore-esteso holds every failed check, joined with "; ".
    let text = notice
        .and_then(|f| f.why.as_ref().map(|w| w.text.clone()))
        .or_else(|| entry.and_then(|e| e.detail.clone()))
        .unwrap_or_default();
    let reasons: Vec<String> = text
        .split("; ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let addresses: Vec<(String, bool)> = match (notice, entry) {
        (Some(f), _) if !f.destinatari.is_empty() => f.destinatari.clone(),
        (_, Some(e)) => e.recipients.iter().map(|a| (a.clone(), false)).collect(),
        _ => Vec::new(),
    };
    let recipients = addresses
        .into_iter()
        .map(|(address, certified)| RecipientTimeline {
            address,
            certified,
            local: false,
            standing: Standing::NotAccepted,
            is_final: true,
            events: vec![Event {
                kind: EventKind::NotAccepted,
                at,
                receipt: notice.map(|f| f.receipt),
                issued_by: notice.and_then(|f| f.issued_by.clone()),
                why: None,
            }],
        })
        .collect();
    Timeline {
        identificativo: identificativo.to_string(),
        subject: entry.and_then(|e| e.subject.clone()).unwrap_or_default(),
        msgid: entry.and_then(|e| e.msgid.clone()),
        receipt_kind: String::new(),
        acceptance: Acceptance::NotAccepted {
            at,
            reasons,
            notice: notice.map(|f| f.receipt),
        },
        recipients,
        all_final: true,
        stamp,
    }
}

/// The provider log's events (pec-rules.md 1.2) that belong on a recipient's timeline.
fn logged_kind(event: &str) -> Option<EventKind> {
    Some(match event {
        "PresaInCarico" => EventKind::TakenOver,
        "Consegna" => EventKind::Delivered,
        "MancataConsegna" | "RilevazioneVirus" | "MancataConsegnaVirus" => EventKind::NotDelivered,
        "MancataConsegna12h" => EventKind::Warning12h,
        "MancataConsegna24h" => EventKind::Timeout24h,
        _ => return None,
    })
}

/// Where an event stands in a recipient's story, before its time: the
/// acceptance first, the final word last (ARCHITECTURE: final is final), what
/// happens in between by time. The times come from two clocks (a receipt's
/// daticert is its issuer's, the presa in carico is dated when this provider
/// received it), so a presa in carico recorded after the recipient's gestore
/// dated its delivery receipt still comes before it.
fn stage(kind: EventKind) -> u8 {
    match kind {
        EventKind::Accepted | EventKind::NotAccepted => 0,
        EventKind::TakenOver | EventKind::Warning12h => 1,
        EventKind::Delivered | EventKind::NotDelivered | EventKind::Timeout24h => 2,
    }
}

/// Events of the same stage and second in the order the rules make them happen.
fn order(kind: EventKind) -> u8 {
    match kind {
        EventKind::TakenOver => 0,
        _ => 1,
    }
}

fn standing(r: &Recipient, events: &[Event]) -> Standing {
    match r.state {
        RecipientState::Pending => Standing::Waiting,
        RecipientState::Relayed if !r.certified => Standing::HandedToOrdinaryServer,
        RecipientState::Relayed => Standing::HandedOn {
            to: r
                .detail
                .as_deref()
                .and_then(|d| d.strip_prefix("consegnata a "))
                .map(str::to_string),
        },
        RecipientState::TakenOver => Standing::TakenOver,
        RecipientState::Delivered => Standing::Delivered,
        RecipientState::Failed => Standing::NotDelivered {
            why: events
                .iter()
                .rev()
                .find_map(|e| e.why.clone())
                .unwrap_or_else(|| Why::from_text(r.detail.as_deref().unwrap_or_default())),
        },
    }
}

/// A recipient with its final word: a delivery receipt or a non-delivery notice
/// (ARCHITECTURE: final is final), or an ordinary address handed on, for which
/// nothing more comes.
fn is_final(r: &Recipient) -> bool {
    r.state.is_final() || (!r.certified && r.state == RecipientState::Relayed)
}

/// The store's milliseconds as Italian legal time.
fn legal_ms(ms: i64) -> DateTime<FixedOffset> {
    LegalTime::from_utc(store::instant(ms)).local()
}
