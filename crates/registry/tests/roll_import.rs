//! A generated roll of 1,000 members with a few bad rows, read in UTF-8 with
//! `;` and in Latin-1 with `,`: the exact per-row report.

use chrono::{Days, NaiveDate};
use registry::roll::{Encoding, Rejection, RollError, parse_roll, xlsx};
use registry::{CodiceFiscale, MemberStatus, Sex};
use taxid::Finding;

const SURNAMES: [&str; 8] = [
    "Rossi", "Bianchi", "Esposito", "Colombo", "Ricci", "Marino", "Greco", "D'Amico",
];
const NAMES: [(&str, Sex); 8] = [
    ("Mario", Sex::Male),
    ("Giulia", Sex::Female),
    ("Nicolò", Sex::Male),
    ("Francesca", Sex::Female),
    ("Luca", Sex::Male),
    ("Chiara", Sex::Female),
    ("Andrea", Sex::Male),
    ("Sofia", Sex::Female),
];
const PLACES: [&str; 4] = ["D612", "H501", "F205", "Z133"];

struct Generated {
    cf: String,
    surname: &'static str,
    name: &'static str,
    birth: NaiveDate,
    sex: Sex,
}

fn generate(n: usize) -> Vec<Generated> {
    let start = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    (0..n)
        .map(|i| {
            let surname = SURNAMES[i % SURNAMES.len()];
            let (name, sex) = NAMES[(i / SURNAMES.len()) % NAMES.len()];
            // Distinct birth dates make distinct codes.
            let birth = start.checked_add_days(Days::new(13 * i as u64)).unwrap();
            let cf = CodiceFiscale::compute(surname, name, birth, sex, PLACES[i % PLACES.len()]).unwrap();
            Generated {
                cf: cf.to_string(),
                surname,
                name,
                birth,
                sex,
            }
        })
        .collect()
}

/// The roll's text with `sep` between fields; the bad rows at the end.
fn roll_text(members: &[Generated], sep: &str) -> String {
    let mut rows = vec![
        [
            "Codice Fiscale",
            "Cognome",
            "Nome",
            "Data di nascita",
            "Sesso",
            "Numero iscrizione",
            "Stato",
            "PEC",
            "CTU",
        ]
        .join(sep),
    ];
    for (i, m) in members.iter().enumerate() {
        let sex = if m.sex == Sex::Male { "M" } else { "F" };
        let number = (1000 + i).to_string();
        let pec = format!("member{i}@pec.it");
        let ctu = if i % 10 == 0 { "sì" } else { "" };
        let born = m.birth.format("%d/%m/%Y").to_string();
        rows.push(
            [
                m.cf.as_str(),
                m.surname,
                m.name,
                &born,
                sex,
                &number,
                "attivo",
                &pec,
                ctu,
            ]
            .join(sep),
        );
    }
    let bad_check = format!("{}X", &members[1].cf[..15]);
    let bad_check = if bad_check == members[1].cf {
        format!("{}Y", &members[1].cf[..15])
    } else {
        bad_check
    };
    let ok_cf = CodiceFiscale::compute(
        "Neri",
        "Paolo",
        NaiveDate::from_ymd_opt(1970, 3, 3).unwrap(),
        Sex::Male,
        "A562",
    )
    .unwrap()
    .to_string();
    let ok_cf2 = CodiceFiscale::compute(
        "Galli",
        "Rita",
        NaiveDate::from_ymd_opt(1971, 4, 4).unwrap(),
        Sex::Female,
        "A562",
    )
    .unwrap()
    .to_string();
    let mismatch = CodiceFiscale::compute(
        "Fabbri",
        "Ugo",
        NaiveDate::from_ymd_opt(1972, 5, 5).unwrap(),
        Sex::Male,
        "A562",
    )
    .unwrap()
    .to_string();
    rows.extend([
        // Line 1002: a wrong check character.
        [
            bad_check.as_str(),
            "Rossi",
            "Mario",
            "01/01/1980",
            "M",
            "9001",
            "attivo",
            "",
            "",
        ]
        .join(sep),
        // Line 1003: the codice fiscale of line 7.
        [
            members[5].cf.as_str(),
            "Marino",
            "Mario",
            "",
            "",
            "9002",
            "attivo",
            "",
            "",
        ]
        .join(sep),
        // Line 1004: no surname.
        [ok_cf.as_str(), "", "Paolo", "03/03/1970", "M", "9003", "attivo", "", ""].join(sep),
        // Line 1005: an impossible date and an unknown status.
        [
            ok_cf2.as_str(),
            "Galli",
            "Rita",
            "31/02/1971",
            "F",
            "9004",
            "in ferie",
            "",
            "",
        ]
        .join(sep),
        // Line 1006: accepted, but the declared birth date is not the code's.
        [
            mismatch.as_str(),
            "Fabbri",
            "Ugo",
            "06/05/1972",
            "M",
            "9005",
            "sospeso",
            "ugo.fabbri@pec.it",
            "no",
        ]
        .join(sep),
        // A blank line is skipped.
        String::new(),
    ]);
    rows.join("\r\n") + "\r\n"
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect()
}

