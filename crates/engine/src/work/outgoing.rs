//! What follows an acceptance: the acceptance receipt, the transport envelope and
//! its deliveries (local, to other providers, to ordinary addresses).

use std::time::Duration;

use pec::Kind;
use pec::build::{Certified, NonDeliveryReason};
use pec::daticert::{Destinatario, Errore, ReceiptKind};
use pec::ident::{Identificativo, MsgId};
use pec::original::Original;
use store::Conn;
use store::blobs::BlobId;
use store::jobs::Job;
use store::log::{Event, NewEntry};
use store::pec::{PecMessage, Recipient, RecipientState};

use super::{Next, Work, backoff, enqueue};
use crate::delivery::{self, Item};
use crate::{Endpoint, Engine, Error, Result, SendOutcome};

/// The facts of a message this provider accepted, rebuilt from its records as the
/// access point had them: `risposte` (the original Reply-To) and the recipients in
/// their submitted order included. Messages recorded before those were kept fall
/// back to the sender and the order by address.
pub(crate) async fn certified(c: &mut Conn, pec_id: i64) -> Result<(PecMessage, Certified, Vec<Recipient>)> {
    let m = store::pec::get(c, pec_id).await?;
    let recipients = store::pec::recipients(c, pec_id).await?;
    let identificativo = Identificativo::parse(&m.identificativo)
        .ok_or_else(|| Error::Invalid(format!("stored identificativo {:?} is not valid", m.identificativo)))?;
    let c = Certified {
        identificativo,
        msgid: m.msgid.as_deref().and_then(MsgId::parse),
        sender: m.sender.clone(),
        recipients: recipients
            .iter()
            .map(|r| {
                if r.certified {
                    Destinatario::certificato(&r.address)
                } else {
                    Destinatario::esterno(&r.address)
                }
            })
            .collect(),
        reply_to: m.reply_address().to_string(),
        subject: m.subject.clone(),
        receipt_kind: ReceiptKind::parse(&m.receipt_kind),
    };
    Ok((m, c, recipients))
}

pub(crate) fn entry<'a>(c: &'a Certified, recipients: &'a [String], detail: Option<&'a str>) -> NewEntry<'a> {
    NewEntry {
        identificativo: Some(c.identificativo.as_str()),
        msgid: c.msgid.as_ref().map(|m| m.as_str()),
        sender: Some(&c.sender),
        recipients,
        subject: Some(&c.subject),
        detail,
    }
}

impl Engine {
    pub(super) async fn acceptance(&self, job: &Job, pec_id: i64) -> Result<Next> {
        let (_, c, _) = certified(&mut *self.store.conn().await?, pec_id).await?;
        let receipt = self.gestore.acceptance(&c, self.legal_now())?;
        let blob = self.store.blobs().put(&receipt.bytes).await?;
        let mut tx = self.store.begin().await?;
        let item = Item {
            blob: &blob,
            size: receipt.bytes.len(),
            pec_kind: Some(Kind::Accettazione),
            identificativo: Some(c.identificativo.as_str()),
            summary: &pec::summary(&receipt.bytes),
        };
        delivery::to_sender(&mut tx, &c.sender, &item, self.now_ms()).await?;
        self.finish(tx, job).await
    }

