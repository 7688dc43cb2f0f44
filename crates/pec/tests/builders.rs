//! Every builder: build -> sign -> parse, and the daticert agrees with the headers.

mod common;

use common::*;
use pec::daticert::{Errore, ReceiptKind, Tipo};
use pec::smime::{SignatureVerdict, TrustVerdict};
use pec::{Parsed, parse};

fn parse_pec(bytes: &[u8]) -> pec::PecMessage {
    match parse(bytes, Some(&trust())) {
        Parsed::Pec(m) => *m,
        Parsed::NotPec(n) => panic!("not PEC: {}", n.reason),
    }
}

#[test]
fn every_message_round_trips_signed_trusted_and_without_findings() {
    for (label, kind, built) in every_message("Fattura n. 12/2026") {
        let m = parse_pec(&built.bytes);
        assert_eq!(m.kind, kind, "{label}");
        assert_eq!(
            m.signature.verdict,
            SignatureVerdict::Valid,
            "{label}: {:?}",
            m.signature.problems
        );
        assert_eq!(m.signature.trust, TrustVerdict::Trusted, "{label}");
        assert_eq!(m.signature.digest_algorithm.as_deref(), Some("sha256"), "{label}");
        assert!(m.findings.is_empty(), "{label}: {:?}", m.findings);
        assert_eq!(
            m.headers.message_id.as_deref(),
            Some(built.message_id.as_str()),
            "{label}"
        );
        assert_eq!(m.daticert, built.daticert, "{label}");
        assert!(
            !built.bytes.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
            "{label}: bare LF"
        );
    }
}

#[test]
fn daticert_matches_the_headers() {
    for (label, kind, built) in every_message("Oggetto di prova") {
        let m = parse_pec(&built.bytes);
        let Some(d) = &m.daticert else {
            assert_eq!(kind, pec::Kind::BustaAnomalia, "{label}");
            continue;
        };
        assert_eq!(Some(d.tipo.clone()), kind.tipo(), "{label}");
        assert_eq!(
            d.msgid.as_deref(),
            m.headers.x_riferimento_message_id.as_deref(),
            "{label}"
        );
        assert_eq!(d.gestore_emittente, NAME, "{label}");
        let subject = m.headers.subject.as_deref().unwrap();
        assert!(subject.ends_with(": Oggetto di prova"), "{label}: {subject}");
        assert_eq!(d.oggetto.as_deref(), Some("Oggetto di prova"));
        assert_eq!(d.time(), Some(at()), "{label}");
        assert_eq!(
            m.headers
                .from
                .as_deref()
                .map(|f| f.contains(&format!("posta-certificata@{DOMAIN}"))),
            Some(true)
        );
        if kind == pec::Kind::BustaTrasporto {
            assert_eq!(
                m.headers.message_id.as_deref(),
                Some(format!("<{}>", d.identificativo).as_str())
            );
            assert_eq!(m.headers.x_tipo_ricevuta.as_deref(), Some("completa"));
        }
    }
}

#[test]
fn envelope_carries_the_certified_copy_with_rewritten_message_id() {
    let (_, _, envelope) = every_message("Copia certificata").remove(0);
    let m = parse_pec(&envelope.bytes);
    let postacert = String::from_utf8(m.postacert.clone().unwrap()).unwrap();
    let d = m.daticert.unwrap();
    assert!(postacert.contains(&format!("Message-ID: <{}>\r\n", d.identificativo)));
    assert!(postacert.contains("X-Riferimento-Message-ID: <client-1234@mua.example>\r\n"));
    assert!(!postacert.contains("\nMessage-ID: <client-1234@mua.example>"));
    assert!(postacert.contains("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK"));
    assert_eq!(
        m.headers.reply_to.as_deref(),
        Some(format!("mario.rossi@{DOMAIN}").as_str())
    );
    assert_eq!(
        m.headers.from.as_deref(),
        Some(format!("\"Per conto di: mario.rossi@{DOMAIN}\" <posta-certificata@{DOMAIN}>").as_str())
    );
    assert!(
        m.headers
            .to
            .as_deref()
            .unwrap()
            .contains("avv.bianchi@pec.altro-gestore.it")
    );
    assert_eq!(
        m.headers.cc.as_deref(),
        Some(format!("segreteria@{DOMAIN}").as_str())
            .map(|s| format!("<{s}>"))
            .as_deref()
    );
    let kinds: Vec<_> = d
        .destinatari
        .iter()
        .map(|x| (x.address.as_str(), x.tipo.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("avv.bianchi@pec.altro-gestore.it", "certificato"),
            ("info@studioverdi.example.com", "esterno"),
            (format!("segreteria@{DOMAIN}").leak() as &str, "certificato")
        ]
    );
}

