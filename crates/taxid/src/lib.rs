//! # taxid: the Italian codice fiscale and partita IVA
//!
//! Validation, decoding and computing of the two Italian tax codes, with no
//! I/O and no async, usable alone by anyone who handles them:
//!
//! - [`CodiceFiscale`]: the 16-character personal code of DM 23/12/1976
//!   n. 13813: shape, month and day, the check character, omocodia (the Agenzia
//!   delle Entrate's letters for digits when two codes would collide), decoding
//!   of birth date, sex and place, [`CodiceFiscale::compute`] from personal data,
//!   and [`cross_check`] against declared data;
//! - [`PartitaIva`]: the 11-digit code of DPR 633/1972 art. 35, shared by the
//!   numeric codici fiscali of bodies and temporary personal codes: its Luhn
//!   check digit and office code;
//! - [`TaxId`]: either of them, as a holder or a member gives it.
//!
//! The rules and test vectors are those of `../shared/docs/registries.md` §4
//! (4.1 the personal code, 4.2 the check character, 4.3 omocodia, 4.4 the
//! 11-digit code, 4.6 the vectors). Errors are [`thiserror`] enums that say
//! what is wrong and where (positions count from 1).
//!
//! ```
//! use chrono::NaiveDate;
//! use taxid::{CodiceFiscale, Sex, TaxId};
//!
//! // Either form, from what a person typed.
//! let holder: TaxId = "rssmra80a01h501u".parse()?;
//! let cf = holder.personal().expect("16 characters: a person");
//! let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
//! assert_eq!(cf.birth_date(today)?, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
//! assert_eq!((cf.sex(), cf.birth_place().as_str()), (Sex::Male, "H501"));
//!
//! // An omocode (position 15 replaced: 1 → M) decodes as its base.
//! let omocode = CodiceFiscale::parse("BRNPRZ72D52F83VC")?;
//! assert_eq!((omocode.omocodia_level(), omocode.birth_place().as_str()), (1, "F839"));
//!
//! // Computed from personal data.
//! let computed = CodiceFiscale::compute("Rossi", "Mario", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), Sex::Male, "H501")?;
//! assert_eq!(&computed, cf);
//!
//! // Errors name the text, then what is wrong.
//! let err = TaxId::parse("RSSMRA80A01H501X").unwrap_err();
//! assert_eq!(err.to_string(), r#""RSSMRA80A01H501X": wrong check character: expected U, found X (a typing error?)"#);
//! let err = TaxId::parse("0074311015").unwrap_err();
//! assert_eq!(err.to_string(), r#""0074311015": a partita IVA has 11 digits, this one has 10 characters"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Stored forms
//!
//! All three types serialise as their plain string. A [`TaxId`] also has a
//! tagged form, `{"kind": "codice-fiscale", "value": "..."}`, through
//! [`tagged`]; it deserialises from either. Reading back is more lenient than
//! [`TaxId::parse`]: a code with the right check character or digit is read
//! even if the finer checks (month, day, office code) refuse it, because such
//! codes were accepted and stored before this crate existed.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`codice_fiscale`] | `CodiceFiscale`, `Sex`, `Decoded`, `cross_check`, the name codes ([`codice_fiscale::names`]) |
//! | [`partita_iva`] | `PartitaIva` |
//! | [`tax_id`] | `TaxId`, `TaxIdError` |
//! | [`tagged`] | the `{"kind", "value"}` serde form |

pub mod codice_fiscale;
pub mod partita_iva;
pub mod tagged;
pub mod tax_id;

pub use codice_fiscale::{CfError, CodiceFiscale, Decoded, Finding, Sex, cross_check};
pub use partita_iva::{PartitaIva, PartitaIvaError};
pub use tax_id::{TaxId, TaxIdError};
