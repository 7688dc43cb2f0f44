//! Fixtures shared by the integration tests: a development PKI and gestore, a
//! submitted original, and every message kind built from them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
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
    pec::build::samples::submission(DOMAIN, subject)
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
    pec::build::samples::every_kind(gestore(), subject, at())
        .unwrap()
        .into_iter()
        .map(|s| (s.label, s.kind, s.built))
        .collect()
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