#[test]
fn a_generated_roll_gets_an_exact_report_in_either_encoding_and_separator() {
    let members = generate(1000);
    let utf8 = parse_roll(roll_text(&members, ";").as_bytes()).unwrap();
    let latin = parse_roll(&latin1(&roll_text(&members, ","))).unwrap();
    assert_eq!((utf8.encoding, utf8.separator), (Encoding::Utf8, ';'));
    assert_eq!((latin.encoding, latin.separator), (Encoding::Latin1, ','));
    assert_eq!(utf8.rows, latin.rows);

    let roll = utf8;
    assert_eq!(roll.rows.len(), 1005);
    assert_eq!(roll.accepted().count(), 1001);
    let rejected: Vec<(u64, Vec<String>)> = roll
        .rejected()
        .map(|(line, reasons)| (line, reasons.iter().map(ToString::to_string).collect()))
        .collect();
    let bad = &members[1].cf;
    let expected_check = bad.chars().last().unwrap();
    let found_check = if expected_check == 'X' { 'Y' } else { 'X' };
    assert_eq!(
        rejected,
        vec![
            (
                1002,
                vec![format!(
                    "bad codice fiscale \"{}{found_check}\": wrong check character: expected {expected_check}, found {found_check} (a typing error?)",
                    &bad[..15]
                )]
            ),
            (1003, vec!["duplicate codice fiscale, already on line 7".to_owned()]),
            (1004, vec!["no surname (cognome)".to_owned()]),
            (
                1005,
                vec![
                    "bad date \"31/02/1971\" in data di nascita (dd/mm/yyyy or yyyy-mm-dd)".to_owned(),
                    "unknown value \"in ferie\" in stato".to_owned()
                ]
            ),
        ]
    );

    // The generated members come back as they were, the cross-check silent.
    let first = roll.accepted().next().unwrap();
    assert_eq!(first.member.codice_fiscale.as_str(), members[0].cf);
    assert_eq!(first.member.birth_date, Some(members[0].birth));
    assert_eq!(first.member.registration_number.as_deref(), Some("1000"));
    assert_eq!(first.pec.as_deref(), Some("member0@pec.it"));
    assert!(first.member.ctu);
    let nicolo = roll.accepted().find(|a| a.member.name == "Nicolò").unwrap();
    assert!(nicolo.warnings.is_empty());
    assert_eq!(roll.accepted().filter(|a| !a.warnings.is_empty()).count(), 1);
    assert_eq!(roll.accepted().filter(|a| a.member.ctu).count(), 100);

    let fabbri = roll.accepted().last().unwrap();
    assert_eq!(fabbri.member.status, MemberStatus::Suspended);
    assert!(!fabbri.member.ctu);
    assert_eq!(
        fabbri.warnings,
        vec![Finding::BirthDate {
            in_code: "05/05/..72".into(),
            declared: NaiveDate::from_ymd_opt(1972, 5, 6).unwrap()
        }]
    );
}

