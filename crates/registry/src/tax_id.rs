//! A member's or an Order's tax code in either form: the 16-character personal
//! codice fiscale or the 11-digit numeric one (registries.md, "Member record":
//! "CF (16 chars or 11 digits)").

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codice_fiscale::{CfError, CodiceFiscale};
use crate::partita_iva::{PartitaIva, PartitaIvaError};

/// A codice fiscale of either form, valid. Ordered and compared by its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TaxId {
    Personal(CodiceFiscale),
    /// 11 digits: a body, or a temporary personal code.
    Numeric(PartitaIva),
}

/// Why a text is neither form; the error is the one of the form the text
/// looks like (all digits: numeric).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("{0}")]
    Personal(#[from] CfError),
    #[error("{0}")]
    Numeric(#[from] PartitaIvaError),
}

impl TaxId {
    pub fn parse(text: &str) -> Result<TaxId, TaxIdError> {
        let trimmed = text.trim();
        let digits = trimmed.strip_prefix("IT").unwrap_or(trimmed);
        if !digits.is_empty() && digits.len() <= 11 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(TaxId::Numeric(PartitaIva::parse(trimmed)?));
        }
        Ok(TaxId::Personal(CodiceFiscale::parse(trimmed)?))
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaxId::Personal(cf) => cf.as_str(),
            TaxId::Numeric(p) => p.as_str(),
        }
    }

    /// The personal code, when it is one (the only form that can be decoded).
    pub fn personal(&self) -> Option<&CodiceFiscale> {
        match self {
            TaxId::Personal(cf) => Some(cf),
            TaxId::Numeric(_) => None,
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
            TaxId::Personal(cf) => cf.into(),
            TaxId::Numeric(p) => p.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_form_parses_and_errors_follow_the_look() {
        assert!(matches!(TaxId::parse("rssmra80a01h501u"), Ok(TaxId::Personal(_))));
        assert!(matches!(TaxId::parse("80029990480"), Ok(TaxId::Numeric(_))));
        assert!(matches!(TaxId::parse("8002999048"), Err(TaxIdError::Numeric(_))));
        assert!(matches!(TaxId::parse("RSSMRA80A01H501"), Err(TaxIdError::Personal(_))));
    }
}
