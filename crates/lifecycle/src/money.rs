//! Amounts in euro cents and VAT rates in basis points.
//!
//! Prices in the notices are net of VAT ("euro 4,00 + IVA"); the amount billed
//! is the gross one, the VAT computed on the period's taxable amount and rounded
//! half-up to the cent ("€ 6,50 + iva/anno ... = € 7,93 ivato"; lifecycle.md,
//! "amounts with VAT rounded to the cent (22 %)"; registries.md 6.1).
//! Amounts are displayed the Italian way, `13,20 €`, with `.` grouping thousands
//! (`1.234,50 €`); [`Money::plain`] gives the machine form `13.20`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An amount of euro, in integer cents. Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money {
    pub cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount: write euros like \"13.20\" or \"13,20\"")]
    Empty,
    #[error("negative amount \"{0}\": prices and payments are never negative")]
    Negative(String),
    #[error("\"{0}\" is not an amount: write euros like \"13.20\" or \"13,20\"")]
    NotNumeric(String),
    #[error("\"{0}\" has more than 2 decimals: amounts are in euro cents")]
    TooManyDecimals(String),
    #[error("\"{0}\" is too large")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money { cents: 0 };

    pub const fn from_cents(cents: i64) -> Money {
        Money { cents }
    }

    /// Parses a non-negative amount of euro: `13`, `13.2`, `13.20`, `13,20`, with
    /// an optional `€`/`EUR` around it. Thousands separators are not accepted:
    /// `1.234` would be ambiguous.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let bare = trimmed
            .trim_start_matches("EUR")
            .trim_end_matches("EUR")
            .trim_matches('€')
            .trim();
        if bare.is_empty() {
            return Err(MoneyError::Empty);
        }
        if bare.starts_with('-') {
            return Err(MoneyError::Negative(trimmed.to_owned()));
        }
        let bare = bare.strip_prefix('+').unwrap_or(bare);
        let (units, decimals) = match bare.find(['.', ',']) {
            Some(i) => (&bare[..i], &bare[i + 1..]),
            None => (bare, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !digits(units) || !digits(decimals) || (bare.len() > units.len() && decimals.is_empty())
        {
            return Err(MoneyError::NotNumeric(trimmed.to_owned()));
        }
        if decimals.len() > 2 {
            return Err(MoneyError::TooManyDecimals(trimmed.to_owned()));
        }
        let too_large = || MoneyError::TooLarge(trimmed.to_owned());
        let units: i64 = units.parse().map_err(|_| too_large())?;
        let mut fraction: i64 = if decimals.is_empty() {
            0
        } else {
            decimals.parse().map_err(|_| too_large())?
        };
        if decimals.len() == 1 {
            fraction *= 10;
        }
        let cents = units
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .ok_or_else(too_large)?;
        Ok(Money { cents })
    }

    /// `13.20`: for files, URLs and bank references.
    pub fn plain(self) -> String {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.cents.checked_add(other.cents).map(Money::from_cents)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::with_capacity(units.len() + units.len() / 3);
        for (i, c) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped},{:02} €", abs % 100)
    }
}

/// A VAT rate in basis points: 22 % = 2200.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VatRate {
    pub basis_points: u32,
}

impl Default for VatRate {
    /// DPR 633/1972 art. 16: the ordinary Italian rate, 22 % since 2013.
    fn default() -> Self {
        VatRate::ORDINARY
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a VAT rate: write a percentage like \"22\", \"22%\" or \"4,5 %\" (0 to 100, at most 2 decimals)"
)]
pub struct VatRateError(pub String);

impl VatRate {
    pub const ORDINARY: VatRate = VatRate { basis_points: 2200 };

    /// Parses a percentage: `22`, `22%`, `4,5 %`, `10.25`.
    pub fn parse(text: &str) -> Result<VatRate, VatRateError> {
        let bare = text.trim().trim_end_matches('%').trim();
        let error = || VatRateError(text.trim().to_owned());
        if bare.starts_with('-') {
            return Err(error());
        }
        // A percentage with two decimals has the shape of an amount with cents.
        let hundredths = Money::parse(bare).map_err(|_| error())?.cents;
        if hundredths > 10_000 {
            return Err(error());
        }
        Ok(VatRate {
            basis_points: hundredths as u32,
        })
    }

