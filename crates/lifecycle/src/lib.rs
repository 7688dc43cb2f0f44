//! # lifecycle: the life of a PEC mailbox
//!
//! Conventions between Orders and providers, plans and prices with VAT,
//! subscriptions, renewal notices, suspension and closure (`../shared/docs/lifecycle.md`),
//! payments and bank statements. Pure policy: no I/O, no clock; the caller
//! passes "now" and performs the actions.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`money`] | `Money` in cents, `VatRate` in basis points, `gross` rounded half-up |
//! | [`convention`] | conventions and plans; their TOML form and validation ([`convention::file`]) |
//! | [`holder`] | holder data; its `TaxId` (codice fiscale / partita IVA) is the `taxid` crate's |
//! | [`subscription`] | `activate`, `renew`, `cancel` |
//! | [`policy`] | `due_actions` (what is due now), `perform` (record and apply) |
//! | [`notice`] | the Italian texts of notices |
//! | [`simulate`] | replay of the policy over a date range, for `certa lifecycle simulate` |
//! | [`local`] | local wall-clock rules to instants, DST gaps and overlaps |

pub mod bank;
pub mod convention;
pub mod holder;
pub mod local;
pub mod money;
pub mod notice;
pub mod policy;
pub mod simulate;
pub mod subscription;
