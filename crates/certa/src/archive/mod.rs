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

pub use export::{ExportSummary, export};
pub use import::{ImportSummary, import};
