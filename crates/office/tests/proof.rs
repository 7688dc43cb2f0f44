//! Proof of a message sent between two providers in process (testkit::net): the
//! original `.eml`, the proof bundle checked with `sha256sum -c` and `openssl cms
//! -verify`, receipts archived outside the quota and kept from deletion, and the
//! public verifier, on both storage back ends.

use std::io::Read;

use engine::access::Submission;
use office::Office;
use store::Backend;
use testkit::bundle::{openssl_verifies, sha256sum_check, unpack};
use testkit::net::{Net, on_both};

/// `nord`'s mario sends a PEC to `sud`'s anna; every job runs and every receipt
/// arrives. Returns the net, nord's office, mario's mailbox id and the identificativo.
async fn sent(backend: Backend) -> (Net, Office, i64, String) {
    let mut net = Net::start(backend).await;
    let mario = net.nord().create_mailbox("mario").await;
    let anna = net.sud().create_mailbox("anna").await;
    let raw = format!(
        "From: {mario}\r\nTo: {anna}\r\nSubject: Diffida ad adempiere\r\nMessage-ID: <diffida-1@client.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSi diffida.\r\n"
    );
    let identificativo = match net
        .nord()
        .engine
        .submit(&mario, &mario, std::slice::from_ref(&anna), raw.as_bytes())
        .await
        .unwrap()
    {
        Submission::Accepted { identificativo } => identificativo,
        other => panic!("{other:?}"),
    };
    net.pump().await;
    let office = Office::new(net.nord().engine.clone());
    let id = mailbox_id(&office, &mario).await;
    (net, office, id, identificativo)
}

async fn mailbox_id(office: &Office, address: &str) -> i64 {
    let mut c = office.store().conn().await.unwrap();
    store::mailboxes::get(&mut c, address).await.unwrap().unwrap().id
}

async fn inbox(office: &Office, mailbox: i64) -> Vec<store::messages::StoredMessage> {
    let mut c = office.store().conn().await.unwrap();
    let folder = store::messages::folder(&mut c, mailbox, "INBOX")
        .await
        .unwrap()
        .unwrap();
    store::messages::list(&mut c, folder.id).await.unwrap()
}