    /// Builds and signs the envelope once, records it, and queues one job per
    /// destination, plus the 12/24-hour timers of certified recipients elsewhere.
    pub(super) async fn envelope(&self, job: &Job, pec_id: i64) -> Result<Next> {
        let (m, c, recipients) = certified(&mut *self.store.conn().await?, pec_id).await?;
        if m.envelope_blob.is_some() {
            // Built by an earlier attempt whose completion was lost: nothing to redo.
            return self.finish(self.store.begin().await?, job).await;
        }
        let original = Original::parse(&self.store.blobs().get(&m.original_blob).await?)
            .map_err(|e| Error::Invalid(format!("stored original of {}: {e}", m.identificativo)))?;
        let envelope = self.gestore.transport_envelope(&c, &original, self.legal_now())?;
        let blob = self.store.blobs().put(&envelope.bytes).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        store::pec::set_envelope(&mut tx, pec_id, &blob, envelope.bytes.len(), now).await?;
        let all: Vec<String> = recipients.iter().map(|r| r.address.clone()).collect();
        store::log::append(&mut tx, now, Event::BustaTrasporto, &entry(&c, &all, None)).await?;
        let mut remote: Vec<(String, Vec<String>)> = Vec::new();
        let mut ordinary = Vec::new();
        for r in &recipients {
            if r.local {
                enqueue(
                    &mut tx,
                    &Work::DeliverLocal {
                        pec_id,
                        rcpt: r.address.clone(),
                    },
                    now,
                    now,
                )
                .await?;
            } else if r.certified {
                let provider = self
                    .index
                    .provider_for_address(&r.address)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                match remote.iter_mut().find(|(p, _)| *p == provider) {
                    Some((_, list)) => list.push(r.address.clone()),
                    None => remote.push((provider, vec![r.address.clone()])),
                }
                for (hours, after) in [(12, self.config.warning_after), (24, self.config.timeout_after)] {
                    let due = m.accepted_at + after.as_millis() as i64;
                    enqueue(
                        &mut tx,
                        &Work::Timer {
                            pec_id,
                            rcpt: r.address.clone(),
                            hours,
                        },
                        due,
                        now,
                    )
                    .await?;
                }
            } else {
                ordinary.push(r.address.clone());
            }
        }
        for (provider, rcpts) in remote {
            enqueue(
                &mut tx,
                &Work::Relay {
                    pec_id,
                    provider,
                    rcpts,
                },
                now,
                now,
            )
            .await?;
        }
        if !ordinary.is_empty() {
            enqueue(
                &mut tx,
                &Work::RelayOrdinary {
                    pec_id,
                    rcpts: ordinary,
                },
                now,
                now,
            )
            .await?;
        }
        self.finish(tx, job).await
    }

    /// Same provider: the receiving and delivery points run here (DM art. 6 c. 5),
    /// and the delivery receipt or non-delivery notice goes to the sender's INBOX.
    pub(super) async fn deliver_local(&self, job: &Job, pec_id: i64, rcpt: &str) -> Result<Next> {
        let (m, c, _) = certified(&mut *self.store.conn().await?, pec_id).await?;
        let envelope_blob = m
            .envelope_blob
            .clone()
            .ok_or_else(|| Error::Invalid("the envelope is not built yet".into()))?;
        let envelope = self.store.blobs().get(&envelope_blob).await?;
        let postacert = match pec::parse(&envelope, None) {
            pec::Parsed::Pec(p) => p.postacert.unwrap_or_default(),
            pec::Parsed::NotPec(_) => Vec::new(),
        };
        let now = self.now_ms();
        let at = self.legal_now();
        // Build both possible answers first: signing happens outside the transaction.
        let receipt = self.gestore.delivery_receipt(&c, rcpt, &postacert, at)?;
        let receipt_blob = self.store.blobs().put(&receipt.bytes).await?;
        let receipt_summary = pec::summary(&receipt.bytes);
        let mut tx = self.store.begin().await?;
        let item = Item {
            blob: &envelope_blob,
            size: envelope.len(),
            pec_kind: Some(Kind::BustaTrasporto),
            identificativo: Some(c.identificativo.as_str()),
            summary: &pec::summary(&envelope),
        };
        let rcpts = vec![rcpt.to_string()];
        match self.to_recipient(&mut tx, rcpt, &item, now).await? {
            Ok(_) => {
                let r = Item {
                    blob: &receipt_blob,
                    size: receipt.bytes.len(),
                    pec_kind: Some(Kind::AvvenutaConsegna),
                    identificativo: Some(c.identificativo.as_str()),
                    summary: &receipt_summary,
                };
                delivery::to_sender(&mut tx, &c.sender, &r, now).await?;
                store::pec::advance(&mut tx, pec_id, rcpt, RecipientState::Delivered, None, now).await?;
                store::log::append(
                    &mut tx,
                    now,
                    Event::Consegna,
                    &entry(&c, &rcpts, Some(c.receipt_kind.as_str())),
                )
                .await?;
            }
            Err(reason) => {
                tx.rollback().await?;
                return self.fail_recipient(job, &c, pec_id, rcpt, &reason).await;
            }
        }
        self.finish(tx, job).await
    }

