//! Writing a mailbox to a `.tar.gz`: the metadata is read in one read transaction
//! (a consistent picture while the provider runs), then each message's blob is
//! streamed into the archive one at a time. The archive is written to a temporary
//! file beside the target and renamed only once complete and synced.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use store::sqlx::Connection;
use store::{BlobId, Store, mailboxes, messages};

use crate::{Error, Office};

use super::manifest::{self, FolderEntry, Manifest, MessageEntry};
use super::{index, maildir};

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub address: String,
    pub path: PathBuf,
    pub folders: usize,
    pub messages: usize,
    pub bytes: u64,
    /// Rows of the index of sent messages.
    pub sent: usize,
}

type ArchiveWriter<'a> = tar::Builder<GzEncoder<BufWriter<&'a std::fs::File>>>;

/// How far an export is, for whoever waits for it (the holder's page shows
/// it for a large mailbox): the totals are known once the mailbox is read,
/// then each message written counts.
#[derive(Debug, Default)]
pub struct Progress {
    pub total_messages: AtomicU64,
    pub total_bytes: AtomicU64,
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
}

/// Exports mailbox `address` to the file `to`; an existing `to` is replaced only
/// with `force` (refused otherwise, field `force`).
pub async fn export(office: &Office, address: &str, to: &Path, force: bool) -> crate::Result<ExportSummary> {
    export_counted(office, address, to, force, &Progress::default()).await
}

/// [`export`], counting what is written in `progress`.
pub async fn export_counted(
    office: &Office,
    address: &str,
    to: &Path,
    force: bool,
    progress: &Progress,
) -> crate::Result<ExportSummary> {
    if to.is_dir() {
        return Err(Error::invalid(
            "to",
            format!("{} is a directory: give the archive's file name", to.display()),
        ));
    }
    if !force && to.symlink_metadata().is_ok() {
        return Err(Error::refused_on(
            "force",
            format!("{} already exists: choose another name or replace it", to.display()),
        ));
    }
    let now = office.now_ms();
    let (manifest, sent) = read_mailbox(office.store(), address, now).await?;
    progress
        .total_messages
        .store(manifest.messages.len() as u64, Ordering::Relaxed);
    progress
        .total_bytes
        .store(manifest.messages.iter().map(|m| m.size).sum(), Ordering::Relaxed);
    let dir = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".certa-export-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| Error::file(dir, format!("cannot create a temporary file: {e}")))?;
    let bytes = write_archive(office.store(), tmp.as_file(), &manifest, &sent, now, progress)
        .await
        .map_err(|e| Error::file(to, format!("cannot write the archive: {e}")))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::file(tmp.path(), format!("cannot sync: {e}")))?;
    // Without force the rename itself refuses a file that appeared meanwhile.
    let persisted = if force {
        tmp.persist(to)
    } else {
        tmp.persist_noclobber(to)
    };
    persisted.map_err(|e| Error::file(to, format!("cannot rename the archive to it: {}", e.error)))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::file(dir, format!("cannot sync: {e}")))?;
    Ok(ExportSummary {
        address: manifest.address.clone(),
        path: to.to_path_buf(),
        folders: manifest.folders.len(),
        messages: manifest.messages.len(),
        bytes,
        sent: sent.len(),
    })
}

/// The manifest and the index of sent messages, from one read transaction.
async fn read_mailbox(store: &Store, address: &str, now: i64) -> crate::Result<(Manifest, Vec<index::SentMessage>)> {
    let mut conn = store.conn().await?;
    let mut tx = conn.begin().await?;
    let Some(mailbox) = mailboxes::get(&mut tx, address).await? else {
        return Err(Error::not_found(
            "address",
            format!("no mailbox {address} on this provider"),
        ));
    };
    let top = manifest::top_dir(&mailbox.address);
    let mut folders = Vec::new();
    let mut entries = Vec::new();
    for folder in messages::folders(&mut tx, mailbox.id).await? {
        let dir = manifest::archive_dir(&top, &folder.name);
        for m in messages::list(&mut tx, folder.id).await? {
            entries.push(MessageEntry {
                folder: folder.name.clone(),
                path: format!("{dir}/cur/{}", maildir::message_file(m.internal_date, m.uid, &m.flags)),
                uid: m.uid,
                flags: m.flags,
                internal_date: m.internal_date,
                size: m.size.max(0) as u64,
                pec_kind: m.pec_kind,
                identificativo: m.identificativo,
                // Blobs are named by the SHA-256 of their bytes; write_archive checks it.
                sha256: m.blob.0,
            });
        }
        folders.push(FolderEntry {
            name: folder.name,
            special_use: folder.special_use,
            subscribed: folder.subscribed,
            directory: dir,
        });
    }
    let sent = index::sent(&mut tx, &mailbox.address, &entries, &top).await?;
    tx.rollback().await?;
    let manifest = Manifest {
        format: manifest::FORMAT.to_string(),
        version: manifest::VERSION,
        address: mailbox.address,
        exported_at: store::instant(now).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        folders,
        messages: entries,
    };
    Ok((manifest, sent))
}

