//! The list row's summary of the real providers' messages
//! (../shared/vectors/real): an envelope shows the original's sender and
//! subject, a receipt its own, and no file makes it fail.

mod common;

use pec::summary;

fn read(name: &str) -> Vec<u8> {
    let path = common::shared_dir().join("vectors/real").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn an_arubas_envelope_shows_the_original_inside() {
    let s = summary(&read("aruba-2014-message1.eml"));
    assert_eq!(s.subject, "POSTA CERTIFICATA: Re: archetipo");
    assert_eq!(s.from_address.as_deref(), Some("posta-certificata@pec.aruba.it"));
    assert_eq!(s.from_name.as_deref(), Some("Per conto di: thinkstudio@pec.it"));
    assert_eq!(s.recipients, ["l.battistini@pec.it"]);
    assert_eq!(
        s.message_id.as_deref(),
        Some("opec275.20141107165200.03048.08.1.17@pec.aruba.it")
    );
    assert!(s.date.is_some());
    let inner = s.inner.expect("the original inside");
    assert_eq!(inner.subject, "Re: archetipo");
    assert_eq!(inner.from_address.as_deref(), Some("thinkstudio@pec.it"));
    assert_eq!(inner.from_name.as_deref(), Some("thinkstudio"));
}

#[test]
fn sogeis_envelope_of_an_invoice_shows_the_sdi_as_sender() {
    let s = summary(&read("sogei-envelope-invio-file.eml"));
    let inner = s.inner.expect("the original inside");
    assert_eq!(inner.from_address.as_deref(), Some("sdi03@pec.fatturapa.it"));
    assert_eq!(inner.subject, "Invio File 7339338 (SIMULAZIONE)");
    assert!(s.has_attachments, "the invoice file inside the original");
}

#[test]
fn a_receipt_is_summarised_as_itself() {
    let s = summary(&read("aruba-2018-accettazione.eml"));
    assert_eq!(s.subject, "ACCETTAZIONE: IT03339130126_00009.xml");
    assert_eq!(s.from_address.as_deref(), Some("posta-certificata@pec.aruba.it"));
    assert!(s.inner.is_none());
}

#[test]
fn an_ordinary_message_has_no_original() {
    let s = summary(&read("plain-simple.eml"));
    assert_eq!(s.subject, "Test - Simple Mail");
    assert_eq!(s.from_name.as_deref(), Some("Tozzi APP"));
    assert_eq!(s.recipients, ["biagio.tozzi@gmail.com"]);
    assert!(s.inner.is_none());
}

#[test]
fn every_real_vector_is_summarised_without_failing() {
    let dir = common::shared_dir().join("vectors/real");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let s = summary(&std::fs::read(&path).unwrap());
            assert!(!s.subject.is_empty(), "{}: no subject", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 15, "{seen} vectors");
}