    /// The VAT on `net`, rounded half-up to the cent (half away from zero).
    pub fn vat_on(self, net: Money) -> Money {
        let product = i128::from(net.cents) * i128::from(self.basis_points);
        let rounded = if product >= 0 {
            (product + 5_000) / 10_000
        } else {
            (product - 5_000) / 10_000
        };
        Money::from_cents(rounded as i64)
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (units, hundredths) = (self.basis_points / 100, self.basis_points % 100);
        match hundredths {
            0 => write!(f, "{units} %"),
            h if h % 10 == 0 => write!(f, "{units},{} %", h / 10),
            h => write!(f, "{units},{h:02} %"),
        }
    }
}

/// Net plus VAT, the VAT rounded half-up to the cent.
pub fn gross(net: Money, rate: VatRate) -> Money {
    Money::from_cents(net.cents + rate.vat_on(net).cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gross_amounts_of_the_notices_round_half_up_to_the_cent() {
        let cases = [
            ("6.50", "7.93"),
            ("12.00", "14.64"),
            ("13.20", "16.10"),
            ("4.00", "4.88"),
        ];
        for (net, expected) in cases {
            let net = Money::parse(net).unwrap();
            assert_eq!(gross(net, VatRate::default()).plain(), expected, "gross of {net}");
        }
    }

    #[test]
    fn half_a_cent_of_vat_rounds_up() {
        // 0.25 * 22 % = 0.055 -> 0.06
        assert_eq!(VatRate::ORDINARY.vat_on(Money::from_cents(25)), Money::from_cents(6));
        // 0.02 * 22 % = 0.0044 -> 0.00
        assert_eq!(VatRate::ORDINARY.vat_on(Money::from_cents(2)), Money::ZERO);
    }

    #[test]
    fn amounts_parse_with_dot_or_comma() {
        assert_eq!(Money::parse("13.20").unwrap().cents, 1320);
        assert_eq!(Money::parse("13,20").unwrap().cents, 1320);
        assert_eq!(Money::parse("13,2").unwrap().cents, 1320);
        assert_eq!(Money::parse("4").unwrap().cents, 400);
        assert_eq!(Money::parse(" € 6,50 ").unwrap().cents, 650);
        assert_eq!(Money::parse("EUR 0.05").unwrap().cents, 5);
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        assert!(matches!(Money::parse("-4.00"), Err(MoneyError::Negative(_))));
        assert!(matches!(Money::parse("quattro"), Err(MoneyError::NotNumeric(_))));
        assert!(matches!(Money::parse("4."), Err(MoneyError::NotNumeric(_))));
        assert!(matches!(Money::parse(".50"), Err(MoneyError::NotNumeric(_))));
        assert!(matches!(Money::parse("1.234,50"), Err(MoneyError::NotNumeric(_))));
        assert!(matches!(Money::parse("4.001"), Err(MoneyError::TooManyDecimals(_))));
        assert!(matches!(Money::parse(""), Err(MoneyError::Empty)));
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn amounts_display_the_italian_way() {
        assert_eq!(Money::from_cents(1320).to_string(), "13,20 €");
        assert_eq!(Money::from_cents(5).to_string(), "0,05 €");
        assert_eq!(Money::from_cents(123_450).to_string(), "1.234,50 €");
        assert_eq!(Money::from_cents(123_456_789).to_string(), "1.234.567,89 €");
    }

    #[test]
    fn vat_rates_parse_as_percentages() {
        assert_eq!(VatRate::parse("22").unwrap(), VatRate::ORDINARY);
        assert_eq!(VatRate::parse("22%").unwrap(), VatRate::ORDINARY);
        assert_eq!(VatRate::parse("4,5 %").unwrap().basis_points, 450);
        assert_eq!(VatRate::parse("4,5 %").unwrap().to_string(), "4,5 %");
        assert!(VatRate::parse("101").is_err());
        assert!(VatRate::parse("-1").is_err());
        assert!(VatRate::parse("ventidue").is_err());
    }
}