#[test]
fn a_roll_without_the_required_columns_is_refused_as_a_whole() {
    assert_eq!(parse_roll(b""), Err(RollError::Empty));
    assert_eq!(parse_roll(b"\r\n  \r\n"), Err(RollError::Empty));
    let err = parse_roll(b"cf;nome;pec\nRSSMRA80A01H501U;Mario;m@pec.it\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the header row has no column for cognome: it names cf;nome;pec"
    );
}

#[test]
fn quoted_fields_short_rows_and_a_missing_codice_fiscale() {
    // A quoted field spans two lines: the next row starts on line 4.
    let text = "cf,cognome,nome,indirizzo,cap,comune,provincia\n\
                RSSMRA80A01H501U,\"Rossi, detto \"\"Mario\"\"\",Mario,\"Via Roma 1,\nint. 2\",50100,Firenze,FI\n\
                ,Bianchi\n";
    let roll = parse_roll(text.as_bytes()).unwrap();
    let rossi = roll.accepted().next().unwrap();
    assert_eq!(rossi.member.surname, "Rossi, detto \"Mario\"");
    assert_eq!(
        rossi.member.legal_domicile.as_ref().unwrap().street,
        "Via Roma 1,\nint. 2"
    );
    let rejected: Vec<(u64, &[Rejection])> = roll.rejected().collect();
    assert_eq!(
        rejected,
        vec![(4, &[Rejection::MissingCodiceFiscale, Rejection::MissingName][..])]
    );
}

/// The roll as a secretariat's Excel export would hold it: dates as date cells,
/// registration numbers as numbers, the CTU flag as a truth value, the rest text.
fn workbook(text: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (row, line) in text.lines().enumerate() {
        let row = row as u32;
        for (col, cell) in line.split(';').enumerate() {
            let col = col as u16;
            if cell.is_empty() {
                continue;
            }
            let written = match (row, col) {
                (0, _) => sheet.write_string(row, col, cell),
                (_, 3) => match NaiveDate::parse_from_str(cell, "%d/%m/%Y") {
                    Ok(d) => sheet.write_datetime_with_format(row, col, d, &date_format),
                    Err(_) => sheet.write_string(row, col, cell),
                },
                (_, 5) => match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(row, col, n),
                    Err(_) => sheet.write_string(row, col, cell),
                },
                (_, 8) if cell == "sì" => sheet.write_boolean(row, col, true),
                _ => sheet.write_string(row, col, cell),
            };
            written.unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn the_same_roll_as_an_excel_workbook_gets_the_same_report() {
    let members = generate(1000);
    let text = roll_text(&members, ";");
    let from_csv = parse_roll(text.as_bytes()).unwrap();
    let bytes = workbook(&text);
    assert!(xlsx::is_xlsx(&bytes) && !xlsx::is_xlsx(text.as_bytes()));
    let from_xlsx = xlsx::parse_xlsx(&bytes).unwrap();
    assert_eq!(from_xlsx.rows.len(), from_csv.rows.len());
    for (x, c) in from_xlsx.rows.iter().zip(&from_csv.rows) {
        assert_eq!(x, c, "row {} differs between the workbook and the CSV", c.line);
    }
    // Not a workbook, or one without the columns: refused as a whole, named.
    let mut broken = bytes.clone();
    broken.truncate(bytes.len() / 2);
    assert!(matches!(xlsx::parse_xlsx(&broken), Err(RollError::Workbook { .. })));
    let err = xlsx::parse_xlsx(&workbook("cf;nome;pec\nRSSMRA80A01H501U;Mario;m@pec.it")).unwrap_err();
    assert!(err.to_string().contains("cognome"), "{err}");
}
