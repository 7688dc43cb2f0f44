//! The 12-hour preavviso and the 24-hour notice for certified recipients at other
//! providers (pec-rules.md 1.4): each fires at most once, and only while neither
//! a presa in carico (12 h) nor the delivery receipt (24 h) has arrived.

use pec::Kind;
use store::jobs::Job;
use store::log::Event;
use store::pec::RecipientState;

use super::Next;
use super::outgoing::{certified, entry};
use crate::delivery::{self, Item};
use crate::{Engine, Result};

impl Engine {
    pub(super) async fn timer(&self, job: &Job, pec_id: i64, rcpt: &str, hours: u32) -> Result<Next> {
        let (_, c, recipients) = certified(&mut *self.store.conn().await?, pec_id).await?;
        let Some(r) = recipients.iter().find(|r| r.address.eq_ignore_ascii_case(rcpt)) else {
            return self.finish(self.store.begin().await?, job).await;
        };
        let due = match hours {
            12 => matches!(r.state, RecipientState::Pending | RecipientState::Relayed),
            _ => !r.state.is_final(),
        };
        if !due {
            return self.finish(self.store.begin().await?, job).await;
        }
        let at = self.legal_now();
        let notice = if hours == 12 {
            self.gestore.timeout_warning(&c, rcpt, at)?
        } else {
            self.gestore.timeout_failure(&c, rcpt, at)?
        };
        let blob = self.store.blobs().put(&notice.bytes).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let (kind, event) = if hours == 12 {
            (Kind::PreavvisoErroreConsegna, Event::MancataConsegna12h)
        } else {
            (Kind::ErroreConsegna, Event::MancataConsegna24h)
        };
        if hours != 12 {
            store::pec::advance(
                &mut tx,
                pec_id,
                rcpt,
                RecipientState::Failed,
                Some("tempo massimo di consegna superato"),
                now,
            )
            .await?;
        }
        let item = Item {
            blob: &blob,
            size: notice.bytes.len(),
            pec_kind: Some(kind),
            identificativo: Some(c.identificativo.as_str()),
            summary: &pec::summary(&notice.bytes),
        };
        delivery::to_sender(&mut tx, &c.sender, &item, now).await?;
        let rcpts = vec![rcpt.to_string()];
        store::log::append(&mut tx, now, event, &entry(&c, &rcpts, None)).await?;
        self.finish(tx, job).await
    }
}
