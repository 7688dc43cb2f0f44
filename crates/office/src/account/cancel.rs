//! Cancelling from the subscription page: Certa writes the cancellation in
//! Italian, naming the mailbox and its holder, and sends it **as a PEC from
//! the mailbox itself** to the provider's management address, through the
//! webmail's own path (`crate::compose::send`: the access point's checks, its
//! acceptance, a copy in Sent). So it has a legal time like one the holder
//! wrote by hand (lifecycle.md: "Cancellation must be sent as a PEC to the
//! provider's management address"): the engine records it at the legal time
//! of its acceptance when it reads the management mailbox
//! (`Engine::process_cancellations`), which the page asks for as soon as the
//! message is there, and the daily machine does anyway.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use engine::lifecycle::state_name;
use lifecycle::convention::Convention;
use lifecycle::subscription::{State, Subscription};
use serde::Serialize;
use store::lifecycle::{self as lc, LogEntry, StoredSubscription};

use super::{CANCELLATION_SENT, Cancellation, Ending, current, ending, live, readable};
use crate::compose::{self, Draft, Outcome, Problem, Uploads};
use crate::{Error, Office, Result};

/// The cancellation the page would send, shown before the holder confirms.
#[derive(Debug, Clone, Serialize)]
pub struct CancellationLetter {
    pub from: String,
    /// The management address it goes to.
    pub to: String,
    pub subject: String,
    pub text: String,
    /// When the service would end and the contents be deleted.
    pub ending: Option<Ending>,
}

/// A cancellation PEC accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub identificativo: String,
    pub to: String,
    /// Already recorded (the management mailbox had it at once).
    pub recorded_at: Option<DateTime<Utc>>,
}

/// The cancellation of the session's mailbox as it would be sent now; refused
/// when there is nothing to cancel (cancelled already, a cancellation on its
/// way, closed).
pub async fn cancellation_letter(office: &Office, mailbox_id: i64) -> Result<CancellationLetter> {
    let mut c = office.store().conn().await?;
    let row = live(&mut c, mailbox_id).await?;
    let sub = readable(&row)?;
    let log = lc::log_of(&mut c, &row.mailbox).await?;
    may_cancel(&row, &sub, &log)?;
    let conv = crate::conventions::of_subscription(&mut c, &sub).await?;
    let to = management_mailbox(office, &mut c, &conv).await?;
    let ending = ending(&sub, &conv, Some(office.now()));
    let provider = office.engine().lifecycle_config().provider_name.clone();
    Ok(CancellationLetter {
        from: row.mailbox.clone(),
        subject: format!("Disdetta della casella PEC {}", row.mailbox),
        text: letter(&provider, &sub, &conv, ending.as_ref()),
        to,
        ending,
    })
}

/// Sends the cancellation of the session's mailbox as a PEC to the management
/// address, once the holder `confirmed` it; then asks the engine to record it
/// if it has already arrived. Refused before anything is sent: no
/// confirmation (`confirm`), nothing to cancel, a mailbox that may not send.
pub async fn cancel_by_pec(office: &Office, mailbox_id: i64, confirmed: bool) -> Result<Sent> {
    if !confirmed {
        return Err(Error::invalid(
            "confirm",
            "the cancellation was not confirmed: tick the box to confirm it",
        ));
    }
    let _one = Sending::claim(office, mailbox_id)?;
    let letter = cancellation_letter(office, mailbox_id).await?;
    let draft = Draft {
        to: letter.to.clone(),
        subject: letter.subject.clone(),
        text: letter.text.clone(),
        receipt: "completa".into(),
        ..Draft::default()
    };
    let uploads = Uploads::new(office, 0)?;
    let identificativo = match compose::send(office, mailbox_id, &draft, &uploads).await? {
        Outcome::Accepted { identificativo, .. } => identificativo,
        Outcome::Refused { problems, .. } => return Err(not_sent(&problems)),
    };
    let mut tx = office.store().begin().await?;
    let row = live(&mut tx, mailbox_id).await?;
    lc::log(
        &mut tx,
        office.now_ms(),
        Some(row.id),
        &row.mailbox,
        CANCELLATION_SENT,
        &sent_detail(&identificativo, &letter.to),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(target: "lifecycle", mailbox = %row.mailbox, %identificativo, "cancellation sent by PEC from the webmail");
    let recorded_at = record_if_sent(office, &row.mailbox).await?;
    Ok(Sent {
        identificativo,
        to: letter.to,
        recorded_at,
    })
}

/// The cancellations this process is sending, by data directory and mailbox:
/// two confirmations of one holder arriving together send one PEC (the
/// second is refused, then sees the first as sent).
static SENDING: Mutex<BTreeSet<(PathBuf, i64)>> = Mutex::new(BTreeSet::new());

/// A cancellation being sent, until dropped.
struct Sending((PathBuf, i64));

impl Sending {
    fn claim(office: &Office, mailbox_id: i64) -> Result<Sending> {
        let key = (office.store().data_dir().to_path_buf(), mailbox_id);
        if !SENDING.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone()) {
            return Err(Error::refused_on(
                "confirm",
                "the cancellation is being sent already: reload the page in a moment",
            ));
        }
        Ok(Sending(key))
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        SENDING.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.0);
    }
}

