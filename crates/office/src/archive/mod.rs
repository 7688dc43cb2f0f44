//! Mailbox export and import: a whole mailbox as one `.tar.gz` that any Maildir
//! reader opens, and that Certa imports back exactly.
//!
//! The notices advise the holder to save the mailbox before cancelling it or
//! changing provider; the archive is that copy. Layout, for `mario@pec.example.it`:
//!
//! ```text
//! mario@pec.example.it/                    Maildir++ root = INBOX
//!     cur/ new/ tmp/                       INBOX's messages, all in cur/
//!     .Sent/{cur,new,tmp,maildirfolder}    other folders (see maildir.rs for names)
//!     .Clienti.2025/...                    Clienti/2025
//!     certa-export.json                    the manifest (manifest.rs)
//!     INDICE.txt, indice-invii.csv         sent messages and their receipts (index.rs)
//! ```
//!
//! Each message file holds the exact stored bytes, named
//! `<internal date, s>.<uid>.certa:2,<flags>` with its modification time at the
//! internal date.

mod export;
mod import;
mod index;
pub mod maildir;
pub mod manifest;

pub use export::{ExportSummary, Progress, export, export_counted};
pub use import::{ImportSummary, import};

/// Why an archive cannot be written or read, said from the outermost place to
/// the innermost (`archive.tar.gz: certa-export.json: manifest field "version"`):
/// the operations turn it into an [`crate::Error`] about their file.
#[derive(Debug)]
pub struct Problem(String);

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<store::Error> for Problem {
    fn from(e: store::Error) -> Self {
        Problem(e.to_string())
    }
}

impl From<std::io::Error> for Problem {
    fn from(e: std::io::Error) -> Self {
        Problem(e.to_string())
    }
}

impl From<serde_json::Error> for Problem {
    fn from(e: serde_json::Error) -> Self {
        Problem(e.to_string())
    }
}

type Result<T, E = Problem> = std::result::Result<T, E>;

/// A problem stated with its place, as `place: what went wrong`.
trait Context<T> {
    fn context(self, place: &str) -> Result<T>;
    fn with_context(self, place: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, place: &str) -> Result<T> {
        self.map_err(|e| Problem(format!("{place}: {e}")))
    }

    fn with_context(self, place: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Problem(format!("{}: {e}", place())))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, place: &str) -> Result<T> {
        self.ok_or_else(|| Problem(place.to_owned()))
    }

    fn with_context(self, place: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| Problem(place()))
    }
}

/// Returns a [`Problem`] stated like `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::archive::Problem(format!($($arg)*)))
    };
}
use bail;
