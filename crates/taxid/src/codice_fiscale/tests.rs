//! Parsing, decoding, omocodia and the cross-check, on the vectors of registries.md 4.6.

use chrono::NaiveDate;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const TODAY: (i32, u32, u32) = (2025, 6, 1);

fn today() -> NaiveDate {
    date(TODAY.0, TODAY.1, TODAY.2)
}

#[test]
fn a_valid_code_decodes_date_sex_and_place() {
    let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
    let decoded = cf.decode(today()).unwrap();
    assert_eq!(decoded.birth_date, date(1980, 1, 1));
    assert_eq!(decoded.sex, Sex::Male);
    assert_eq!(decoded.birth_place, "H501");
    assert_eq!(
        (decoded.surname_code.as_str(), decoded.name_code.as_str()),
        ("RSS", "MRA")
    );
    assert_eq!(decoded.omocodia_level, 0);
    assert!(!cf.born_abroad());

    let cf = CodiceFiscale::parse("BLTMHL77S04E889G").unwrap();
    assert_eq!(cf.birth_date(today()).unwrap(), date(1977, 11, 4));
}

#[test]
fn lowercase_and_blanks_are_normalised() {
    let cf = CodiceFiscale::parse("  rssmra80a01h501u\n").unwrap();
    assert_eq!(cf.as_str(), "RSSMRA80A01H501U");
}

#[test]
fn omocodic_codes_are_valid_and_decode_as_their_base() {
    // Level 1 (position 15) and level 2 (14-15) from registries.md 4.6.
    let cf = CodiceFiscale::parse("BRNPRZ72D52F83VC").unwrap();
    assert_eq!(cf.omocodia_level(), 1);
    assert_eq!(cf.sex(), Sex::Female);
    assert_eq!(cf.birth_date(today()).unwrap(), date(1972, 4, 12));
    assert_eq!(cf.birth_place(), "F839");

    let cf = CodiceFiscale::parse("SCKCKH79A01Z34PP").unwrap();
    assert_eq!(cf.omocodia_level(), 1);
    assert!(cf.born_abroad());
    assert_eq!(cf.birth_place(), "Z343");

    // Every level the Agenzia assigns, up to all seven digits.
    let base = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
    for level in 1..=7u32 {
        let omocode = base.variant(((1u16 << level) - 1) as u8);
        let parsed = CodiceFiscale::parse(omocode.as_str()).unwrap();
        assert_eq!(parsed.omocodia_level(), level, "{omocode}");
        assert_eq!(parsed.decode(today()).unwrap().birth_date, date(1980, 1, 1));
        assert_eq!(parsed.birth_place(), "H501");
        assert_eq!(parsed.without_omocodia(), base);
        assert!(parsed.same_base(&base));
        assert_ne!(parsed, base);
    }
    // Level 7 substitutes 80, 01 and 501: RSSMRA UL A LM H RLM + check.
    assert_eq!(&base.variant(0x7f).as_str()[..15], "RSSMRAULALMHRLM");
}

#[test]
fn wrong_check_character_names_expected_and_found() {
    assert_eq!(
        CodiceFiscale::parse("RSSMRA80A01H501X"),
        Err(CfError::CheckCharacter {
            expected: 'U',
            found: 'X'
        })
    );
    assert_eq!(
        CodiceFiscale::parse("SRRVCN90B1SK83VS"),
        Err(CfError::CheckCharacter {
            expected: 'W',
            found: 'S'
        })
    );
    assert_eq!(
        CodiceFiscale::parse("RRANGL74M28R701V"),
        Err(CfError::CheckCharacter {
            expected: 'D',
            found: 'V'
        })
    );
}

#[test]
fn wrong_length_is_reported_with_the_length() {
    assert_eq!(
        CodiceFiscale::parse("RSSMRA80A01H501"),
        Err(CfError::Length { found: 15 })
    );
    assert_eq!(
        CodiceFiscale::parse("RSSMRA80A01H501UU"),
        Err(CfError::Length { found: 17 })
    );
    assert_eq!(CodiceFiscale::parse(""), Err(CfError::Length { found: 0 }));
    let err = CodiceFiscale::parse("RSSMRA80A01H501").unwrap_err();
    assert_eq!(err.to_string(), "a codice fiscale has 16 characters, this one has 15");
}

#[test]
fn an_invalid_character_is_reported_with_its_position() {
    let err = CodiceFiscale::parse("RSSMR480A01H501U").unwrap_err();
    assert!(
        matches!(
            err,
            CfError::Character {
                position: 6,
                found: '4',
                ..
            }
        ),
        "{err:?}"
    );
    // A letter that is not an omocodic one where a digit belongs.
    let err = CodiceFiscale::parse("RSSMRA8AA01H501U").unwrap_err();
    assert!(
        matches!(
            err,
            CfError::Character {
                position: 8,
                found: 'A',
                ..
            }
        ),
        "{err:?}"
    );
    let err = CodiceFiscale::parse("RSSMRA80A01H5 1U").unwrap_err();
    assert!(
        matches!(
            err,
            CfError::Character {
                position: 14,
                found: ' ',
                ..
            }
        ),
        "{err:?}"
    );
    let err = CodiceFiscale::parse("RSSMRÀ80A01H501U").unwrap_err();
    assert!(
        matches!(
            err,
            CfError::Character {
                position: 6,
                found: 'À',
                ..
            }
        ),
        "{err:?}"
    );
}

