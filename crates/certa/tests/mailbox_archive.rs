//! `certa mailbox export` and `certa mailbox import`: a mailbox with folders, flags,
//! keywords and PEC receipts leaves one provider as a .tar.gz and arrives at another
//! identical, byte for byte; GNU tar and Python's `mailbox.Maildir` read the archive;
//! a damaged or hostile archive imports nothing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use certa::provider::Provider;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use store::changes::{self, FlagOp};
use store::messages::{self, NewMessage};
use store::{Store, mailboxes};

const SENDER: &str = "mario.rossi@export.pec.test";
const RECIPIENT: &str = "anna.neri@export.pec.test";
const NEW_HOME: &str = "mario.rossi@nuovo.pec.test";
const SUBJECT: &str = "Fattura n. 12/2025; saldo";

fn certa(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certa"))
        .env("RUST_LOG", "warn")
        .env_remove("CERTA_DATA")
        .env_remove("CERTA_DATABASE")
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run certa")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "certa failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "certa succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn init(data: &Path, domain: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_certa"))
        .env_remove("CERTA_DATA")
        .args(["init", "--domain", domain, "--data"])
        .arg(data)
        .output()
        .unwrap();
    ok(&out);
}

fn add_mailbox(data: &Path, address: &str) {
    ok(&certa(
        &["mailbox", "add", address, "--password", "password di prova"],
        data,
    ));
}

/// What a folder and its messages are, for comparing two mailboxes.
#[derive(Debug, PartialEq)]
struct FolderView {
    name: String,
    special_use: Option<String>,
    subscribed: bool,
    /// In UID order.
    messages: Vec<MessageView>,
}

#[derive(Debug, PartialEq)]
struct MessageView {
    bytes: Vec<u8>,
    flags: Vec<String>,
    internal_date: i64,
    pec_kind: Option<String>,
    identificativo: Option<String>,
}

async fn view(store: &Store, address: &str) -> Vec<FolderView> {
    let mut c = store.conn().await.unwrap();
    let m = mailboxes::get(&mut c, address).await.unwrap().unwrap();
    let mut out = Vec::new();
    for f in messages::folders(&mut c, m.id).await.unwrap() {
        let mut list = Vec::new();
        for msg in messages::list(&mut c, f.id).await.unwrap() {
            let bytes = store.blobs().get(&msg.blob).await.unwrap();
            list.push(MessageView {
                bytes,
                flags: msg.flags,
                internal_date: msg.internal_date,
                pec_kind: msg.pec_kind,
                identificativo: msg.identificativo,
            });
        }
        out.push(FolderView {
            name: f.name,
            special_use: f.special_use,
            subscribed: f.subscribed,
            messages: list,
        });
    }
    out
}

async fn message_count(data: &Path, address: &str) -> usize {
    let store = Store::open(None, data).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let m = mailboxes::get(&mut c, address).await.unwrap().unwrap();
    let n = messages::list_mailbox(&mut c, m.id).await.unwrap().len();
    drop(c);
    store.close().await;
    n
}

