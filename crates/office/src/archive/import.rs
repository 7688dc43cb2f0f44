//! Reading an export back into an empty mailbox, all or nothing. The archive is
//! read twice: first to check it whole against its manifest (paths, entry types,
//! every file's SHA-256 and size) without writing anything; then to write the
//! message blobs (content-addressed and synced, as delivery writes them); then
//! the folders and messages are committed in one transaction.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Component, Path};

use super::{Context, Problem, Result, bail};
use flate2::read::GzDecoder;
use store::messages::{self, NewMessage};
use store::{BlobId, Conn, Store, changes, mailboxes};

use super::manifest::{self, Manifest};
use crate::{Error, Office};

/// What an import added.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub address: String,
    /// The mailbox the archive was exported from.
    pub exported_from: String,
    pub folders: usize,
    pub created_folders: usize,
    pub messages: usize,
    pub bytes: u64,
    /// Usage after the import: the quota is not enforced on import.
    pub used_bytes: i64,
    pub quota_bytes: i64,
}

/// Larger than any message the provider accepts (`max_message_size` is 100 MB by default).
const MAX_FILE: u64 = 1 << 30;

/// Imports the archive `from` into mailbox `address`, which must exist and be
/// empty. A problem with the archive is an error about `from`, naming the entry.
pub async fn import(office: &Office, address: &str, from: &Path) -> crate::Result<ImportSummary> {
    let store = office.store();
    {
        // Checked before the archive is read, and again in the transaction.
        let mut c = store.conn().await?;
        target(&mut c, address).await?;
    }
    let unusable = |p: Problem| Error::invalid("from", p.to_string());
    let manifest = verify(from).map_err(unusable)?;
    let summaries = write_blobs(store, from, &manifest).await.map_err(unusable)?;
    let mut tx = store.begin().await?;
    let mailbox = target(&mut tx, address).await?;
    let (folder_ids, created_folders) = restore_folders(&mut tx, mailbox.id, &manifest, office.now())
        .await
        .map_err(unusable)?;
    let mut bytes = 0;
    for m in &manifest.messages {
        let flags: Vec<&str> = m.flags.iter().map(String::as_str).collect();
        let new = NewMessage {
            blob: &BlobId(m.sha256.clone()),
            size: m.size as i64,
            internal_date: m.internal_date,
            flags: &flags,
            pec_kind: m.pec_kind.as_deref(),
            identificativo: m.identificativo.as_deref(),
        };
        let folder = folder_ids[m.folder.as_str()];
        let appended = match summaries.get(&m.path) {
            Some(summary) => messages::append_summarised(&mut tx, folder, &new, summary).await,
            None => messages::append(&mut tx, folder, &new).await,
        };
        appended.map_err(|e| Error::invalid("from", format!("cannot store {}: {e}", m.path)))?;
        bytes += m.size;
    }
    let mailbox = mailboxes::by_id(&mut tx, mailbox.id).await?;
    tx.commit().await?;
    Ok(ImportSummary {
        address: mailbox.address,
        exported_from: manifest.address,
        folders: manifest.folders.len(),
        created_folders,
        messages: manifest.messages.len(),
        bytes,
        used_bytes: mailbox.used_bytes,
        quota_bytes: mailbox.quota_bytes,
    })
}

/// The manifest's folders with their special use and subscription, creating the
/// missing ones; returns each manifest name's folder id and how many were created.
async fn restore_folders<'m>(
    c: &mut Conn,
    mailbox_id: i64,
    manifest: &'m Manifest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(HashMap<&'m str, i64>, usize)> {
    let existing = messages::folders(c, mailbox_id).await?;
    // RFC 3501 2.3.1.1: a folder created again gets a UIDVALIDITY above the earlier ones.
    let mut uidvalidity = existing
        .iter()
        .map(|f| f.uidvalidity)
        .max()
        .unwrap_or(0)
        .max(now.timestamp());
    let mut ids = HashMap::new();
    let mut created = 0;
    for f in &manifest.folders {
        let name = if f.name.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            f.name.as_str()
        };
        let folder = match existing.iter().find(|e| e.name == name) {
            Some(folder) => {
                if folder.special_use != f.special_use {
                    messages::set_special_use(c, folder.id, f.special_use.as_deref()).await?;
                }
                folder.clone()
            }
            None => {
                created += 1;
                uidvalidity += 1;
                messages::create_folder(c, mailbox_id, name, f.special_use.as_deref(), uidvalidity)
                    .await
                    .with_context(|| format!("cannot create folder {name:?}"))?
            }
        };
        if folder.subscribed != f.subscribed {
            changes::subscribe(c, folder.id, f.subscribed).await?;
        }
        ids.insert(f.name.as_str(), folder.id);
    }
    Ok((ids, created))
}

/// The target mailbox, refused unless it exists and holds no message: merging into
/// a mailbox in use would mix two histories and could not be undone.
async fn target(c: &mut Conn, address: &str) -> crate::Result<mailboxes::Mailbox> {
    let Some(mailbox) = mailboxes::get(c, address).await? else {
        return Err(Error::not_found(
            "address",
            format!("no mailbox {address} on this provider: create it first"),
        ));
    };
    let held = messages::list_mailbox(c, mailbox.id).await?.len();
    if held > 0 {
        return Err(Error::refused(format!(
            "mailbox {} already holds {held} messages: import only into an empty mailbox",
            mailbox.address
        )));
    }
    Ok(mailbox)
}

fn open(from: &Path) -> Result<tar::Archive<GzDecoder<std::io::BufReader<std::fs::File>>>> {
    let file = std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    Ok(tar::Archive::new(GzDecoder::new(std::io::BufReader::new(file))))
}

