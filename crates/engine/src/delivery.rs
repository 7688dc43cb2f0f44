//! The delivery point (pec-rules.md 3.7-3.8): puts a message in a local mailbox,
//! or says why it cannot (NOTA 12 events: unknown, disabled, full mailbox).

use pec::build::NonDeliveryReason;
use pec::daticert::Errore;
use store::Conn;
use store::blobs::BlobId;
use store::mailboxes::{self, Status};
use store::messages::{self, NewMessage, StoredMessage};

use crate::{Engine, Result};

/// Usage levels that warn the holder, once each time they are crossed: a full PEC
/// mailbox still counts as delivered by law, so the holder must act before.
pub const WARN_AT: [i64; 2] = [70, 90];

impl Engine {
    /// [`to_recipient`], then the usage warning when the delivery crossed 70 % or 90 %.
    pub(crate) async fn to_recipient(
        &self,
        c: &mut Conn,
        address: &str,
        item: &Item<'_>,
        now: i64,
    ) -> Result<Result<StoredMessage, NonDeliveryReason>> {
        let outcome = to_recipient(c, address, item, now).await?;
        if outcome.is_ok()
            && let Some(m) = mailboxes::get(c, address).await?
        {
            self.usage_warning(c, &m, now).await?;
        }
        Ok(outcome)
    }

    async fn usage_warning(&self, c: &mut Conn, m: &mailboxes::Mailbox, now: i64) -> Result<()> {
        let percent = if m.quota_bytes > 0 {
            m.used_bytes.saturating_mul(100) / m.quota_bytes
        } else {
            0
        };
        let Some(level) = WARN_AT.iter().rev().copied().find(|l| percent >= *l) else {
            if m.warned_percent > 0 {
                mailboxes::set_warned(c, m.id, 0).await?; // below 70 % again: warn again next time
            }
            return Ok(());
        };
        if m.warned_percent >= level {
            return Ok(());
        }
        let text = format!(
            "La casella di posta certificata {} ha raggiunto il {percent}% dello spazio disponibile \
             ({} MB su {} MB).\n\n\
             Una casella piena non riceve più messaggi: chi le scrive riceve un avviso di mancata \
             consegna. Salvare e cancellare i messaggi non più necessari (ricevute comprese), \
             oppure chiedere al gestore più spazio.\n",
            m.address,
            m.used_bytes / (1024 * 1024),
            m.quota_bytes / (1024 * 1024),
        );
        let message = mail_builder::MessageBuilder::new()
            .from(("Certa", self.receipts_address().as_str()))
            .to(m.address.as_str())
            .subject(format!("Avviso: spazio della casella usato al {percent}%"))
            .date(now / 1000)
            .message_id(format!("quota-{level}-{}-{now}@{}", m.id, self.gestore.domain()))
            .text_body(text)
            .write_to_vec()
            .map_err(|e| crate::Error::Invalid(format!("cannot write the usage warning: {e}")))?;
        let blob = self.store.blobs().put(&message).await?;
        let item = Item {
            blob: &blob,
            size: message.len(),
            pec_kind: None,
            identificativo: None,
            summary: &pec::summary(&message),
        };
        append_inbox(c, m.id, &item, now).await?;
        mailboxes::set_warned(c, m.id, level).await?;
        tracing::info!("{} is at {percent}% of its quota: warned", m.address);
        Ok(())
    }
}

/// What is delivered.
pub struct Item<'a> {
    pub blob: &'a BlobId,
    pub size: usize,
    /// The PEC kind (a transport envelope, a delivery receipt, ...); none for a
    /// plain message.
    pub pec_kind: Option<pec::Kind>,
    /// The identificativo it carries or certifies: links receipts to the sent message.
    pub identificativo: Option<&'a str>,
    /// What the webmail lists of it (`pec::summary` of its bytes).
    pub summary: &'a pec::Summary,
}

/// Delivers to a recipient's INBOX, refusing a missing, suspended, closed or full
/// mailbox with the reason for the non-delivery notice.
pub async fn to_recipient(
    c: &mut Conn,
    address: &str,
    item: &Item<'_>,
    now: i64,
) -> Result<Result<StoredMessage, NonDeliveryReason>> {
    let Some(mailbox) = mailboxes::get(c, address).await? else {
        return Ok(Err(NonDeliveryReason::unknown_mailbox()));
    };
    match mailbox.status {
        Status::Active | Status::ReceiveOnly => {}
        Status::Suspended => return Ok(Err(NonDeliveryReason::mailbox_disabled())),
        Status::Closed => return Ok(Err(NonDeliveryReason::new(Errore::NoDest, "5.1.6", "casella chiusa"))),
    }
    if mailbox.used_bytes + item.size as i64 > mailbox.quota_bytes {
        return Ok(Err(NonDeliveryReason::mailbox_full()));
    }
    Ok(Ok(append_inbox(c, mailbox.id, item, now).await?))
}

/// Delivers a receipt or notice to a local sender's INBOX whatever the mailbox's
/// status and usage: it is the sender's legal proof, and it must not be lost.
/// Returns `None` when the mailbox no longer exists.
pub async fn to_sender(c: &mut Conn, address: &str, item: &Item<'_>, now: i64) -> Result<Option<StoredMessage>> {
    let Some(mailbox) = mailboxes::get(c, address).await? else {
        return Ok(None);
    };
    Ok(Some(append_inbox(c, mailbox.id, item, now).await?))
}

pub(crate) async fn append_inbox(c: &mut Conn, mailbox_id: i64, item: &Item<'_>, now: i64) -> Result<StoredMessage> {
    let inbox = match messages::folder(c, mailbox_id, "INBOX").await? {
        Some(f) => f,
        None => messages::create_folder(c, mailbox_id, "INBOX", None, now / 1000).await?,
    };
    let new = NewMessage {
        blob: item.blob,
        size: item.size as i64,
        internal_date: now,
        flags: &[],
        pec_kind: item.pec_kind.map(|k| k.as_str()),
        identificativo: item.identificativo,
    };
    Ok(messages::append_summarised(c, inbox.id, &new, item.summary).await?)
}
