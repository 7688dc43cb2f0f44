//! Saving the mailbox from the subscription page: the archive the server
//! already builds (`crate::archive::export`, the `.tar.gz` of `certa mailbox
//! export`), built in the background into `<data dir>/exports` while the page
//! shows how far it is (messages and bytes written of the totals, from
//! `crate::archive::Progress`), then downloaded as often as wanted for
//! [`KEEP`], after which the file is removed.
//!
//! The builds live in the web server's process ([`Archives`], one per
//! server): one build per mailbox at a time, and at most [`MAX_BUILDING`]
//! for the whole server, so that saving large mailboxes does not take the
//! machine from the others.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::archive::Progress;
use crate::{Error, Office, Result};

/// How long a built archive can be downloaded.
pub const KEEP: Duration = Duration::hours(1);

/// Archives built at the same time by one server.
pub const MAX_BUILDING: usize = 2;

/// The builds of one web server.
#[derive(Default)]
pub struct Archives {
    jobs: Mutex<HashMap<i64, Arc<Job>>>,
}

struct Job {
    progress: Arc<Progress>,
    started_at: DateTime<Utc>,
    outcome: Mutex<Option<std::result::Result<Built, String>>>,
}

struct Built {
    /// Removed when the job is dropped.
    path: tempfile::TempPath,
    size: u64,
    messages: u64,
    file_name: String,
    built_at: DateTime<Utc>,
}

/// Where the archive of a mailbox stands.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "archive", rename_all = "kebab-case")]
pub enum ArchiveState {
    /// None built, or the last one expired.
    None,
    Building {
        started_at: DateTime<Utc>,
        messages: u64,
        total_messages: u64,
        bytes: u64,
        total_bytes: u64,
        /// Of the bytes (of the messages while their size is not known yet).
        percent: u8,
    },
    Ready {
        file_name: String,
        size: u64,
        messages: u64,
        built_at: DateTime<Utc>,
        /// Until when it can be downloaded.
        until: DateTime<Utc>,
    },
    Failed {
        reason: String,
    },
}

/// A built archive, to stream.
#[derive(Debug)]
pub struct Download {
    pub file: std::fs::File,
    pub size: u64,
    pub file_name: String,
}

impl Archives {
    pub fn new() -> Archives {
        Archives::default()
    }

    /// Starts building the archive of the session's mailbox (a build already
    /// running goes on; a new one replaces a built one); where it stands.
    pub async fn start(&self, office: &Office, mailbox_id: i64) -> Result<ArchiveState> {
        let address = store::mailboxes::by_id(&mut *office.store().conn().await?, mailbox_id)
            .await?
            .address;
        let dir = office.store().data_dir().join("exports");
        std::fs::create_dir_all(&dir).map_err(|e| Error::file(&dir, e))?;
        remove_stale(&dir, office.now());
        let path = tempfile::Builder::new()
            .prefix(".certa-archive-")
            .suffix(".tar.gz")
            .tempfile_in(&dir)
            .map_err(|e| Error::file(&dir, format!("cannot create a temporary file: {e}")))?
            .into_temp_path();
        let job = {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            prune(&mut jobs, office.now());
            if let Some(running) = jobs.get(&mailbox_id).filter(|j| j.is_running()) {
                return Ok(running.state());
            }
            if jobs.values().filter(|j| j.is_running()).count() >= MAX_BUILDING {
                return Err(Error::refused(
                    "the server is saving other mailboxes now: try again in a few minutes",
                ));
            }
            let job = Arc::new(Job {
                progress: Arc::new(Progress::default()),
                started_at: office.now(),
                outcome: Mutex::new(None),
            });
            jobs.insert(mailbox_id, job.clone());
            job
        };
        let (office, running) = (office.clone(), job.clone());
        tokio::spawn(async move {
            let target: PathBuf = path.to_path_buf();
            let outcome = crate::archive::export_counted(&office, &address, &target, true, &running.progress)
                .await
                .map(|summary| Built {
                    size: std::fs::metadata(&target).map_or(0, |m| m.len()),
                    messages: summary.messages as u64,
                    file_name: format!("{address}-{}.tar.gz", office.today()),
                    built_at: office.now(),
                    path,
                })
                .map_err(|e| {
                    tracing::warn!(%address, "the archive of the mailbox could not be built: {e}");
                    e.reason()
                });
            *running.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        });
        Ok(job.state())
    }