/// Writes the archive; returns the bytes of messages written.
async fn write_archive(
    store: &Store,
    file: &std::fs::File,
    manifest: &Manifest,
    sent: &[index::SentMessage],
    now: i64,
    progress: &Progress,
) -> Result<u64> {
    let top = manifest::top_dir(&manifest.address);
    let mtime = now.div_euclid(1000).max(0) as u64;
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));
    // The root is INBOX in Maildir++: it is a maildir even when the store has no INBOX.
    maildir_dirs(&mut tar, &top, mtime, false)?;
    let json = serde_json::to_vec_pretty(manifest)?;
    add_file(&mut tar, &format!("{top}/{}", manifest::FILE), &json, mtime)?;
    let text = index::text(&manifest.address, now, sent);
    add_file(&mut tar, &format!("{top}/INDICE.txt"), text.as_bytes(), mtime)?;
    add_file(
        &mut tar,
        &format!("{top}/indice-invii.csv"),
        index::csv(sent).as_bytes(),
        mtime,
    )?;
    for f in manifest.folders.iter().filter(|f| f.directory != top) {
        maildir_dirs(&mut tar, &f.directory, mtime, true)?;
    }
    let mut bytes = 0;
    for m in &manifest.messages {
        let at = || format!("message uid {} of folder {:?}", m.uid, m.folder);
        let blob = store.blobs().get(&BlobId(m.sha256.clone())).await.with_context(at)?;
        if BlobId::of(&blob).0 != m.sha256 || blob.len() as u64 != m.size {
            bail!(
                "{}: the stored blob {} does not match its name or size: the blob store is damaged",
                at(),
                m.sha256
            );
        }
        // Dovecot and others take a maildir file's mtime as the internal date.
        let secs = m.internal_date.div_euclid(1000).max(0) as u64;
        add_file(&mut tar, &m.path, &blob, secs)?;
        bytes += m.size;
        progress.messages.fetch_add(1, Ordering::Relaxed);
        progress.bytes.fetch_add(m.size, Ordering::Relaxed);
    }
    let gz = tar.into_inner()?;
    let mut out = gz.finish()?;
    out.flush()?;
    Ok(bytes)
}

/// A maildir's `cur`, `new`, `tmp` (and Maildir++'s `maildirfolder` marker for a subfolder).
fn maildir_dirs(tar: &mut ArchiveWriter<'_>, dir: &str, mtime: u64, subfolder: bool) -> Result<()> {
    for d in [
        dir.to_string(),
        format!("{dir}/cur"),
        format!("{dir}/new"),
        format!("{dir}/tmp"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o700);
        h.set_mtime(mtime);
        tar.append_data(&mut h, format!("{d}/"), std::io::empty())
            .with_context(|| format!("cannot add {d}/"))?;
    }
    if subfolder {
        add_file(tar, &format!("{dir}/{}", maildir::FOLDER_MARKER), b"", mtime)?;
    }
    Ok(())
}

fn add_file(tar: &mut ArchiveWriter<'_>, path: &str, bytes: &[u8], mtime: u64) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(bytes.len() as u64);
    // A mailbox is private: the holder's eyes only once extracted.
    h.set_mode(0o600);
    h.set_mtime(mtime);
    tar.append_data(&mut h, path, bytes)
        .with_context(|| format!("cannot add {path}"))
}
