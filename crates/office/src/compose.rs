//! Writing a PEC from the webmail (issue 12, "writing"): To, Cc (never Bcc:
//! RFC 6109 3.1.1 wants Bcc empty), subject, text, attachments and the receipt
//! type, written as a mail client would and submitted through the access point
//! itself ([`engine::Engine::submit`]: the same formal checks and the same single
//! acceptance transaction as SMTP submission, the same non-acceptance notice);
//! a copy kept in the mailbox's Sent folder.
//!
//! Before the access point, the office checks only what it needs to write the
//! message at all (addresses that are addresses, a To) and the size, which the
//! form can know before the message is submitted: an upload past the provider's
//! limits is refused while it arrives (DM 2/11/2005 art. 12: size x recipients),
//! and nothing is stored. Everything else is the access point's verdict, given
//! back as [`Problem`]s a front end can say in its words.

mod addresses;
mod build;
mod prefill;
mod uploads;

pub use prefill::{Forward, Prefill, Quote, forward, reply};
pub use uploads::{Attachment, OverBudget, Upload, Uploads};

use engine::access::{FormalProblem, Refusal, Submission};
use pec::daticert::ReceiptKind;
use serde::Serialize;
use store::mailboxes::Status;
use store::messages::NewMessage;

use crate::{Error, Office, Result};

/// The provider's limits (DM 2/11/2005 art. 12; RFC 6109 3.1.1), shown before sending.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Limits {
    /// The largest message, in bytes.
    pub max_message_size: usize,
    pub max_recipients: usize,
    /// Size x recipients, in bytes (at least 30 MB by law).
    pub max_recipients_x_size: usize,
}

/// Raw bytes of an attachment per base64 line of 78 (76 characters and CRLF).
const RAW_PER_LINE: usize = 57;
const ENCODED_PER_LINE: usize = 78;

impl Limits {
    /// The largest message for `recipients` recipients.
    pub fn message_for(&self, recipients: usize) -> usize {
        self.max_message_size
            .min(self.max_recipients_x_size / recipients.max(1))
    }

    /// The most attachments (their bytes, before base64 makes them a third
    /// larger) a message for `recipients` can carry.
    pub fn attachments_for(&self, recipients: usize) -> u64 {
        (self.message_for(recipients) / ENCODED_PER_LINE * RAW_PER_LINE) as u64
    }
}

pub fn limits(office: &Office) -> Limits {
    let c = office.engine().config();
    Limits {
        max_message_size: c.max_message_size,
        max_recipients: c.max_recipients,
        max_recipients_x_size: c.max_recipients_x_size,
    }
}

/// Who writes, and whether the mailbox may send (only an active one: a suspended
/// or receive-only mailbox is refused by the access point).
#[derive(Debug, Clone, Serialize)]
pub struct Writer {
    pub address: String,
    pub status: Status,
    pub can_send: bool,
}

pub async fn writer(office: &Office, mailbox_id: i64) -> Result<Writer> {
    let m = store::mailboxes::by_id(&mut *office.store().conn().await?, mailbox_id).await?;
    Ok(Writer {
        can_send: m.status == Status::Active,
        address: m.address,
        status: m.status,
    })
}

/// What the holder wrote.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Addresses separated by commas or semicolons, each `a@b` or `Name <a@b>`.
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub text: String,
    /// `completa`, `breve` or `sintetica` (pec-rules.md 3.7).
    pub receipt: String,
    /// The message answered (an id of this mailbox).
    pub reply: Option<i64>,
    /// The message forwarded (an id of this mailbox), attached whole.
    pub forward: Option<i64>,
}

/// The form's field a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    To,
    Cc,
    Subject,
    Text,
    Attachments,
    /// The message as a whole.
    Form,
}

/// Why a message was not sent, one problem each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// RFC 6109 3.1.1: To holds one or more addresses.
    NoRecipient,
    /// What is typed in To or Cc is not an address.
    NotAnAddress { field: Field, text: String },
    /// A field's bytes are not UTF-8 text (a front end's finding).
    NotText { field: Field },
    /// DM art. 12, RFC 6109 3.1.2: the message (or the attachments, while they
    /// arrive) is `size` bytes, over the `limit` for `recipients` recipients.
    TooLarge { size: u64, limit: u64, recipients: usize },
    /// The mailbox may not send (`status`: suspended, receive-only, closed).
    CannotSend { status: Status },
    /// DM art. 12 c. 1: more recipients than the provider allows.
    TooManyRecipients { count: usize, max: usize },
    /// The access point's address check (RFC 6109 3.1.1).
    InvalidAddress { address: String },
    /// Any other verdict of the access point, in its words.
    Refused { text: String },
}

