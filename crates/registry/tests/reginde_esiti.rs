//! Reading ReGIndE's answer, Esiti.xml (registries.md 2.5), in the layout we
//! assume and in others the tolerant reader must also accept.

use registry::reginde::esiti::{EsitiError, FileCode, Severity, SubjectCode, parse_esiti};

/// The layout we assume until a real answer is seen.
const ESITI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Esiti>
  <IdMessaggio>opec210.20250602103000.12345.01.1.1@pec.omceofi.it</IdMessaggio>
  <CodiceEnte>80029990480</CodiceEnte>
  <EsitoSoggetto>
    <CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale>
    <Codice>S000</Codice>
    <Descrizione>Operazione eseguita</Descrizione>
  </EsitoSoggetto>
  <EsitoSoggetto>
    <CodiceFiscale>BNCNNA75C41D612C</CodiceFiscale>
    <Codice>W001</Codice>
    <Descrizione>Soggetto gia' presente per altro ente</Descrizione>
  </EsitoSoggetto>
  <EsitoSoggetto>
    <CodiceFiscale>CNTNCL82M15G273J</CodiceFiscale>
    <Codice>E001</Codice>
    <Descrizione>Indirizzo PEC non valido</Descrizione>
  </EsitoSoggetto>
</Esiti>
"#;

#[test]
fn per_subject_outcomes_are_read() {
    let esiti = parse_esiti(ESITI.as_bytes()).unwrap();
    assert_eq!(
        esiti.message_id.as_deref(),
        Some("opec210.20250602103000.12345.01.1.1@pec.omceofi.it")
    );
    assert_eq!(esiti.codice_ente.as_deref(), Some("80029990480"));
    assert_eq!(esiti.file_outcome, None);
    let read: Vec<(&str, &SubjectCode, Severity, bool)> = esiti
        .subjects
        .iter()
        .map(|s| {
            (
                s.codice_fiscale.as_deref().unwrap(),
                &s.outcome.code,
                s.outcome.code.severity(),
                s.outcome.code.diverged(),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            ("RSSMRA80A01H501U", &SubjectCode::Done, Severity::Success, false),
            (
                "BNCNNA75C41D612C",
                &SubjectCode::PresentUnderAnotherBody,
                Severity::Warning,
                true
            ),
            ("CNTNCL82M15G273J", &SubjectCode::InvalidPec, Severity::Error, false),
        ]
    );
    assert_eq!(
        esiti.subjects[2].outcome.description.as_deref(),
        Some("Indirizzo PEC non valido")
    );
}

#[test]
fn a_whole_file_refusal_is_read() {
    let xml = r#"<Esiti><IdMessaggio>abc@pec.it</IdMessaggio>
        <EsitoComunicazione><Codice>F003</Codice><Descrizione>File non valido</Descrizione></EsitoComunicazione></Esiti>"#;
    let esiti = parse_esiti(xml.as_bytes()).unwrap();
    let outcome = esiti.file_outcome.unwrap();
    assert_eq!(outcome.code, FileCode::NotValidAgainstSchema);
    assert_eq!(outcome.description.as_deref(), Some("File non valido"));
    assert!(esiti.subjects.is_empty());
}

#[test]
fn other_layouts_namespaces_and_attributes_are_tolerated() {
    let xml = r#"<?xml version="1.0"?>
<ns2:Esiti xmlns:ns2="http://www.giustizia.it/reginde/esiti">
  <ns2:Intestazione idMessaggioPec="m1@pec.it" codiceEnte="80029990480"/>
  <ns2:EsitiSoggetti>
    <ns2:EsitoSoggetto cf="rssmra80a01h501u" esito="E003"><ns2:Messaggio>gia&apos; presente</ns2:Messaggio></ns2:EsitoSoggetto>
    <ns2:EsitoSoggetto><ns2:Soggetto><ns2:CF>BNCNNA75C41D612C</ns2:CF></ns2:Soggetto><ns2:Esito>E005</ns2:Esito></ns2:EsitoSoggetto>
    <ns2:EsitoSoggetto>E999</ns2:EsitoSoggetto>
  </ns2:EsitiSoggetti>
</ns2:Esiti>"#;
    let esiti = parse_esiti(xml.as_bytes()).unwrap();
    assert_eq!(esiti.message_id.as_deref(), Some("m1@pec.it"));
    assert_eq!(esiti.codice_ente.as_deref(), Some("80029990480"));
    assert_eq!(esiti.subjects.len(), 3);
    assert_eq!(esiti.subjects[0].codice_fiscale.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(esiti.subjects[0].outcome.code, SubjectCode::AlreadyPresent);
    assert_eq!(esiti.subjects[0].outcome.description.as_deref(), Some("gia' presente"));
    assert_eq!(esiti.subjects[1].codice_fiscale.as_deref(), Some("BNCNNA75C41D612C"));
    assert_eq!(esiti.subjects[1].outcome.code, SubjectCode::UpdateNotPresent);
    assert_eq!(esiti.subjects[2].codice_fiscale, None);
    assert_eq!(esiti.subjects[2].outcome.code, SubjectCode::Generic);
}

#[test]
fn unreadable_answers_are_errors_not_panics() {
    assert!(matches!(parse_esiti(b"<Esiti><Esito"), Err(EsitiError::NotXml { .. })));
    assert!(matches!(parse_esiti(b"<Esiti><A>"), Err(EsitiError::NotXml { .. })));
    assert_eq!(parse_esiti(b"<Esiti><Nulla/></Esiti>"), Err(EsitiError::NoOutcome));
    assert_eq!(parse_esiti(b""), Err(EsitiError::NoOutcome));
    let deep = "<a>".repeat(100) + &"</a>".repeat(100);
    assert_eq!(parse_esiti(deep.as_bytes()), Err(EsitiError::TooDeep));
    assert!(parse_esiti(&[0xff, 0xfe, 0x00, 0x3c]).is_err());
}