    /// A non-delivery notice to the sender for `rcpt`, whose state becomes failed,
    /// committed with the job's completion.
    pub(crate) async fn fail_recipient(
        &self,
        job: &Job,
        c: &Certified,
        pec_id: i64,
        rcpt: &str,
        reason: &NonDeliveryReason,
    ) -> Result<Next> {
        let notice = self.failure_notice(c, rcpt, reason).await?;
        let mut tx = self.store.begin().await?;
        self.record_failure(&mut tx, c, pec_id, rcpt, &notice).await?;
        self.finish(tx, job).await
    }

    /// Signs and stores the non-delivery notice (outside any transaction).
    async fn failure_notice(&self, c: &Certified, rcpt: &str, reason: &NonDeliveryReason) -> Result<Failure> {
        let notice = self.gestore.non_delivery(c, rcpt, reason, self.legal_now())?;
        let blob = self.store.blobs().put(&notice.bytes).await?;
        Ok(Failure {
            blob,
            size: notice.bytes.len(),
            summary: pec::summary(&notice.bytes),
            detail: reason.errore_esteso(self.gestore.name()),
        })
    }

    /// In `c`'s transaction: the recipient fails (unless it already had its final
    /// word), the notice reaches the sender, the log records it, the timers stop.
    async fn record_failure(&self, tx: &mut Conn, c: &Certified, pec_id: i64, rcpt: &str, f: &Failure) -> Result<()> {
        let now = self.now_ms();
        if !store::pec::advance(tx, pec_id, rcpt, RecipientState::Failed, Some(&f.detail), now).await? {
            return Ok(());
        }
        let item = Item {
            blob: &f.blob,
            size: f.size,
            pec_kind: Some(Kind::ErroreConsegna),
            identificativo: Some(c.identificativo.as_str()),
            summary: &f.summary,
        };
        delivery::to_sender(tx, &c.sender, &item, now).await?;
        let rcpts = vec![rcpt.to_string()];
        store::log::append(tx, now, Event::MancataConsegna, &entry(c, &rcpts, Some(&f.detail))).await?;
        self.cancel_timers(tx, pec_id, rcpt, &[12, 24]).await
    }

    pub(crate) async fn cancel_timers(&self, c: &mut Conn, pec_id: i64, rcpt: &str, hours: &[u32]) -> Result<()> {
        for h in hours {
            store::jobs::cancel(c, &super::timer_key(pec_id, rcpt, *h), self.now_ms()).await?;
        }
        Ok(())
    }

