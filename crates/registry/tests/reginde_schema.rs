//! ComunicazioniSoggetti.xml against the project's XSD, with the real
//! `xmllint --noout --schema` (Debian's libxml2-utils; `./run-tests` installs it).

mod common;

use std::path::Path;
use std::process::Command;

use common::member;
use registry::reginde::{self, Operazione, Soggetto, Stato, incremental, subjects, whole_roll, xml};
use registry::{Member, MemberStatus};

const ENTE: &str = "80029990480";

fn schema() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/ComunicazioniSoggetti.xsd"))
}

/// Runs xmllint on the text; Ok when it validates, Err with xmllint's message.
fn xmllint(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(reginde::FILE_NAME);
    std::fs::write(&file, text).unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xmllint ({e}): install libxml2-utils"));
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn ctu(mut m: Member) -> Member {
    m.ctu = true;
    m
}

fn roll() -> Vec<Member> {
    let mut suspended = ctu(member("BNCNNA75C41D612C", "Bianchi", "Anna", "987"));
    suspended.status = MemberStatus::Suspended;
    let mut conte = ctu(member("CNTNCL82M15G273J", "Conte", "Nicolò", "1502"));
    conte.email = Some("nicolo.conte@example.it".into());
    if let Some(d) = conte.legal_domicile.as_mut() {
        d.street = "Via de' Tornabuoni 1 & 2 <interno 3>".into();
        d.phone = Some("055 123456".into());
    }
    vec![
        ctu(member("RSSMRA80A01H501U", "Rossi", "Mario", "1234")),
        suspended,
        conte,
        // Not a court expert: not sent.
        member("VRDLCU90E22F205A", "Verdi", "Luca", "2001"),
    ]
}

fn pec_of(m: &Member) -> Option<&'static str> {
    match m.codice_fiscale.as_str() {
        "RSSMRA80A01H501U" => Some("mario.rossi@pec.it"),
        "CNTNCL82M15G273J" => Some("nicolo.conte@pec.it"),
        _ => None,
    }
}

#[test]
fn the_whole_roll_validates_and_reads_as_expected() {
    let members = roll();
    let (today, refused) = subjects(members.iter().map(|m| (m, pec_of(m))));
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(today.len(), 3);
    let text = xml::render(&whole_roll(ENTE, &today));
    xmllint(&text).unwrap();

    // One subject in full: the layout the schema describes.
    let rossi: Vec<_> = today.values().filter(|s| s.surname == "Rossi").cloned().collect();
    let one = reginde::Comunicazione {
        codice_ente: ENTE.into(),
        whole_roll: true,
        subjects: rossi.into_iter().map(|s| (None, s)).collect(),
    };
    assert_eq!(
        xml::render(&one),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ComunicazioniSoggetti>
  <EnteMittente>80029990480</EnteMittente>
  <ComunicazioneInteroAlbo>true</ComunicazioneInteroAlbo>
  <Soggetti>
    <Soggetto>
      <Ruolo>Altro Professionista</Ruolo>
      <Stato>attivo</Stato>
      <CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale>
      <Cognome>Rossi</Cognome>
      <Nome>Mario</Nome>
      <DataNascita>1980-01-01</DataNascita>
      <LuogoNascita>Firenze</LuogoNascita>
      <ProvinciaNascita>FI</ProvinciaNascita>
      <PEC>mario.rossi@pec.it</PEC>
      <DomicilioLegale>
        <Indirizzo>Via dei Servi 12</Indirizzo>
        <CAP>50122</CAP>
        <Comune>Firenze</Comune>
        <Provincia>FI</Provincia>
      </DomicilioLegale>
    </Soggetto>
  </Soggetti>
</ComunicazioniSoggetti>
"#
    );
    xmllint(&xml::render(&one)).unwrap();
    // Markup in data is escaped.
    assert!(text.contains("<Indirizzo>Via de&apos; Tornabuoni 1 &amp; 2 &lt;interno 3&gt;</Indirizzo>"));
}

#[test]
fn an_incremental_communication_validates_with_its_operations() {
    let mut members = roll();
    let (last, _) = subjects(members.iter().map(|m| (m, pec_of(m))));
    // Rossi is suspended, Bianchi is no longer a court expert, Verdi becomes one.
    members[0].status = MemberStatus::Suspended;
    members[1].ctu = false;
    members[3].ctu = true;
    let (today, _) = subjects(members.iter().map(|m| (m, pec_of(m))));
    let communication = incremental(ENTE, &last, &today).unwrap();
    let operations: Vec<(Option<Operazione>, &str, Stato)> = communication
        .subjects
        .iter()
        .map(|(op, s)| (*op, s.codice_fiscale.as_str(), s.status))
        .collect();
    assert_eq!(
        operations,
        vec![
            (Some(Operazione::Cancellazione), "BNCNNA75C41D612C", Stato::Sospeso),
            (Some(Operazione::Modifica), "RSSMRA80A01H501U", Stato::Sospeso),
            (Some(Operazione::Inserimento), "VRDLCU90E22F205A", Stato::Attivo),
        ]
    );
    let text = xml::render(&communication);
    assert!(text.contains("<ComunicazioneInteroAlbo>false</ComunicazioneInteroAlbo>"));
    assert!(text.contains("<OperazioneRichiesta>modifica</OperazioneRichiesta>"));
    xmllint(&text).unwrap();

    // Nothing changed: no communication at all.
    assert_eq!(incremental(ENTE, &today, &today), None);
}

#[test]
fn broken_files_fail_validation() {
    let members = roll();
    let (today, _) = subjects(members.iter().map(|m| (m, pec_of(m))));
    let good = xml::render(&whole_roll(ENTE, &today));
    xmllint(&good).unwrap();
    let broken = [
        good.replacen("<Stato>attivo</Stato>", "<Stato>in pensione</Stato>", 1),
        good.replacen("<CAP>50122</CAP>", "<CAP>5012</CAP>", 1),
        good.replacen(
            "<CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale>",
            "<CodiceFiscale>RSSMRA80</CodiceFiscale>",
            1,
        ),
        good.replacen("<EnteMittente>80029990480</EnteMittente>", "", 1),
        // No legal domicile.
        {
            let start = good.find("<DomicilioLegale>").unwrap();
            let end = good.find("</DomicilioLegale>").unwrap() + "</DomicilioLegale>".len();
            format!("{}{}", &good[..start], &good[end..])
        },
        good.replacen("</Soggetti>", "", 1),
    ];
    for (i, text) in broken.iter().enumerate() {
        assert_ne!(text, &good, "case {i} changed nothing");
        assert!(xmllint(text).is_err(), "case {i} validated:\n{text}");
    }
}

#[test]
fn members_that_cannot_be_sent_are_reported_with_the_reason() {
    let mut no_domicile = ctu(member("RSSMRA80A01H501U", "Rossi", "Mario", "1234"));
    no_domicile.legal_domicile = None;
    let mut bad_cap = ctu(member("BNCNNA75C41D612C", "Bianchi", "Anna", "987"));
    if let Some(d) = bad_cap.legal_domicile.as_mut() {
        d.postcode = "501".into();
    }
    let err = Soggetto::from_member(&no_domicile, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RSSMRA80A01H501U: no legal domicile (domicilio legale), which ReGIndE requires"
    );
    let err = Soggetto::from_member(&bad_cap, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "BNCNNA75C41D612C: the legal domicile's CAP \"501\" is not 5 digits"
    );
    let members = [no_domicile, bad_cap];
    let (ok, refused) = subjects(members.iter().map(|m| (m, None)));
    assert!(ok.is_empty());
    assert_eq!(refused.len(), 2);
}
