//! Real providers' messages (../shared/vectors/real, see its README): each
//! classifies and verifies exactly as the README table says. The test fails
//! when the folder is missing.

mod common;

use pec::daticert::{self, Errore, ReceiptKind};
use pec::smime::SignatureVerdict;
use pec::{Kind, Parsed, PecMessage, parse};

fn read(name: &str) -> Vec<u8> {
    let path = common::shared_dir().join("vectors/real").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pec(name: &str) -> PecMessage {
    match parse(&read(name), None) {
        Parsed::Pec(m) => *m,
        Parsed::NotPec(n) => panic!("{name} classified as not PEC: {}", n.reason),
    }
}

/// (file, kind, signature verdict) of the README table.
const TABLE: &[(&str, Kind, SignatureVerdict)] = &[
    ("aruba-2014-message1.eml", Kind::BustaTrasporto, SignatureVerdict::Valid),
    ("aruba-2014-message2.eml", Kind::BustaTrasporto, SignatureVerdict::Valid),
    (
        "aruba-2014-message2_accettazione.eml",
        Kind::Accettazione,
        SignatureVerdict::Valid,
    ),
    (
        "aruba-2014-message2_consegna.eml",
        Kind::AvvenutaConsegna,
        SignatureVerdict::Valid,
    ),
    (
        "aruba-2018-accettazione.eml",
        Kind::Accettazione,
        SignatureVerdict::Valid,
    ),
    (
        "sogei-envelope-invio-file.eml",
        Kind::BustaTrasporto,
        SignatureVerdict::Invalid,
    ),
    (
        "sogei-envelope-broken-xml.eml",
        Kind::BustaTrasporto,
        SignatureVerdict::Invalid,
    ),
    (
        "sogei-envelope-sdi-receipt.eml",
        Kind::BustaTrasporto,
        SignatureVerdict::Invalid,
    ),
    (
        "sogei-envelope-no-daticert.eml",
        Kind::BustaTrasporto,
        SignatureVerdict::Invalid,
    ),
    (
        "anon-aruba-accettazione.eml",
        Kind::Accettazione,
        SignatureVerdict::Unreadable,
    ),
    (
        "anon-aruba-mancata-consegna.eml",
        Kind::ErroreConsegna,
        SignatureVerdict::Unreadable,
    ),
    (
        "anon-consegna-sha256.eml",
        Kind::AvvenutaConsegna,
        SignatureVerdict::Unreadable,
    ),
    ("anon-envelope.eml", Kind::BustaTrasporto, SignatureVerdict::Unreadable),
];

#[test]
fn every_vector_is_in_the_table() {
    let dir = common::shared_dir().join("vectors/real");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    let mut known: Vec<String> = TABLE.iter().map(|t| t.0.to_string()).collect();
    known.extend(["plain-simple.eml".to_string(), "plain-dsn-failure.eml".to_string()]);
    known.sort();
    assert_eq!(names, known, "a vector was added or removed: update the table");
}

#[test]
fn kinds_and_signatures_are_as_the_readme_says() {
    for (name, kind, verdict) in TABLE {
        let m = pec(name);
        assert_eq!(m.kind, *kind, "{name}");
        assert_eq!(m.signature.verdict, *verdict, "{name}: {:?}", m.signature.problems);
    }
}

#[test]
fn ordinary_mail_is_not_pec() {
    for name in ["plain-simple.eml", "plain-dsn-failure.eml"] {
        assert!(matches!(parse(&read(name), None), Parsed::NotPec(_)), "{name}");
    }
}

#[test]
fn aruba_2014_envelope_with_lowercase_tiporicevuta() {
    let m = pec("aruba-2014-message1.eml");
    assert_eq!(m.sender(), Some("thinkstudio@pec.it"));
    assert_eq!(m.headers.x_tipo_ricevuta.as_deref(), Some("completa"));
    assert_eq!(m.receipt_kind(), Some(ReceiptKind::Completa));
    assert_eq!(m.signature.key_bits, Some(1024));
    assert_eq!(m.signature.digest_algorithm.as_deref(), Some("sha1"));
    assert!(m.postacert.is_some());
    assert!(m.findings.is_empty(), "{:?}", m.findings);
}

#[test]
fn aruba_2014_envelope_without_tiporicevuta_reads_daticert() {
    let m = pec("aruba-2014-message2.eml");
    assert_eq!(m.headers.x_tipo_ricevuta, None);
    assert_eq!(m.receipt_kind(), Some(ReceiptKind::Completa));
}

#[test]
fn aruba_2014_acceptance_issuer() {
    let m = pec("aruba-2014-message2_accettazione.eml");
    assert_eq!(m.headers.from.as_deref(), Some("posta-certificata@pec.aruba.it"));
    assert!(
        m.signature
            .signer_emails
            .iter()
            .any(|e| e == "posta-certificata@pec.aruba.it"),
        "{:?}",
        m.signature.signer_emails
    );
    assert_eq!(m.signature.valid_at_signing_time, Some(true));
}

#[test]
fn aruba_2014_delivery_receipt_without_tiporicevuta() {
    let m = pec("aruba-2014-message2_consegna.eml");
    let d = m.daticert.as_ref().unwrap();
    assert_eq!(d.consegna.as_deref(), Some("thinkstudio@pec.it"));
    assert_eq!(m.headers.x_tipo_ricevuta, None);
    assert_eq!(m.receipt_kind(), Some(ReceiptKind::Completa));
    assert!(m.findings.is_empty(), "{:?}", m.findings);
}

#[test]
fn aruba_2018_acceptance_facts() {
    let m = pec("aruba-2018-accettazione.eml");
    let d = m.daticert.as_ref().unwrap();
    assert_eq!(d.identificativo, "opec288.20181113163926.01838.310.1.63@pec.aruba.it");
    assert_eq!(
        (d.data.giorno.as_str(), d.data.ora.as_str(), d.data.zona.as_str()),
        ("13/11/2018", "16:39:26", "+0100")
    );
    assert_eq!(m.signature.digest_algorithm.as_deref(), Some("sha1"));
    assert!(
        m.signature
            .signer_emails
            .iter()
            .any(|e| e == "posta-certificata@pec.aruba.it")
    );
    assert!(m.findings.is_empty(), "{:?}", m.findings);
}

#[test]
fn sogei_envelopes_parse_and_report_tampering() {
    for name in [
        "sogei-envelope-invio-file.eml",
        "sogei-envelope-broken-xml.eml",
        "sogei-envelope-sdi-receipt.eml",
    ] {
        let m = pec(name);
        assert_eq!(m.headers.x_tipo_ricevuta.as_deref(), Some("breve"), "{name}");
        assert_eq!(m.sender(), Some("sdi03@pec.fatturapa.it"), "{name}");
        assert_eq!(m.receipt_kind(), Some(ReceiptKind::Breve), "{name}");
        assert!(m.postacert.is_some(), "{name}");
    }
    // The subject says "Ricevuta di consegna", but it is an envelope.
    let sdi = pec("sogei-envelope-sdi-receipt.eml");
    assert!(sdi.headers.subject.unwrap().contains("Ricevuta di consegna"));
}

#[test]
fn sogei_envelope_without_daticert_is_reported() {
    let m = pec("sogei-envelope-no-daticert.eml");
    assert!(m.daticert.is_none());
    assert!(
        m.findings.iter().any(|f| f == "daticert.xml is missing"),
        "{:?}",
        m.findings
    );
    assert!(m.headers.subject.unwrap().to_lowercase().contains("mancata consegna"));
}

#[test]
fn anonymised_non_delivery_keeps_its_facts() {
    let m = pec("anon-aruba-mancata-consegna.eml");
    let d = m.daticert.as_ref().unwrap();
    assert_eq!(d.errore, Errore::NoDest);
    assert_eq!(d.consegna.as_deref(), Some("rec@fakepec.it"));
    assert_eq!(
        d.errore_esteso.as_deref(),
        Some("5.1.1 - FAKE Pec S.p.A. - indirizzo non valido")
    );
    assert!(m.findings.iter().any(|f| f.contains("stray text")), "{:?}", m.findings);
}

#[test]
fn anonymised_sha256_receipt_keeps_non_address_consegna_as_text() {
    let m = pec("anon-consegna-sha256.eml");
    let d = m.daticert.as_ref().unwrap();
    assert_eq!(d.consegna.as_deref(), Some("example.example.com"));
    assert_eq!(m.receipt_kind(), Some(ReceiptKind::Completa));
    let raw = String::from_utf8(read("anon-consegna-sha256.eml")).unwrap();
    assert!(raw.contains("micalg=\"sha-256\""));
}

#[test]
fn anonymised_envelope_with_nested_subject() {
    let m = pec("anon-envelope.eml");
    assert_eq!(
        m.headers.subject.as_deref(),
        Some("POSTA CERTIFICATA: POSTA CERTIFICATA: EXAMPLE")
    );
}

#[test]
fn aruba_daticert_is_written_back_byte_for_byte() {
    for name in [
        "aruba-2018-accettazione.eml",
        "aruba-2014-message2_consegna.eml",
        "aruba-2014-message1.eml",
    ] {
        let raw = read(name);
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let part = message
            .parts
            .iter()
            .find(|p| mail_parser::MimeHeaders::attachment_name(*p) == Some("daticert.xml"))
            .unwrap();
        let (d, findings) = daticert::read(part.contents()).unwrap();
        assert!(findings.is_empty(), "{name}: {findings:?}");
        assert_eq!(daticert::write(&d).as_bytes(), part.contents(), "{name}");
    }
}
