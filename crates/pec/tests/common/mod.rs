//! Fixtures shared by the integration tests: a development PKI and gestore, a
//! submitted original, and every message kind built from them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use pec::build::{NonAcceptanceReason, NonDeliveryReason};
use pec::daticert::{Destinatario, ReceiptKind};
use pec::original::Original;
use pec::smime::{DevPki, Signer, TrustList, dev_pki};
use pec::time::LegalTime;
use pec::{Built, Certified, Gestore, Kind};

pub const DOMAIN: &str = "pec.certa-test.it";
pub const NAME: &str = "Certa Test PEC S.p.A.";

pub fn pki() -> &'static DevPki {
    static PKI: OnceLock<DevPki> = OnceLock::new();
    PKI.get_or_init(|| dev_pki(DOMAIN, NAME, &["localhost"], Utc::now()).expect("dev pki"))
}

pub fn gestore() -> &'static Gestore {
    static G: OnceLock<Gestore> = OnceLock::new();
    G.get_or_init(|| {
        let p = pki();
        let signer = Signer::from_pem(
            p.signer_cert_pem.as_bytes(),
            p.signer_key_pem.as_bytes(),
            p.ca_cert_pem.as_bytes(),
        )
        .expect("signer");
        Gestore::new(NAME, DOMAIN, signer)
    })
}

pub fn trust() -> TrustList {
    let mut t = TrustList::new();
    t.add_certificates(pki().ca_cert_pem.as_bytes()).expect("ca");
    t
}

pub fn at() -> LegalTime {
    LegalTime::from_utc(Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 15).unwrap())
}

/// A submitted message with an attachment.
pub fn original_bytes(subject: &str) -> Vec<u8> {
    format!(
        "From: Mario Rossi <mario.rossi@{DOMAIN}>\r\n\
         To: avv.bianchi@pec.altro-gestore.it, \"Studio Verdi\" <info@studioverdi.example.com>\r\n\
         Cc: segreteria@{DOMAIN}\r\n\
         Subject: {subject}\r\n\
         Message-ID: <client-1234@mua.example>\r\n\
         Date: Mon, 02 Mar 2026 10:30:00 +0100\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\
         \r\n\
         --XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Buongiorno, in allegato la fattura.\r\n\
         --XYZ\r\n\
         Content-Type: application/pdf; name=\"fattura.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"fattura.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\r\n\
         --XYZ--\r\n"
    )
    .into_bytes()
}

pub fn certified_from(original: &Original, kind: ReceiptKind) -> Certified {
    let g = gestore();
    let recipients = original
        .recipients()
        .into_iter()
        .map(|a| {
            if a.ends_with(".example.com") {
                Destinatario::esterno(a)
            } else {
                Destinatario::certificato(a)
            }
        })
        .collect();
    Certified {
        identificativo: g.new_identificativo(at()),
        msgid: original.msgid.clone(),
        sender: original.sender().unwrap().to_string(),
        recipients,
        reply_to: original.reply_address().unwrap().to_string(),
        subject: original.subject.clone(),
        receipt_kind: kind,
    }
}

/// Every message kind a gestore generates, with the kind it must parse as.
pub fn every_message(subject: &str) -> Vec<(&'static str, Kind, Built)> {
    let g = gestore();
    let original = Original::parse(&original_bytes(subject)).unwrap();
    let c = certified_from(&original, ReceiptKind::Completa);
    let envelope = g.transport_envelope(&c, &original, at()).unwrap();
    let postacert = original.certified_copy(&c.identificativo);
    let rcpt = "avv.bianchi@pec.altro-gestore.it";
    let with = |k: ReceiptKind| Certified {
        receipt_kind: k,
        ..c.clone()
    };
    vec![
        ("busta di trasporto", Kind::BustaTrasporto, envelope),
        ("accettazione", Kind::Accettazione, g.acceptance(&c, at()).unwrap()),
        (
            "non accettazione (formale)",
            Kind::NonAccettazione,
            g.non_acceptance(
                &c,
                &NonAcceptanceReason::Formal {
                    code: "5.7.1".into(),
                    text: "mittente non autorizzato".into(),
                },
                at(),
            )
            .unwrap(),
        ),
        (
            "non accettazione (virus)",
            Kind::NonAccettazione,
            g.non_acceptance(
                &c,
                &NonAcceptanceReason::Virus {
                    text: "Eicar-Test-Signature".into(),
                },
                at(),
            )
            .unwrap(),
        ),
        (
            "presa in carico",
            Kind::PresaInCarico,
            g.presa_in_carico(&c, "posta-certificata@pec.altro-gestore.it", at())
                .unwrap(),
        ),
        (
            "consegna completa",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&c, rcpt, &postacert, at()).unwrap(),
        ),
        (
            "consegna breve",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&with(ReceiptKind::Breve), rcpt, &postacert, at())
                .unwrap(),
        ),
        (
            "consegna sintetica",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&with(ReceiptKind::Sintetica), rcpt, &postacert, at())
                .unwrap(),
        ),
        (
            "mancata consegna no-dest",
            Kind::ErroreConsegna,
            g.non_delivery(&c, rcpt, &NonDeliveryReason::unknown_mailbox(), at())
                .unwrap(),
        ),
        (
            "mancata consegna no-dominio",
            Kind::ErroreConsegna,
            g.non_delivery(&c, rcpt, &NonDeliveryReason::unknown_domain(), at())
                .unwrap(),
        ),
        (
            "mancata consegna altro",
            Kind::ErroreConsegna,
            g.non_delivery(&c, rcpt, &NonDeliveryReason::mailbox_full(), at())
                .unwrap(),
        ),
        (
            "preavviso 12 ore",
            Kind::PreavvisoErroreConsegna,
            g.timeout_warning(&c, rcpt, at()).unwrap(),
        ),
        (
            "mancata consegna 24 ore",
            Kind::ErroreConsegna,
            g.timeout_failure(&c, rcpt, at()).unwrap(),
        ),
        (
            "rilevazione virus",
            Kind::RilevazioneVirus,
            g.virus_detection(
                &c,
                rcpt,
                "Eicar-Test-Signature",
                "posta-certificata@pec.altro-gestore.it",
                at(),
            )
            .unwrap(),
        ),
        (
            "mancata consegna per virus",
            Kind::ErroreConsegna,
            g.non_delivery_virus(&c, rcpt, "Eicar-Test-Signature", at()).unwrap(),
        ),
        (
            "busta di anomalia",
            Kind::BustaAnomalia,
            g.anomaly_envelope(
                &original_bytes(subject),
                Some("mario.rossi@example.com"),
                "messaggio di posta ordinaria",
                at(),
            )
            .unwrap(),
        ),
    ]
}

/// `../shared` beside the project root; the tests that read it fail when it is missing.
pub fn shared_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        dir.join("vectors/real").is_dir(),
        "../shared/vectors/real is missing beside the project root ({})",
        dir.display()
    );
    dir
}
