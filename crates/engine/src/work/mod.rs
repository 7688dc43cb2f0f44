//! The jobs of the gestore and their runner.
//!
//! Each kind of work is a variant of [`Work`], stored as JSON with an idempotency
//! key. A worker claims a due job (a short transaction writing its lease), does
//! the work, and commits the local effects together with the job's completion;
//! if the lease was lost meanwhile, it rolls back. Mail handed to another server
//! happens before that commit, so it is at-least-once; receivers recognise
//! duplicates (see `receiving`).

pub(crate) mod outgoing;
mod timers;

use std::sync::Arc;
use std::time::Duration;

use store::Conn;
use store::blobs::BlobId;
use store::jobs::{self, Job};

use crate::{Engine, Error, Result};

/// Every kind of job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Work {
    /// Ricevuta di accettazione to the sender.
    Acceptance { pec_id: i64 },
    /// Build and sign the transport envelope once, then queue its deliveries.
    Envelope { pec_id: i64 },
    /// A certified recipient of this provider: receiving and delivery points.
    DeliverLocal { pec_id: i64, rcpt: String },
    /// Certified recipients at another provider: relay the envelope there.
    Relay {
        pec_id: i64,
        provider: String,
        rcpts: Vec<String>,
    },
    /// Ordinary recipients: the envelope by plain SMTP through the smarthost.
    RelayOrdinary { pec_id: i64, rcpts: Vec<String> },
    /// The 12-hour preavviso or 24-hour notice for a recipient at another provider.
    Timer { pec_id: i64, rcpt: String, hours: u32 },
    /// A message received by the receiving point, to classify and process.
    Inbound {
        blob: BlobId,
        mail_from: String,
        rcpts: Vec<String>,
        received_at: i64,
    },
    /// A receipt or notice for another provider (or its user), to send there.
    Outbound {
        blob: BlobId,
        mail_from: String,
        rcpts: Vec<String>,
        provider: String,
    },
    /// Daily: delete provider log entries past the retention, and finished jobs.
    Purge { day: String },
    /// A plain message (a lifecycle notice) to ordinary addresses, through the smarthost.
    Mail {
        blob: BlobId,
        mail_from: String,
        rcpts: Vec<String>,
    },
}

impl Work {
    /// The idempotency key: the same work is never queued twice.
    pub fn key(&self) -> String {
        match self {
            Work::Acceptance { pec_id } => format!("acceptance:{pec_id}"),
            Work::Envelope { pec_id } => format!("envelope:{pec_id}"),
            Work::DeliverLocal { pec_id, rcpt } => format!("local:{pec_id}:{rcpt}"),
            Work::Relay {
                pec_id,
                provider,
                rcpts,
            } => format!("relay:{pec_id}:{provider}:{}", rcpts.join(",")),
            Work::RelayOrdinary { pec_id, rcpts } => format!("ordinary:{pec_id}:{}", rcpts.join(",")),
            Work::Timer { pec_id, rcpt, hours } => timer_key(*pec_id, rcpt, *hours),
            Work::Inbound {
                blob,
                received_at,
                rcpts,
                ..
            } => format!("inbound:{blob}:{received_at}:{}", rcpts.join(",")),
            Work::Outbound { blob, rcpts, .. } => format!("outbound:{blob}:{}", rcpts.join(",")),
            Work::Purge { day } => format!("purge:{day}"),
            Work::Mail { blob, rcpts, .. } => format!("mail:{blob}:{}", rcpts.join(",")),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Work::Acceptance { .. } => "acceptance",
            Work::Envelope { .. } => "envelope",
            Work::DeliverLocal { .. } => "deliver-local",
            Work::Relay { .. } => "relay",
            Work::RelayOrdinary { .. } => "relay-ordinary",
            Work::Timer { .. } => "timer",
            Work::Inbound { .. } => "inbound",
            Work::Outbound { .. } => "outbound",
            Work::Purge { .. } => "purge",
            Work::Mail { .. } => "mail",
        }
    }
}

pub(crate) fn timer_key(pec_id: i64, rcpt: &str, hours: u32) -> String {
    format!("timer:{pec_id}:{}:{hours}", rcpt.to_ascii_lowercase())
}

/// Queues `work` due at `due_at` (idempotent by its key).
pub async fn enqueue(c: &mut Conn, work: &Work, due_at: i64, now: i64) -> Result<bool> {
    let payload = serde_json::to_string(work).map_err(|e| Error::Invalid(format!("cannot encode a job: {e}")))?;
    Ok(jobs::enqueue(c, work.kind(), &payload, &work.key(), due_at, now).await?)
}

/// What a job asks of the runner after its attempt.
pub(crate) enum Next {
    /// Completed (its effects are committed).
    Done,
    /// Try again after this long.
    Retry(Duration, String),
    /// Never: bury it for the operator.
    GiveUp(String),
}

/// How long a claim lasts before another worker may take the job over.
const LEASE: Duration = Duration::from_secs(300);