    /// Hands the envelope to another provider's receiving point (RFC 6109 5.1).
    pub(super) async fn relay(&self, job: &Job, pec_id: i64, provider: &str, rcpts: &[String]) -> Result<Next> {
        let (m, c, recipients) = certified(&mut *self.store.conn().await?, pec_id).await?;
        // After the 24-hour notice (or any final word) a recipient is no longer tried.
        let rcpts: Vec<String> = rcpts
            .iter()
            .filter(|a| {
                recipients
                    .iter()
                    .any(|r| r.address.eq_ignore_ascii_case(a) && !r.state.is_final())
            })
            .cloned()
            .collect();
        if rcpts.is_empty() {
            return self.finish(self.store.begin().await?, job).await;
        }
        let rcpts = rcpts.as_slice();
        let Some(p) = self.index.providers.iter().find(|p| p.name == provider) else {
            return Ok(Next::GiveUp(format!("provider {provider:?} is no longer in the index")));
        };
        let endpoint = Endpoint {
            host: p.smtp_host.clone(),
            port: p.smtp_port,
            tls: p.tls,
        };
        let envelope_blob = m
            .envelope_blob
            .clone()
            .ok_or_else(|| Error::Invalid("the envelope is not built yet".into()))?;
        let envelope = self.store.blobs().get(&envelope_blob).await?;
        match self.transport.send(&endpoint, &c.sender, rcpts, &envelope).await {
            SendOutcome::Done { accepted, refused } => {
                for (rcpt, reply) in &refused {
                    if reply.code >= 500 {
                        let reason = NonDeliveryReason::new(
                            Errore::NoDest,
                            &enhanced(&reply.text, "5.1.1"),
                            &format!("rifiutato da {provider}: {}", reply.text.trim()),
                        );
                        // Each failure commits on its own (with its notice); the relay job completes after.
                        self.fail_recipient_inline(&c, pec_id, rcpt, &reason).await?;
                    }
                }
                let retry: Vec<String> = refused
                    .iter()
                    .filter(|(_, r)| r.code < 500)
                    .map(|(a, _)| a.clone())
                    .collect();
                let now = self.now_ms();
                let mut tx = self.store.begin().await?;
                for rcpt in &accepted {
                    store::pec::advance(
                        &mut tx,
                        pec_id,
                        rcpt,
                        RecipientState::Relayed,
                        Some(&format!("consegnata a {provider}")),
                        now,
                    )
                    .await?;
                }
                if !retry.is_empty() {
                    let due = now + backoff(job.attempts).as_millis() as i64;
                    enqueue(
                        &mut tx,
                        &Work::Relay {
                            pec_id,
                            provider: provider.to_string(),
                            rcpts: retry,
                        },
                        due,
                        now,
                    )
                    .await?;
                }
                self.finish(tx, job).await
            }
            SendOutcome::Retry(why) => Ok(Next::Retry(backoff(job.attempts), format!("{provider}: {why}"))),
            SendOutcome::Permanent(why) => {
                for rcpt in rcpts {
                    let reason = NonDeliveryReason::new(
                        Errore::Altro,
                        &enhanced(&why, "5.0.0"),
                        &format!("rifiutato da {provider}: {}", why.trim()),
                    );
                    self.fail_recipient_inline(&c, pec_id, rcpt, &reason).await?;
                }
                self.finish(self.store.begin().await?, job).await
            }
        }
    }

