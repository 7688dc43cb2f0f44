//! The bundle's ZIP, written into a temporary file one entry at a time (the
//! bundle of a message with 30 MB attachments is never whole in memory), with
//! the SHA-256 of every entry for the manifest.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::{Error, Result};

/// One file of the bundle, as the manifest lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// The path inside the bundle's top directory.
    pub path: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
}

/// A ZIP being written under one top directory.
pub struct Zipped {
    writer: Option<ZipWriter<File>>,
    top: String,
    options: SimpleFileOptions,
    pub entries: Vec<Entry>,
}

impl Zipped {
    /// A new ZIP in an unnamed temporary file of the system's temporary
    /// directory (gone when closed), every entry under `top/`, dated `at`.
    pub fn create(top: &str, at: chrono::NaiveDateTime) -> Result<Zipped> {
        let file =
            tempfile::tempfile().map_err(|e| Error::file(&std::env::temp_dir(), format!("no temporary file: {e}")))?;
        use chrono::{Datelike, Timelike};
        let date = DateTime::from_date_and_time(
            u16::try_from(at.year()).unwrap_or(1980),
            at.month() as u8,
            at.day() as u8,
            at.hour() as u8,
            at.minute() as u8,
            at.second() as u8,
        )
        .unwrap_or_default();
        Ok(Zipped {
            writer: Some(ZipWriter::new(file)),
            top: top.to_string(),
            options: SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(date)
                .unix_permissions(0o644),
            entries: Vec::new(),
        })
    }

    /// Adds `bytes` as `path` (relative to the top directory).
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::corrupt("the bundle is closed"))?;
        w.start_file(format!("{}/{path}", self.top), self.options)
            .map_err(|e| Error::corrupt(format!("cannot write {path} into the bundle: {e}")))?;
        w.write_all(bytes)
            .map_err(|e| Error::corrupt(format!("cannot write {path} into the bundle: {e}")))?;
        self.entries.push(Entry {
            path: path.to_string(),
            sha256: hex(&Sha256::digest(bytes)),
            size: bytes.len() as u64,
        });
        Ok(())
    }

    /// The `SHA256SUMS` of every entry so far, in the form `sha256sum -c` reads
    /// (GNU coreutils: the digest, two spaces, the path).
    pub fn manifest(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("{}  {}\n", e.sha256, e.path))
            .collect()
    }

    /// Writes the central directory; the file, at its start, and its size.
    pub fn finish(mut self) -> Result<(File, u64)> {
        let w = self
            .writer
            .take()
            .ok_or_else(|| Error::corrupt("the bundle is closed"))?;
        let mut file = w
            .finish()
            .map_err(|e| Error::corrupt(format!("cannot finish the bundle: {e}")))?;
        let size = file
            .seek(SeekFrom::End(0))
            .and_then(|size| file.seek(SeekFrom::Start(0)).map(|_| size))
            .map_err(|e| Error::corrupt(format!("cannot read the bundle back: {e}")))?;
        Ok((file, size))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
