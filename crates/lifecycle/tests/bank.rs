//! Bank-statement import: the sample camt.053 and CSV statements in
//! `fixtures/bank/` (invented), matched against a set of open renewal orders.

use std::collections::HashSet;

use chrono::NaiveDate;
use lifecycle::bank::{
    BankError, CsvFormat, OpenOrder, Outcome, Parsed, ReportLine, TextEncoding, match_lines, parse_camt053, parse_csv,
    render_report,
};
use proptest::prelude::*;

const CAMT: &[u8] = include_bytes!("fixtures/bank/statement.camt053.xml");
const CAMT_V08: &[u8] = include_bytes!("fixtures/bank/statement.camt053v08.xml");
const CSV: &[u8] = include_bytes!("fixtures/bank/statement.csv");

fn open_orders() -> Vec<OpenOrder> {
    [
        ("CRT-2025-000123", 793),
        ("CRT-2025-000124", 1464),
        ("CRT-2025-000125", 1610),
        ("CRT-2025-000126", 488),
        ("CRT-2025-000127", 793),
        ("CRT-2025-000128", 793),
    ]
    .into_iter()
    .map(|(id, amount_cents)| OpenOrder {
        id: id.into(),
        amount_cents,
    })
    .collect()
}

fn run(lines: &[Parsed], applied: &HashSet<String>, paid: &HashSet<String>) -> Vec<ReportLine> {
    match_lines(lines, &open_orders(), applied, paid, &HashSet::new())
}

fn first_run(lines: &[Parsed]) -> Vec<ReportLine> {
    run(lines, &HashSet::new(), &HashSet::new())
}

fn outcomes(report: &[ReportLine]) -> Vec<(usize, Outcome)> {
    report.iter().map(|r| (r.line, r.outcome.clone())).collect()
}

fn matched(order: &str) -> Outcome {
    Outcome::Matched { order: order.into() }
}

fn is_malformed_because(outcome: &Outcome, words: &str) -> bool {
    matches!(outcome, Outcome::Malformed(why) if why.contains(words))
}

fn is_ignored_because(outcome: &Outcome, words: &str) -> bool {
    matches!(outcome, Outcome::Ignored(why) if why.contains(words))
}

/// The payment ids the caller would record after a run, and the orders it would mark paid.
fn applied_by(report: &[ReportLine]) -> (HashSet<String>, HashSet<String>) {
    let matched: Vec<&ReportLine> = report
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Matched { .. }))
        .collect();
    let ids = matched
        .iter()
        .map(|r| r.payment_id.clone().expect("a matched line has a payment id"))
        .collect();
    let orders = matched
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Matched { order } => order.clone(),
            _ => unreachable!(),
        })
        .collect();
    (ids, orders)
}

#[test]
fn camt053_sample_gives_each_entry_its_outcome() {
    let lines = parse_camt053(CAMT).unwrap();
    let report = first_run(&lines);
    let got = outcomes(&report);
    assert_eq!(got.len(), 11, "{got:#?}");
    assert_eq!(got[0], (1, matched("CRT-2025-000123")));
    assert_eq!(
        got[1],
        (
            2,
            Outcome::AmountMismatch {
                order: "CRT-2025-000124".into(),
                expected: 1464,
                paid: 1200
            }
        )
    );
    assert_eq!(got[2], (3, Outcome::Unmatched));
    assert_eq!(
        got[3],
        (
            4,
            Outcome::Duplicate {
                order: Some("CRT-2025-000123".into()),
                payment_id: "2025031200000101".into()
            }
        )
    );
    assert_eq!(
        got[4],
        (
            5,
            Outcome::Ambiguous {
                orders: vec!["CRT-2025-000125".into(), "CRT-2025-000126".into()]
            }
        )
    );
    assert!(got[5].0 == 6 && is_ignored_because(&got[5].1, "debit"), "{:?}", got[5]);
    assert!(
        got[6].0 == 7 && is_malformed_because(&got[6].1, "<Amt>"),
        "{:?}",
        got[6]
    );
    assert!(
        got[7].0 == 8 && is_malformed_because(&got[7].1, "2025-02-30"),
        "{:?}",
        got[7]
    );
    assert_eq!(got[8], (9, matched("CRT-2025-000127")));
    assert!(
        got[9].0 == 10 && is_ignored_because(&got[9].1, "not booked"),
        "{:?}",
        got[9]
    );
    assert!(
        got[10].0 == 11 && is_ignored_because(&got[10].1, "CHF"),
        "{:?}",
        got[10]
    );
}