    /// Like [`Engine::fail_recipient`], committed on its own, outside a job's completion.
    async fn fail_recipient_inline(
        &self,
        c: &Certified,
        pec_id: i64,
        rcpt: &str,
        reason: &NonDeliveryReason,
    ) -> Result<()> {
        let notice = self.failure_notice(c, rcpt, reason).await?;
        let mut tx = self.store.begin().await?;
        self.record_failure(&mut tx, c, pec_id, rcpt, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A plain message (a lifecycle notice) through the smarthost; it waits,
    /// retrying hourly, while none is configured.
    pub(super) async fn send_mail(&self, job: &Job, blob: &BlobId, mail_from: &str, rcpts: &[String]) -> Result<Next> {
        let Some(smarthost) = self.config.smarthost.clone() else {
            return Ok(Next::Retry(
                Duration::from_secs(3600),
                "no smarthost configured for ordinary e-mail".into(),
            ));
        };
        let message = self.store.blobs().get(blob).await?;
        match self.transport.send(&smarthost, mail_from, rcpts, &message).await {
            SendOutcome::Done { refused, .. } => {
                for (rcpt, reply) in &refused {
                    tracing::warn!(rcpt, "the smarthost refused a notice: {} {}", reply.code, reply.text);
                }
                let tx = self.store.begin().await?;
                self.finish(tx, job).await
            }
            SendOutcome::Retry(why) => Ok(Next::Retry(backoff(job.attempts), why)),
            SendOutcome::Permanent(why) => Ok(Next::GiveUp(format!("smarthost refused a notice: {why}"))),
        }
    }

    /// Ordinary recipients get the signed envelope by plain SMTP (pec-rules.md 5.4);
    /// no receipt or timer follows for them.
    pub(super) async fn relay_ordinary(&self, job: &Job, pec_id: i64, rcpts: &[String]) -> Result<Next> {
        let Some(smarthost) = self.config.smarthost.clone() else {
            return Ok(Next::Retry(
                Duration::from_secs(3600),
                "no smarthost configured for ordinary recipients".into(),
            ));
        };
        let (m, c, _) = certified(&mut *self.store.conn().await?, pec_id).await?;
        let envelope_blob = m
            .envelope_blob
            .clone()
            .ok_or_else(|| Error::Invalid("the envelope is not built yet".into()))?;
        let envelope = self.store.blobs().get(&envelope_blob).await?;
        match self.transport.send(&smarthost, &c.sender, rcpts, &envelope).await {
            SendOutcome::Done { accepted, refused } => {
                let now = self.now_ms();
                let mut tx = self.store.begin().await?;
                for rcpt in &accepted {
                    store::pec::advance(
                        &mut tx,
                        pec_id,
                        rcpt,
                        RecipientState::Relayed,
                        Some("posta ordinaria"),
                        now,
                    )
                    .await?;
                }
                for (rcpt, reply) in &refused {
                    store::pec::advance(
                        &mut tx,
                        pec_id,
                        rcpt,
                        RecipientState::Failed,
                        Some(&format!("{} {}", reply.code, reply.text)),
                        now,
                    )
                    .await?;
                }
                self.finish(tx, job).await
            }
            SendOutcome::Retry(why) => Ok(Next::Retry(backoff(job.attempts), why)),
            SendOutcome::Permanent(why) => Ok(Next::GiveUp(format!("smarthost refused the envelope: {why}"))),
        }
    }

    /// Sends a receipt or notice we issued to another provider (or its user).
    pub(super) async fn outbound(
        &self,
        job: &Job,
        blob: &BlobId,
        mail_from: &str,
        rcpts: &[String],
        provider: &str,
    ) -> Result<Next> {
        let Some(p) = self.index.providers.iter().find(|p| p.name == provider) else {
            return Ok(Next::GiveUp(format!("provider {provider:?} is no longer in the index")));
        };
        let endpoint = Endpoint {
            host: p.smtp_host.clone(),
            port: p.smtp_port,
            tls: p.tls,
        };
        let message = self.store.blobs().get(blob).await?;
        match self.transport.send(&endpoint, mail_from, rcpts, &message).await {
            SendOutcome::Done { refused, .. } if refused.iter().any(|(_, r)| r.code < 500) => Ok(Next::Retry(
                backoff(job.attempts),
                format!("{provider} deferred a recipient"),
            )),
            SendOutcome::Done { refused, .. } => {
                for (rcpt, reply) in refused {
                    tracing::warn!("{provider} refused {rcpt}: {} {}", reply.code, reply.text);
                }
                self.finish(self.store.begin().await?, job).await
            }
            SendOutcome::Retry(why) => Ok(Next::Retry(backoff(job.attempts), format!("{provider}: {why}"))),
            SendOutcome::Permanent(why) => Ok(Next::GiveUp(format!("{provider} refused: {why}"))),
        }
    }
}

/// A signed non-delivery notice, stored, waiting to be recorded.
struct Failure {
    blob: BlobId,
    size: usize,
    summary: pec::Summary,
    detail: String,
}

/// The enhanced status code at the start of a reply's text, else `default`.
fn enhanced(text: &str, default: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or_default();
    let parts: Vec<&str> = first.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        first.to_string()
    } else {
        default.to_string()
    }
}
