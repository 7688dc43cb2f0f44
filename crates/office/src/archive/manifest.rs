//! `certa-export.json`: what makes a re-import exact. The Maildir tree keeps the
//! bytes and the standard flags; the manifest adds what Maildir cannot say (keywords,
//! the internal date to the millisecond, special use, subscription, PEC kind and
//! identificativo) and the SHA-256 of every file.

use std::collections::HashSet;

use super::{Context, Result, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::maildir;

/// The value of `format`, so another JSON file is not taken for a manifest.
pub const FORMAT: &str = "certa-mailbox-export";
/// The manifest version this Certa writes and reads.
pub const VERSION: u32 = 1;
/// The manifest's name in the top directory.
pub const FILE: &str = "certa-export.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// The exported mailbox; the archive's top directory is named after it.
    pub address: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub folders: Vec<FolderEntry>,
    /// Folder by folder, in UID order: an import appends them in this order.
    pub messages: Vec<MessageEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FolderEntry {
    /// The IMAP name, `/` between levels.
    pub name: String,
    /// RFC 6154 (`\Sent`, `\Trash`, ...).
    pub special_use: Option<String>,
    pub subscribed: bool,
    /// The Maildir++ directory in the archive.
    pub directory: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageEntry {
    pub folder: String,
    /// The file in the archive.
    pub path: String,
    /// The UID it had in the exported mailbox (the import gives new ones).
    pub uid: i64,
    /// Every flag exactly as stored, keywords included.
    pub flags: Vec<String>,
    /// Milliseconds since the Unix epoch, UTC.
    pub internal_date: i64,
    pub size: u64,
    pub pec_kind: Option<String>,
    pub identificativo: Option<String>,
    /// Of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// The archive's top directory: the address, with any character unsafe in a file
/// name (and a leading dot) written `%XX`.
pub fn top_dir(address: &str) -> String {
    let mut dir = String::new();
    for (i, c) in address.chars().enumerate() {
        if c.is_ascii_alphanumeric() || "@_-+=".contains(c) || (c == '.' && i > 0) {
            dir.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                dir.push_str(&format!("%{b:02X}"));
            }
        }
    }
    dir
}

/// The directory of a folder in the archive (`top` for INBOX).
pub fn archive_dir(top: &str, folder: &str) -> String {
    match maildir::folder_dir(folder) {
        d if d.is_empty() => top.to_string(),
        d => format!("{top}/{d}"),
    }
}

/// Reads and checks a manifest, naming the field at fault.
pub fn parse(bytes: &[u8]) -> Result<Manifest> {
    let value: serde_json::Value = serde_json::from_slice(bytes).context("the manifest is not JSON")?;
    // Format and version first, so a newer archive is named as such and not as a
    // manifest with missing fields.
    let shown = |name: &str| value.get(name).map_or("missing".to_string(), |v| v.to_string());
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        bail!(
            "manifest field \"format\" is {}, expected {FORMAT:?}: not a Certa mailbox export",
            shown("format")
        );
    }
    if value.get("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
        bail!(
            "manifest field \"version\" is {}: this Certa reads version {VERSION}; import with the Certa that wrote the archive or a newer one",
            shown("version")
        );
    }
    let manifest = Manifest {
        format: FORMAT.to_string(),
        version: VERSION,
        address: field(&value, "address")?,
        exported_at: field(&value, "exported_at")?,
        folders: list(&value, "folders")?,
        messages: list(&value, "messages")?,
    };
    manifest.check()?;
    Ok(manifest)
}

fn field<T: DeserializeOwned>(value: &serde_json::Value, name: &str) -> Result<T> {
    let v = value
        .get(name)
        .with_context(|| format!("manifest field \"{name}\" is missing"))?;
    T::deserialize(v).with_context(|| format!("manifest field \"{name}\""))
}

/// A list field, each element read on its own so an error names it (`messages[3]`).
fn list<T: DeserializeOwned>(value: &serde_json::Value, name: &str) -> Result<Vec<T>> {
    let Some(items) = value.get(name).and_then(|v| v.as_array()) else {
        bail!("manifest field \"{name}\" is missing or not a list");
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| T::deserialize(v).with_context(|| format!("manifest {name}[{i}]")))
        .collect()
}

impl Manifest {
    fn check(&self) -> Result<()> {
        let top = top_dir(&self.address);
        let mut names = HashSet::new();
        let mut inboxes = 0;
        for (i, f) in self.folders.iter().enumerate() {
            check_folder_name(&f.name).with_context(|| format!("manifest folders[{i}].name"))?;
            // RFC 3501 5.1: INBOX is one folder whatever its case.
            inboxes += usize::from(f.name.eq_ignore_ascii_case("INBOX"));
            if !names.insert(f.name.as_str()) || inboxes > 1 {
                bail!("manifest folders[{i}].name: folder {:?} is listed twice", f.name);
            }
            let dir = archive_dir(&top, &f.name);
            if f.directory != dir {
                bail!(
                    "manifest folders[{i}].directory is {:?}, but folder {:?} belongs in {dir:?}",
                    f.directory,
                    f.name
                );
            }
        }
        let mut paths = HashSet::new();
        for (i, m) in self.messages.iter().enumerate() {
            let at = || format!("manifest messages[{i}] ({})", m.path);
            if !names.contains(m.folder.as_str()) {
                bail!(
                    "{}: field \"folder\" names {:?}, which is not in \"folders\"",
                    at(),
                    m.folder
                );
            }
            let (dir, file) = m.path.rsplit_once('/').unwrap_or(("", &m.path));
            let folder_dir = archive_dir(&top, &m.folder);
            if dir != format!("{folder_dir}/cur") && dir != format!("{folder_dir}/new") || file.is_empty() {
                bail!(
                    "{}: field \"path\" is not a file in {folder_dir}/cur or {folder_dir}/new",
                    at()
                );
            }
            if !paths.insert(m.path.as_str()) {
                bail!("{}: field \"path\" is listed twice", at());
            }
            if m.sha256.len() != 64
                || !m
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                bail!("{}: field \"sha256\" is not 64 lowercase hexadecimal digits", at());
            }
            for flag in &m.flags {
                // The store keeps flags space-separated.
                if flag.is_empty() || flag.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    bail!("{}: field \"flags\" holds {flag:?}, which is not an IMAP flag", at());
                }
            }
            if i64::try_from(m.size).is_err() {
                bail!("{}: field \"size\" is too large", at());
            }
        }
        Ok(())
    }
}

/// What the store accepts as a folder name (RFC 3501 5.1 with `/` levels).
fn check_folder_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        bail!("{name:?} is not a valid folder name");
    }
    if name.split('/').any(str::is_empty) {
        bail!("{name:?} has an empty level");
    }
    Ok(())
}