#[test]
fn camt053_entry_fields_are_read() {
    let lines = parse_camt053(CAMT).unwrap();
    let Parsed::Line(first) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(first.booking_date, NaiveDate::from_ymd_opt(2025, 3, 12).unwrap());
    assert_eq!(first.value_date, NaiveDate::from_ymd_opt(2025, 3, 12));
    assert_eq!(first.amount_cents, 793);
    assert_eq!(first.currency, "EUR");
    assert_eq!(first.reference, "RINNOVO PEC CRT-2025-000123 ROSSI MARIO");
    assert_eq!(first.counterparty.as_deref(), Some("ROSSI MARIO"));
    assert_eq!(first.bank_id.as_deref(), Some("2025031200000101"));
    let Parsed::Line(debit) = &lines[5] else {
        panic!("{:?}", lines[5])
    };
    assert_eq!(debit.amount_cents, -150);
    assert_eq!(debit.reference, "COMMISSIONI SU BONIFICI IN ENTRATA");
    // Entry 9: no AcctSvcrRef, so the EndToEndId; the reference cut over two <Ustrd>; an entity in the name.
    let Parsed::Line(split) = &lines[8] else {
        panic!("{:?}", lines[8])
    };
    assert_eq!(split.bank_id.as_deref(), Some("E2E-GIALLI-0315"));
    assert!(split.reference.ends_with("CRT-2025-00 0127"), "{}", split.reference);
    assert_eq!(split.counterparty.as_deref(), Some("GIALLI PIERO & C."));
}

#[test]
fn camt053_version_08_shapes_are_read() {
    let lines = parse_camt053(CAMT_V08).unwrap();
    let Parsed::Line(l) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(l.booking_date, NaiveDate::from_ymd_opt(2025, 3, 18).unwrap());
    assert_eq!(l.counterparty.as_deref(), Some("ESPOSITO GIULIA"));
    assert_eq!(l.bank_id.as_deref(), Some("V08-0001"));
    assert!(l.booked);
    assert_eq!(outcomes(&first_run(&lines)), vec![(1, matched("CRT-2025-000126"))]);
}

#[test]
fn csv_sample_gives_each_line_its_outcome() {
    let lines = parse_csv(CSV, &CsvFormat::default()).unwrap();
    let report = first_run(&lines);
    let got = outcomes(&report);
    assert_eq!(got.len(), 12, "{got:#?}");
    assert_eq!(got[0], (6, matched("CRT-2025-000123")));
    assert_eq!(
        got[1],
        (
            7,
            Outcome::AmountMismatch {
                order: "CRT-2025-000124".into(),
                expected: 1464,
                paid: 1200
            }
        )
    );
    assert_eq!(got[2], (8, Outcome::Unmatched));
    assert_eq!(
        got[3],
        (
            9,
            Outcome::Duplicate {
                order: Some("CRT-2025-000123".into()),
                payment_id: "CRO0000000101".into()
            }
        )
    );
    assert_eq!(
        got[4],
        (
            10,
            Outcome::Ambiguous {
                orders: vec!["CRT-2025-000125".into(), "CRT-2025-000126".into()]
            }
        )
    );
    assert!(got[5].0 == 11 && is_ignored_because(&got[5].1, "debit"), "{:?}", got[5]);
    assert!(
        got[6].0 == 12 && is_malformed_because(&got[6].1, "\"7.93\""),
        "{:?}",
        got[6]
    );
    assert!(
        got[7].0 == 13 && is_malformed_because(&got[7].1, "31/02/2025"),
        "{:?}",
        got[7]
    );
    assert_eq!(
        got[8],
        (
            14,
            Outcome::AmountMismatch {
                order: "CRT-2025-000127".into(),
                expected: 793,
                paid: 123_456
            }
        )
    );
    assert_eq!(got[9], (16, matched("CRT-2025-000126")));
    assert!(
        matches!(&got[10], (17, Outcome::Duplicate { order: Some(o), payment_id }) if o == "CRT-2025-000126" && payment_id.starts_with("syn-")),
        "{:?}",
        got[10]
    );
    assert!(
        got[11].0 == 19 && is_malformed_because(&got[11].1, "Saldo finale"),
        "{:?}",
        got[11]
    );
}

#[test]
fn csv_quoted_reference_keeps_its_separator_quotes_and_line_break() {
    let lines = parse_csv(CSV, &CsvFormat::default()).unwrap();
    let Parsed::Line(first) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(first.reference, "BONIFICO SEPA; RINNOVO PEC CRT-2025-000123");
    assert_eq!(first.counterparty.as_deref(), Some("ROSSI MARIO"));
    assert_eq!(first.bank_id.as_deref(), Some("CRO0000000101"));
    let Parsed::Line(multi) = &lines[8] else {
        panic!("{:?}", lines[8])
    };
    assert_eq!(
        multi.reference,
        "RINNOVO \"PEC\" 10 CASELLE\nSTUDIO ASSOCIATO CRT-2025-000127"
    );
    assert_eq!(multi.value_date, NaiveDate::from_ymd_opt(2025, 3, 14));
    let Parsed::Line(no_id) = &lines[9] else {
        panic!("{:?}", lines[9])
    };
    assert_eq!((no_id.bank_id.as_deref(), no_id.value_date), (None, None));
}

