//! # registry: an Order's roll and the national registers
//!
//! The pure core of `../shared/docs/registries.md`: codes, the roll's data,
//! checks on communicated PEC addresses, compliance with the PEC duty, and the
//! files for INI-PEC and ReGIndE. No database, no network, no clock: callers
//! pass dates and bytes, and store and send what comes back.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`codice_fiscale`] | `CodiceFiscale`: parse with omocodia, decode, compute, `cross_check` |
//! | [`partita_iva`] | `PartitaIva`: the 11-digit code with its Luhn check and office code |
//! | [`tax_id`] | `TaxId`: either form |
//! | [`model`] | `Order`, `Member`, `CommunicatedPec` |
//! | [`pec_checks`] | warnings on a communicated address |
//! | [`compliance`] | who lacks a valid PEC, is due a diffida, is to be suspended, is restored |
//! | [`inipec`] | the daily INI-PEC delta and its CSV |
//! | [`reginde`] | `ComunicazioniSoggetti.xml` for the court experts, `Esiti.xml` answers |
//! | [`roll`] | a roll in CSV read into members, with a verdict per row |

pub mod codice_fiscale;
pub mod compliance;
pub mod inipec;
pub mod model;
pub mod partita_iva;
pub mod pec_checks;
pub mod reginde;
pub mod roll;
pub mod tax_id;

pub use codice_fiscale::{CfError, CodiceFiscale, Sex};
pub use model::{Member, MemberStatus, Order};
pub use partita_iva::{PartitaIva, PartitaIvaError};
pub use tax_id::{TaxId, TaxIdError};