impl Problem {
    pub fn field(&self) -> Field {
        match self {
            Problem::NoRecipient | Problem::TooManyRecipients { .. } | Problem::InvalidAddress { .. } => Field::To,
            Problem::NotAnAddress { field, .. } | Problem::NotText { field } => *field,
            Problem::TooLarge { .. } => Field::Attachments,
            Problem::CannotSend { .. } | Problem::Refused { .. } => Field::Form,
        }
    }
}

/// How a submission went.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Accepted by the access point: its receipts will follow.
    Accepted {
        identificativo: String,
        /// The copy in the Sent folder (none if it could not be kept: the
        /// message is sent all the same).
        sent_copy: Option<i64>,
    },
    /// Not sent.
    Refused {
        problems: Vec<Problem>,
        /// When the access point itself refused the message after its formal
        /// checks: the identificativo of its avviso di non accettazione, which
        /// is in the mailbox (RFC 6109 3.1.2).
        notice: Option<String>,
    },
}

impl Outcome {
    fn refused(problems: Vec<Problem>) -> Outcome {
        Outcome::Refused { problems, notice: None }
    }
}

/// Writes the draft with `uploads` attached and submits it from the mailbox.
pub async fn send(office: &Office, mailbox_id: i64, draft: &Draft, uploads: &Uploads) -> Result<Outcome> {
    let writer = writer(office, mailbox_id).await?;
    let receipt = ReceiptKind::parse(if draft.receipt.trim().is_empty() {
        "completa"
    } else {
        &draft.receipt
    });
    if !receipt.is_known() {
        return Err(Error::invalid(
            "receipt",
            format!("{:?}: choose completa, breve or sintetica", draft.receipt),
        ));
    }
    let mut problems = Vec::new();
    let mut parse = |field: Field, text: &str| {
        addresses::parse(text).unwrap_or_else(|text| {
            problems.push(Problem::NotAnAddress { field, text });
            Vec::new()
        })
    };
    let to = parse(Field::To, &draft.to);
    let cc = parse(Field::Cc, &draft.cc);
    if to.is_empty() && problems.is_empty() {
        problems.push(Problem::NoRecipient);
    }
    let mut rcpts: Vec<String> = Vec::new();
    for a in to.iter().chain(&cc) {
        if !rcpts.iter().any(|r| r.eq_ignore_ascii_case(&a.address)) {
            rcpts.push(a.address.clone());
        }
    }
    let limits = limits(office);
    let attachments = limits.attachments_for(rcpts.len());
    if uploads.total() > attachments {
        problems.push(Problem::TooLarge {
            size: uploads.total(),
            limit: attachments,
            recipients: rcpts.len(),
        });
    }
    if !problems.is_empty() {
        return Ok(Outcome::refused(problems));
    }
    let in_reply_to = match draft.reply {
        Some(id) => prefill::message_id_of(office, mailbox_id, id).await?,
        None => None,
    };
    let forwarded = match draft.forward {
        Some(id) => Some(forwarded(office, mailbox_id, id).await?),
        None => None,
    };
    let domain = writer.address.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let message_id = format!("{}@{domain}", crate::login::random_hex(16)?);
    let token = format!("certa-attachment-{}", crate::login::random_hex(16)?);
    let (from, subject, text) = (writer.address.clone(), one_line(&draft.subject), draft.text.clone());
    let receipt_text = receipt.as_str().to_string();
    let files = uploads.files().to_vec();
    let cc_addresses: Vec<String> = cc.iter().map(|a| a.address.clone()).collect();
    let date = office.now().timestamp();
    let raw = tokio::task::spawn_blocking(move || {
        build::write(build::Letter {
            from: &from,
            to: &to,
            cc: &cc,
            subject: &subject,
            text: &text,
            receipt: &receipt_text,
            date,
            message_id: &message_id,
            in_reply_to: in_reply_to.as_deref(),
            forwarded,
            attachments: &files,
            token: &token,
        })
    })
    .await
    .map_err(|e| Error::corrupt(format!("writing the message stopped: {e}")))??;
    // RFC 6109 3.1.2: what the form can tell is too big is not submitted (no notice).
    let limit = limits.message_for(rcpts.len());
    if raw.len() > limit {
        return Ok(Outcome::refused(vec![Problem::TooLarge {
            size: raw.len() as u64,
            limit: limit as u64,
            recipients: rcpts.len(),
        }]));
    }
    let submission = office
        .engine()
        .submit(&writer.address, &writer.address, &rcpts, &raw)
        .await?;
    match submission {
        Submission::Accepted { identificativo } => {
            let sent_copy = match keep_in_sent(office, mailbox_id, &raw, &identificativo).await {
                Ok(id) => Some(id),
                Err(e) => {
                    tracing::warn!(%identificativo, "sent, but its copy could not be kept in Sent: {e}");
                    None
                }
            };
            Ok(Outcome::Accepted {
                identificativo,
                sent_copy,
            })
        }
        Submission::Refused(refusal) => Ok(refused(refusal, &cc_addresses)),
    }
}