impl Engine {
    /// Runs `workers` job workers until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut handles = Vec::new();
        for _ in 0..self.config.workers.max(1) {
            let engine = self.clone();
            let mut stop = shutdown.clone();
            handles.push(tokio::spawn(async move {
                while !*stop.borrow() {
                    match engine.run_one().await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => tracing::error!("job runner: {e}"),
                    }
                    let pause = engine.idle_pause().await;
                    tokio::select! {
                        _ = engine.wake.notified() => {}
                        _ = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => {}
                    }
                }
            }));
        }
        let _ = shutdown.changed().await;
        for h in handles {
            let _ = h.await;
        }
    }

    /// Until the next job is due, at most one second (other nodes may queue work).
    async fn idle_pause(&self) -> Duration {
        let next = async {
            let mut c = self.store.conn().await.ok()?;
            jobs::next_due(&mut c).await.ok().flatten()
        }
        .await;
        match next {
            Some(due) => Duration::from_millis((due - self.now_ms()).clamp(0, 1000) as u64),
            None => Duration::from_secs(1),
        }
    }

    /// Runs every job due now, one after the other, until none is left (for tests
    /// and `certa` commands that work offline). Returns how many ran.
    pub async fn run_until_idle(&self) -> Result<usize> {
        let mut n = 0;
        while self.run_one().await? {
            n += 1;
        }
        Ok(n)
    }

    /// Claims and runs one due job; false when none is due.
    pub async fn run_one(&self) -> Result<bool> {
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let job = jobs::claim(&mut tx, &self.node, now, now + LEASE.as_millis() as i64).await?;
        tx.commit().await?;
        let Some(job) = job else {
            return Ok(false);
        };
        let next = match serde_json::from_str::<Work>(&job.payload) {
            Ok(work) => match self.perform(&job, &work).await {
                Ok(next) => next,
                Err(e) => Next::Retry(backoff(job.attempts), e.to_string()),
            },
            Err(e) => Next::GiveUp(format!("unreadable job payload: {e}")),
        };
        match next {
            Next::Done => {}
            Next::Retry(after, why) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, "retry in {after:?}: {why}");
                let mut c = self.store.conn().await?;
                jobs::retry(&mut c, &job, self.now_ms() + after.as_millis() as i64, &why).await?;
            }
            Next::GiveUp(why) => {
                tracing::error!(job = job.id, kind = %job.kind, "given up: {why}");
                let mut c = self.store.conn().await?;
                jobs::bury(&mut c, &job, &why, self.now_ms()).await?;
            }
        }
        Ok(true)
    }

    async fn perform(&self, job: &Job, work: &Work) -> Result<Next> {
        match work {
            Work::Acceptance { pec_id } => self.acceptance(job, *pec_id).await,
            Work::Envelope { pec_id } => self.envelope(job, *pec_id).await,
            Work::DeliverLocal { pec_id, rcpt } => self.deliver_local(job, *pec_id, rcpt).await,
            Work::Relay {
                pec_id,
                provider,
                rcpts,
            } => self.relay(job, *pec_id, provider, rcpts).await,
            Work::RelayOrdinary { pec_id, rcpts } => self.relay_ordinary(job, *pec_id, rcpts).await,
            Work::Timer { pec_id, rcpt, hours } => self.timer(job, *pec_id, rcpt, *hours).await,
            Work::Inbound {
                blob,
                mail_from,
                rcpts,
                received_at,
            } => self.process_inbound(job, blob, mail_from, rcpts, *received_at).await,
            Work::Outbound {
                blob,
                mail_from,
                rcpts,
                provider,
            } => self.outbound(job, blob, mail_from, rcpts, provider).await,
            Work::Purge { day } => self.purge(job, day).await,
            Work::Mail { blob, mail_from, rcpts } => self.send_mail(job, blob, mail_from, rcpts).await,
        }
    }

    /// Commits a job's effects with its completion; rolls back if the lease was lost.
    pub(crate) async fn finish(&self, mut tx: store::Tx, job: &Job) -> Result<Next> {
        if jobs::complete(&mut tx, job, self.now_ms()).await? {
            tx.commit().await?;
            self.wake.notify_waiters();
        } else {
            tx.rollback().await?;
            tracing::warn!(job = job.id, "lease lost: another worker took the job over");
        }
        Ok(Next::Done)
    }

    /// Queues the first daily purge (idempotent: one per day).
    pub async fn schedule_purge(&self) -> Result<()> {
        let today = self.clock.now().format("%Y-%m-%d").to_string();
        let mut c = self.store.conn().await?;
        let now = self.now_ms();
        enqueue(&mut c, &Work::Purge { day: today }, now, now).await?;
        Ok(())
    }

    async fn purge(&self, job: &Job, _day: &str) -> Result<Next> {
        let now = self.now_ms();
        let before = now - self.config.log_retention_days * 86_400_000;
        let mut tx = self.store.begin().await?;
        let purged = store::log::purge(&mut tx, before).await?;
        jobs::purge_finished(&mut tx, now - 30 * 86_400_000).await?;
        let tomorrow = (self.clock.now() + chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string();
        enqueue(&mut tx, &Work::Purge { day: tomorrow }, now + 86_400_000, now).await?;
        if purged > 0 {
            tracing::info!("provider log: {purged} entries older than the retention deleted");
        }
        self.finish(tx, job).await
    }
}

/// 30 s, 1 min, 2 min, ... up to one hour between attempts.
pub(crate) fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Duration::from_secs((30u64 << exp).min(3600))
}
