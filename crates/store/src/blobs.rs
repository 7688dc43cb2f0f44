//! Content-addressed blobs: each message body stored once, named by its SHA-256,
//! however many mailboxes hold it. Files are written to a temporary name, synced,
//! then renamed, so a blob either exists whole or not at all; the `blobs` table
//! counts references so unreferenced blobs can be deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{Conn, Error, Result};

/// The SHA-256 of a blob, lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct BlobId(pub String);

impl BlobId {
    pub fn of(bytes: &[u8]) -> BlobId {
        BlobId(Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The blob directory: `blobs/ab/cd/abcd...`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: &Path) -> Result<BlobStore> {
        std::fs::create_dir_all(root).map_err(|source| Error::Blob {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(BlobStore {
            root: root.to_path_buf(),
        })
    }

    /// The directory of the blobs (`<data dir>/blobs`): files on their way to
    /// becoming blobs (a webmail's uploads) are kept beside it, on the same disk.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        let s = id.as_str();
        self.root
            .join(s.get(0..2).unwrap_or("00"))
            .join(s.get(2..4).unwrap_or("00"))
            .join(s)
    }

    /// Writes the bytes durably (temp file, fsync, rename, fsync of the directory)
    /// unless a blob with the same content exists.
    pub async fn put(&self, bytes: &[u8]) -> Result<BlobId> {
        let id = BlobId::of(bytes);
        let path = self.path(&id);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(id);
        }
        write_durably(&path, bytes)
            .await
            .map_err(|source| Error::Blob { path, source })?;
        Ok(id)
    }

    pub async fn get(&self, id: &BlobId) -> Result<Vec<u8>> {
        let path = self.path(id);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::MissingBlob(id.0.clone())),
            Err(source) => Err(Error::Blob { path, source }),
        }
    }

    pub async fn delete(&self, id: &BlobId) -> Result<()> {
        let path = self.path(id);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Blob { path, source }),
        }
    }
}

/// Through tokio's file, which hands the blocking pool a bounded buffer at a
/// time: a large message is not copied whole to be written. Each write has a
/// temporary name of its own, so two writers of the same content (two nodes, two
/// tasks) never write into one file.
async fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        path.file_name().and_then(|n| n.to_str()).unwrap_or("blob")
    ));
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written?;
    tokio::fs::File::open(dir).await?.sync_all().await?;
    Ok(())
}

/// Records one more reference to a blob already written with [`BlobStore::put`].
pub async fn add_ref(c: &mut Conn, id: &BlobId, size: usize, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, $2, 1, $3)
         ON CONFLICT (sha256) DO UPDATE SET refcount = blobs.refcount + 1, released_at = NULL",
    )
    .bind(id.as_str())
    .bind(size as i64)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Drops one reference; returns true when none is left. The file is deleted by
/// [`collect_garbage`] once the grace period has passed.
pub async fn release(c: &mut Conn, id: &BlobId, now: i64) -> Result<bool> {
    let left: Option<(i64,)> = sqlx::query_as(
        "UPDATE blobs SET refcount = refcount - 1,
                released_at = CASE WHEN refcount - 1 <= 0 THEN $2 ELSE released_at END
         WHERE sha256 = $1 RETURNING refcount",
    )
    .bind(id.as_str())
    .bind(now)
    .fetch_optional(c)
    .await?;
    Ok(matches!(left, Some((n,)) if n <= 0))
}

/// Blobs whose last reference went before `released_before`, for the garbage collector.
pub async fn unreferenced(c: &mut Conn, released_before: i64, limit: i64) -> Result<Vec<BlobId>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT sha256 FROM blobs WHERE refcount <= 0 AND released_at < $1 LIMIT $2")
            .bind(released_before)
            .bind(limit)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(s,)| BlobId(s)).collect())
}

/// Forgets a blob row, only if still unreferenced.
pub async fn forget(c: &mut Conn, id: &BlobId) -> Result<bool> {
    let r = sqlx::query("DELETE FROM blobs WHERE sha256 = $1 AND refcount <= 0")
        .bind(id.as_str())
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Deletes the files of blobs unreferenced since before `released_before`, and
/// their rows; returns how many. Each blob goes in its own transaction: the row
/// is deleted (only if still unreferenced), then the file, then the commit, so a
/// concurrent writer adding a reference waits for the commit.
///
/// The grace period (the caller's `released_before`, a day in `certa serve`)
/// covers the one case this cannot see: a writer that found the file present
/// in [`BlobStore::put`] (identical bytes to a message deleted a day earlier)
/// and adds its reference after this deletion. PEC messages carry unique
/// identifiers and timestamps, so identical bytes a day apart do not occur in
/// practice.
pub async fn collect_garbage(store: &crate::Store, released_before: i64) -> Result<u64> {
    let mut deleted = 0;
    loop {
        let batch = unreferenced(&mut *store.conn().await?, released_before, 500).await?;
        if batch.is_empty() {
            return Ok(deleted);
        }
        for id in &batch {
            let mut tx = store.begin().await?;
            if forget(&mut tx, id).await? {
                store.blobs().delete(id).await?;
                deleted += 1;
            }
            tx.commit().await?;
        }
        if batch.len() < 500 {
            return Ok(deleted);
        }
    }
}