/// An entry's path, refused unless it is relative and stays inside the archive
/// (no `..`, no root, no drive): an archive is outside input.
fn entry_path(entry: &tar::Entry<'_, impl Read>) -> Result<Option<String>> {
    let path = entry.path().context("an entry's path cannot be read")?;
    let shown = path.display().to_string();
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => match p.to_str() {
                Some(p) => parts.push(p),
                None => bail!("entry {shown:?}: the path is not UTF-8"),
            },
            _ => bail!(
                "entry {shown:?}: only relative paths inside the archive are accepted (no `..`, no `/` at the start)"
            ),
        }
    }
    match entry.header().entry_type() {
        tar::EntryType::Directory | tar::EntryType::XGlobalHeader => Ok(None),
        tar::EntryType::Regular | tar::EntryType::Continuous if !parts.is_empty() => Ok(Some(parts.join("/"))),
        other => bail!("entry {shown:?} is of type {other:?}: an export holds only files and directories"),
    }
}

fn read_entry(entry: &mut tar::Entry<'_, impl Read>, path: &str) -> Result<Vec<u8>> {
    let size = entry.size();
    if size > MAX_FILE {
        bail!("{path} is {size} bytes, larger than any message");
    }
    let mut bytes = Vec::with_capacity(size as usize);
    entry
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {path} from the archive"))?;
    Ok(bytes)
}

/// The first reading: the manifest, and every file checked against it. Writes nothing.
fn verify(from: &Path) -> Result<Manifest> {
    let mut files: HashMap<String, (String, u64)> = HashMap::new();
    let mut dirs = HashSet::new();
    let mut found = None;
    let mut archive = open(from)?;
    for entry in archive.entries().context("not a tar.gz archive")? {
        let mut entry = entry.context("the archive is damaged")?;
        let Some(path) = entry_path(&entry)? else {
            dirs.insert(entry.path().map(|p| p.display().to_string()).unwrap_or_default());
            continue;
        };
        let bytes = read_entry(&mut entry, &path)?;
        if path.split('/').count() == 2 && path.ends_with(&format!("/{}", manifest::FILE)) {
            if found.is_some() {
                bail!("more than one {} in the archive", manifest::FILE);
            }
            found = Some((path.clone(), bytes));
        } else if files
            .insert(path.clone(), (BlobId::of(&bytes).0, bytes.len() as u64))
            .is_some()
        {
            bail!("{path} appears twice in the archive");
        }
    }
    let Some((manifest_path, bytes)) = found else {
        bail!("no {} in the archive: not a Certa mailbox export", manifest::FILE);
    };
    let manifest = manifest::parse(&bytes).with_context(|| manifest_path.clone())?;
    let top = manifest::top_dir(&manifest.address);
    if manifest_path != format!("{top}/{}", manifest::FILE) {
        bail!(
            "the manifest is {manifest_path}, but the archive of {} has its files under {top}/",
            manifest.address
        );
    }
    for path in files.keys().chain(dirs.iter()) {
        if path.trim_end_matches('/') != top && !path.starts_with(&format!("{top}/")) {
            bail!("{path} is outside the archive's top directory {top}/");
        }
    }
    let listed: HashSet<&str> = manifest.messages.iter().map(|m| m.path.as_str()).collect();
    for path in files.keys() {
        let in_maildir = path
            .rsplit_once('/')
            .is_some_and(|(d, _)| d.ends_with("/cur") || d.ends_with("/new"));
        if in_maildir && !listed.contains(path.as_str()) {
            bail!("{path} is a message file that {manifest_path} does not list");
        }
    }
    for (i, m) in manifest.messages.iter().enumerate() {
        let Some((sha256, size)) = files.get(&m.path) else {
            bail!(
                "{} is listed in {manifest_path} (messages[{i}]) but missing from the archive",
                m.path
            );
        };
        if *sha256 != m.sha256 {
            bail!(
                "{} has SHA-256 {sha256}, but {manifest_path} says {} (messages[{i}].sha256): the file was changed",
                m.path,
                m.sha256
            );
        }
        if *size != m.size {
            bail!(
                "{} is {size} bytes, but {manifest_path} says {} (messages[{i}].size)",
                m.path,
                m.size
            );
        }
    }
    Ok(manifest)
}

/// The second reading: the messages' bytes into the blob store, each checked again
/// (the file could have changed since [`verify`]). A blob without a reference is
/// what a crash between writing a blob and committing leaves too.
/// Writes the messages' blobs; each message's summary for the webmail's lists, by its path.
async fn write_blobs(store: &Store, from: &Path, manifest: &Manifest) -> Result<HashMap<String, pec::Summary>> {
    let mut summaries = HashMap::new();
    let mut wanted: HashMap<&str, &str> = manifest
        .messages
        .iter()
        .map(|m| (m.path.as_str(), m.sha256.as_str()))
        .collect();
    let mut archive = open(from)?;
    for entry in archive.entries().context("not a tar.gz archive")? {
        let mut entry = entry.context("the archive is damaged")?;
        let Some(path) = entry_path(&entry)? else {
            continue;
        };
        let Some(sha256) = wanted.remove(path.as_str()) else {
            continue;
        };
        let bytes = read_entry(&mut entry, &path)?;
        let id = store.blobs().put(&bytes).await?;
        if id.0 != sha256 {
            bail!("{path} changed while it was imported");
        }
        summaries.insert(path.clone(), pec::summary(&bytes));
    }
    if let Some(path) = wanted.keys().next() {
        bail!("{path} disappeared while the archive was imported");
    }
    Ok(summaries)
}
