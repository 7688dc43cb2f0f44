//! A form's attachments on their way into a message: each written to a file
//! under `<data dir>/uploads` as it arrives (never the whole of it in memory),
//! refused as soon as the total passes what the provider accepts, and removed
//! with the form (accepted, refused or abandoned).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::{Error, Office, Result};

/// One attached file, written whole.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// The file name as the recipient will see it.
    pub name: String,
    /// Its MIME type (`application/pdf`); `application/octet-stream` when not told.
    pub content_type: String,
    pub size: u64,
    #[serde(skip)]
    pub(crate) path: PathBuf,
}

/// The attachments of one form.
#[derive(Debug)]
pub struct Uploads {
    dir: tempfile::TempDir,
    files: Vec<Attachment>,
    total: u64,
    budget: u64,
}

/// The attachments passed what the provider accepts: `size` bytes (at least)
/// against `budget`. What was being written is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    pub size: u64,
    pub budget: u64,
}

impl Uploads {
    /// An empty set of attachments, up to `budget` bytes in all, in a directory
    /// of its own under the provider's data directory (the blobs' disk).
    pub fn new(office: &Office, budget: u64) -> Result<Uploads> {
        let root = upload_root(office);
        std::fs::create_dir_all(&root).map_err(|e| Error::file(&root, e))?;
        let dir = tempfile::Builder::new()
            .prefix("form-")
            .tempdir_in(&root)
            .map_err(|e| Error::file(&root, e))?;
        Ok(Uploads {
            dir,
            files: Vec::new(),
            total: 0,
            budget,
        })
    }

    pub fn files(&self) -> &[Attachment] {
        &self.files
    }

    /// The bytes of every file written so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Starts a file. `name` as the browser gave it (only its last component is
    /// kept); `content_type` as declared.
    pub async fn begin(&mut self, name: &str, content_type: &str) -> Result<Upload<'_>> {
        let path = self.dir.path().join(format!("{}.part", self.files.len()));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| Error::file(&path, e))?;
        Ok(Upload {
            name: file_name(name),
            content_type: mime_type(content_type),
            file: tokio::io::BufWriter::with_capacity(64 * 1024, file),
            path,
            size: 0,
            uploads: self,
        })
    }
}

/// A file being written.
pub struct Upload<'a> {
    uploads: &'a mut Uploads,
    file: tokio::io::BufWriter<tokio::fs::File>,
    path: PathBuf,
    name: String,
    content_type: String,
    size: u64,
}

impl Upload<'_> {
    /// Appends a chunk, or refuses it (and drops the file) when the attachments
    /// would pass the budget.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<Result<(), OverBudget>> {
        let size = self.uploads.total + self.size + chunk.len() as u64;
        if size > self.uploads.budget {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Ok(Err(OverBudget {
                size,
                budget: self.uploads.budget,
            }));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Error::file(&self.path, e))?;
        self.size += chunk.len() as u64;
        Ok(Ok(()))
    }

    /// The file is whole: it becomes an attachment (an empty one, a file input
    /// left empty, is dropped).
    pub async fn finish(mut self) -> Result<()> {
        self.file.flush().await.map_err(|e| Error::file(&self.path, e))?;
        if self.size == 0 {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Ok(());
        }
        self.uploads.total += self.size;
        self.uploads.files.push(Attachment {
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            path: self.path,
        });
        Ok(())
    }
}

fn upload_root(office: &Office) -> PathBuf {
    let blobs = office.store().blobs().root();
    blobs.parent().unwrap_or(Path::new(".")).join("uploads")
}

/// The last component of a browser's file name (some send a whole Windows
/// path), without control characters; `allegato` when nothing is left.
fn file_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_matches('.').trim();
    if clean.is_empty() {
        "allegato".to_string()
    } else {
        clean.chars().take(200).collect()
    }
}

/// `type/subtype` as declared (RFC 2045 5.1 tokens), else `application/octet-stream`.
fn mime_type(given: &str) -> String {
    let essence = given.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c));
    match essence.split_once('/') {
        Some((t, s)) if token(t) && token(s) => essence,
        _ => "application/octet-stream".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_last_component_only() {
        assert_eq!(file_name("C:\\Documenti\\ricorso.pdf"), "ricorso.pdf");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\r\nb.txt"), "ab.txt");
        assert_eq!(file_name(".."), "allegato");
        assert_eq!(file_name(""), "allegato");
    }

    #[test]
    fn mime_types_are_checked() {
        assert_eq!(mime_type("application/pdf"), "application/pdf");
        assert_eq!(mime_type("Text/Plain; charset=utf-8"), "text/plain");
        assert_eq!(mime_type("nonsense"), "application/octet-stream");
        assert_eq!(mime_type("a/b\r\nX-Injected: 1"), "application/octet-stream");
    }
}