#[test]
fn running_the_camt_import_twice_applies_nothing_twice() {
    running_twice_applies_nothing_twice(&parse_camt053(CAMT).unwrap());
}

#[test]
fn running_the_csv_import_twice_applies_nothing_twice() {
    running_twice_applies_nothing_twice(&parse_csv(CSV, &CsvFormat::default()).unwrap());
}

fn running_twice_applies_nothing_twice(lines: &[Parsed]) {
    let first = first_run(lines);
    let (ids, orders) = applied_by(&first);
    assert!(!ids.is_empty());
    for paid in [HashSet::new(), orders] {
        let second = run(lines, &ids, &paid);
        assert!(
            !second.iter().any(|r| matches!(r.outcome, Outcome::Matched { .. })),
            "{second:#?}"
        );
        for (before, after) in first.iter().zip(&second) {
            match &before.outcome {
                Outcome::Matched { order } => assert_eq!(
                    after.outcome,
                    Outcome::Duplicate {
                        order: Some(order.clone()),
                        payment_id: before.payment_id.clone().unwrap()
                    }
                ),
                // What was not applied reads the same, for the operator to resolve.
                _ => assert_eq!(before, after),
            }
        }
    }
}

#[test]
fn the_same_transfer_read_from_another_format_is_already_paid() {
    let (_, paid) = applied_by(&first_run(&parse_camt053(CAMT).unwrap()));
    let csv = run(&parse_csv(CSV, &CsvFormat::default()).unwrap(), &HashSet::new(), &paid);
    assert_eq!(
        csv[0].outcome,
        Outcome::AlreadyPaid {
            order: "CRT-2025-000123".into()
        }
    );
}

#[test]
fn report_names_each_lines_outcome_and_the_totals() {
    let report = render_report(&first_run(&parse_csv(CSV, &CsvFormat::default()).unwrap()));
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 14, "{report}");
    for (line, words) in [
        (0, ["line     6", "matched CRT-2025-000123"]),
        (
            1,
            ["line     7", "amount mismatch CRT-2025-000124: due 14.64, paid 12.00"],
        ),
        (2, ["line     8", "unmatched"]),
        (3, ["line     9", "duplicate CRT-2025-000123 (CRO0000000101)"]),
        (4, ["line    10", "ambiguous: CRT-2025-000125, CRT-2025-000126"]),
        (5, ["line    11", "ignored: debit"]),
        (6, ["line    12", "malformed: bad amount \"7.93\""]),
        (7, ["line    13", "malformed: bad booking date \"31/02/2025\""]),
        (9, ["line    16", "matched CRT-2025-000126"]),
    ] {
        for w in words {
            assert!(lines[line].contains(w), "line {line} lacks {w:?}:\n{report}");
        }
    }
    assert_eq!(
        lines[12],
        "12 lines: 1 ambiguous, 2 amount mismatch, 2 duplicate, 1 ignored, 3 malformed, 2 matched, 1 unmatched"
    );
    assert_eq!(lines[13], "matched total: 12.81 EUR");
}

#[test]
fn a_latin1_csv_is_read() {
    let mut bytes = b"Data;Importo;Descrizione;Ordinante\n".to_vec();
    bytes.extend_from_slice(b"12/03/2025;7,93;Rinnovo PEC CRT-2025-000123 societ\xe0;Citt\xe0 Nuova \x80\n");
    let lines = parse_csv(&bytes, &CsvFormat::default()).unwrap();
    let Parsed::Line(l) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(l.reference, "Rinnovo PEC CRT-2025-000123 società");
    assert_eq!(l.counterparty.as_deref(), Some("Città Nuova €"));
    let strict = CsvFormat {
        encoding: TextEncoding::Utf8,
        ..CsvFormat::default()
    };
    let err = parse_csv(&bytes, &strict).unwrap_err();
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
}

#[test]
fn a_bank_with_its_own_column_names_and_credit_debit_columns() {
    let format = CsvFormat {
        separator: ',',
        date_format: "%d-%m-%Y".into(),
        booking_date: vec!["Booking".into()],
        credit: vec!["In".into()],
        debit: vec!["Out".into()],
        reference: vec!["Remittance".into(), "Note".into()],
        id: vec!["Ref".into()],
        ..CsvFormat::default()
    };
    let csv = "Booking,Remittance,Note,In,Out,Ref\r\n12-03-2025,RINNOVO,\"CRT-2025-000123, grazie\",\"7,93\",,R1\r\n";
    let lines = parse_csv(csv.as_bytes(), &format).unwrap();
    assert_eq!(outcomes(&first_run(&lines)), vec![(2, matched("CRT-2025-000123"))]);
    let Parsed::Line(l) = &lines[0] else { unreachable!() };
    assert_eq!(l.reference, "RINNOVO CRT-2025-000123, grazie");
}