/// A code with the given 15 characters and its right check character.
fn with_check(first15: &str) -> String {
    format!("{first15}{}", char::from(check::check_character(first15.as_bytes())))
}

#[test]
fn impossible_months_and_days_are_refused() {
    assert_eq!(
        CodiceFiscale::parse(&with_check("RSSMRA80F01H501")),
        Err(CfError::Month { found: 'F' })
    );
    assert_eq!(
        CodiceFiscale::parse(&with_check("RSSMRA80A32H501")),
        Err(CfError::Day { found: 32, month: 1 })
    );
    assert_eq!(
        CodiceFiscale::parse(&with_check("RSSMRA80A00H501")),
        Err(CfError::Day { found: 0, month: 1 })
    );
    assert_eq!(
        CodiceFiscale::parse(&with_check("RSSMRA80B30H501")),
        Err(CfError::Day { found: 30, month: 2 })
    );
    assert_eq!(
        CodiceFiscale::parse(&with_check("RSSMRA80D71H501")),
        Err(CfError::Day { found: 71, month: 4 })
    );
    // 29 February exists only in leap years, known once the century is.
    let cf = CodiceFiscale::parse(&with_check("RSSMRA01B29H501")).unwrap();
    assert_eq!(
        cf.birth_date(today()),
        Err(CfError::BirthDate {
            year: 2001,
            month: 2,
            day: 29
        })
    );
    let cf = CodiceFiscale::parse(&with_check("RSSMRA00B69H501")).unwrap();
    assert_eq!(cf.birth_date(today()), Ok(date(2000, 2, 29)));
}

#[test]
fn the_century_is_resolved_against_the_reference_date() {
    let cf = CodiceFiscale::parse(&with_check("RSSMRA24A01H501")).unwrap();
    assert_eq!(cf.birth_date(today()).unwrap(), date(2024, 1, 1));
    assert_eq!(cf.birth_date(date(2020, 1, 1)).unwrap(), date(1924, 1, 1));
    let cf = CodiceFiscale::parse(&with_check("RSSMRA25T01H501")).unwrap();
    // 1 December 2025 is after 1 June 2025.
    assert_eq!(cf.birth_date(today()).unwrap(), date(1925, 12, 1));
    assert_eq!(cf.birth_date(date(2025, 12, 1)).unwrap(), date(2025, 12, 1));
}

#[test]
fn cross_check_reports_date_and_sex_mismatches() {
    let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
    assert_eq!(
        cross_check(&cf, "Rossi", "Mario", Some(date(1980, 1, 1)), Some(Sex::Male)),
        vec![]
    );
    let findings = cross_check(&cf, "Rossi", "Mario", Some(date(1980, 1, 2)), Some(Sex::Female));
    assert_eq!(
        findings,
        vec![
            Finding::BirthDate {
                in_code: "01/01/..80".into(),
                declared: date(1980, 1, 2)
            },
            Finding::Sex {
                in_code: Sex::Male,
                declared: Sex::Female
            },
        ]
    );
    // Another century, same two digits: the code cannot tell.
    assert_eq!(cross_check(&cf, "", "", Some(date(1880, 1, 1)), None), vec![]);
    // An omocode decodes as its base.
    let omocode = cf.variant(0x7f);
    assert_eq!(
        cross_check(&omocode, "Rossi", "Mario", Some(date(1980, 1, 1)), Some(Sex::Male)),
        vec![]
    );
}

#[test]
fn cross_check_reports_name_letters_mismatches() {
    let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
    // Russo gives RSS too; Marco gives MRC.
    assert_eq!(
        cross_check(&cf, "Russo", "Marco", None, None),
        vec![Finding::Name {
            in_code: "MRA".into(),
            expected: "MRC".into()
        }]
    );
    let findings = cross_check(&cf, "Bianchi", "Mario", None, None);
    assert_eq!(
        findings[0].to_string(),
        "the codice fiscale's surname letters are RSS, the declared surname gives BNC"
    );
}

#[test]
fn serde_round_trips_as_a_plain_string_and_validates() {
    let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
    let json = serde_json::to_string(&cf).unwrap();
    assert_eq!(json, "\"RSSMRA80A01H501U\"");
    assert_eq!(serde_json::from_str::<CodiceFiscale>(&json).unwrap(), cf);
    assert!(serde_json::from_str::<CodiceFiscale>("\"RSSMRA80A01H501X\"").is_err());
}