    /// Where the archive of the session's mailbox stands.
    pub fn state(&self, office: &Office, mailbox_id: i64) -> ArchiveState {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut jobs, office.now());
        jobs.get(&mailbox_id).map_or(ArchiveState::None, |j| j.state())
    }

    /// The built archive of the session's mailbox, to stream.
    pub fn download(&self, office: &Office, mailbox_id: i64) -> Result<Download> {
        let job = {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            prune(&mut jobs, office.now());
            jobs.get(&mailbox_id).cloned()
        };
        let none = || Error::not_found("archive", "no archive of the mailbox is ready: prepare it first");
        let job = job.ok_or_else(none)?;
        let outcome = job.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let Some(Ok(built)) = outcome.as_ref() else {
            return Err(none());
        };
        let file = std::fs::File::open(&built.path).map_err(|e| Error::file(&built.path, e))?;
        Ok(Download {
            file,
            size: built.size,
            file_name: built.file_name.clone(),
        })
    }
}

/// Removes what a server that stopped midway left in `dir`: files older than
/// twice [`KEEP`] at `now` (a build being written is younger, a kept archive too).
fn remove_stale(dir: &std::path::Path, now: DateTime<Utc>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now - DateTime::<Utc>::from(t) > KEEP * 2);
        let ours = entry.file_name().to_string_lossy().starts_with(".certa-");
        if old
            && ours
            && let Err(e) = std::fs::remove_file(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), "cannot remove a stale archive: {e}");
        }
    }
}

/// Forgets (and so removes) the archives built longer than [`KEEP`] ago.
fn prune(jobs: &mut HashMap<i64, Arc<Job>>, now: DateTime<Utc>) {
    jobs.retain(
        |_, j| match j.outcome.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(Ok(built)) => now < built.built_at + KEEP,
            Some(Err(_)) => now < j.started_at + KEEP,
            None => true,
        },
    );
}

impl Job {
    fn is_running(&self) -> bool {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner()).is_none()
    }

    fn state(&self) -> ArchiveState {
        match self.outcome.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            None => building(&self.progress, self.started_at),
            Some(Ok(b)) => ArchiveState::Ready {
                file_name: b.file_name.clone(),
                size: b.size,
                messages: b.messages,
                built_at: b.built_at,
                until: b.built_at + KEEP,
            },
            Some(Err(reason)) => ArchiveState::Failed { reason: reason.clone() },
        }
    }
}

/// A build's state from its counters: the share of the bytes written (of the
/// messages while the sizes are not known).
fn building(p: &Progress, started_at: DateTime<Utc>) -> ArchiveState {
    let (messages, total_messages) = (
        p.messages.load(Ordering::Relaxed),
        p.total_messages.load(Ordering::Relaxed),
    );
    let (bytes, total_bytes) = (p.bytes.load(Ordering::Relaxed), p.total_bytes.load(Ordering::Relaxed));
    let percent = (bytes * 100)
        .checked_div(total_bytes)
        .or_else(|| (messages * 100).checked_div(total_messages))
        .unwrap_or(0);
    ArchiveState::Building {
        started_at,
        messages,
        total_messages,
        bytes,
        total_bytes,
        percent: percent.min(100) as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn percent(messages: u64, total_messages: u64, bytes: u64, total_bytes: u64) -> u8 {
        let p = Progress::default();
        p.messages.store(messages, Ordering::Relaxed);
        p.total_messages.store(total_messages, Ordering::Relaxed);
        p.bytes.store(bytes, Ordering::Relaxed);
        p.total_bytes.store(total_bytes, Ordering::Relaxed);
        match building(&p, Utc::now()) {
            ArchiveState::Building { percent, .. } => percent,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_build_shows_the_share_of_bytes_written() {
        assert_eq!(percent(0, 0, 0, 0), 0, "before the mailbox is read");
        assert_eq!(percent(1, 4, 750, 1000), 75, "bytes, not messages");
        assert_eq!(percent(3, 4, 0, 0), 75, "messages while no size is known");
        assert_eq!(percent(4, 4, 1000, 1000), 100);
    }
}
