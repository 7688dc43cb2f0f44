//! The serde forms of the two implementations this crate replaced, which are in
//! databases: `lifecycle`'s holder tax code (subscriptions' JSON) and
//! `registry`'s codes (members' and Orders' JSON, INI-PEC and ReGIndE states,
//! where a code is also a map key). Each must be read back, and written again
//! byte for byte as before.
//!
//! `old_lifecycle` is `lifecycle::holder::TaxId` as it was (commit 4b03092),
//! copied here to produce the stored form it wrote; `registry` wrote the plain
//! string of codes its parser (now this crate's) accepted.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use taxid::{CodiceFiscale, PartitaIva, Sex, TaxId};

mod old_lifecycle {
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
    pub enum TaxId {
        CodiceFiscale(String),
        PartitaIva(String),
    }

    impl TaxId {
        pub fn parse(text: &str) -> Option<TaxId> {
            let clean: String = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            let bytes = clean.as_bytes();
            if bytes.len() == 11 && bytes.iter().all(u8::is_ascii_digit) {
                if partita_iva_check(bytes) != bytes[10] - b'0' {
                    return None;
                }
                return Some(TaxId::PartitaIva(clean));
            }
            if bytes.len() == 16 && bytes.iter().all(u8::is_ascii_alphanumeric) {
                if codice_fiscale_check(&bytes[..15]) != bytes[15] {
                    return None;
                }
                return Some(TaxId::CodiceFiscale(clean));
            }
            None
        }
    }

    pub fn codice_fiscale_check(first15: &[u8]) -> u8 {
        const ODD: [u32; 26] = [
            1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
        ];
        let value = |c: u8| {
            if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A')
            }
        };
        let sum: u32 = first15
            .iter()
            .enumerate()
            .map(|(i, &c)| if i % 2 == 0 { ODD[value(c) as usize] } else { value(c) })
            .sum();
        b'A' + (sum % 26) as u8
    }

    pub fn partita_iva_check(digits: &[u8]) -> u8 {
        let sum: u32 = digits[..10]
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let d = u32::from(c - b'0');
                if i % 2 == 0 {
                    d
                } else {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                }
            })
            .sum();
        ((10 - sum % 10) % 10) as u8
    }
}

/// A record holding the code the way `lifecycle::holder::Holder` does.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Tagged {
    #[serde(with = "taxid::tagged")]
    tax_id: TaxId,
}

/// The same record as it was written before.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct OldTagged {
    tax_id: old_lifecycle::TaxId,
}

/// A record holding the code the way `registry::Member` does.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Plain {
    codice_fiscale: TaxId,
}

fn with_cf_check(first15: &str) -> String {
    format!(
        "{first15}{}",
        char::from(old_lifecycle::codice_fiscale_check(first15.as_bytes()))
    )
}

fn with_piva_check(first10: &str) -> String {
    let mut padded = first10.as_bytes().to_vec();
    padded.push(b'0');
    format!("{first10}{}", old_lifecycle::partita_iva_check(&padded))
}

/// Codes the old holder check accepted and today's parse refuses, with why.
fn lenient_only() -> Vec<(String, &'static str)> {
    vec![
        (with_cf_check("RSSMRA80F01H501"), "month letter F"),
        (with_cf_check("RSSMRA80A32H501"), "day 32"),
        (with_cf_check("RSSMRA8AA01H501"), "A where a digit belongs"),
        (with_cf_check("123456789012345"), "digits where letters belong"),
        (with_piva_check("1234567101"), "office code 101"),
        ("00000000000".to_owned(), "holder number 0000000"),
    ]
}

#[test]
fn lifecycle_holders_as_stored_read_back_and_write_the_same_bytes() {
    // Captured from lifecycle's `Holder` before this crate (its tax_id field).
    for stored in [
        r#"{"tax_id":{"kind":"codice-fiscale","value":"RSSMRA85T10A562S"}}"#,
        r#"{"tax_id":{"kind":"partita-iva","value":"06363391001"}}"#,
        r#"{"tax_id":{"kind":"codice-fiscale","value":"BRNPRZ72D52F83VC"}}"#,
    ] {
        let read: Tagged = serde_json::from_str(stored).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), stored);
        let old: OldTagged = serde_json::from_str(stored).unwrap();
        assert_eq!(
            read.tax_id.as_str(),
            serde_json::to_value(&old).unwrap()["tax_id"]["value"]
        );
    }
    let read: Tagged = serde_json::from_str(r#"{"tax_id":{"value":"06363391001","kind":"partita-iva"}}"#).unwrap();
    assert_eq!(
        read.tax_id,
        TaxId::PartitaIva(PartitaIva::parse("06363391001").unwrap())
    );
}

#[test]
fn codes_only_the_old_holder_check_accepted_are_still_read_and_written_back() {
    for (code, why) in lenient_only() {
        let old = old_lifecycle::TaxId::parse(&code).unwrap_or_else(|| panic!("{code} ({why})"));
        assert!(TaxId::parse(&code).is_err(), "{code} ({why}) is refused as input");
        let stored = serde_json::to_string(&OldTagged { tax_id: old }).unwrap();
        let read: Tagged = serde_json::from_str(&stored).unwrap_or_else(|e| panic!("{stored} ({why}): {e}"));
        assert_eq!(read.tax_id.as_str(), code, "{why}");
        assert_eq!(serde_json::to_string(&read).unwrap(), stored, "{why}");
        // Its plain form, should it be written elsewhere, reads back too.
        let plain = serde_json::to_string(&read.tax_id).unwrap();
        assert_eq!(serde_json::from_str::<TaxId>(&plain).unwrap(), read.tax_id, "{why}");
    }
}

