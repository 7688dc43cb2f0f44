//! A tax code in either form: the 16-character personal codice fiscale or the
//! 11-digit code (registries.md, "Member record": "CF (16 chars or 11 digits)";
//! a mailbox's holder is a person or a business).

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codice_fiscale::{CfError, CodiceFiscale};
use crate::partita_iva::{PartitaIva, PartitaIvaError};

/// A valid tax code of either form. Ordered and compared by its text.
///
/// Serialised as the plain string (`"RSSMRA80A01H501U"`, `"80029990480"`), or
/// as `{"kind": "codice-fiscale" | "partita-iva", "value": "..."}` through
/// [`crate::tagged`]; deserialised from either form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TaxId {
    /// 16 characters: a person.
    CodiceFiscale(CodiceFiscale),
    /// 11 digits: a business, a body (an Order), or a temporary personal code.
    PartitaIva(PartitaIva),
}

/// Why a text is neither form. The reason is the one of the form the text
/// looks like: digits (perhaps after `IT`) are a partita IVA, anything else a
/// codice fiscale. Displayed with the text at fault first:
/// `"RSSMRA85T10A562X": wrong check character: expected S, found X (a typing error?)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("\"{input}\": {reason}")]
    CodiceFiscale { input: String, reason: CfError },
    #[error("\"{input}\": {reason}")]
    PartitaIva { input: String, reason: PartitaIvaError },
}

impl TaxIdError {
    /// The text refused, without surrounding blanks.
    pub fn input(&self) -> &str {
        match self {
            TaxIdError::CodiceFiscale { input, .. } | TaxIdError::PartitaIva { input, .. } => input,
        }
    }

    /// Why, without the text: for callers that name the text themselves.
    pub fn reason(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            TaxIdError::CodiceFiscale { reason, .. } => reason,
            TaxIdError::PartitaIva { reason, .. } => reason,
        }
    }
}

impl TaxId {
    /// Parses either form from free text: blanks anywhere are ignored
    /// (`RSS MRA 85T10 A562S`, `IT 00743110157`), lowercase is accepted, an `IT`
    /// prefix before digits is dropped. Digits are a partita IVA unless there
    /// are 16 of them; anything else is read as a codice fiscale.
    pub fn parse(text: &str) -> Result<TaxId, TaxIdError> {
        let input = text.trim();
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if looks_numeric(&compact) {
            return PartitaIva::parse(&compact)
                .map(TaxId::PartitaIva)
                .map_err(|reason| TaxIdError::PartitaIva {
                    input: input.to_owned(),
                    reason,
                });
        }
        CodiceFiscale::parse(&compact)
            .map(TaxId::CodiceFiscale)
            .map_err(|reason| TaxIdError::CodiceFiscale {
                input: input.to_owned(),
                reason,
            })
    }

    /// A code as stored in its plain form: what [`TaxId::parse`] accepts, or
    /// else what the check character or digit alone accepted before this crate.
    fn from_stored(text: &str) -> Result<TaxId, TaxIdError> {
        let error = match TaxId::parse(text) {
            Ok(tax_id) => return Ok(tax_id),
            Err(error) => error,
        };
        let trimmed = text.trim();
        let lenient = match trimmed.len() {
            16 => CodiceFiscale::from_stored(trimmed).ok().map(TaxId::CodiceFiscale),
            11 => PartitaIva::from_stored(trimmed).ok().map(TaxId::PartitaIva),
            _ => None,
        };
        lenient.ok_or(error)
    }

    /// A code as stored in the tagged form, its kind given.
    pub(crate) fn from_stored_kind(kind: Kind, value: &str) -> Result<TaxId, TaxIdError> {
        let input = value.trim().to_owned();
        match kind {
            Kind::CodiceFiscale => CodiceFiscale::from_stored(value)
                .map(TaxId::CodiceFiscale)
                .map_err(|reason| TaxIdError::CodiceFiscale { input, reason }),
            Kind::PartitaIva => PartitaIva::from_stored(value)
                .map(TaxId::PartitaIva)
                .map_err(|reason| TaxIdError::PartitaIva { input, reason }),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaxId::CodiceFiscale(cf) => cf.as_str(),
            TaxId::PartitaIva(p) => p.as_str(),
        }
    }

    /// The personal code, when it is one (the only form that can be decoded).
    pub fn personal(&self) -> Option<&CodiceFiscale> {
        match self {
            TaxId::CodiceFiscale(cf) => Some(cf),
            TaxId::PartitaIva(_) => None,
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            TaxId::CodiceFiscale(_) => Kind::CodiceFiscale,
            TaxId::PartitaIva(_) => Kind::PartitaIva,
        }
    }
}

