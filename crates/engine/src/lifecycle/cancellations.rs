//! Cancellations, recorded at their legal time: read by the daily machine from
//! the management mailbox (`../shared/docs/lifecycle.md`: "Cancellation must be
//! sent as a PEC to the provider's management address"; the legal time is the
//! acceptance's, from its daticert), or recorded by the operator through the
//! office for one received otherwise (a registered letter). Both go through
//! [`Engine::cancel_subscription`].

use chrono::{DateTime, Utc};
use lifecycle::convention::Convention;
use lifecycle::notice::Topic;
use lifecycle::subscription::Subscription;
use store::lifecycle as lc;
use store::mailboxes;

use super::{Conventions, decode, live, save};
use crate::{Engine, Error, Result};

/// Flags on the management mailbox's messages once read.
pub const FLAG_RECORDED: &str = "$Disdetta";
pub const FLAG_CHECK: &str = "$DaVerificare";

impl Engine {
    /// Records a cancellation at its legal time (a PEC's acceptance, or the time
    /// the operator gives for one received otherwise): no more notices nor tacit
    /// renewal, open orders cancelled, the service ends at expiry. The holder is
    /// told so on the plan's channels.
    pub async fn cancel_subscription(
        &self,
        mailbox: &str,
        legal_time: DateTime<Utc>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Subscription> {
        let mut tx = self.store.begin().await?;
        let row = live(&mut tx, mailbox).await?;
        let sub = decode(&row)?;
        let conv = Conventions::one(&mut tx, &sub.convention).await?;
        let first = sub.cancelled_at.is_none();
        let cancelled = lifecycle::subscription::cancel(&sub, legal_time).map_err(|e| Error::Invalid(e.to_string()))?;
        save(&mut tx, &row, &cancelled, store::millis(now)).await?;
        lc::cancel_open_orders(&mut tx, row.id).await?;
        lc::log(
            &mut tx,
            store::millis(legal_time),
            Some(row.id),
            &row.mailbox,
            "cancelled",
            &format!("{source}; legal time {}", pec::time::LegalTime::from_utc(legal_time)),
        )
        .await?;
        if first {
            let retention = conv.plan(&cancelled.plan).map_or(0, |p| p.retention_days);
            let deletion = cancelled
                .expiry
                .checked_add_days(chrono::Days::new(u64::from(retention) + 1));
            let text = self.notice_text(
                &cancelled,
                &conv,
                Topic::CancellationRecorded,
                legal_time,
                deletion,
                None,
            )?;
            self.send_on_plan_channels(&mut tx, &cancelled, &conv, &text, store::millis(now))
                .await?;
        }
        tx.commit().await?;
        self.wake.notify_waiters();
        Ok(cancelled)
    }

    /// Reads the management mailbox's new PEC messages: one whose subject asks
    /// for a cancellation ("disdetta", "recesso") sent from a mailbox with a
    /// live subscription here is recorded at its legal time (the acceptance time
    /// in its daticert). Each message is flagged once read: `$Disdetta` when
    /// recorded, `$DaVerificare` for an operator otherwise. Returns how many
    /// cancellations were recorded.
    ///
    /// Besides the management address, each convention's own
    /// `cancellation_address` is read when it is a mailbox here: the notices of
    /// its boxes tell the holders to write there.
    pub async fn process_cancellations(&self) -> Result<usize> {
        let mut addresses = vec![self.management_address().to_ascii_lowercase()];
        for stored in lc::conventions(&mut *self.store.conn().await?).await? {
            if let Ok(Some(a)) = Convention::from_toml(&stored.source).map(|c| c.cancellation_address) {
                let a = a.to_ascii_lowercase();
                if !addresses.contains(&a) {
                    addresses.push(a);
                }
            }
        }
        let mut recorded = 0;
        for address in &addresses {
            recorded += self.cancellations_in(address).await?;
        }
        Ok(recorded)
    }

    async fn cancellations_in(&self, address: &str) -> Result<usize> {
        let (inbox, candidates) = {
            let mut c = self.store.conn().await?;
            let Some(m) = mailboxes::get(&mut c, address).await? else {
                return Ok(0);
            };
            let Some(inbox) = store::messages::folder(&mut c, m.id, "INBOX").await? else {
                return Ok(0);
            };
            let all = store::messages::list(&mut c, inbox.id).await?;
            let fresh: Vec<_> = all
                .into_iter()
                .filter(|m| !m.flags.iter().any(|f| f == FLAG_RECORDED || f == FLAG_CHECK))
                .collect();
            (inbox, fresh)
        };
        let mut recorded = 0;
        for msg in candidates {
            let raw = self.store.blobs().get(&msg.blob).await?;
            let verdict = self.read_cancellation(&raw).await;
            let flag = match verdict {
                Ok((mailbox, legal_time)) => {
                    match self
                        .cancel_subscription(&mailbox, legal_time, "disdetta via PEC", self.clock.now())
                        .await
                    {
                        Ok(_) => {
                            recorded += 1;
                            tracing::info!(target: "lifecycle", %mailbox, "cancellation by PEC recorded");
                            FLAG_RECORDED
                        }
                        Err(e) => {
                            tracing::warn!(target: "lifecycle", %mailbox, "cancellation by PEC not recorded: {e}");
                            FLAG_CHECK
                        }
                    }
                }
                Err(why) => {
                    tracing::info!(target: "lifecycle", message = msg.id, "management mailbox: {why}");
                    FLAG_CHECK
                }
            };
            let mut tx = self.store.begin().await?;
            store::changes::set_flags(
                &mut tx,
                inbox.id,
                &[msg.id],
                store::changes::FlagOp::Add,
                &[flag.to_string()],
                None,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(recorded)
    }

    /// The mailbox asking for cancellation and the legal time, or why not.
    async fn read_cancellation(&self, raw: &[u8]) -> std::result::Result<(String, DateTime<Utc>), String> {
        let parsed = pec::parse::parse(raw, Some(self.index.trust()));
        let pec::parse::Parsed::Pec(m) = parsed else {
            return Err("not a PEC message: left for the operator".into());
        };
        if m.kind != pec::parse::Kind::BustaTrasporto {
            return Err(format!("a {} is not a request: left for the operator", m.kind.as_str()));
        }
        let d = m.daticert.as_ref().ok_or("a PEC without daticert.xml")?;
        let subject = d.oggetto.clone().unwrap_or_default().to_lowercase();
        if !["disdetta", "recesso"].iter().any(|w| subject.contains(w)) {
            return Err(format!("subject {subject:?} does not ask for a cancellation"));
        }
        let time = d.time().ok_or("the daticert has no valid date and time")?;
        let sender = mailboxes::normalize(&d.mittente).map_err(|e| e.to_string())?;
        let mut c = self.store.conn().await.map_err(|e| e.to_string())?;
        match lc::subscription(&mut c, &sender).await {
            Ok(Some(_)) => Ok((sender, time.utc())),
            Ok(None) => Err(format!("{sender} has no subscription here: left for the operator")),
            Err(e) => Err(e.to_string()),
        }
    }
}
