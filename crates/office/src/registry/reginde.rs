//! The court experts' `ComunicazioniSoggetti.xml` for ReGIndE (registries.md
//! 2.3, 2.4; DM 44/2011 art. 7): the whole roll the first time, then the
//! changes since the last communication. Sent, it is signed CAdES by the
//! Order's registered delegate and goes as the one attachment of a PEC from the
//! Order's mailbox on this installation; it is recorded only once accepted.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use pec::smime::Signer;
use registry::reginde::{self, xml};
use serde::Serialize;
use store::registry::{self as reg, RegindeExport, StoredOrder};

use super::roll::Roll;
use super::send::{mail_domain, send_once, unwritable, why_mailbox_cannot_send};
use super::stored;
use crate::{Error, Office, Result};

/// A month of the ReGIndE calendar, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }
}

impl FromStr for Month {
    type Err = String;
    fn from_str(text: &str) -> Result<Month, String> {
        NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
            .map(Month::of)
            .map_err(|_| "not YYYY-MM".to_owned())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A communication to make.
pub struct Communication<'a> {
    pub order: &'a str,
    /// Default this month.
    pub month: Option<Month>,
    /// The whole roll (true) or the changes (false); default the whole roll for
    /// the first communication, the changes after.
    pub whole: Option<bool>,
    pub send: Option<Sending<'a>>,
}

/// Signing the file and sending it by PEC.
pub struct Sending<'a> {
    /// The Ministry's address, as its answer to the Order's registration gives it.
    pub to: &'a str,
    /// The delegate's signing identity: its certificate must carry the codice
    /// fiscale of the delegate registered for the Order (F001).
    pub signer: &'a Signer,
    /// The attachment's name before `.p7m` ([`reginde::FILE_NAME`] unless the
    /// Ministry's answer spells it otherwise).
    pub file_name: &'a str,
}

/// What a communication did.
#[derive(Debug, Clone, Serialize)]
pub struct RegindeReport {
    pub order: String,
    pub month: Month,
    pub whole: bool,
    /// Members the file leaves out, with why (no valid PEC, data ReGIndE needs missing).
    pub not_sent: Vec<String>,
    /// The XML; absent when nothing changed since the last communication
    /// (nothing is recorded or sent then).
    pub xml: Option<String>,
    pub subjects: usize,
    /// The Order's PEC, from which the file is (to be) sent.
    pub from: String,
    pub sent: Option<SentFile>,
}

/// The signed file's PEC, accepted.
#[derive(Debug, Clone, Serialize)]
pub struct SentFile {
    pub to: String,
    /// The signing certificate's subject.
    pub signer: String,
    pub identificativo: String,
}

pub async fn export(office: &Office, request: &Communication<'_>) -> Result<RegindeReport> {
    let month = request.month.unwrap_or_else(|| Month::of(office.today()));
    let store = office.store();
    let mut tx = store.begin().await?;
    let roll = Roll::load(&mut tx, request.order).await?;
    let code = roll.order.code.clone();
    if let Some(send) = &request.send {
        check_sender(&mut tx, &roll.order, send.signer).await?;
    }
    let (today_subjects, refused) = reginde::subjects(roll.with_valid_pec());
    let last = reg::last_reginde(&mut tx, &code).await?;
    let whole = request.whole.unwrap_or(last.is_none());
    let mut report = RegindeReport {
        order: code.clone(),
        month,
        whole,
        not_sent: refused.iter().map(ToString::to_string).collect(),
        xml: None,
        subjects: 0,
        from: roll.order.pec.clone(),
        sent: None,
    };
    let communication = if whole {
        Some(reginde::whole_roll(&roll.order.codice_ente, &today_subjects))
    } else {
        let sent: reginde::Subjects = match &last {
            Some(l) => serde_json::from_str(&l.subjects)
                .map_err(|e| Error::corrupt(format!("the last ReGIndE subjects in the database: {e}")))?,
            None => Default::default(),
        };
        reginde::incremental(&roll.order.codice_ente, &sent, &today_subjects)
    };
    let Some(communication) = communication else {
        return Ok(report);
    };
    let text = xml::render(&communication);
    let mut export = RegindeExport {
        id: 0,
        order_code: code,
        month: month.to_string(),
        whole,
        xml: text.clone(),
        subjects: stored::json(&today_subjects)?,
        created_at: office.now_ms(),
        message: None,
    };
    if let Some(send) = &request.send {
        // Nothing is recorded until the PEC is accepted: a failed send leaves the
        // next communication where this one started.
        tx.rollback().await?;
        let identificativo = send_file(office, &roll.order, &export, send).await?;
        export.message = Some(identificativo.clone());
        let mut tx = store.begin().await?;
        reg::record_reginde(&mut tx, &export).await?;
        tx.commit().await?;
        report.sent = Some(SentFile {
            to: send.to.to_owned(),
            signer: send.signer.subject(),
            identificativo,
        });
    } else {
        reg::record_reginde(&mut tx, &export).await?;
        tx.commit().await?;
    }
    report.subjects = communication.subjects.len();
    report.xml = Some(text);
    Ok(report)
}