#[test]
fn garbage_is_a_clear_error() {
    let camt_error = |bytes: &[u8]| parse_camt053(bytes).unwrap_err().to_string();
    assert_eq!(parse_camt053(b"  \n"), Err(BankError::Empty));
    assert!(camt_error(b"<Document><BkToCstmrStmt></Stmt>").contains("not well-formed XML"));
    assert!(
        camt_error(b"%PDF-1.7 binary").contains("not an ISO 20022 camt.053 bank-to-customer statement: no XML element")
    );
    assert!(camt_error(b"<html><body/></html>").contains("root element is <html>"));
    let camt052 = br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>"#;
    assert!(camt_error(camt052).contains("camt.052"));
    let no_ns_052 = b"<Document><BkToCstmrAcctRpt/></Document>";
    assert!(camt_error(no_ns_052).contains("<BkToCstmrAcctRpt>"));
    assert_eq!(parse_camt053(b"<Document><BkToCstmrStmt/></Document>"), Ok(vec![]));
    let truncated = camt_error(&CAMT[..CAMT.len() - 30]);
    assert!(
        truncated.contains("ends inside <Document><BkToCstmrStmt>"),
        "{truncated}"
    );
    let truncated = camt_error(&CAMT[..1500]);
    assert!(truncated.contains("truncated"), "{truncated}");

    assert_eq!(parse_csv(b"", &CsvFormat::default()), Err(BankError::Empty));
    let err = parse_csv(b"Date,Amount,Text\n2025-03-12,7.93,x\n", &CsvFormat::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no header row") && err.contains("booking date (Data contabile"),
        "{err}"
    );
    assert!(err.contains("Date,Amount,Text"), "{err}");
    let err = parse_csv(&[0xff, 0xfe, 0x00, 0x01], &CsvFormat::default()).unwrap_err();
    assert!(matches!(err, BankError::NoHeader { .. }), "{err}");
}

#[test]
fn an_unclosed_quote_spoils_only_its_line() {
    let csv = "Data;Importo;Causale\n12/03/2025;7,93;CRT-2025-000123\n13/03/2025;4,88;\"CRT-2025-000126\n";
    let got = outcomes(&first_run(&parse_csv(csv.as_bytes(), &CsvFormat::default()).unwrap()));
    assert_eq!(got[0], (2, matched("CRT-2025-000123")));
    assert!(is_malformed_because(&got[1].1, "quoted field"), "{got:?}");
}

#[test]
fn an_unquoted_separator_in_the_reference_is_malformed_not_misread() {
    let csv = "Data;Importo;Causale;Ordinante\n12/03/2025;7,93;BONIFICO; CRT-2025-000123;ROSSI\n";
    let got = outcomes(&first_run(&parse_csv(csv.as_bytes(), &CsvFormat::default()).unwrap()));
    assert!(is_malformed_because(&got[0].1, "unquoted field"), "{got:?}");
}

fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        any::<usize>(),
    )
        .prop_map(move |(edits, cut)| {
            let mut bytes = base.to_vec();
            for (at, b) in edits {
                let at = at % bytes.len();
                bytes[at] = b;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            bytes
        })
}

fn import_does_not_panic(lines: Result<Vec<Parsed>, BankError>) {
    if let Ok(lines) = lines {
        let report = match_lines(
            &lines,
            &open_orders(),
            &HashSet::new(),
            &HashSet::new(),
            &HashSet::new(),
        );
        let _ = render_report(&report);
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        import_does_not_panic(parse_camt053(&bytes));
        import_does_not_panic(parse_csv(&bytes, &CsvFormat::default()));
    }

    #[test]
    fn damaged_camt_never_panics(bytes in mutated(CAMT)) {
        import_does_not_panic(parse_camt053(&bytes));
    }

    #[test]
    fn damaged_csv_never_panics(bytes in mutated(CSV)) {
        import_does_not_panic(parse_csv(&bytes, &CsvFormat::default()));
    }

    #[test]
    fn arbitrary_text_references_never_panic(reference in "\\PC{0,200}", cents in any::<i64>()) {
        let line = Parsed::Line(lifecycle::bank::StatementLine {
            line: 1,
            booking_date: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap(),
            value_date: None,
            amount_cents: cents,
            currency: "EUR".into(),
            reference,
            counterparty: None,
            bank_id: None,
            booked: true,
        });
        import_does_not_panic(Ok(vec![line]));
    }
}
