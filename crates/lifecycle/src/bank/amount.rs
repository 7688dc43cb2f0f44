//! Decimal amounts as banks write them, to integer cents.

/// How a file writes its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Notation {
    pub decimal: char,
    /// The thousands separator, if the notation allows one.
    pub grouping: Option<char>,
}

/// ISO 20022 `ActiveOrHistoricCurrencyAndAmount`: `1234.56`, no sign, no grouping.
pub(crate) const XML: Notation = Notation {
    decimal: '.',
    grouping: None,
};
/// Italian home banking: `-1.234,56`.
pub(crate) const ITALIAN: Notation = Notation {
    decimal: ',',
    grouping: Some('.'),
};

/// Parses an amount to cents. Rejects rather than guesses: a thousands group
/// that is not three digits (`50.00` in an Italian file is not 5000 euro), more
/// than two significant decimals, or a number past the range of `i64` cents.
pub(crate) fn parse_cents(text: &str, notation: Notation) -> Result<i64, String> {
    let bad = |why: &str| format!("bad amount {text:?}: {why}");
    let mut s = text.trim();
    s = s
        .strip_prefix('€')
        .or_else(|| s.strip_prefix("EUR"))
        .unwrap_or(s)
        .trim_start();
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    } else if let Some(rest) = s.strip_suffix('-') {
        // Some exports write debits as `50,00-`.
        negative = true;
        s = rest;
    }
    let s = s.trim();
    if s.is_empty() {
        return Err(bad("no digits"));
    }
    let (int_part, frac_part) = match s.split_once(notation.decimal) {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let int_digits = integer_digits(int_part, notation.grouping).ok_or_else(|| bad("not a number"))?;
    if !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("not a number"));
    }
    if int_digits.is_empty() && frac_part.is_empty() {
        return Err(bad("no digits"));
    }
    let significant = frac_part.trim_end_matches('0');
    if significant.len() > 2 {
        return Err(bad("more than two decimals"));
    }
    let mut cents: i64 = 0;
    for c in int_digits.chars().chain(format!("{significant:0<2}").chars()) {
        let digit = i64::from(c as u8 - b'0');
        cents = cents
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or_else(|| bad("too large"))?;
    }
    Ok(if negative { -cents } else { cents })
}

/// The digits of the integer part, with the thousands groups checked.
fn integer_digits(int_part: &str, grouping: Option<char>) -> Option<String> {
    match grouping {
        Some(sep) if int_part.contains(sep) => {
            let groups: Vec<&str> = int_part.split(sep).collect();
            let first_ok = (1..=3).contains(&groups[0].len());
            let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
            let digits: String = groups.concat();
            (first_ok && rest_ok && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
        }
        _ => int_part
            .chars()
            .all(|c| c.is_ascii_digit())
            .then(|| int_part.to_string()),
    }
}

/// `1234.56`, `-0.05`: for reports.
pub(crate) fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_amounts() {
        assert_eq!(parse_cents("1.234,56", ITALIAN), Ok(123_456));
        assert_eq!(parse_cents("-1.234,56", ITALIAN), Ok(-123_456));
        assert_eq!(parse_cents("+7,93", ITALIAN), Ok(793));
        assert_eq!(parse_cents(" 14,6 ", ITALIAN), Ok(1460));
        assert_eq!(parse_cents("16", ITALIAN), Ok(1600));
        assert_eq!(parse_cents("4,880", ITALIAN), Ok(488));
        assert_eq!(parse_cents("50,00-", ITALIAN), Ok(-5000));
        assert_eq!(parse_cents("€ 4,88", ITALIAN), Ok(488));
        assert_eq!(parse_cents(",50", ITALIAN), Ok(50));
        assert_eq!(parse_cents("1.000.000,00", ITALIAN), Ok(100_000_000));
    }

    #[test]
    fn a_point_decimal_in_an_italian_file_is_rejected_not_read_as_thousands() {
        assert!(parse_cents("50.00", ITALIAN).is_err());
        assert!(parse_cents("12.34,00", ITALIAN).is_err());
    }

    #[test]
    fn garbage_amounts_are_errors() {
        for s in [
            "",
            "-",
            "abc",
            "1,2,3",
            "4,889",
            "1e3",
            "--5",
            "99999999999999999999",
            "7,9x",
            ",",
        ] {
            assert!(parse_cents(s, ITALIAN).is_err(), "{s:?}");
        }
    }

    #[test]
    fn xml_amounts() {
        assert_eq!(parse_cents("7.93", XML), Ok(793));
        assert_eq!(parse_cents("14.64000", XML), Ok(1464));
        assert!(parse_cents("1,234.56", XML).is_err());
        assert!(parse_cents("7.931", XML).is_err());
    }

    #[test]
    fn formats_cents() {
        assert_eq!(format_cents(793), "7.93");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }
}