#[tokio::test]
async fn the_proof_bundle_holds_every_receipt_and_every_signature_and_hash_checks_out() {
    on_both(|backend| async move {
        let (net, office, mario, identificativo) = sent(backend).await;
        let bundle = office::proof::bundle(&office, mario, &identificativo).await.unwrap();
        let report = &bundle.report;
        assert_eq!(report.subject, "Diffida ad adempiere");
        assert_eq!(report.recipients.len(), 1);
        assert_eq!(report.recipients[0].state, store::pec::RecipientState::Delivered);
        let kinds: Vec<&str> = report.items.iter().filter_map(|i| i.kind.as_deref()).collect();
        for kind in ["busta-trasporto", "accettazione", "avvenuta-consegna"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        for item in &report.items {
            assert_eq!(item.outcome, pec::verdict::Outcome::ValidTrusted, "{}", item.verdict);
            assert!(item.daticert_file.is_some(), "{}", item.file);
            assert!(item.signer_provider.is_some(), "{}", item.file);
        }
        let delivery = report
            .items
            .iter()
            .find(|i| i.kind.as_deref() == Some("avvenuta-consegna"))
            .unwrap();
        assert_eq!(delivery.signer_provider.as_deref(), Some("Certa Sud S.p.A."));
        assert!(delivery.file.ends_with("-anna@sud.pec.test.eml"), "{}", delivery.file);

        let mut bytes = Vec::new();
        let mut file = bundle.file;
        file.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes.len() as u64, bundle.size);
        let dir = tempfile::tempdir().unwrap();
        let (top, files) = unpack(&bytes, dir.path());
        assert!(top.ends_with(format!("prova-{identificativo}")), "{}", top.display());
        for expected in [
            "messaggio-originale.eml",
            "verifica-firme.json",
            "verifica-firme.txt",
            "riepilogo.html",
            "SHA256SUMS",
        ] {
            assert!(files.iter().any(|f| f == expected), "{expected} missing from {files:?}");
        }
        let (ok, out) = sha256sum_check(&top);
        assert!(ok, "{out}");
        assert_eq!(
            out.lines().count(),
            files.len() - 1,
            "every file but the manifest: {out}"
        );

        // Every signed file verifies with openssl against its provider's CA.
        for item in &report.items {
            let ca = if item.signer_provider.as_deref() == Some("Certa Sud S.p.A.") {
                &net.sud().ca
            } else {
                &net.nord().ca
            };
            assert!(openssl_verifies(&top.join(&item.file), ca), "{}", item.file);
        }
        let original = std::fs::read(top.join("messaggio-originale.eml")).unwrap();
        assert!(String::from_utf8_lossy(&original).contains("Si diffida."));

        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(top.join("verifica-firme.json")).unwrap()).unwrap();
        let check = &json["checks"][0];
        for field in ["outcome", "verdict", "signer_provider", "certificate_file"] {
            assert!(!check[field].is_null(), "{field} in {check}");
        }
        let signature = &check["signature"];
        for field in [
            "signer_subject",
            "signer_certificate_sha256",
            "chain",
            "signing_time",
            "digest_algorithm",
        ] {
            assert!(!signature[field].is_null(), "{field} in {signature}");
        }
        let certificate = check["certificate_file"].as_str().unwrap();
        assert!(
            std::fs::read_to_string(top.join(certificate))
                .unwrap()
                .contains("BEGIN CERTIFICATE")
        );
        let text = std::fs::read_to_string(top.join("verifica-firme.txt")).unwrap();
        assert!(text.contains("signature valid, signer trusted"), "{text}");
        let html = std::fs::read_to_string(top.join("riepilogo.html")).unwrap();
        assert!(!html.contains("<script"), "no script");
        for expected in [
            "Diffida ad adempiere",
            identificativo.as_str(),
            "anna@sud.pec.test",
            "consegnato",
        ] {
            assert!(html.contains(expected), "{expected} missing from the summary");
        }
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_message_is_downloaded_byte_for_byte_and_only_by_its_mailbox() {
    on_both(|backend| async move {
        let (net, office, mario, identificativo) = sent(backend).await;
        let receipt = inbox(&office, mario).await.remove(0);
        let eml = office::proof::eml(&office, mario, receipt.id).await.unwrap();
        assert_eq!(eml.bytes, office.store().blobs().get(&receipt.blob).await.unwrap());
        assert!(
            eml.file_name.ends_with(".eml") && !eml.file_name.contains('/'),
            "{}",
            eml.file_name
        );

        let luigi = net.nord().create_mailbox("luigi").await;
        let luigi = mailbox_id(&office, &luigi).await;
        let e = office::proof::eml(&office, luigi, receipt.id).await.unwrap_err();
        assert!(matches!(e, office::Error::NotFound { field: "message", .. }), "{e}");
        let e = office::proof::bundle(&office, luigi, &identificativo)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                office::Error::NotFound {
                    field: "identificativo",
                    ..
                }
            ),
            "{e}"
        );
        let e = office::proof::eml(&office, mario, 999_999).await.unwrap_err();
        assert!(matches!(e, office::Error::NotFound { .. }), "{e}");
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn receipts_are_archived_outside_the_quota_and_kept_while_their_message_is() {
    on_both(|backend| async move {
        let (net, office, mario, identificativo) = sent(backend).await;
        let receipts = inbox(&office, mario).await;
        let receipt = receipts
            .iter()
            .find(|m| m.pec_kind.as_deref() == Some("accettazione"))
            .unwrap();
        // The webmail's copy of the sent message, in Sent.
        let copy = {
            let mut c = office.store().conn().await.unwrap();
            let sent = store::messages::folder(&mut c, mario, "Sent").await.unwrap().unwrap();
            let blob = office
                .store()
                .blobs()
                .put(b"Subject: Diffida\r\n\r\ncopia\r\n")
                .await
                .unwrap();
            let new = store::messages::NewMessage {
                blob: &blob,
                size: 26,
                internal_date: office.now_ms(),
                flags: &["\\Seen"],
                pec_kind: None,
                identificativo: Some(&identificativo),
            };
            store::messages::append(&mut c, sent.id, &new).await.unwrap()
        };

        let actions = office::receipts::actions(&office, mario, receipt.id).await.unwrap();
        assert_eq!(actions.sent.as_deref(), Some(identificativo.as_str()));
        assert!(actions.to_archive >= 2, "{actions:?}");
        let why = actions.protected.expect("protected");
        assert!(why.contains(&identificativo), "{why}");
        let e = office::receipts::delete(&office, mario, receipt.id).await.unwrap_err();
        assert!(
            matches!(&e, office::Error::Refused { field: Some("message"), reason } if reason.contains("proof")),
            "{e}"
        );

        let used = |office: Office| async move {
            let mut c = office.store().conn().await.unwrap();
            store::mailboxes::by_id(&mut c, mario).await.unwrap().used_bytes
        };
        let before = used(office.clone()).await;
        let archived = office::receipts::archive(&office, mario, copy.id).await.unwrap();
        assert_eq!(archived.moved, actions.to_archive);
        assert_eq!(archived.folder, store::receipts::ARCHIVE_FOLDER);
        assert!(archived.freed_bytes > 0);
        assert_eq!(used(office.clone()).await, before - archived.freed_bytes);
        let again = office::receipts::archive(&office, mario, copy.id).await.unwrap();
        assert_eq!(again.moved, 0, "idempotent");
        // The bundle still finds them in the archive.
        let bundle = office::proof::bundle(&office, mario, &identificativo).await.unwrap();
        assert!(
            bundle
                .report
                .items
                .iter()
                .any(|i| i.kind.as_deref() == Some("accettazione"))
        );

        // A move gives a message a new id: find each again by its identificativo.
        let find = |office: Office, kind: Option<&'static str>| {
            let identificativo = identificativo.clone();
            async move {
                let mut c = office.store().conn().await.unwrap();
                let all = store::messages::list_mailbox(&mut c, mario).await.unwrap();
                all.into_iter()
                    .find(|(_, m)| {
                        m.pec_kind.as_deref() == kind && m.identificativo.as_deref() == Some(&identificativo)
                    })
                    .map(|(_, m)| m.id)
                    .unwrap()
            }
        };
        let receipt = find(office.clone(), Some("accettazione")).await;
        // The copy deleted (to the Trash, then for good), the receipts may go.
        assert!(
            office::receipts::delete(&office, mario, copy.id)
                .await
                .unwrap()
                .to_trash
        );
        let e = office::receipts::delete(&office, mario, receipt).await.unwrap_err();
        assert!(matches!(e, office::Error::Refused { .. }), "still in the Trash: {e}");
        let copy = find(office.clone(), None).await;
        assert!(!office::receipts::delete(&office, mario, copy).await.unwrap().to_trash);
        assert!(
            office::receipts::delete(&office, mario, receipt)
                .await
                .unwrap()
                .to_trash
        );
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_verifier_gives_the_verdict_of_certa_verify() {
    on_both(|backend| async move {
        let (net, office, mario, _) = sent(backend).await;
        let receipt = inbox(&office, mario).await.remove(0);
        let raw = office.store().blobs().get(&receipt.blob).await.unwrap();
        let v = office::verify::verify(&office, raw.clone()).await.unwrap();
        assert_eq!(v.outcome, pec::verdict::Outcome::ValidTrusted, "{}", v.verdict);
        assert_eq!(v.signer_provider.as_deref(), Some("Certa Nord S.p.A."));
        assert_eq!(v.sender.as_deref(), Some("mario@nord.pec.test"));
        assert!(v.legal_time.is_some() && v.identificativo.is_some());
        assert_eq!(
            v.verdict,
            pec::verdict::verdict(&pec::parse(&raw, Some(office.engine().index().trust()))).1
        );

        // A cut S/MIME message: a verdict, not an error.
        let cut = office::verify::verify(&office, raw[..raw.len() * 2 / 3].to_vec())
            .await
            .unwrap();
        assert!(!cut.outcome.signature_matches(), "{}", cut.verdict);
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let v = office::verify::verify(&office, noise).await.unwrap();
        assert_eq!(v.outcome, pec::verdict::Outcome::NotPec);
        let e = office::verify::verify(&office, Vec::new()).await.unwrap_err();
        assert!(matches!(e, office::Error::Invalid { field: "message", .. }), "{e}");
        let e = office::verify::verify(&office, vec![b'a'; office::verify::MAX_SIZE + 1])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("larger than 30 MB"), "{e}");
        net.stop().await;
    })
    .await;
}
