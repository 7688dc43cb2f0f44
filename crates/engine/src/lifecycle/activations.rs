//! Reservations of mailboxes ordered on the web that passed their time unpaid:
//! lapsed by the daily machine (and on demand), their orders cancelled, the
//! addresses free again. Paying an activation order is `payments.rs`.

use chrono::{DateTime, Utc};
use store::activations;
use store::lifecycle as lc;

use crate::{Engine, Result};

impl Engine {
    /// Lapses every reservation past its time at `now`, each in the lifecycle
    /// log; the addresses freed.
    pub async fn sweep_reservations(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let now_ms = store::millis(now);
        let mut tx = self.store.begin().await?;
        let lapsed = activations::sweep(&mut tx, now_ms).await?;
        for a in &lapsed {
            lc::log(
                &mut tx,
                now_ms,
                None,
                &a.mailbox,
                "reservation-lapsed",
                &format!("{} unpaid: the address is free again", a.order_id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(lapsed.into_iter().map(|a| a.mailbox).collect())
    }
}
