//! Running the real binary for the end-to-end tests: its commands, and what they show.
//! The demo, child processes and the Python clients are the testkit's, re-exported here.
// Each test binary uses a part of this module.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub use testkit::demo::Demo;
pub use testkit::process::{Proc, wait_until};
pub use testkit::python::{Account, Outcome, start_sink, submit};

/// The `certa` binary under test.
pub const CERTA: &str = env!("CARGO_BIN_EXE_certa");

pub fn certa() -> Command {
    let mut c = Command::new(CERTA);
    c.env("RUST_LOG", "warn");
    c
}

/// One message of a mailbox, from `certa mailbox show --json`.
#[derive(Debug, Clone)]
pub struct Stored {
    pub folder: String,
    pub uid: i64,
    pub pec_kind: Option<String>,
    pub identificativo: Option<String>,
    pub path: PathBuf,
}

pub fn mailbox(data: &Path, address: &str) -> Vec<Stored> {
    let out = certa()
        .args(["mailbox", "show", address, "--json", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mailbox show {address}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let msg = &m["message"];
            let blob = msg["blob"].as_str().unwrap();
            Stored {
                folder: m["folder"].as_str().unwrap().to_string(),
                uid: msg["uid"].as_i64().unwrap(),
                pec_kind: msg["pec_kind"].as_str().map(str::to_string),
                identificativo: msg["identificativo"].as_str().map(str::to_string),
                path: data.join("blobs").join(&blob[0..2]).join(&blob[2..4]).join(blob),
            }
        })
        .collect()
}

pub fn count(list: &[Stored], kind: &str) -> usize {
    list.iter().filter(|m| m.pec_kind.as_deref() == Some(kind)).count()
}

/// `openssl smime -verify` against `ca`: true when the signature and chain verify.
pub fn openssl_verifies(message: &Path, ca: &Path) -> bool {
    Command::new("openssl")
        .args(["smime", "-verify", "-in"])
        .arg(message)
        .args(["-out", "/dev/null", "-CAfile"])
        .arg(ca)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// pec-check.py's findings (empty when none).
pub use testkit::conformance::{pec_check, shared};

/// A message as a user's client writes it.
pub fn message(from: &str, to: &[&str], cc: &[&str], subject: &str, extra_headers: &str) -> Vec<u8> {
    let mut m = format!("From: {from}\r\nTo: {}\r\n", to.join(", "));
    if !cc.is_empty() {
        m.push_str(&format!("Cc: {}\r\n", cc.join(", ")));
    }
    let id = format!("{}.{}", std::process::id(), Instant::now().elapsed().as_nanos());
    m.push_str(&format!(
        "Subject: {subject}\r\nMessage-ID: <e2e-{id}-{}@client.test>\r\nDate: Mon, 02 Mar 2026 10:30:00 +0100\r\nMIME-Version: 1.0\r\n{extra_headers}Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBuongiorno.\r\n.riga con un punto\r\n--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n",
        rand_suffix()
    ));
    m.into_bytes()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64)
}

/// `certa ARGS --data DATA`, run to the end.
pub fn certa_on(data: &Path, args: &[&str]) -> std::process::Output {
    certa().args(args).arg("--data").arg(data).output().unwrap()
}

/// Runs a command on a provider's data that must succeed; its standard output.
pub fn ok_on(data: &Path, args: &[&str]) -> String {
    let out = certa_on(data, args);
    assert!(
        out.status.success(),
        "certa {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command on a provider's data that must fail; its standard error.
pub fn fails_on(data: &Path, args: &[&str]) -> String {
    let out = certa_on(data, args);
    assert!(
        !out.status.success(),
        "certa {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// [`ok_on`] of a `--json` command, parsed.
pub fn json_on(data: &Path, args: &[&str]) -> serde_json::Value {
    let text = ok_on(data, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("certa {args:?}: {e}: {text}"))
}