/// What the Ministry checks before reading the file (registries.md 2.3): the
/// sender is the Order's registered mailbox, here and able to send, and the
/// signer is the Order's registered delegate, matched by codice fiscale (F001).
async fn check_sender(c: &mut store::Conn, order: &StoredOrder, signer: &Signer) -> Result<()> {
    if let Some(why) = why_mailbox_cannot_send(c, order).await? {
        return Err(Error::refused_on(
            "send_to",
            format!("{why}: export the file without sending it, and sign and send it from there"),
        ));
    }
    let Some(delegate) = stored::delegate(order)? else {
        return Err(Error::refused(format!(
            "Order {}: no signing delegate registered: ReGIndE refuses a file signed by anyone else",
            order.code
        )));
    };
    let expected = delegate.codice_fiscale.as_str();
    match signer.holder_tax_id() {
        Some(cf) if cf == expected => Ok(()),
        Some(cf) => Err(Error::refused_on(
            "signer",
            format!(
                "the certificate is {cf}'s, not the Order's delegate {expected} ({} {}): ReGIndE would refuse it (F001)",
                delegate.name, delegate.surname
            ),
        )),
        None => Err(Error::refused_on(
            "signer",
            format!(
                "the certificate's subject ({}) carries no codice fiscale (serialNumber TINIT-...): \
                 ReGIndE matches the signer by it",
                signer.subject()
            ),
        )),
    }
}

/// The communication signed (CAdES) and sent by PEC as the message's one
/// attachment; its identificativo. The Message-ID depends on the file, so a send
/// accepted before an interruption is found instead of made twice.
async fn send_file(office: &Office, order: &StoredOrder, export: &RegindeExport, send: &Sending<'_>) -> Result<String> {
    let digest = store::BlobId::of(export.xml.as_bytes());
    let id = format!(
        "reginde.{}.{}.{}@{}",
        order.code.to_ascii_lowercase(),
        export.month,
        &digest.0[..16],
        mail_domain(order)
    );
    let kind = if export.whole { "intero albo" } else { "variazioni" };
    let file_name = send.file_name;
    let sent = send_once(office, order, send.to, &id, |m| {
        let signed = send
            .signer
            .sign_cades(export.xml.as_bytes())
            .map_err(|e| Error::refused_on("signer", format!("cannot sign the ReGIndE file: {e}")))?;
        m.subject(format!(
            "ReGIndE - comunicazione soggetti {} {} ({kind})",
            order.codice_ente, export.month
        ))
        .text_body(format!(
            "{}\n\nComunicazione dei soggetti al ReGIndE (DM 44/2011 art. 7), {kind}, {}.\n\
             In allegato il file {file_name} firmato digitalmente dal delegato.\n",
            order.name, export.month
        ))
        .attachment("application/pkcs7-mime", format!("{file_name}.p7m"), signed)
        .write_to_vec()
        .map_err(|e| unwritable("the ReGIndE message", e))
    })
    .await?;
    sent.map_err(|refusal| Error::refused_on("send_to", format!("the PEC to {} was refused: {refusal}", send.to)))
}
