//! Property tests: any subject (UTF-8), up to 60 recipients, any attachments:
//! build -> sign -> parse gives back the same facts, signed and trusted.

mod common;

use common::*;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use pec::daticert::{Destinatario, ReceiptKind};
use pec::original::Original;
use pec::smime::{SignatureVerdict, TrustVerdict};
use pec::{Certified, Parsed, parse};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Submission {
    subject: String,
    recipients: Vec<String>,
    attachments: Vec<(String, Vec<u8>)>,
    kind: ReceiptKind,
}

fn submission() -> impl Strategy<Value = Submission> {
    let subject = "[^\\p{C}]{0,90}".prop_map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
    let address = (
        "[a-z0-9]{1,8}([._-][a-z0-9]{1,6}){0,2}",
        prop::sample::select(vec!["pec.certa-test.it", "pec.altro.it", "example.com"]),
    )
        .prop_map(|(l, d)| format!("{l}@{d}"));
    let recipients = prop::collection::btree_set(address, 1..60).prop_map(|s| s.into_iter().collect());
    let attachment = ("[^\\p{C}/\\\\\"]{1,20}", prop::collection::vec(any::<u8>(), 0..3000));
    let kind = prop::sample::select(vec![ReceiptKind::Completa, ReceiptKind::Breve, ReceiptKind::Sintetica]);
    (subject, recipients, prop::collection::vec(attachment, 0..4), kind).prop_map(
        |(subject, recipients, attachments, kind)| Submission {
            subject,
            recipients,
            attachments,
            kind,
        },
    )
}

fn raw_message(s: &Submission) -> Vec<u8> {
    let mut b = MessageBuilder::new()
        .from(Address::new_address(
            Some("Mittente Prova"),
            "mittente@pec.certa-test.it",
        ))
        .to(Address::new_list(
            s.recipients
                .iter()
                .map(|r| Address::new_address(None::<&str>, r.clone()))
                .collect(),
        ))
        .subject(s.subject.clone())
        .message_id("prop-1@mua.example")
        .header(
            "X-TipoRicevuta",
            mail_builder::headers::raw::Raw::new(s.kind.as_str().to_string()),
        )
        .text_body("Corpo del messaggio, con accenti: àèìòù.");
    for (name, content) in &s.attachments {
        b = b.attachment("application/octet-stream", name.clone(), content.clone());
    }
    b.write_to_vec().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_kind_round_trips(s in submission()) {
        let g = gestore();
        let raw = raw_message(&s);
        let original = Original::parse(&raw).unwrap();
        prop_assert_eq!(&original.subject, &s.subject);
        prop_assert_eq!(original.receipt_kind.clone(), Some(s.kind.clone()));
        let recipients: Vec<Destinatario> = original.recipients().into_iter().map(|a| {
            if a.ends_with("example.com") { Destinatario::esterno(a) } else { Destinatario::certificato(a) }
        }).collect();
        prop_assert_eq!(recipients.len(), s.recipients.len());
        let c = Certified {
            identificativo: g.new_identificativo(at()),
            msgid: original.msgid.clone(),
            sender: original.sender().unwrap().to_string(),
            recipients,
            reply_to: original.reply_address().unwrap().to_string(),
            subject: original.subject.clone(),
            receipt_kind: s.kind.clone(),
        };
        let postacert = original.certified_copy(&c.identificativo);
        let rcpt = s.recipients[0].as_str();
        let built = vec![
            g.transport_envelope(&c, &original, at()).unwrap(),
            g.acceptance(&c, at()).unwrap(),
            g.delivery_receipt(&c, rcpt, &postacert, at()).unwrap(),
            g.non_delivery(&c, rcpt, &pec::build::NonDeliveryReason::unknown_mailbox(), at()).unwrap(),
            g.anomaly_envelope(&raw, None, "posta ordinaria", at()).unwrap(),
        ];
        for b in built {
            let m = match parse(&b.bytes, Some(&trust())) {
                Parsed::Pec(m) => *m,
                Parsed::NotPec(n) => return Err(TestCaseError::fail(n.reason)),
            };
            prop_assert_eq!(&m.signature.verdict, &SignatureVerdict::Valid);
            prop_assert_eq!(&m.signature.trust, &TrustVerdict::Trusted);
            prop_assert!(m.findings.is_empty(), "{:?}", m.findings);
            prop_assert_eq!(&m.daticert, &b.daticert);
            let subject = m.headers.subject.clone().unwrap();
            prop_assert!(subject.ends_with(&format!(": {}", s.subject)) || s.subject.is_empty(), "{}", subject);
            if let Some(d) = &m.daticert {
                prop_assert_eq!(d.oggetto.as_deref(), Some(s.subject.as_str()));
                prop_assert_eq!(d.destinatari.len(), s.recipients.len());
            }
            if m.kind == pec::Kind::AvvenutaConsegna {
                let carried = m.postacert.clone();
                match s.kind {
                    ReceiptKind::Sintetica => prop_assert!(carried.is_none()),
                    ReceiptKind::Completa => prop_assert_eq!(carried.as_deref(), Some(postacert.as_slice())),
                    _ => {
                        let text = String::from_utf8_lossy(carried.as_deref().unwrap()).into_owned();
                        prop_assert_eq!(text.matches("SHA256 (").count(), s.attachments.len());
                    }
                }
            }
        }
    }
}
