//! The receiving point (pec-rules.md 2, 3.6, 3.9, 5.1): what other providers and
//! the Internet send us. A transport envelope or a receipt counts only when its
//! signature verifies, its signer is a provider of the index and it comes from
//! one of that provider's domains; anything else for a PEC mailbox becomes a
//! busta di anomalia (or is refused, per configuration).
//!
//! The SMTP front-end only stores what arrives and queues a job ([`Engine::receive`]);
//! the job does the rest, so a `250` is never given for something not stored.

use pec::build::Certified;
use pec::parse::{Kind, Parsed, PecMessage};
use pec::smime::{SignatureVerdict, TrustVerdict};
use store::blobs::BlobId;
use store::jobs::Job;
use store::log::{Event, NewEntry};
use store::pec::RecipientState;

use crate::delivery::{self, Item};
use crate::index::Provider;
use crate::work::outgoing::entry;
use crate::work::{Next, Work, enqueue};
use crate::{AnomalyPolicy, Engine, Error, Result};

/// The answer to a message offered to the receiving point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reception {
    /// Stored with its job: the client may be told so.
    Queued,
    Refused(Rejection),
}

/// Why the receiving point refuses a message, in PEC terms; `Display` is the text a
/// front end shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Past the provider's size limit (DM 2/11/2005 art. 12 c. 1: also for messages
    /// from other gestori).
    #[error("message too big")]
    TooBig { size: usize, limit: usize },
    /// Not valid PEC, and the provider refuses such mail instead of delivering it in a
    /// busta di anomalia ([`AnomalyPolicy::Refuse`], pec-rules.md 5.5).
    #[error("not a valid PEC message: {0}")]
    NotValidPec(Invalidity),
}

/// Why a received message is not valid PEC (pec-rules.md 3.9, 5.5): what the busta
/// di anomalia says, or the refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalidity {
    /// Nothing marks it as PEC (ordinary mail): the parser's reason.
    #[error("{0}")]
    NotPec(String),
    #[error("it is itself a busta di anomalia")]
    AnomalyEnvelope,
    /// A kind only a provider's own users receive (acceptance, non-acceptance).
    #[error("a {0} is never sent between providers")]
    NotBetweenProviders(Kind),
    /// The signature verifies, but its signer is not trusted by the index.
    #[error("the signer is not a provider of the index: {0}")]
    SignerNotTrusted(String),
    #[error("the signer was not checked")]
    SignerNotChecked,
    /// The content was changed after signing.
    #[error("the signature does not match the content")]
    SignatureMismatch,
    #[error("the message has no readable signature")]
    NoSignature,
    #[error("the signer certificate is not the one of any provider of the index")]
    UnknownSigner,
    /// The From domain is not one of the signing provider's domains.
    #[error("sent from {from:?}, not a domain of {provider}")]
    ForeignDomain { from: String, provider: String },
    #[error("it has no daticert.xml")]
    NoDaticert,
}

/// A received message judged.
enum Judged<'a> {
    Valid {
        provider: &'a Provider,
        message: Box<PecMessage>,
    },
    Invalid(Invalidity),
}

impl Engine {
    /// RCPT at the receiving point: our mailboxes' domains and our receipts address.
    pub async fn accepts_recipient(&self, rcpt: &str) -> Result<bool> {
        let rcpt = rcpt.trim().to_ascii_lowercase();
        if rcpt == self.receipts_address() {
            return Ok(true);
        }
        let Some((_, domain)) = rcpt.rsplit_once('@') else {
            return Ok(false);
        };
        self.is_local_domain(domain).await
    }

    /// DATA at the receiving point: stored and queued in one transaction.
    pub async fn receive(&self, mail_from: &str, rcpts: &[String], raw: &[u8]) -> Result<Reception> {
        if raw.len() > self.config.max_message_size {
            return Ok(Reception::Refused(Rejection::TooBig {
                size: raw.len(),
                limit: self.config.max_message_size,
            }));
        }
        if self.config.anomaly == AnomalyPolicy::Refuse {
            let parsed = pec::parse(raw, Some(self.index.trust()));
            if let Judged::Invalid(why) = self.judge(&parsed) {
                return Ok(Reception::Refused(Rejection::NotValidPec(why)));
            }
        }
        let blob = self.store.blobs().put(raw).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let work = Work::Inbound {
            blob,
            mail_from: mail_from.to_string(),
            rcpts: rcpts.to_vec(),
            received_at: now,
        };
        enqueue(&mut tx, &work, now, now).await?;
        tx.commit().await?;
        self.wake.notify_waiters();
        Ok(Reception::Queued)
    }

