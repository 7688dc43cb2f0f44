//! The access point (RFC 6109 3.1.1, 5.2): formal checks of a submission, then
//! acceptance in ONE transaction, or a non-acceptance notice. Its verdicts are in
//! PEC terms ([`Submission`], [`Refusal`]); the front ends say them in their protocol.

mod refusal;

use pec::Kind;
use pec::build::{Certified, NonAcceptanceReason};
use pec::daticert::{Destinatario, ReceiptKind};
use pec::original::{Original, is_address};
use store::log::{Event, NewEntry};
use store::mailboxes::{self, Mailbox, Status};
use store::pec::NewPecMessage;

pub use refusal::{FormalProblem, Refusal};

use crate::delivery::{self, Item};
use crate::work::{self, Work};
use crate::{Engine, Result};

/// The answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// Accepted and committed with the jobs that finish it: the client may be told so.
    Accepted { identificativo: String },
    /// Refused (a non-acceptance notice was delivered to the sender's mailbox when the
    /// message itself was at fault: [`Refusal::NotAccepted`]).
    Refused(Refusal),
}

impl Engine {
    /// AUTH: the mailbox when the password is right and it may log in to send.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<Option<Mailbox>> {
        let mut c = self.store.conn().await?;
        Ok(store::mailboxes::authenticate(&mut c, login, password).await?)
    }

    /// MAIL FROM on submission: RFC 6109 5.2, the reverse-path is the authenticated
    /// mailbox, which must be active (a suspended or closed mailbox cannot send).
    pub async fn check_sender(&self, login: &str, mail_from: &str) -> Result<Option<Refusal>> {
        if !mail_from.eq_ignore_ascii_case(login) {
            return Ok(Some(Refusal::SenderNotAuthenticatedMailbox {
                mail_from: mail_from.to_string(),
                login: login.to_string(),
            }));
        }
        let mut c = self.store.conn().await?;
        Ok(match mailboxes::get(&mut c, login).await? {
            Some(m) if m.status == Status::Active => None,
            Some(m) => Some(Refusal::MailboxCannotSend {
                login: login.to_string(),
                status: m.status,
            }),
            None => Some(Refusal::NoSuchMailbox {
                login: login.to_string(),
            }),
        })
    }

    /// DATA on submission: the formal checks, then acceptance or refusal.
    pub async fn submit(&self, login: &str, mail_from: &str, rcpts: &[String], raw: &[u8]) -> Result<Submission> {
        if let Some(refusal) = self.check_sender(login, mail_from).await? {
            return Ok(Submission::Refused(refusal));
        }
        // RFC 6109 3.1.2: past the limit, error handling is left to SMTP.
        if raw.len() > self.config.max_message_size {
            return Ok(Submission::Refused(Refusal::MessageTooBig {
                size: raw.len(),
                limit: self.config.max_message_size,
            }));
        }
        let mut original = match Original::parse(raw) {
            Ok(o) => o,
            Err(e) => return Ok(Submission::Refused(Refusal::Unreadable(e))),
        };
        if original.msgid.is_none() {
            // RFC 6409 8.3: the submission server adds a missing Message-ID; PEC needs one
            // to refer to the message in every receipt (X-Riferimento-Message-ID).
            let id = self.gestore.ids().message_id(self.legal_now());
            let mut with_id = format!("Message-ID: {id}\r\n").into_bytes();
            with_id.extend_from_slice(original.raw());
            original = match Original::parse(&with_id) {
                Ok(o) => o,
                Err(e) => return Ok(Submission::Refused(Refusal::Unreadable(e))),
            };
        }
        let problems = self.formal_problems(login, mail_from, rcpts, &original, raw.len());
        let now = self.now_ms();
        let at = self.legal_now();
        let recipients = self.classify(rcpts).await?;
        let identificativo = self.gestore.new_identificativo(at);
        let certified = Certified {
            identificativo: identificativo.clone(),
            msgid: original.msgid.clone(),
            sender: login.to_ascii_lowercase(),
            recipients: recipients.iter().map(|r| r.destinatario()).collect(),
            reply_to: original.reply_address().unwrap_or(login).to_string(),
            subject: original.subject.clone(),
            receipt_kind: match original.receipt_kind.clone() {
                Some(k @ (ReceiptKind::Completa | ReceiptKind::Breve | ReceiptKind::Sintetica)) => k,
                _ => ReceiptKind::Completa,
            },
        };
        if !problems.is_empty() {
            return self.refuse(&certified, problems, now, at).await;
        }
        let blob = self.store.blobs().put(original.raw()).await?;
        let rows: Vec<(String, bool, bool)> = recipients
            .iter()
            .map(|r| (r.address.clone(), r.certified, r.local))
            .collect();
        let addresses: Vec<String> = recipients.iter().map(|r| r.address.clone()).collect();
        let mut tx = self.store.begin().await?;
        let id = store::pec::insert(
            &mut tx,
            &NewPecMessage {
                identificativo: identificativo.as_str(),
                msgid: certified.msgid.as_ref().map(|m| m.as_str()),
                sender: &certified.sender,
                reply_to: &certified.reply_to,
                subject: &certified.subject,
                receipt_kind: certified.receipt_kind.as_str(),
                original_blob: &blob,
                original_size: original.raw().len(),
                accepted_at: now,
                recipients: &rows,
            },
        )
        .await?;
        store::log::append(
            &mut tx,
            now,
            Event::Accettazione,
            &NewEntry {
                identificativo: Some(identificativo.as_str()),
                msgid: certified.msgid.as_ref().map(|m| m.as_str()),
                sender: Some(&certified.sender),
                recipients: &addresses,
                subject: Some(&certified.subject),
                detail: Some(&format!("tipo ricevuta {}", certified.receipt_kind)),
            },
        )
        .await?;
        work::enqueue(&mut tx, &Work::Acceptance { pec_id: id }, now, now).await?;
        work::enqueue(&mut tx, &Work::Envelope { pec_id: id }, now, now).await?;
        tx.commit().await?;
        self.wake.notify_waiters();
        Ok(Submission::Accepted {
            identificativo: identificativo.to_string(),
        })
    }

    /// RFC 6109 3.1.1 and 5.2, DM art. 12: every formal check, the failures in the
    /// order found (none: the message may be accepted).
    fn formal_problems(
        &self,
        login: &str,
        mail_from: &str,
        rcpts: &[String],
        o: &Original,
        size: usize,
    ) -> Vec<FormalProblem> {
        let mut problems = Vec::new();
        match o.from.as_slice() {
            [] => problems.push(FormalProblem::NoFrom),
            [one] => {
                if !one.address.eq_ignore_ascii_case(login) {
                    problems.push(FormalProblem::FromNotAuthenticated {
                        from: one.address.clone(),
                        login: login.to_string(),
                    });
                }
                if !one.address.eq_ignore_ascii_case(mail_from) {
                    problems.push(FormalProblem::FromNotReversePath {
                        from: one.address.clone(),
                        mail_from: mail_from.to_string(),
                    });
                }
            }
            _ => problems.push(FormalProblem::SeveralFrom),
        }
        if o.to.is_empty() {
            problems.push(FormalProblem::NoTo);
        }
        for m in o.to.iter().chain(&o.cc).chain(&o.from) {
            if !is_address(&m.address) {
                problems.push(FormalProblem::InvalidAddress {
                    address: m.address.clone(),
                });
            }
        }
        for line in &o.malformed {
            problems.push(FormalProblem::MalformedHeader(line.clone()));
        }
        if !o.bcc.is_empty() {
            problems.push(FormalProblem::Bcc);
        }
        let mut header: Vec<String> = o.recipients().iter().map(|a| a.to_ascii_lowercase()).collect();
        let mut envelope: Vec<String> = rcpts.iter().map(|a| a.to_ascii_lowercase()).collect();
        header.sort();
        header.dedup();
        envelope.sort();
        envelope.dedup();
        if header != envelope {
            problems.push(FormalProblem::RecipientsMismatch { header, envelope });
        }
        if rcpts.len() > self.config.max_recipients {
            problems.push(FormalProblem::TooManyRecipients {
                count: rcpts.len(),
                max: self.config.max_recipients,
            });
        }
        if size.saturating_mul(rcpts.len().max(1)) > self.config.max_recipients_x_size {
            problems.push(FormalProblem::TooBigForRecipients {
                recipients: rcpts.len(),
                size,
                max: self.config.max_recipients_x_size,
            });
        }
        problems
    }

    /// A non-acceptance notice to the authenticated sender, logged; the message
    /// itself is not stored.
    async fn refuse(
        &self,
        c: &Certified,
        problems: Vec<FormalProblem>,
        now: i64,
        at: pec::time::LegalTime,
    ) -> Result<Submission> {
        let text = refusal::joined(&problems);
        let reason = NonAcceptanceReason::Formal {
            code: problems.first().map(FormalProblem::code).unwrap_or_default(),
            text: text.clone(),
        };
        let notice = self.gestore.non_acceptance(c, &reason, at)?;
        let blob = self.store.blobs().put(&notice.bytes).await?;
        let mut tx = self.store.begin().await?;
        let item = Item {
            blob: &blob,
            size: notice.bytes.len(),
            pec_kind: Some(Kind::NonAccettazione),
            identificativo: Some(c.identificativo.as_str()),
            summary: &pec::summary(&notice.bytes),
        };
        delivery::to_sender(&mut tx, &c.sender, &item, now).await?;
        let addresses: Vec<String> = c.recipients.iter().map(|d| d.address.clone()).collect();
        store::log::append(
            &mut tx,
            now,
            store::log::Event::NonAccettazione,
            &NewEntry {
                identificativo: Some(c.identificativo.as_str()),
                msgid: c.msgid.as_ref().map(|m| m.as_str()),
                sender: Some(&c.sender),
                recipients: &addresses,
                subject: Some(&c.subject),
                detail: Some(&text),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Submission::Refused(Refusal::NotAccepted {
            identificativo: c.identificativo.to_string(),
            problems,
        }))
    }

    /// Certified (a PEC domain of the index, or ours) or ordinary; local or remote.
    pub(crate) async fn classify(&self, rcpts: &[String]) -> Result<Vec<Classified>> {
        let mut out: Vec<Classified> = Vec::new();
        for r in rcpts {
            let address = r.trim().to_ascii_lowercase();
            if out.iter().any(|c| c.address == address) {
                continue;
            }
            let domain = address.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
            let local = self.is_local_domain(&domain).await?;
            let certified = local || self.index.is_certified(&address);
            out.push(Classified {
                address,
                certified,
                local,
            });
        }
        Ok(out)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Classified {
    pub address: String,
    pub certified: bool,
    pub local: bool,
}

impl Classified {
    fn destinatario(&self) -> Destinatario {
        if self.certified {
            Destinatario::certificato(&self.address)
        } else {
            Destinatario::esterno(&self.address)
        }
    }
}
