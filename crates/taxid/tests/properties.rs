//! Property tests: compute → parse round trips, omocodic variants, the check
//! character and digit, and no panic on any input.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use taxid::codice_fiscale::names::{name_code, surname_code};
use taxid::{CodiceFiscale, PartitaIva, Sex, TaxId};

fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

/// Birth dates within the century before the reference, which decoding
/// resolves unambiguously.
fn birth_date() -> impl Strategy<Value = NaiveDate> {
    (1u64..36_500).prop_map(|days| reference().checked_sub_days(Days::new(days)).unwrap())
}

fn place() -> impl Strategy<Value = String> {
    ("[A-MZ]", 0u32..1000).prop_map(|(letter, n)| format!("{letter}{n:03}"))
}

fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![Just(Sex::Male), Just(Sex::Female)]
}

proptest! {
    #[test]
    fn a_computed_code_parses_back_to_its_data(
        surname in "[A-Za-zÀÈÉÌÒÙàèéìòù' ]{1,20}",
        name in "[A-Za-zÀÈÉÌÒÙàèéìòù' ]{1,20}",
        born in birth_date(),
        sex in sex(),
        place in place(),
    ) {
        let cf = CodiceFiscale::compute(&surname, &name, born, sex, &place).unwrap();
        let parsed = CodiceFiscale::parse(&cf.as_str().to_lowercase()).unwrap();
        prop_assert_eq!(&parsed, &cf);
        prop_assert_eq!(TaxId::parse(&cf.as_str().to_lowercase()).unwrap(), TaxId::CodiceFiscale(cf.clone()));
        let decoded = parsed.decode(reference()).unwrap();
        prop_assert_eq!(decoded.birth_date, born);
        prop_assert_eq!(decoded.sex, sex);
        prop_assert_eq!(decoded.birth_place, place);
        prop_assert_eq!(decoded.surname_code, surname_code(&surname));
        prop_assert_eq!(decoded.name_code, name_code(&name));
        prop_assert_eq!(decoded.omocodia_level, 0);
    }

    #[test]
    fn every_omocodic_variant_is_valid_and_decodes_the_same(
        born in birth_date(),
        sex in sex(),
        place in place(),
    ) {
        let cf = CodiceFiscale::compute("Rossi", "Maria", born, sex, &place).unwrap();
        let decoded = cf.decode(reference()).unwrap();
        for mask in 0u8..128 {
            let variant = CodiceFiscale::parse(cf.variant(mask).as_str()).unwrap();
            prop_assert_eq!(variant.omocodia_level(), mask.count_ones());
            prop_assert!(variant.same_base(&cf));
            prop_assert_eq!(variant.without_omocodia(), cf.clone());
            let mut d = variant.decode(reference()).unwrap();
            d.omocodia_level = 0;
            prop_assert_eq!(&d, &decoded);
        }
    }

    #[test]
    fn changing_one_character_breaks_the_check(
        born in birth_date(),
        sex in sex(),
        at in 0usize..15,
        by in 1u8..26,
    ) {
        let cf = CodiceFiscale::compute("Bianchi", "Luca", born, sex, "D612").unwrap();
        let mut bytes = cf.as_str().as_bytes().to_vec();
        let c = bytes[at];
        bytes[at] = if c.is_ascii_digit() { b'0' + (c - b'0' + by % 10) % 10 } else { b'A' + (c - b'A' + by) % 26 };
        prop_assume!(bytes[at] != c);
        // Still a shape-valid code or not: never accepted.
        prop_assert!(CodiceFiscale::parse(&String::from_utf8(bytes).unwrap()).is_err());
    }

    #[test]
    fn partita_iva_check_digit(first in "[0-9]{7}", office in 1u32..=100) {
        let first10 = format!("{first}{office:03}");
        let digits: Vec<u32> = first10.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits.iter().enumerate().map(|(i, &d)| if i % 2 == 0 { d } else if d * 2 > 9 { d * 2 - 9 } else { d * 2 }).sum();
        let check = (10 - sum % 10) % 10;
        prop_assume!(first.bytes().any(|b| b != b'0'));
        let valid = format!("{first10}{check}");
        let invalid = format!("{first10}{}", (check + 1) % 10);
        prop_assert!(PartitaIva::parse(&valid).is_ok());
        prop_assert!(PartitaIva::parse(&invalid).is_err());
        let prefixed = TaxId::parse(&format!("IT{valid}")).unwrap();
        prop_assert_eq!(prefixed.as_str(), valid.as_str());
    }

    #[test]
    fn parsers_never_panic(text in "\\PC{0,20}") {
        let _ = CodiceFiscale::parse(&text);
        let _ = PartitaIva::parse(&text);
        let _ = TaxId::parse(&text);
        let _ = serde_json::from_value::<TaxId>(serde_json::json!(text));
        let _ = serde_json::from_value::<TaxId>(serde_json::json!({"kind": "codice-fiscale", "value": text}));
    }

    /// Codes read back leniently (check character right, month or day not)
    /// still answer every accessor without panicking.
    #[test]
    fn leniently_stored_codes_decode_without_panic(first15 in "[A-Z0-9]{15}") {
        let check = {
            let odd = [1u32, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
            let value = |c: u8| if c.is_ascii_digit() { u32::from(c - b'0') } else { u32::from(c - b'A') };
            let sum: u32 = first15.bytes().enumerate().map(|(i, c)| if i % 2 == 0 { odd[value(c) as usize] } else { value(c) }).sum();
            char::from(b'A' + (sum % 26) as u8)
        };
        let code = format!("{first15}{check}");
        let tax_id: TaxId = serde_json::from_value(serde_json::json!({"kind": "codice-fiscale", "value": code})).unwrap();
        let cf = tax_id.personal().unwrap();
        prop_assert_eq!(cf.as_str(), code.as_str());
        let _ = (cf.birth_month(), cf.birth_day(), cf.sex(), cf.birth_place(), cf.born_abroad(), cf.omocodia_level());
        let _ = (cf.decode(reference()), cf.without_omocodia(), cf.variant(0x7f));
    }
}
