//! # testkit: what Certa's test suites share
//!
//! A dev-dependency of the protocol crates and of the binary, never a dependency of
//! anything shipped. Each module is one kind of fixture:
//!
//! - [`pki`]: the development PKI of [`DOMAIN`], made once per test binary;
//! - [`tls`]: the server configuration on it, and clients trusting its CA (or another);
//! - [`servers`]: a store in a temporary directory with the test mailboxes, an `Auth`
//!   over it, and the SMTP, IMAP and POP3 servers on a free 127.0.0.1 port;
//! - [`client`]: a raw client that writes bytes as given and reads lines;
//! - [`process`]: a child process stopped when dropped, and polling with a deadline;
//! - [`python`]: running the suites' Python scripts, and the smtplib submitter and the
//!   ordinary SMTP sink of the end-to-end tests;
//! - [`demo`]: `certa demo --free-ports` running, and what its `demo.json` says;
//! - [`browser`]: the webmail's scenarios in headless chromium against a demo;
//! - [`postgres`]: a PostgreSQL database of its own for a test;
//! - [`office`]: a provider in process, its office on a clock the test holds, on
//!   SQLite or PostgreSQL;
//! - [`bundle`]: a proof bundle unpacked, its manifest checked with `sha256sum -c`, its
//!   signatures with `openssl cms -verify`;
//! - [`net`]: two providers in process (and one in the index only) exchanging
//!   their mail over a recorded wire, on an offset clock: a message followed from
//!   one to the other, with every receipt and the 12/24-hour notices;
//! - [`conformance`]: `../shared/tools/pec-check.py` on a message.
//!
//! Everything here panics on failure, with a message naming what failed: it runs in
//! tests, where a panic is the failure report.
//!
//! The protocol crates depend on this one only as a dev-dependency, while this one
//! depends on them: cargo allows that cycle because no shipped build includes it.

pub mod browser;
pub mod bundle;
pub mod client;
pub mod conformance;
pub mod demo;
pub mod net;
pub mod office;
pub mod pki;
pub mod postgres;
pub mod process;
pub mod python;
pub mod servers;
pub mod tls;

/// The test provider's domain: the development PKI is issued for it, and the test stores
/// hold its mailboxes.
pub const DOMAIN: &str = "pec.example.it";
