//! INI-PEC deltas over consecutive days, compared byte for byte with the files
//! the Order would upload (registries.md 1.3), in the default format.

mod common;

use common::{date, member};
use registry::inipec::{
    DailyDelta, IniPecEncoding, IniPecError, IniPecFormat, IniPecState, Operation, daily_delta, render_csv,
};
use registry::{Member, MemberStatus, TaxId};

fn roll() -> Vec<Member> {
    let mut nicolo = member("CNTNCL82M15G273J", "Conte", "Nicolò", "1502");
    nicolo.registration_date = Some(date(2025, 6, 2));
    vec![
        member("RSSMRA80A01H501U", "Rossi", "Mario", "1234"),
        member("BNCNNA75C41D612C", "Bianchi", "Anna", "987"),
        nicolo,
        // No PEC: never listed.
        member("VRDLCU90E22F205A", "Verdi", "Luca", "2001"),
    ]
}

fn state(members: &[Member], pecs: &[(&str, &str)]) -> IniPecState {
    let pec_of = |m: &Member| {
        pecs.iter()
            .find(|(cf, _)| *cf == m.codice_fiscale.as_str())
            .map(|(_, pec)| *pec)
    };
    IniPecState::from_members(members.iter().map(|m| (m, pec_of(m))))
}

fn csv(delta: &DailyDelta, format: &IniPecFormat) -> Vec<u8> {
    match delta {
        DailyDelta::Changes(rows) => render_csv(rows, format).unwrap(),
        DailyDelta::NoChanges => panic!("expected changes"),
    }
}

const HEADER: &str =
    "Indirizzo PEC;Nome;Cognome;Numero Iscrizione;Codice Fiscale;Stato;Data Iscrizione;Data Cancellazione\r\n";

#[test]
fn three_days_insert_change_of_pec_cancellation_then_no_changes() {
    let format = IniPecFormat::default();
    let mut members = roll();
    let mut pecs = vec![
        ("RSSMRA80A01H501U", "mario.rossi@pec.it"),
        ("BNCNNA75C41D612C", "anna.bianchi@legalmail.it"),
        ("CNTNCL82M15G273J", "nicolo.conte@pec.it"),
    ];

    // Day 1, 2 June 2025: the first upload inserts every member with a PEC,
    // sorted by codice fiscale. "Nicolò" is one Latin-1 byte, 0xF2.
    let sent = IniPecState::default();
    let day1 = state(&members, &pecs);
    let delta = daily_delta(&sent, &day1);
    let mut expected = HEADER.as_bytes().to_vec();
    expected.extend_from_slice(b"anna.bianchi@legalmail.it;Anna;Bianchi;987;BNCNNA75C41D612C;2;15/09/2010;\r\n");
    expected.extend_from_slice(b"nicolo.conte@pec.it;Nicol\xf2;Conte;1502;CNTNCL82M15G273J;2;02/06/2025;\r\n");
    expected.extend_from_slice(b"mario.rossi@pec.it;Mario;Rossi;1234;RSSMRA80A01H501U;2;15/09/2010;\r\n");
    assert_eq!(
        String::from_utf8_lossy(&csv(&delta, &format)),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(csv(&delta, &format), expected);

    // Day 2: Mario Rossi changed provider. An update, no dates.
    pecs[0].1 = "m.rossi@postecert.it";
    let day2 = state(&members, &pecs);
    let delta = daily_delta(&day1, &day2);
    let expected = format!("{HEADER}m.rossi@postecert.it;Mario;Rossi;1234;RSSMRA80A01H501U;1;;\r\n");
    assert_eq!(csv(&delta, &format), expected.as_bytes());

    // Day 3: Anna Bianchi left the roll on 30 May 2025. A deletion with the
    // last PEC sent and the Data Cancellazione.
    members[1].status = MemberStatus::Cancelled;
    members[1].cancellation_date = Some(date(2025, 5, 30));
    let day3 = state(&members, &pecs);
    let delta = daily_delta(&day2, &day3);
    let expected = format!("{HEADER}anna.bianchi@legalmail.it;Anna;Bianchi;987;BNCNNA75C41D612C;3;;30/05/2025\r\n");
    assert_eq!(csv(&delta, &format), expected.as_bytes());

    // Day 4: nothing changed. Not an empty file: the explicit value the Order
    // confirms on the portal.
    let day4 = state(&members, &pecs);
    assert_eq!(daily_delta(&day3, &day4), DailyDelta::NoChanges);
}

#[test]
fn a_member_who_loses_the_pec_is_deleted_without_a_date() {
    let members = roll();
    let before = state(&members, &[("RSSMRA80A01H501U", "mario.rossi@pec.it")]);
    let after = state(&members, &[]);
    let DailyDelta::Changes(rows) = daily_delta(&before, &after) else {
        panic!("expected a deletion")
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].operation, Operation::Delete);
    assert_eq!(rows[0].cancellation_date, None);
    assert_eq!(rows[0].record.pec, "mario.rossi@pec.it");
}