#[test]
fn a_stored_code_failing_its_check_is_still_an_error_that_says_why() {
    let err = serde_json::from_str::<Tagged>(r#"{"tax_id":{"kind":"codice-fiscale","value":"RSSMRA85T10A562X"}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("wrong check character: expected S, found X"), "{err}");
    let err = serde_json::from_str::<Tagged>(r#"{"tax_id":{"kind":"partita-iva","value":"RSSMRA85T10A562S"}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a partita IVA has 11 digits"), "{err}");
    let err = serde_json::from_str::<Tagged>(r#"{"tax_id":{"kind":"vat","value":"06363391001"}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `vat`"), "{err}");
    assert!(serde_json::from_str::<Plain>(r#"{"codice_fiscale":"RSSMRA80A01H501X"}"#).is_err());
}

#[test]
fn registry_records_as_stored_read_back_and_write_the_same_bytes() {
    // Captured from registry's `Member` (its first field), `Order` and the
    // INI-PEC/ReGIndE states' maps keyed by code, before this crate.
    let stored = r#"{"codice_fiscale":"RSSMRA80A01H501U"}"#;
    let read: Plain = serde_json::from_str(stored).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), stored);

    let stored = r#"{"80029990480":2,"RSSMRA80A01H501U":1}"#;
    let read: BTreeMap<TaxId, u32> = serde_json::from_str(stored).unwrap();
    assert_eq!(read[&TaxId::parse("80029990480").unwrap()], 2);
    assert_eq!(serde_json::to_string(&read).unwrap(), stored);

    let stored = r#""BRNPRZ72D52F83VC""#;
    let read: CodiceFiscale = serde_json::from_str(stored).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), stored);
    let stored = r#""80029990480""#;
    let read: PartitaIva = serde_json::from_str(stored).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), stored);
    // Registry read its forms through its parser: lowercase and blanks too.
    let read: Plain = serde_json::from_str(r#"{"codice_fiscale":" rssmra80a01h501u "}"#).unwrap();
    assert_eq!(read.codice_fiscale.as_str(), "RSSMRA80A01H501U");
}

#[test]
fn the_tagged_form_is_read_where_the_plain_one_is_expected_and_back() {
    let tagged = r#"{"codice_fiscale":{"kind":"codice-fiscale","value":"RSSMRA80A01H501U"}}"#;
    let read: Plain = serde_json::from_str(tagged).unwrap();
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        r#"{"codice_fiscale":"RSSMRA80A01H501U"}"#
    );
    let read: Tagged = serde_json::from_str(r#"{"tax_id":"06363391001"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        r#"{"tax_id":{"kind":"partita-iva","value":"06363391001"}}"#
    );
}

fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

proptest! {
    /// Whatever the old holder check accepted, as it stored it, is read back
    /// and written again byte for byte.
    #[test]
    fn every_old_holder_form_round_trips(
        text in "([A-Za-z0-9]{15}|[0-9]{10})",
    ) {
        let code = if text.len() == 15 {
            with_cf_check(&text.to_ascii_uppercase())
        } else {
            with_piva_check(&text)
        };
        let old = old_lifecycle::TaxId::parse(&code).unwrap();
        let stored = serde_json::to_string(&OldTagged { tax_id: old.clone() }).unwrap();
        let read: Tagged = serde_json::from_str(&stored).unwrap();
        prop_assert_eq!(serde_json::to_string(&read).unwrap(), stored);
        // Where both accept the input, they agree on the form and the text.
        if let Ok(new) = TaxId::parse(&code) {
            prop_assert_eq!(new, read.tax_id);
        }
    }

    /// Every code registry accepted is stored as its normalised text, read back
    /// equal, including as a map key.
    #[test]
    fn every_registry_form_round_trips(
        days in 1u64..36_500,
        female in any::<bool>(),
        mask in 0u8..128,
        piva in "[1-9][0-9]{6}",
        office in 1u32..=100,
    ) {
        let born = reference().checked_sub_days(Days::new(days)).unwrap();
        let sex = if female { Sex::Female } else { Sex::Male };
        let cf = CodiceFiscale::compute("Verdi", "Giulia", born, sex, "F205").unwrap().variant(mask);
        let piva = with_piva_check(&format!("{piva}{office:03}"));
        for code in [cf.as_str(), piva.as_str()] {
            let tax_id = TaxId::parse(&code.to_lowercase()).unwrap();
            let stored = serde_json::to_string(&tax_id).unwrap();
            prop_assert_eq!(&stored, &format!("\"{code}\""));
            prop_assert_eq!(serde_json::from_str::<TaxId>(&stored).unwrap(), tax_id.clone());
            let map: BTreeMap<TaxId, ()> = [(tax_id.clone(), ())].into();
            let stored = serde_json::to_string(&map).unwrap();
            prop_assert_eq!(&stored, &format!("{{\"{code}\":null}}"));
            prop_assert_eq!(serde_json::from_str::<BTreeMap<TaxId, ()>>(&stored).unwrap(), map);
        }
        prop_assert_eq!(serde_json::to_string(&cf).unwrap(), format!("\"{cf}\""));
    }
}
