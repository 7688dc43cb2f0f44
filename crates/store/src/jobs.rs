//! The durable job queue: rows with a due time, a lease, attempts and an
//! idempotency key. Any node may run any job: a job is claimed by writing a lease
//! (owner, expiry) in its own short transaction; the work and the job's completion
//! are then committed together, guarded by the lease, so a job whose worker died
//! is claimed again when the lease expires and its effects happen once.

use crate::{Conn, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub idempotency_key: String,
    pub due_at: i64,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
}

type JobRow = (i64, String, String, String, i64, i64, Option<String>, Option<String>);
macro_rules! job_columns {
    () => {
        "id, kind, payload, idempotency_key, due_at, attempts, lease_owner, last_error"
    };
}

fn job(r: JobRow) -> Job {
    Job {
        id: r.0,
        kind: r.1,
        payload: r.2,
        idempotency_key: r.3,
        due_at: r.4,
        attempts: r.5,
        lease_owner: r.6,
        last_error: r.7,
    }
}

/// Queues a job unless one with the same idempotency key exists (queued, done or
/// dead): returns whether it was queued now.
pub async fn enqueue(c: &mut Conn, kind: &str, payload: &str, key: &str, due_at: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO jobs (kind, payload, idempotency_key, state, due_at, attempts, created_at)
         VALUES ($1, $2, $3, 'queued', $4, 0, $5) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(kind)
    .bind(payload)
    .bind(key)
    .bind(due_at)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Claims the most overdue job, if any is due at `now` and not leased by a live
/// worker: sets the lease to `owner` until `lease_until` and counts an attempt.
/// Commit the transaction before doing the work.
pub async fn claim(c: &mut Conn, owner: &str, now: i64, lease_until: i64) -> Result<Option<Job>> {
    // The lease conditions are repeated outside the subquery: under PostgreSQL's
    // READ COMMITTED a concurrent claimer re-checks them on the locked row and loses.
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
         WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND due_at <= $3
                     AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT 1)
           AND state = 'queued' AND (lease_until IS NULL OR lease_until < $3)
         RETURNING ",
        job_columns!()
    ))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .fetch_optional(c)
    .await?;
    Ok(row.map(job))
}

/// Marks a claimed job done, in the transaction that holds its effects. False when
/// the lease was lost (another worker took the job over): roll back then.
pub async fn complete(c: &mut Conn, job: &Job, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at = $1, lease_owner = NULL, lease_until = NULL
         WHERE id = $2 AND state = 'queued' AND lease_owner = $3",
    )
    .bind(now)
    .bind(job.id)
    .bind(job.lease_owner.as_deref())
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Puts a claimed job back for another attempt at `due_at`, keeping the error.
pub async fn retry(c: &mut Conn, job: &Job, due_at: i64, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET due_at = $1, last_error = $2, lease_owner = NULL, lease_until = NULL
         WHERE id = $3 AND state = 'queued' AND lease_owner = $4",
    )
    .bind(due_at)
    .bind(error)
    .bind(job.id)
    .bind(job.lease_owner.as_deref())
    .execute(c)
    .await?;
    Ok(())
}

/// Gives up on a job: it stays, with its error, for the operator.
pub async fn bury(c: &mut Conn, job: &Job, error: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'dead', last_error = $1, finished_at = $2, lease_owner = NULL, lease_until = NULL
         WHERE id = $3 AND state = 'queued'",
    )
    .bind(error)
    .bind(now)
    .bind(job.id)
    .execute(c)
    .await?;
    Ok(())
}

/// Cancels a queued job by its key (a timer that is no longer needed). Returns
/// whether one was cancelled.
pub async fn cancel(c: &mut Conn, key: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE idempotency_key = $2 AND state = 'queued'",
    )
    .bind(now)
    .bind(key)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// When the next queued job is due (for the scheduler's sleep).
pub async fn next_due(c: &mut Conn) -> Result<Option<i64>> {
    let row: (Option<i64>,) = sqlx::query_as("SELECT MIN(due_at) FROM jobs WHERE state = 'queued'")
        .fetch_one(c)
        .await?;
    Ok(row.0)
}

/// Counts of jobs by state: (queued, done, dead, cancelled).
pub async fn counts(c: &mut Conn) -> Result<Counts> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        .fetch_all(c)
        .await?;
    let mut counts = Counts::default();
    for (state, n) in rows {
        match state.as_str() {
            "queued" => counts.queued = n,
            "done" => counts.done = n,
            "dead" => counts.dead = n,
            "cancelled" => counts.cancelled = n,
            _ => {}
        }
    }
    Ok(counts)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub queued: i64,
    pub done: i64,
    pub dead: i64,
    pub cancelled: i64,
}

/// Jobs in a state, oldest first (for the operator).
pub async fn list(c: &mut Conn, state: &str, limit: i64) -> Result<Vec<Job>> {
    let rows: Vec<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE state = $1 ORDER BY due_at, id LIMIT $2"
    ))
    .bind(state)
    .bind(limit)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(job).collect())
}

/// Deletes finished jobs older than `before` (done and cancelled; dead ones stay).
pub async fn purge_finished(c: &mut Conn, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND finished_at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// Releases the leases held by `owner`: a node that starts holds none, so any left
/// were its previous run's, cut off by a crash. Returns how many were released.
pub async fn release_leases(c: &mut Conn, owner: &str) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND state = 'queued'",
    )
    .bind(owner)
    .execute(c)
    .await?;
    Ok(r.rows_affected())
}