/// The access point's refusal of the cancellation, in words.
fn not_sent(problems: &[Problem]) -> Error {
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| match p {
            Problem::CannotSend { status } => format!(
                "the mailbox cannot send PEC while it is {}: send the cancellation to the provider by registered letter",
                serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{status:?}"))
            ),
            other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
        })
        .collect();
    Error::refused_on(
        "confirm",
        format!("the cancellation was not sent: {}", reasons.join("; ")),
    )
}

/// Where a cancellation may not be made, why.
fn may_cancel(row: &StoredSubscription, sub: &Subscription, log: &[LogEntry]) -> Result<()> {
    if let Some(at) = sub.cancelled_at {
        return Err(Error::refused_on(
            "confirm",
            format!(
                "the cancellation of {} was already recorded at legal time {}: there is nothing more to send",
                row.mailbox,
                pec::time::LegalTime::from_utc(at)
            ),
        ));
    }
    if let State::Closed { .. } | State::Deleted { .. } = sub.state {
        return Err(Error::refused_on(
            "confirm",
            format!(
                "{} is {}: there is nothing to cancel",
                row.mailbox,
                state_name(&sub.state)
            ),
        ));
    }
    if let Some(sent) = pending(row, log) {
        return Err(Error::refused_on(
            "confirm",
            format!(
                "a cancellation of {} was already sent on {} ({}): the provider is recording it",
                row.mailbox,
                pec::time::LegalTime::from_utc(store::instant(sent.at)),
                sent.detail
            ),
        ));
    }
    Ok(())
}

/// The cancellation PEC sent for this subscription and not recorded yet.
fn pending<'a>(row: &StoredSubscription, log: &'a [LogEntry]) -> Option<&'a LogEntry> {
    log.iter()
        .rev()
        .find(|e| e.event == CANCELLATION_SENT && e.subscription_id == Some(row.id))
}

/// The lifecycle log's detail of a cancellation PEC sent (read back by [`read_sent_detail`]).
fn sent_detail(identificativo: &str, to: &str) -> String {
    format!("PEC {identificativo} to {to} from the webmail")
}

/// The identificativo and the recipient in a [`sent_detail`].
fn read_sent_detail(detail: &str) -> (String, String) {
    let mut words = detail.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("PEC"), Some(id), Some("to"), Some(to)) => (id.to_string(), to.to_string()),
        _ => (String::new(), String::new()),
    }
}

/// Where the cancellation stands, from what is stored.
pub(super) fn state(row: &StoredSubscription, sub: &Subscription, log: &[LogEntry]) -> Cancellation {
    if let Some(legal_time) = sub.cancelled_at {
        return Cancellation::Recorded { legal_time };
    }
    if let State::Closed { .. } | State::Deleted { .. } = sub.state {
        return Cancellation::Ended;
    }
    match pending(row, log) {
        Some(e) => {
            let (identificativo, to) = read_sent_detail(&e.detail);
            Cancellation::Sent {
                at: store::instant(e.at),
                identificativo,
                to,
            }
        }
        None => Cancellation::Possible,
    }
}

