//! # pec: the formats of Italian certified e-mail (Posta Elettronica Certificata)
//!
//! Everything about PEC messages, with no I/O and no async, usable alone by anyone
//! who needs to read, write or verify PEC:
//!
//! - [`daticert`]: the certification data (`daticert.xml`) model, writer and tolerant reader
//!   (DM 2/11/2005 allegato tecnico, "schema dei dati di certificazione"; RFC 6109 4.4);
//! - [`build`]: a builder for every message a provider (gestore) generates, signed;
//! - [`parse`]: classifies any raw message into a [`parse::PecMessage`] or `NotPec`;
//! - [`smime`]: detached CMS signatures (sign, verify over the exact bytes, trust list);
//! - [`ident`], [`time`]: identificativi and legal times;
//! - [`verdict`]: what a person is told about a message (one line, a summary, the signature in words);
//! - [`summary`]: what a list row and a search need of a message, read once.

pub mod build;
pub mod daticert;
pub mod ident;
pub mod mime;
pub mod original;
pub mod parse;
pub mod smime;
pub mod summary;
pub mod time;
pub mod verdict;

pub use build::{Built, Certified, Gestore};
pub use parse::{Kind, Parsed, PecMessage, parse};
pub use summary::{Summary, summary};