/// Digits only, perhaps after `IT`, and not 16 of them.
fn looks_numeric(compact: &str) -> bool {
    let digits = compact.strip_prefix("IT").unwrap_or(compact);
    !digits.is_empty() && digits.len() != 16 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The two forms, as the tagged serde form names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    CodiceFiscale,
    PartitaIva,
}

impl Kind {
    pub(crate) const CODICE_FISCALE: &'static str = "codice-fiscale";
    pub(crate) const PARTITA_IVA: &'static str = "partita-iva";

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::CodiceFiscale => Kind::CODICE_FISCALE,
            Kind::PartitaIva => Kind::PARTITA_IVA,
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        match name {
            Kind::CODICE_FISCALE => Some(Kind::CodiceFiscale),
            Kind::PARTITA_IVA => Some(Kind::PartitaIva),
            _ => None,
        }
    }
}

impl PartialOrd for TaxId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TaxId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TaxId {
    type Err = TaxIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaxId::parse(s)
    }
}

impl TryFrom<String> for TaxId {
    type Error = TaxIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TaxId::parse(&s)
    }
}

impl From<TaxId> for String {
    fn from(t: TaxId) -> String {
        match t {
            TaxId::CodiceFiscale(cf) => cf.into(),
            TaxId::PartitaIva(p) => p.into(),
        }
    }
}

impl From<CodiceFiscale> for TaxId {
    fn from(cf: CodiceFiscale) -> TaxId {
        TaxId::CodiceFiscale(cf)
    }
}

impl From<PartitaIva> for TaxId {
    fn from(p: PartitaIva) -> TaxId {
        TaxId::PartitaIva(p)
    }
}

impl Serialize for TaxId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaxId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Self-describing formats (JSON) may hold either form; others hold
        // the plain one, which is all they can be asked for.
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(EitherForm)
        } else {
            deserializer.deserialize_str(EitherForm)
        }
    }
}

/// Reads the plain string or the `{"kind", "value"}` map.
struct EitherForm;

impl<'de> Visitor<'de> for EitherForm {
    type Value = TaxId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a codice fiscale or partita IVA, as a string or as {\"kind\", \"value\"}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<TaxId, E> {
        TaxId::from_stored(text).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TaxId, A::Error> {
        let mut kind: Option<String> = None;
        let mut value: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" => kind = Some(map.next_value()?),
                "value" => value = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        let kind = Kind::from_name(&kind)
            .ok_or_else(|| de::Error::unknown_variant(&kind, &[Kind::CODICE_FISCALE, Kind::PARTITA_IVA]))?;
        TaxId::from_stored_kind(kind, &value).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_form_parses_and_errors_follow_the_look() {
        assert!(matches!(TaxId::parse("rssmra80a01h501u"), Ok(TaxId::CodiceFiscale(_))));
        assert!(matches!(TaxId::parse("80029990480"), Ok(TaxId::PartitaIva(_))));
        assert!(matches!(TaxId::parse("8002999048"), Err(TaxIdError::PartitaIva { .. })));
        assert!(matches!(
            TaxId::parse("RSSMRA80A01H501"),
            Err(TaxIdError::CodiceFiscale { .. })
        ));
        assert!(matches!(
            TaxId::parse("80029990480123"),
            Err(TaxIdError::PartitaIva {
                reason: PartitaIvaError::Length { found: 14 },
                ..
            })
        ));
    }

    #[test]
    fn the_agenzia_textbook_codes_parse_in_any_case_and_spacing() {
        // The Agenzia delle Entrate's example codice fiscale and its own partita IVA.
        let cf = TaxId::parse("rssmra85t10a562s").unwrap();
        assert_eq!(
            cf,
            TaxId::CodiceFiscale(CodiceFiscale::parse("RSSMRA85T10A562S").unwrap())
        );
        assert_eq!(TaxId::parse(" RSS MRA 85T10 A562S ").unwrap(), cf);
        let piva = TaxId::parse("06363391001").unwrap();
        assert_eq!(piva, TaxId::PartitaIva(PartitaIva::parse("06363391001").unwrap()));
        assert_eq!(TaxId::parse("it 063 633 910 01").unwrap(), piva);
    }

    #[test]
    fn errors_name_the_text_then_why() {
        let err = TaxId::parse(" RSSMRA85T10A562X ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"RSSMRA85T10A562X\": wrong check character: expected S, found X (a typing error?)"
        );
        assert_eq!(err.input(), "RSSMRA85T10A562X");
        assert_eq!(
            err.reason().to_string(),
            "wrong check character: expected S, found X (a typing error?)"
        );
        let err = TaxId::parse("06363391002").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"06363391002\": wrong check digit: expected 1, found 2 (a typing error?)"
        );
        assert!(matches!(
            TaxId::parse("RSSMRA85"),
            Err(TaxIdError::CodiceFiscale {
                reason: CfError::Length { found: 8 },
                ..
            })
        ));
    }
}