/// The access point's verdict as the form's problems.
fn refused(refusal: Refusal, cc: &[String]) -> Outcome {
    match refusal {
        Refusal::MailboxCannotSend { status, .. } => Outcome::refused(vec![Problem::CannotSend { status }]),
        Refusal::MessageTooBig { size, limit } => Outcome::refused(vec![Problem::TooLarge {
            size: size as u64,
            limit: limit as u64,
            recipients: 1,
        }]),
        Refusal::NotAccepted {
            identificativo,
            problems,
        } => Outcome::Refused {
            problems: problems
                .into_iter()
                .map(|p| match p {
                    FormalProblem::NoTo => Problem::NoRecipient,
                    FormalProblem::TooManyRecipients { count, max } => Problem::TooManyRecipients { count, max },
                    FormalProblem::InvalidAddress { address }
                        if cc.iter().any(|a| a.eq_ignore_ascii_case(&address)) =>
                    {
                        Problem::NotAnAddress {
                            field: Field::Cc,
                            text: address,
                        }
                    }
                    FormalProblem::InvalidAddress { address } => Problem::InvalidAddress { address },
                    FormalProblem::TooBigForRecipients { recipients, size, max } => Problem::TooLarge {
                        size: size as u64,
                        limit: (max / recipients.max(1)) as u64,
                        recipients,
                    },
                    other => Problem::Refused {
                        text: other.to_string(),
                    },
                })
                .collect(),
            notice: Some(identificativo),
        },
        other => Outcome::refused(vec![Problem::Refused {
            text: other.to_string(),
        }]),
    }
}

/// The forwarded message, named after its subject.
async fn forwarded(office: &Office, mailbox_id: i64, id: i64) -> Result<build::Forwarded> {
    let bytes = prefill::original(office, mailbox_id, id).await?;
    let subject = mail_parser::MessageParser::default()
        .parse_headers(&bytes)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default();
    let stem: String = subject
        .chars()
        .filter(|c| !c.is_control() && !"/\\\"".contains(*c))
        .take(80)
        .collect();
    let stem = stem.trim();
    Ok(build::Forwarded {
        name: format!("{}.eml", if stem.is_empty() { "messaggio" } else { stem }),
        bytes: pec::mime::to_crlf(&bytes).into_owned(),
    })
}

/// The copy of what was submitted, in the mailbox's Sent folder (RFC 6154
/// `\Sent`), read, linked to its receipts by identificativo. The message is the
/// access point's stored original already (same bytes, same blob).
async fn keep_in_sent(office: &Office, mailbox_id: i64, raw: &[u8], identificativo: &str) -> Result<i64> {
    let blob = office.store().blobs().put(raw).await?;
    let summary = pec::summary(raw);
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let folders = store::messages::folders(&mut tx, mailbox_id).await?;
    let sent = match folders
        .iter()
        .find(|f| f.special_use.as_deref() == Some("\\Sent"))
        .or_else(|| folders.iter().find(|f| f.name == "Sent"))
    {
        Some(f) => f.id,
        None => {
            store::messages::create_folder(&mut tx, mailbox_id, "Sent", Some("\\Sent"), now / 1000)
                .await?
                .id
        }
    };
    let stored = store::messages::append_summarised(
        &mut tx,
        sent,
        &NewMessage {
            blob: &blob,
            size: raw.len() as i64,
            internal_date: now,
            flags: &["\\Seen"],
            pec_kind: None,
            identificativo: Some(identificativo),
        },
        &summary,
    )
    .await?;
    tx.commit().await?;
    Ok(stored.id)
}

/// A subject on one line: line ends and other control characters become a space
/// (a header field cannot hold them, RFC 5322 2.2).
fn one_line(text: &str) -> String {
    text.split(char::is_control)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}