#[test]
fn delivery_receipt_breve_replaces_attachments_with_hashes() {
    let messages = every_message("Breve");
    let (_, _, breve) = messages.iter().find(|(l, _, _)| *l == "consegna-breve").unwrap();
    let m = parse_pec(&breve.bytes);
    assert_eq!(m.receipt_kind(), Some(ReceiptKind::Breve));
    let original = String::from_utf8(m.postacert.unwrap()).unwrap();
    // SHA-256 of the decoded attachment, in `sha256sum --tag` form.
    let content = base64_decode("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK");
    let hex: String = openssl::sha::sha256(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        original.contains(&format!("SHA256 (fattura.pdf) = {hex}")),
        "{original}"
    );
    assert!(original.contains("filename=\"fattura.pdf.sha256.txt\""));
    assert!(!original.contains("JVBERi0xLjQK"), "the attachment itself must be gone");
    assert!(
        original.contains("Buongiorno, in allegato la fattura."),
        "the text body stays"
    );
}

#[test]
fn delivery_receipt_sintetica_has_no_original_and_completa_has_it_whole() {
    let messages = every_message("Tipi");
    let get = |l: &str| parse_pec(&messages.iter().find(|(x, _, _)| *x == l).unwrap().2.bytes);
    assert!(get("consegna-sintetica").postacert.is_none());
    let completa = get("consegna-completa");
    assert!(
        String::from_utf8(completa.postacert.unwrap())
            .unwrap()
            .contains("JVBERi0xLjQK")
    );
    assert_eq!(
        completa.daticert.unwrap().consegna.as_deref(),
        Some("avv.bianchi@pec.altro-gestore.it")
    );
}

#[test]
fn non_delivery_codes_errore_esteso_as_nota_12() {
    let messages = every_message("Errori");
    let d = |l: &str| {
        parse_pec(&messages.iter().find(|(x, _, _)| *x == l).unwrap().2.bytes)
            .daticert
            .unwrap()
    };
    let no_dest = d("mancata-consegna-no-dest");
    assert_eq!(no_dest.errore, Errore::NoDest);
    assert_eq!(
        no_dest.errore_esteso.as_deref(),
        Some(format!("5.1.1 - {NAME} - indirizzo non valido").as_str())
    );
    assert_eq!(d("mancata-consegna-no-dominio").errore, Errore::NoDominio);
    assert_eq!(d("mancata-consegna-altro").errore, Errore::Altro);
    assert_eq!(d("mancata-consegna-virus").errore, Errore::Virus);
    assert_eq!(d("preavviso-12-ore").tipo, Tipo::PreavvisoErroreConsegna);
    assert!(
        d("mancata-consegna-24-ore")
            .errore_esteso
            .unwrap()
            .starts_with("5.4.7 - ")
    );
}

#[test]
fn virus_notices_carry_their_security_headers() {
    let messages = every_message("Virus");
    let m = |l: &str| parse_pec(&messages.iter().find(|(x, _, _)| *x == l).unwrap().2.bytes);
    assert_eq!(
        m("non-accettazione-virus").headers.x_verifica_sicurezza.as_deref(),
        Some("errore")
    );
    assert!(
        m("non-accettazione-virus")
            .headers
            .subject
            .unwrap()
            .starts_with("AVVISO DI NON ACCETTAZIONE PER VIRUS: ")
    );
    assert_eq!(
        m("mancata-consegna-virus").headers.x_verifica_sicurezza.as_deref(),
        Some("errore")
    );
    let rv = m("rilevazione-virus");
    assert_eq!(
        rv.headers.x_mittente.as_deref(),
        Some(format!("mario.rossi@{DOMAIN}").as_str())
    );
    assert_eq!(rv.headers.to.as_deref(), Some("posta-certificata@pec.altro-gestore.it"));
}

#[test]
fn anomaly_envelope_wraps_the_message_without_certification_data() {
    let messages = every_message("Ordinaria");
    let m = parse_pec(&messages.last().unwrap().2.bytes);
    assert_eq!(m.kind, pec::Kind::BustaAnomalia);
    assert!(m.daticert.is_none());
    assert_eq!(m.postacert.as_deref(), Some(original_bytes("Ordinaria").as_slice()));
    assert_eq!(m.headers.subject.as_deref(), Some("ANOMALIA MESSAGGIO: Ordinaria"));
}

fn base64_decode(s: &str) -> Vec<u8> {
    openssl::base64::decode_block(s).unwrap()
}
