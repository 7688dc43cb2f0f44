//! `certa demo --free-ports` as the end-to-end tests run it: two providers (`nord`, `sud`)
//! in a temporary directory, and what its `demo.json` says about them.
//!
//! Only the binary's own tests know where it is (`env!("CARGO_BIN_EXE_certa")`), so they
//! pass its path in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::process::{Proc, wait_until};
use crate::python::Account;

/// A running `certa demo`, stopped when dropped.
pub struct Demo {
    pub proc: Proc,
    /// `demo.json`.
    pub info: Value,
    dir: tempfile::TempDir,
}

impl Demo {
    /// Starts `certa` (the binary at `bin`) `demo --free-ports` in a new temporary
    /// directory and waits for its `demo.json`, which it writes once every listener is up;
    /// `smarthost` is a 127.0.0.1 port for ordinary mail. A demo that exits first fails
    /// the test.
    pub fn start(bin: impl AsRef<Path>, smarthost: Option<u16>) -> Demo {
        Demo::start_in(bin, tempfile::tempdir().expect("tempdir"), smarthost)
    }

    /// [`Demo::start`] in `dir`, for a test that needs to know it before the demo starts.
    pub fn start_in(bin: impl AsRef<Path>, dir: tempfile::TempDir, smarthost: Option<u16>) -> Demo {
        let smarthost = smarthost.map(|port| format!("127.0.0.1:{port}"));
        let args: Vec<&str> = smarthost.iter().flat_map(|s| ["--smarthost", s.as_str()]).collect();
        Demo::start_with(bin, dir, &args)
    }

    /// `certa demo` in `dir` with more arguments (`--smarthost`, `--daily-seconds`).
    pub fn start_with(bin: impl AsRef<Path>, dir: tempfile::TempDir, args: &[&str]) -> Demo {
        let mut command = Command::new(bin.as_ref());
        command
            .env("RUST_LOG", "warn")
            .args(["demo", "--free-ports", "--data"])
            .arg(dir.path())
            .args(args);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start certa demo");
        let mut proc = Proc(child);
        let json = dir.path().join("demo.json");
        let info = wait_until("demo.json", Duration::from_secs(120), || {
            if let Ok(Some(status)) = proc.0.try_wait() {
                panic!("certa demo exited ({status}) before it was ready");
            }
            let text = std::fs::read_to_string(&json).ok()?;
            serde_json::from_str::<Value>(&text).ok()
        });
        Demo { proc, info, dir }
    }

    /// The temporary directory the demo runs in; the test may keep its own files there.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `name` in [`Demo::dir`].
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Provider `i` in `demo.json` (0 is `nord`, 1 is `sud`).
    pub fn provider(&self, i: usize) -> &Value {
        &self.info["providers"][i]
    }

    /// Provider `i`'s data directory.
    pub fn data(&self, i: usize) -> PathBuf {
        PathBuf::from(self.provider(i)["data"].as_str().expect("data"))
    }

    pub fn domain(&self, i: usize) -> &str {
        self.provider(i)["domain"].as_str().expect("domain")
    }

    /// The bundle of both providers' CAs: trust it for TLS and for signatures.
    pub fn ca(&self) -> PathBuf {
        PathBuf::from(self.info["ca_certificate"].as_str().expect("ca_certificate"))
    }

    /// Provider `i`'s own CA.
    pub fn ca_of(&self, i: usize) -> PathBuf {
        self.data(i).join("keys/ca.pem")
    }

    /// Mailbox `j` of provider `i`: its address.
    pub fn address(&self, i: usize, j: usize) -> &str {
        self.user(i, j).0
    }

    /// Mailbox `j` of provider `i`: its address and password.
    pub fn user(&self, i: usize, j: usize) -> (&str, &str) {
        let m = &self.provider(i)["mailboxes"][j];
        (
            m["address"].as_str().expect("address"),
            m["password"].as_str().expect("password"),
        )
    }

    /// Mailbox `j` of provider `i` as an account on its submission port (STARTTLS).
    pub fn account(&self, i: usize, j: usize) -> Account<'_> {
        let (user, password) = self.user(i, j);
        Account {
            host: self.provider(i)["host"].as_str().expect("host"),
            port: self.port(i, "submission_port"),
            ca: self.info["ca_certificate"].as_str().expect("ca_certificate"),
            user,
            password,
        }
    }

    /// Provider `i`'s port named `field` in `demo.json` (`submission_port`,
    /// `inbound_port`, `imap_port`…).
    pub fn port(&self, i: usize, field: &str) -> u16 {
        let port = self.provider(i)[field].as_u64();
        port.and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("no {field} in demo.json"))
    }
}