#[test]
fn a_suspended_member_keeps_the_position_and_a_name_change_is_an_update() {
    let mut members = roll();
    let pecs = [("RSSMRA80A01H501U", "mario.rossi@pec.it")];
    let before = state(&members, &pecs);
    members[0].status = MemberStatus::Suspended;
    assert_eq!(daily_delta(&before, &state(&members, &pecs)), DailyDelta::NoChanges);
    members[0].name = "Mario Luigi".into();
    let DailyDelta::Changes(rows) = daily_delta(&before, &state(&members, &pecs)) else {
        panic!("expected an update")
    };
    assert_eq!(rows[0].operation, Operation::Update);
}

#[test]
fn the_format_is_configurable() {
    let members = roll();
    let delta = daily_delta(
        &IniPecState::default(),
        &state(&members, &[("CNTNCL82M15G273J", "nicolo.conte@pec.it")]),
    );
    let mut format = IniPecFormat {
        header: false,
        date_format: "%Y-%m-%d".into(),
        encoding: IniPecEncoding::Utf8,
        line_ending: "\n".into(),
        ..IniPecFormat::default()
    };
    format.codes.insert = "I".into();
    assert_eq!(
        String::from_utf8(csv(&delta, &format)).unwrap(),
        "nicolo.conte@pec.it;Nicolò;Conte;1502;CNTNCL82M15G273J;I;2025-06-02;\n"
    );
    format.date_format = "%Q".into();
    let DailyDelta::Changes(rows) = &delta else {
        unreachable!()
    };
    assert_eq!(render_csv(rows, &format), Err(IniPecError::DateFormat("%Q".into())));
}

#[test]
fn a_name_latin1_cannot_hold_is_an_error_naming_the_member() {
    let mut members = roll();
    members[0].surname = "Łukasiewicz".into();
    let delta = daily_delta(
        &IniPecState::default(),
        &state(&members, &[("RSSMRA80A01H501U", "mario.rossi@pec.it")]),
    );
    let DailyDelta::Changes(rows) = &delta else {
        unreachable!()
    };
    assert_eq!(
        render_csv(rows, &IniPecFormat::default()),
        Err(IniPecError::Unencodable {
            codice_fiscale: TaxId::parse("RSSMRA80A01H501U").unwrap(),
            field: "surname",
            character: 'Ł'
        })
    );
}

#[test]
fn a_field_with_the_separator_is_quoted() {
    let mut members = roll();
    members[0].registration_number = Some("12;\"A\"".into());
    let delta = daily_delta(
        &IniPecState::default(),
        &state(&members, &[("RSSMRA80A01H501U", "mario.rossi@pec.it")]),
    );
    let format = IniPecFormat {
        header: false,
        ..IniPecFormat::default()
    };
    assert_eq!(
        csv(&delta, &format),
        b"mario.rossi@pec.it;Mario;Rossi;\"12;\"\"A\"\"\";RSSMRA80A01H501U;2;15/09/2010;\r\n"
    );
}