fn blob_files(data: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .map(|d| {
                d.flatten()
                    .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&data.join("blobs"))
}

/// A PEC sent from SENDER to RECIPIENT (real acceptance and delivery receipts in
/// SENDER's INBOX), then folders and messages as a holder's mail client leaves them.
async fn fill_source(data: &Path) -> String {
    let provider = Provider::open(data, None).await.unwrap();
    let engine = provider.engine.clone();
    let store = engine.store().clone();
    {
        let mut tx = store.begin().await.unwrap();
        for a in [SENDER, RECIPIENT] {
            mailboxes::create(&mut tx, a, "password di prova", 1 << 30, 0)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let original = format!(
        "From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: {SUBJECT}\r\nMessage-ID: <fattura-12@client.test>\r\n\r\nIn allegato la fattura.\r\n"
    );
    engine
        .submit(SENDER, SENDER, &[RECIPIENT.to_string()], original.as_bytes())
        .await
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let m = mailboxes::get(&mut tx, SENDER).await.unwrap().unwrap();
    let inbox = messages::folder(&mut tx, m.id, "INBOX").await.unwrap().unwrap();
    let receipts = messages::list(&mut tx, inbox.id).await.unwrap();
    let kinds: Vec<_> = receipts
        .iter()
        .map(|r| r.pec_kind.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["accettazione", "avvenuta-consegna"],
        "the receipts reached the sender"
    );
    let identificativo = receipts[0].identificativo.clone().unwrap();

    // The holder read the delivery receipt and filed the acceptance in a folder of their own.
    changes::set_flags(
        &mut tx,
        inbox.id,
        &[receipts[1].id],
        FlagOp::Add,
        &["\\Seen".into()],
        None,
    )
    .await
    .unwrap();
    let filed = changes::create_folder(&mut tx, m.id, "Ricevute PEC/2025", 1)
        .await
        .unwrap();
    changes::move_messages(&mut tx, inbox.id, &[receipts[0].id], filed.id, 1)
        .await
        .unwrap();

    let clienti = changes::create_folder(&mut tx, m.id, "Clienti", 2).await.unwrap();
    let clienti_2025 = changes::create_folder(&mut tx, m.id, "Clienti/2025", 3).await.unwrap();
    let dotted = changes::create_folder(&mut tx, m.id, "Fatture.2025 (vecchie)", 4)
        .await
        .unwrap();
    changes::create_folder(&mut tx, m.id, "Vuota", 5).await.unwrap();
    changes::subscribe(&mut tx, clienti.id, false).await.unwrap();
    let sent = messages::folder(&mut tx, m.id, "Sent").await.unwrap().unwrap();

    // Bytes a re-serialisation would change: bare LF, 8-bit, no final newline.
    let odd: &[u8] = b"From: cliente@example.com\nSubject: =?utf-8?q?Citt=C3=A0?=\n\nriga \xe0 latin-1\r\nfine";
    let add = async |tx: &mut store::Tx, folder: i64, bytes: &[u8], flags: &[&str], date: i64| {
        let blob = store.blobs().put(bytes).await.unwrap();
        let new = NewMessage {
            blob: &blob,
            size: bytes.len() as i64,
            internal_date: date,
            flags,
            pec_kind: None,
            identificativo: None,
        };
        messages::append(tx, folder, &new).await.unwrap();
    };
    add(&mut tx, sent.id, original.as_bytes(), &["\\Seen"], 1_735_689_600_123).await;
    add(
        &mut tx,
        clienti_2025.id,
        odd,
        &["\\Seen", "\\Flagged", "$Etichetta1"],
        1_735_000_000_999,
    )
    .await;
    add(
        &mut tx,
        clienti_2025.id,
        b"Subject: bozza\r\n\r\nciao\r\n",
        &["\\Draft", "\\Answered"],
        1_700_000_000_000,
    )
    .await;
    add(
        &mut tx,
        dotted.id,
        b"Subject: da cancellare\r\n\r\nx\r\n",
        &["\\Deleted", "NonJunk"],
        1_600_000_000_000,
    )
    .await;
    add(
        &mut tx,
        inbox.id,
        b"Subject: nuovo\r\n\r\nnon letto\r\n",
        &[],
        1_760_000_000_000,
    )
    .await;
    tx.commit().await.unwrap();
    store.close().await;
    identificativo
}

/// The archive's entries, as `tar -tzf` (GNU tar) lists them.
fn tar_list(archive: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tzf").arg(archive).output().expect("tar");
    assert!(
        out.status.success(),
        "tar -tzf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Python's mailbox.Maildir (a mail library of the standard library) and csv module
/// reading the extracted export.
const READ_MAILDIR: &str = r#"
import csv, hashlib, json, mailbox, os, sys
root = sys.argv[1]
def folder(md):
    out = []
    for key in sorted(md.keys()):
        msg = md.get_message(key)
        data = md.get_bytes(key)
        out.append({"flags": msg.get_flags(), "subdir": msg.get_subdir(), "date": int(msg.get_date()),
                    "sha256": hashlib.sha256(data).hexdigest()})
    return sorted(out, key=lambda m: m["sha256"])
md = mailbox.Maildir(root, factory=None, create=False)
result = {"INBOX": folder(md)}
for name in md.list_folders():
    result[name] = folder(md.get_folder(name))
with open(os.path.join(root, "indice-invii.csv"), newline="", encoding="utf-8") as f:
    result["csv"] = list(csv.reader(f, delimiter=";"))
print(json.dumps(result))
"#;

/// A copy of `archive` with each file's bytes passed to `change` (false drops the
/// file), and `extra` added at the end.
fn rewrite_archive(
    archive: &Path,
    to: &Path,
    extra: Option<(&str, &[u8])>,
    mut change: impl FnMut(&str, &mut Vec<u8>) -> bool,
) {
    let mut input = tar::Archive::new(GzDecoder::new(std::fs::File::open(archive).unwrap()));
    let mut out = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut header = entry.header().clone();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if change(&path, &mut bytes) {
            header.set_size(bytes.len() as u64);
            out.append_data(&mut header, &path, bytes.as_slice()).unwrap();
        }
    }
    if let Some((path, bytes)) = extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        out.append_data(&mut header, path, bytes).unwrap();
    }
    std::fs::write(to, out.into_inner().unwrap().finish().unwrap()).unwrap();
}

/// A .tar.gz with one entry whose name is written raw (the tar crate refuses to
/// build such paths itself).
fn hostile_archive(to: &Path, name: &str, kind: tar::EntryType) {
    let mut out = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    if kind == tar::EntryType::Symlink {
        h.set_link_name("/etc/passwd").unwrap();
    }
    let body: &[u8] = if kind == tar::EntryType::Regular {
        b"pwned\n"
    } else {
        b""
    };
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    out.append(&h, body).unwrap();
    std::fs::write(to, out.into_inner().unwrap().finish().unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn export_re_imports_into_a_fresh_mailbox_byte_for_byte_with_flags_and_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("vecchio"), dir.path().join("nuovo"));
    init(&old, "export.pec.test");
    init(&new, "nuovo.pec.test");
    let identificativo = fill_source(&old).await;
    add_mailbox(&new, NEW_HOME);
    {
        // The new home's own folders differ: Sent unsubscribed, Junk without its special
        // use (as a client's DELETE and CREATE leave it). The import restores both.
        let target = Store::open(None, &new).await.unwrap();
        let mut c = target.conn().await.unwrap();
        let m = mailboxes::get(&mut c, NEW_HOME).await.unwrap().unwrap();
        let sent = messages::folder(&mut c, m.id, "Sent").await.unwrap().unwrap();
        changes::subscribe(&mut c, sent.id, false).await.unwrap();
        store::sqlx::query("UPDATE folders SET special_use = NULL WHERE mailbox_id = $1 AND name = 'Junk'")
            .bind(m.id)
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        target.close().await;
    }

    let archive = dir.path().join("casella.tar.gz");
    let out = ok(&certa(
        &["mailbox", "export", SENDER, "--to", archive.to_str().unwrap()],
        &old,
    ));
    assert!(out.contains("10 folders, 7 messages"), "{out}");
    assert!(out.contains("index of sent messages: 1 row"), "{out}");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".part"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // GNU tar sees a Maildir++ tree: the root is INBOX, each folder a `.` directory.
    let top = SENDER;
    let entries = tar_list(&archive);
    for dir in [
        "",
        "/.Sent",
        "/.Clienti.2025",
        "/.Fatture%2E2025 (vecchie)",
        "/.Ricevute PEC.2025",
        "/.Vuota",
    ] {
        for sub in ["cur/", "new/", "tmp/"] {
            let want = format!("{top}{dir}/{sub}");
            assert!(entries.contains(&want), "{want} missing from {entries:#?}");
        }
        if !dir.is_empty() {
            assert!(entries.contains(&format!("{top}{dir}/maildirfolder")));
        }
    }
    for file in ["certa-export.json", "INDICE.txt", "indice-invii.csv"] {
        assert!(entries.contains(&format!("{top}/{file}")), "{file}");
    }
    let message_files: Vec<&String> = entries
        .iter()
        .filter(|e| !e.ends_with('/') && e.contains(".certa:2,"))
        .collect();
    assert_eq!(message_files.len(), 7, "{entries:#?}");
    assert!(message_files.iter().all(|e| e.rsplit('/').nth(1) == Some("cur")));
    assert!(
        entries
            .iter()
            .any(|e| e.starts_with(&format!("{top}/.Clienti.2025/cur/1735000000.1.certa:2,FS")))
    );

    // Python's mailbox module reads the extracted tree: counts, flags, dates, bytes.
    let extracted = dir.path().join("estratto");
    std::fs::create_dir(&extracted).unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&extracted)
        .status()
        .unwrap();
    assert!(st.success());
    let out = Command::new("python3")
        .args(["-c", READ_MAILDIR])
        .arg(extracted.join(top))
        .output()
        .expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let folder = |name: &str| {
        read[name]
            .as_array()
            .unwrap_or_else(|| panic!("no folder {name} in {read}"))
            .clone()
    };
    assert_eq!(folder("INBOX").len(), 2);
    assert_eq!(folder("Sent").len(), 1);
    assert_eq!(folder("Clienti.2025").len(), 2);
    assert_eq!(folder("Ricevute PEC.2025").len(), 1);
    assert_eq!(folder("Vuota").len(), 0);
    let mut flags: Vec<String> = folder("Clienti.2025")
        .iter()
        .map(|m| m["flags"].as_str().unwrap().to_string())
        .collect();
    flags.sort();
    assert_eq!(flags, ["DR", "FS"]);
    assert_eq!(folder("Fatture%2E2025 (vecchie)")[0]["flags"], "T");
    assert!(
        folder("Sent")
            .iter()
            .all(|m| m["subdir"] == "cur" && m["date"] == 1_735_689_600)
    );

    // The index of sent messages: the PEC with its recipient's state and both receipts' files.
    let csv = read["csv"].as_array().unwrap();
    assert_eq!(csv.len(), 2, "header and one sent message: {csv:?}");
    assert_eq!(csv[0][0], "identificativo");
    let row: Vec<&str> = csv[1].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(row[0], identificativo);
    assert_eq!(row[1], "<fattura-12@client.test>");
    assert_eq!(row[2], SUBJECT);
    assert_eq!(row[4], format!("{RECIPIENT} (certificato): consegnato"));
    let receipts: Vec<&str> = row[5].split(" | ").collect();
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    for (receipt, kind, dir) in [
        (receipts[0], "accettazione", ".Ricevute PEC.2025/cur/"),
        (receipts[1], "avvenuta-consegna", "cur/"),
    ] {
        assert!(receipt.starts_with(kind), "{receipt}");
        let path = receipt.split_once("): ").unwrap().1;
        assert!(path.starts_with(dir), "{receipt}");
        assert!(extracted.join(top).join(path).is_file(), "{path} is not in the archive");
    }
    let text = std::fs::read_to_string(extracted.join(top).join("INDICE.txt")).unwrap();
    assert!(
        text.contains(SUBJECT) && text.contains(&identificativo) && text.contains("avvenuta-consegna"),
        "{text}"
    );

    // Into the new provider: the same folders and messages, byte for byte.
    let out = ok(&certa(
        &["mailbox", "import", NEW_HOME, "--from", archive.to_str().unwrap()],
        &new,
    ));
    assert!(out.contains("10 folders (5 created), 7 messages"), "{out}");
    let source = Store::open(None, &old).await.unwrap();
    let target = Store::open(None, &new).await.unwrap();
    let before = view(&source, SENDER).await;
    let after = view(&target, NEW_HOME).await;
    assert_eq!(before.len(), 10);
    assert_eq!(before, after);
    assert!(after.iter().any(|f| f.name == "Clienti" && !f.subscribed));
    let used = |s: Store, a: &'static str| async move {
        let m = mailboxes::get(&mut s.conn().await.unwrap(), a).await.unwrap().unwrap();
        s.close().await;
        m.used_bytes
    };
    assert_eq!(used(source, SENDER).await, used(target, NEW_HOME).await);

    // A second import would merge two histories: refused.
    let err = failed(&certa(
        &["mailbox", "import", NEW_HOME, "--from", archive.to_str().unwrap()],
        &new,
    ));
    assert!(err.contains("already holds 7 messages"), "{err}");
    // As is a mailbox that does not exist.
    let err = failed(&certa(
        &[
            "mailbox",
            "import",
            "nessuno@nuovo.pec.test",
            "--from",
            archive.to_str().unwrap(),
        ],
        &new,
    ));
    assert!(err.contains("no mailbox nessuno@nuovo.pec.test"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn export_refuses_to_overwrite_without_force_and_a_damaged_archive_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("vecchio"), dir.path().join("nuovo"));
    init(&old, "export.pec.test");
    init(&new, "nuovo.pec.test");
    fill_source(&old).await;
    add_mailbox(&new, NEW_HOME);
    let archive = dir.path().join("casella.tar.gz");
    let a = archive.to_str().unwrap();
    std::fs::write(&archive, b"a file the holder cares about").unwrap();

    let err = failed(&certa(&["mailbox", "export", SENDER, "--to", a], &old));
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&archive).unwrap(), b"a file the holder cares about");
    let err = failed(&certa(
        &[
            "mailbox",
            "export",
            "nessuno@export.pec.test",
            "--to",
            "/nonexistent/x.tar.gz",
        ],
        &old,
    ));
    assert!(err.contains("no mailbox nessuno@export.pec.test"), "{err}");
    ok(&certa(&["mailbox", "export", SENDER, "--to", a, "--force"], &old));
    // The root maildir, 9 folders (4 directories and maildirfolder each), 3 files, 7 messages.
    assert_eq!(tar_list(&archive).len(), 4 + 9 * 5 + 3 + 7);
    let files_in_dir = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files_in_dir, 3, "only the two providers and the archive");

    let blobs_before = blob_files(&new);
    let import = |path: &Path| certa(&["mailbox", "import", NEW_HOME, "--from", path.to_str().unwrap()], &new);

    // One byte of one message changed.
    let tampered = dir.path().join("alterato.tar.gz");
    let mut victim = String::new();
    rewrite_archive(&archive, &tampered, None, |path, bytes| {
        if victim.is_empty() && path.contains("/.Sent/cur/") && !bytes.is_empty() {
            victim = path.to_string();
            let last = bytes.len() - 3;
            bytes[last] ^= 0x20;
        }
        true
    });
    let err = failed(&import(&tampered));
    assert!(
        err.contains(&victim) && err.contains("sha256") && err.contains("was changed"),
        "{err}"
    );

    // A message file removed, and one added that the manifest does not list.
    let missing = dir.path().join("mancante.tar.gz");
    rewrite_archive(&archive, &missing, None, |path, _| {
        !path.contains("/.Clienti.2025/cur/")
    });
    let err = failed(&import(&missing));
    assert!(
        err.contains(".Clienti.2025/cur/") && err.contains("missing from the archive"),
        "{err}"
    );
    let added = dir.path().join("aggiunto.tar.gz");
    let intruder = format!("{SENDER}/.Sent/new/1.1.intruso:2,");
    rewrite_archive(
        &archive,
        &added,
        Some((&intruder, b"Subject: intruso\r\n\r\n")),
        |_, _| true,
    );
    let err = failed(&import(&added));
    assert!(err.contains(&intruder) && err.contains("does not list"), "{err}");

    // The manifest of a newer Certa, and one with a field gone.
    let newer = dir.path().join("nuova-versione.tar.gz");
    rewrite_archive(&archive, &newer, None, |path, bytes| {
        if path.ends_with("certa-export.json") {
            *bytes = String::from_utf8(bytes.clone())
                .unwrap()
                .replacen("\"version\": 1", "\"version\": 2", 1)
                .into_bytes();
        }
        true
    });
    let err = failed(&import(&newer));
    assert!(
        err.contains("certa-export.json") && err.contains("\"version\" is 2"),
        "{err}"
    );
    let broken = dir.path().join("rotto.tar.gz");
    rewrite_archive(&archive, &broken, None, |path, bytes| {
        if path.ends_with("certa-export.json") {
            let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            v["messages"][2].as_object_mut().unwrap().remove("internal_date");
            *bytes = serde_json::to_vec(&v).unwrap();
        }
        true
    });
    let err = failed(&import(&broken));
    assert!(
        err.contains("messages[2]") && err.contains("missing field `internal_date`"),
        "{err}"
    );

    // Entries that would escape an extraction directory, and a symlink.
    for (name, kind) in [
        ("../fuori.txt", tar::EntryType::Regular),
        ("/tmp/assoluto.txt", tar::EntryType::Regular),
        ("mario/../../fuori.txt", tar::EntryType::Regular),
        ("mario/collegamento", tar::EntryType::Symlink),
    ] {
        let hostile = dir.path().join("ostile.tar.gz");
        hostile_archive(&hostile, name, kind);
        let err = failed(&import(&hostile));
        assert!(err.contains(name), "{name}: {err}");
    }
    assert!(!dir.path().join("fuori.txt").exists());
    let not_an_archive = dir.path().join("testo.tar.gz");
    std::fs::write(&not_an_archive, b"not gzip at all").unwrap();
    failed(&import(&not_an_archive));

    assert_eq!(
        message_count(&new, NEW_HOME).await,
        0,
        "a refused archive imports nothing"
    );
    assert_eq!(blob_files(&new), blobs_before, "nor writes any blob");
    // The good archive still imports.
    ok(&import(&archive));
    assert_eq!(message_count(&new, NEW_HOME).await, 7);
}