    fn judge<'a>(&'a self, parsed: &Parsed) -> Judged<'a> {
        let m = match parsed {
            Parsed::Pec(m) => m,
            Parsed::NotPec(n) => return Judged::Invalid(Invalidity::NotPec(n.reason.clone())),
        };
        if m.kind == Kind::BustaAnomalia {
            return Judged::Invalid(Invalidity::AnomalyEnvelope);
        }
        match (&m.signature.verdict, &m.signature.trust) {
            (SignatureVerdict::Valid, TrustVerdict::Trusted) => {}
            (SignatureVerdict::Valid, TrustVerdict::NotTrusted(why)) => {
                return Judged::Invalid(Invalidity::SignerNotTrusted(why.clone()));
            }
            (SignatureVerdict::Valid, TrustVerdict::NotChecked) => {
                return Judged::Invalid(Invalidity::SignerNotChecked);
            }
            (SignatureVerdict::Invalid, _) => return Judged::Invalid(Invalidity::SignatureMismatch),
            (SignatureVerdict::Unreadable, _) => return Judged::Invalid(Invalidity::NoSignature),
        }
        let Some(provider) = self.index.provider_for_signer(&m.signature) else {
            return Judged::Invalid(Invalidity::UnknownSigner);
        };
        let from = m.headers.from.as_deref().map(bare_address).unwrap_or_default();
        let from_domain = from
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if !provider.domains.contains(&from_domain) {
            return Judged::Invalid(Invalidity::ForeignDomain {
                from,
                provider: provider.name.clone(),
            });
        }
        if m.daticert.is_none() {
            return Judged::Invalid(Invalidity::NoDaticert);
        }
        Judged::Valid {
            provider,
            message: m.clone(),
        }
    }

    pub(crate) async fn process_inbound(
        &self,
        job: &Job,
        blob: &BlobId,
        mail_from: &str,
        rcpts: &[String],
        _received_at: i64,
    ) -> Result<Next> {
        let raw = self.store.blobs().get(blob).await?;
        let parsed = pec::parse(&raw, Some(self.index.trust()));
        let summary = pec::summary(&raw);
        let stored = Stored {
            blob,
            size: raw.len(),
            summary: &summary,
        };
        match self.judge(&parsed) {
            Judged::Valid { provider, message } => match message.kind {
                Kind::BustaTrasporto => self.accept_envelope(job, provider, &message, stored, rcpts).await,
                Kind::PresaInCarico
                | Kind::AvvenutaConsegna
                | Kind::ErroreConsegna
                | Kind::PreavvisoErroreConsegna
                | Kind::RilevazioneVirus => self.accept_receipt(job, provider, &message, stored, rcpts).await,
                Kind::Accettazione | Kind::NonAccettazione | Kind::BustaAnomalia => {
                    let why = Invalidity::NotBetweenProviders(message.kind);
                    self.anomaly(job, &raw, blob, mail_from, rcpts, &why).await
                }
            },
            Judged::Invalid(why) => self.anomaly(job, &raw, blob, mail_from, rcpts, &why).await,
        }
    }

    /// A valid envelope from another provider: presa in carico to that provider,
    /// then for each of our recipients the envelope in the mailbox and a delivery
    /// receipt (or non-delivery notice) to the sender.
    async fn accept_envelope(
        &self,
        job: &Job,
        provider: &Provider,
        m: &PecMessage,
        stored: Stored<'_>,
        rcpts: &[String],
    ) -> Result<Next> {
        let Stored { blob, size, summary } = stored;
        let d = m
            .daticert
            .as_ref()
            .ok_or_else(|| Error::Invalid("envelope without daticert".into()))?;
        let c = Certified::from_daticert(d)
            .ok_or_else(|| Error::Invalid(format!("envelope with identificativo {:?}", d.identificativo)))?;
        let postacert = m.postacert.clone().unwrap_or_default();
        let at = self.legal_now();
        let now = self.now_ms();
        let sender_provider = self.index.provider_for_address(&c.sender).unwrap_or(provider);
        let ours: Vec<String> = rcpts
            .iter()
            .filter(|r| !r.eq_ignore_ascii_case(&self.receipts_address()))
            .cloned()
            .collect();

        // Build and store every answer before the transaction.
        let presa = self.gestore.presa_in_carico(&c, &provider.receipts, at)?;
        let presa_blob = self.store.blobs().put(&presa.bytes).await?;
        let mut answers = Vec::new();
        for rcpt in &ours {
            let delivered = self.gestore.delivery_receipt(&c, rcpt, &postacert, at)?;
            answers.push((rcpt.clone(), self.store.blobs().put(&delivered.bytes).await?));
        }

        let mut tx = self.store.begin().await?;
        if store::pec::first_time(&mut tx, &format!("presa:{}", c.identificativo), now).await? {
            let work = Work::Outbound {
                blob: presa_blob,
                mail_from: self.receipts_address(),
                rcpts: vec![provider.receipts.clone()],
                provider: provider.name.clone(),
            };
            enqueue(&mut tx, &work, now, now).await?;
            store::log::append(
                &mut tx,
                now,
                Event::PresaInCarico,
                &entry(&c, &ours, Some(&provider.name)),
            )
            .await?;
        }
        for (rcpt, receipt_blob) in answers {
            if !store::pec::first_time(
                &mut tx,
                &format!("envelope:{}:{}", c.identificativo, rcpt.to_ascii_lowercase()),
                now,
            )
            .await?
            {
                continue; // already delivered: a resend after a crash of the sender's gestore
            }
            let item = Item {
                blob,
                size,
                pec_kind: Some(Kind::BustaTrasporto),
                identificativo: Some(c.identificativo.as_str()),
                summary,
            };
            let one = vec![rcpt.clone()];
            let answer = match self.to_recipient(&mut tx, &rcpt, &item, now).await? {
                Ok(_) => {
                    store::log::append(
                        &mut tx,
                        now,
                        Event::Consegna,
                        &entry(&c, &one, Some(c.receipt_kind.as_str())),
                    )
                    .await?;
                    receipt_blob
                }
                Err(reason) => {
                    let notice = self.gestore.non_delivery(&c, &rcpt, &reason, at)?;
                    let detail = reason.errore_esteso(self.gestore.name());
                    store::log::append(&mut tx, now, Event::MancataConsegna, &entry(&c, &one, Some(&detail))).await?;
                    self.store.blobs().put(&notice.bytes).await?
                }
            };
            let work = Work::Outbound {
                blob: answer,
                mail_from: self.receipts_address(),
                rcpts: vec![c.sender.clone()],
                provider: sender_provider.name.clone(),
            };
            enqueue(&mut tx, &work, now, now).await?;
        }
        self.finish(tx, job).await
    }

    /// A receipt or notice from another provider about a message we accepted:
    /// the recipient's state moves, timers stop, the sender gets it in the INBOX.
    async fn accept_receipt(
        &self,
        job: &Job,
        provider: &Provider,
        m: &PecMessage,
        stored: Stored<'_>,
        rcpts: &[String],
    ) -> Result<Next> {
        let Stored { blob, size, summary } = stored;
        let d = m
            .daticert
            .as_ref()
            .ok_or_else(|| Error::Invalid("receipt without daticert".into()))?;
        let now = self.now_ms();
        let consegna = d.consegna.clone().unwrap_or_default();
        let ours = {
            let mut c = self.store.conn().await?;
            store::pec::by_identificativo(&mut c, d.identificativo.trim()).await?
        };
        let facts = Certified::from_daticert(d);
        // A virus found at the recipient: the sender gets our avviso di mancata consegna per virus.
        let virus_notice = match (&m.kind, &facts) {
            (Kind::RilevazioneVirus, Some(c)) if ours.is_some() => {
                let virus = d.errore_esteso.clone().unwrap_or_else(|| "virus".into());
                let n = self
                    .gestore
                    .non_delivery_virus(c, &consegna, &virus, self.legal_now())?;
                Some((
                    self.store.blobs().put(&n.bytes).await?,
                    n.bytes.len(),
                    pec::summary(&n.bytes),
                ))
            }
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        let key = format!(
            "receipt:{}:{}:{}:{}",
            m.kind,
            d.identificativo.trim(),
            consegna.to_ascii_lowercase(),
            rcpts.join(",")
        );
        if !store::pec::first_time(&mut tx, &key, now).await? {
            return self.finish(tx, job).await;
        }
        let recipients = vec![consegna.clone()];
        if let (Some(pm), Some(c)) = (&ours, &facts) {
            let (state, event, stop): (Option<RecipientState>, Event, &[u32]) = match m.kind {
                Kind::PresaInCarico => (Some(RecipientState::TakenOver), Event::PresaInCarico, &[12]),
                Kind::AvvenutaConsegna => (Some(RecipientState::Delivered), Event::Consegna, &[12, 24]),
                Kind::ErroreConsegna => (Some(RecipientState::Failed), Event::MancataConsegna, &[12, 24]),
                Kind::RilevazioneVirus => (Some(RecipientState::Failed), Event::RilevazioneVirus, &[12, 24]),
                _ => (None, Event::RicevutaRicevuta, &[]),
            };
            // Presa in carico covers every recipient of the message at that provider.
            let affected: Vec<String> = if m.kind == Kind::PresaInCarico {
                store::pec::recipients(&mut tx, pm.id)
                    .await?
                    .into_iter()
                    .filter(|r| {
                        self.index
                            .provider_for_address(&r.address)
                            .is_some_and(|p| p.name == provider.name)
                    })
                    .map(|r| r.address)
                    .collect()
            } else {
                vec![consegna.clone()]
            };
            for rcpt in &affected {
                if let Some(state) = state {
                    store::pec::advance(&mut tx, pm.id, rcpt, state, d.errore_esteso.as_deref(), now).await?;
                }
                self.cancel_timers(&mut tx, pm.id, rcpt, stop).await?;
            }
            let detail = format!("ricevuta da {}", provider.name);
            store::log::append(&mut tx, now, event, &entry(c, &affected, Some(&detail))).await?;
            if let Some((vblob, vsize, vsummary)) = &virus_notice {
                let item = Item {
                    blob: vblob,
                    size: *vsize,
                    pec_kind: Some(Kind::ErroreConsegna),
                    identificativo: Some(pm.identificativo.as_str()),
                    summary: vsummary,
                };
                delivery::to_sender(&mut tx, &pm.sender, &item, now).await?;
            }
        } else {
            let entry = NewEntry {
                identificativo: Some(d.identificativo.trim()),
                recipients: &recipients,
                detail: Some("ricevuta per un messaggio sconosciuto"),
                ..Default::default()
            };
            store::log::append(&mut tx, now, Event::RicevutaRicevuta, &entry).await?;
        }
        // The receipt itself goes to the users it is addressed to (not to our receipts address).
        for rcpt in rcpts
            .iter()
            .filter(|r| !r.eq_ignore_ascii_case(&self.receipts_address()))
        {
            let item = Item {
                blob,
                size,
                pec_kind: Some(m.kind),
                identificativo: Some(d.identificativo.trim()),
                summary,
            };
            delivery::to_sender(&mut tx, rcpt, &item, now).await?;
        }
        self.finish(tx, job).await
    }

    /// Not valid PEC: each of our recipients gets it inside a busta di anomalia.
    async fn anomaly(
        &self,
        job: &Job,
        raw: &[u8],
        blob: &BlobId,
        mail_from: &str,
        rcpts: &[String],
        invalidity: &Invalidity,
    ) -> Result<Next> {
        let why = &invalidity.to_string();
        let users: Vec<String> = rcpts
            .iter()
            .filter(|r| !r.eq_ignore_ascii_case(&self.receipts_address()))
            .cloned()
            .collect();
        let now = self.now_ms();
        if users.is_empty() {
            let mut tx = self.store.begin().await?;
            let entry = NewEntry {
                sender: Some(mail_from),
                recipients: rcpts,
                detail: Some(why),
                ..Default::default()
            };
            store::log::append(&mut tx, now, Event::BustaAnomalia, &entry).await?;
            return self.finish(tx, job).await;
        }
        let envelope = self
            .gestore
            .anomaly_envelope(raw, Some(mail_from), why, self.legal_now())?;
        let envelope_blob = self.store.blobs().put(&envelope.bytes).await?;
        let mut tx = self.store.begin().await?;
        let envelope_summary = pec::summary(&envelope.bytes);
        for rcpt in &users {
            if !store::pec::first_time(&mut tx, &format!("anomaly:{blob}:{}", rcpt.to_ascii_lowercase()), now).await? {
                continue;
            }
            let item = Item {
                blob: &envelope_blob,
                size: envelope.bytes.len(),
                pec_kind: Some(Kind::BustaAnomalia),
                identificativo: None,
                summary: &envelope_summary,
            };
            let outcome = self.to_recipient(&mut tx, rcpt, &item, now).await?;
            let detail = match &outcome {
                Ok(_) => why.to_string(),
                Err(reason) => format!("{why}; not delivered: {}", reason.errore_esteso(self.gestore.name())),
            };
            let one = vec![rcpt.clone()];
            let entry = NewEntry {
                sender: Some(mail_from),
                recipients: &one,
                detail: Some(&detail),
                ..Default::default()
            };
            store::log::append(&mut tx, now, Event::BustaAnomalia, &entry).await?;
        }
        self.finish(tx, job).await
    }
}

/// `"Name" <a@b>` -> `a@b`.
fn bare_address(value: &str) -> String {
    match (value.rfind('<'), value.rfind('>')) {
        (Some(s), Some(e)) if s < e => value[s + 1..e].trim().to_string(),
        _ => value.trim().to_string(),
    }
}

/// A received message as stored: its blob, size and summary (for the mailbox's lists).
#[derive(Clone, Copy)]
struct Stored<'a> {
    blob: &'a BlobId,
    size: usize,
    summary: &'a pec::Summary,
}