/// When a cancellation PEC of `address` is on its way, has the engine read
/// the management mailboxes (what arrived there is recorded at its legal
/// time); the legal time once recorded.
pub(super) async fn record_if_sent(office: &Office, address: &str) -> Result<Option<DateTime<Utc>>> {
    let waiting = {
        let mut c = office.store().conn().await?;
        let Some(row) = current(&mut c, address).await? else {
            return Ok(None);
        };
        let sub = readable(&row)?;
        if let Some(at) = sub.cancelled_at {
            return Ok(Some(at));
        }
        let log = lc::log_of(&mut c, &row.mailbox).await?;
        matches!(state(&row, &sub, &log), Cancellation::Sent { .. })
    };
    if !waiting {
        return Ok(None);
    }
    let recorded = office.engine().process_cancellations().await?;
    if recorded == 0 {
        return Ok(None);
    }
    let mut c = office.store().conn().await?;
    match current(&mut c, address).await? {
        Some(row) => Ok(readable(&row)?.cancelled_at),
        None => Ok(None),
    }
}

/// The management mailbox the cancellation goes to: the convention's
/// cancellation address (its notices name it), else the provider's
/// management address, whichever is a mailbox here (the engine reads both).
async fn management_mailbox(office: &Office, c: &mut store::Conn, conv: &Convention) -> Result<String> {
    let mut candidates = Vec::new();
    if let Some(a) = &conv.cancellation_address {
        candidates.push(a.to_ascii_lowercase());
    }
    candidates.push(office.engine().management_address().to_ascii_lowercase());
    for a in &candidates {
        if store::mailboxes::get(c, a).await?.is_some() {
            return Ok(a.clone());
        }
    }
    Err(Error::refused_on(
        "confirm",
        format!(
            "the provider's management address {} is not a mailbox of this provider: \
             the cancellation cannot be sent from here, send it to the provider by registered letter",
            candidates.join(" or ")
        ),
    ))
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The cancellation's text, in Italian: who cancels which mailbox under which
/// convention, and what follows.
fn letter(provider: &str, sub: &Subscription, conv: &Convention, ending: Option<&Ending>) -> String {
    let kind = match sub.holder.tax_id {
        lifecycle::holder::TaxId::CodiceFiscale(_) => "codice fiscale",
        _ => "partita IVA",
    };
    let rome = |t: DateTime<Utc>| t.with_timezone(&conv.time_zone).format("%d/%m/%Y").to_string();
    let mut text = format!(
        "Spett.le {provider},\r\n\r\n\
         {name}, {kind} {tax_id}, titolare della casella PEC {mailbox}, attivata \
         nell'ambito della convenzione {code} ({order}), piano \"{plan}\", comunica \
         con la presente la disdetta del servizio e chiede che la casella non sia rinnovata.\r\n\r\n\
         La casella resta attiva fino alla scadenza del {expiry}.",
        name = sub.holder.name,
        tax_id = sub.holder.tax_id.as_str(),
        mailbox = sub.mailbox,
        code = conv.code,
        order = conv.order,
        plan = sub.plan,
        expiry = day(sub.expiry),
    );
    if let Some(e) = ending {
        text.push_str(&format!(
            " Il servizio cessa il {}; i contenuti della casella saranno cancellati il {}.",
            rome(e.service_ends),
            rome(e.contents_deleted)
        ));
    }
    text.push_str(&format!(
        "\r\n\r\nIndirizzo di fatturazione: {}\r\n\r\n\
         Disdetta inviata come PEC dalla casella stessa, dalla webmail del gestore: \
         fa fede la data e l'ora della ricevuta di accettazione.\r\n\r\n{}\r\n",
        sub.holder.billing_address, sub.holder.name
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sent_detail_reads_back() {
        let detail = sent_detail("certa.1.0@pec.test", "gestione@pec.test");
        assert_eq!(
            read_sent_detail(&detail),
            ("certa.1.0@pec.test".to_string(), "gestione@pec.test".to_string())
        );
        assert_eq!(read_sent_detail("something else"), (String::new(), String::new()));
    }
}
