//! # registry: an Order's roll and the national registers
//!
//! The pure core of `../shared/docs/registries.md`: codes, the roll's data,
//! checks on communicated PEC addresses, compliance with the PEC duty, and the
//! files for INI-PEC and ReGIndE. No database, no network, no clock: callers
//! pass dates and bytes, and store and send what comes back.
//!
//! The codes themselves (`CodiceFiscale`, `PartitaIva`, `TaxId`, `Sex`) are the
//! [`taxid`] crate's, re-exported here.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`model`] | `Order`, `Member`, `CommunicatedPec` |
//! | [`pec_checks`] | warnings on a communicated address |
//! | [`compliance`] | who lacks a valid PEC, is due a diffida, is to be suspended, is restored |
//! | [`inipec`] | the daily INI-PEC delta and its CSV |
//! | [`reginde`] | `ComunicazioniSoggetti.xml` for the court experts, `Esiti.xml` answers |
//! | [`roll`] | a roll in CSV read into members, with a verdict per row |

pub mod compliance;
pub mod inipec;
pub mod model;
pub mod pec_checks;
pub mod reginde;
pub mod roll;

pub use model::{Member, MemberStatus, Order};
pub use taxid::{CfError, CodiceFiscale, PartitaIva, PartitaIvaError, Sex, TaxId, TaxIdError};
