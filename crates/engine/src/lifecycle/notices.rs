//! Notices as messages: their Italian texts (`lifecycle::notice`), delivered into
//! the PEC mailbox or queued for the smarthost to the holder's ordinary e-mail.

use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::convention::{Channel, Convention};
use lifecycle::notice::{NoticeFacts, NoticeText, OrderInfo, ProviderInfo, Topic, render};
use lifecycle::subscription::Subscription;
use store::Tx;
use store::lifecycle::Order;
use store::mailboxes;

use crate::delivery::{Item, append_inbox};
use crate::work::{Work, enqueue};
use crate::{Engine, Error, Result};

impl Engine {
    fn provider_info(&self, conv: Option<&Convention>) -> ProviderInfo {
        let l = &self.config.lifecycle;
        ProviderInfo {
            name: l.provider_name.clone(),
            management_address: conv
                .and_then(|c| c.cancellation_address.clone())
                .unwrap_or_else(|| self.management_address()),
            renewal_url: l.renewal_url.clone(),
            web_url: l.web_url.clone(),
            payment_methods: l.payment_methods.clone(),
        }
    }

    pub(super) fn notice_text(
        &self,
        sub: &Subscription,
        conv: &Convention,
        topic: Topic,
        at: DateTime<Utc>,
        deletion_on: Option<NaiveDate>,
        order: Option<&OrderInfo>,
    ) -> Result<NoticeText> {
        let mut provider = self.provider_info(Some(conv));
        // The link of the renewal page opens this order only (crate::renewal_link).
        if let Some(o) = order
            && provider.renewal_url.contains("{token}")
        {
            let token = self.renewal_links()?.token(&o.id, sub.expiry);
            provider.renewal_url = provider.renewal_url.replace("{token}", &token);
        }
        Ok(render(&NoticeFacts {
            topic,
            mailbox: &sub.mailbox,
            holder_name: &sub.holder.name,
            expiry: sub.expiry,
            time_zone: conv.time_zone,
            at,
            deletion_on,
            order,
            provider: &provider,
        }))
    }

    pub(super) async fn send_on_plan_channels(
        &self,
        tx: &mut Tx,
        sub: &Subscription,
        conv: &Convention,
        text: &NoticeText,
        now_ms: i64,
    ) -> Result<()> {
        let channels = conv.plan(&sub.plan).map(|p| p.channels.clone()).unwrap_or_default();
        let mut sent = false;
        for channel in channels {
            if channel == Channel::OrdinaryEmail && sub.holder.reference_email.is_none() {
                continue;
            }
            self.send_notice(tx, sub, channel, text, now_ms).await?;
            sent = true;
        }
        if !sent {
            self.send_notice(tx, sub, Channel::PecMailbox, text, now_ms).await?;
        }
        Ok(())
    }

    /// A notice as a message: into the PEC mailbox at once (whatever its status:
    /// it is the provider's own communication), or queued for the smarthost to
    /// the holder's ordinary e-mail.
    pub(super) async fn send_notice(
        &self,
        tx: &mut Tx,
        sub: &Subscription,
        channel: Channel,
        text: &NoticeText,
        now_ms: i64,
    ) -> Result<()> {
        let to = match channel {
            Channel::PecMailbox => sub.mailbox.clone(),
            Channel::OrdinaryEmail => match &sub.holder.reference_email {
                Some(e) => e.clone(),
                None => return Ok(()),
            },
        };
        let from = self.management_address();
        let id_seed = &store::BlobId::of(format!("{to}\n{}\n{now_ms}", text.subject).as_bytes()).0[..16];
        let message = mail_builder::MessageBuilder::new()
            .from((self.config.lifecycle.provider_name.as_str(), from.as_str()))
            .to(to.as_str())
            .subject(text.subject.as_str())
            .date(now_ms / 1000)
            .message_id(format!("avviso-{id_seed}@{}", self.gestore.domain()))
            .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-generated"))
            .text_body(text.body.as_str())
            .write_to_vec()
            .map_err(|e| Error::Invalid(format!("cannot write a notice: {e}")))?;
        let blob = self.store.blobs().put(&message).await?;
        match channel {
            Channel::PecMailbox => {
                if let Some(m) = mailboxes::get(tx, &sub.mailbox).await? {
                    let item = Item {
                        blob: &blob,
                        size: message.len(),
                        pec_kind: None,
                        identificativo: None,
                        summary: &pec::summary(&message),
                    };
                    append_inbox(tx, m.id, &item, now_ms).await?;
                }
            }
            Channel::OrdinaryEmail => {
                let work = Work::Mail {
                    blob,
                    mail_from: from,
                    rcpts: vec![to],
                };
                enqueue(tx, &work, now_ms, now_ms).await?;
            }
        }
        Ok(())
    }
}

/// The order as a notice names it.
pub(super) fn order_info(o: &Order) -> OrderInfo {
    use lifecycle::money::{Money, VatRate};
    OrderInfo {
        id: o.id.clone(),
        net: Money::from_cents(o.net_cents),
        vat: VatRate {
            basis_points: u32::try_from(o.vat_basis_points).unwrap_or(0),
        },
        gross: Money::from_cents(o.amount_cents),
    }
}
