//! Two providers (`certa demo`, the real binary) exchanging PEC, driven by Python's
//! smtplib (and swaks when installed): every receipt arrives, signed, verifiable
//! with the openssl command line; formal violations are refused and store nothing.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn identificativo(o: &Outcome) -> String {
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    o.text.rsplit(' ').next().unwrap().to_string()
}

fn for_message<'a>(list: &'a [Stored], id: &str) -> Vec<&'a Stored> {
    list.iter()
        .filter(|m| m.identificativo.as_deref() == Some(id))
        .collect()
}

#[test]
fn same_and_cross_provider_sends_get_every_receipt_signed() {
    let demo = Demo::start(CERTA, None);
    let (sender, _) = demo.user(0, 0);
    let (local, _) = demo.user(0, 1);
    let (remote, _) = demo.user(1, 0);
    let original = message(sender, &[local, remote], &[], "Prova tra gestori", "");
    let outcome = submit(&demo.account(0, 0), sender, &[local, remote], &original, &[]);
    let id = identificativo(&outcome);

    let inbox = wait_until("the receipts", Duration::from_secs(60), || {
        let m = mailbox(&demo.data(0), sender);
        (count(&m, "accettazione") == 1 && count(&m, "avvenuta-consegna") == 2).then_some(m)
    });
    let receipts = for_message(&inbox, &id);
    assert_eq!(receipts.len(), 3, "{inbox:?}");
    let local_box = mailbox(&demo.data(0), local);
    let remote_box = mailbox(&demo.data(1), remote);
    assert_eq!(count(&local_box, "busta-trasporto"), 1);
    assert_eq!(count(&remote_box, "busta-trasporto"), 1);

    // Each receipt verifies against the CA of the provider that signed it.
    let nord_ca = demo.ca_of(0);
    let sud_ca = demo.ca_of(1);
    for r in &receipts {
        let by_nord = openssl_verifies(&r.path, &nord_ca);
        let by_sud = openssl_verifies(&r.path, &sud_ca);
        assert!(by_nord ^ by_sud, "{r:?}: verifies with exactly one provider's CA");
        let ca = if by_nord { &nord_ca } else { &sud_ca };
        assert!(pec_check(&r.path, ca).is_empty(), "{r:?}: {:?}", pec_check(&r.path, ca));
    }
    // One delivery receipt from each provider: the local one signed by nord, the remote by sud.
    let consegne: Vec<_> = receipts
        .iter()
        .filter(|r| r.pec_kind.as_deref() == Some("avvenuta-consegna"))
        .collect();
    assert_eq!(
        consegne.iter().filter(|r| openssl_verifies(&r.path, &sud_ca)).count(),
        1
    );
    for envelope in [&local_box[0], &remote_box[0]] {
        assert!(openssl_verifies(&envelope.path, &nord_ca));
        assert!(pec_check(&envelope.path, &nord_ca).is_empty());
        assert_postacert_is_the_original(&envelope.path, &original, &id);
    }
}

#[test]
fn a_reply_to_is_the_envelopes_reply_to_and_every_receipts_risposte() {
    let demo = Demo::start(CERTA, None);
    let (sender, _) = demo.user(0, 0);
    let (local, _) = demo.user(0, 1);
    let (remote, _) = demo.user(1, 0);
    let reply_to = "segreteria@example.it";
    let original = message(
        sender,
        &[remote, local],
        &[],
        "Rispondere alla segreteria",
        &format!("Reply-To: Segreteria <{reply_to}>\r\n"),
    );
    let id = identificativo(&submit(&demo.account(0, 0), sender, &[remote, local], &original, &[]));
    let inbox = wait_until("the receipts", Duration::from_secs(60), || {
        let m = mailbox(&demo.data(0), sender);
        (count(&m, "accettazione") == 1 && count(&m, "avvenuta-consegna") == 2).then_some(m)
    });
    let envelopes = [
        mailbox(&demo.data(0), local).remove(0),
        mailbox(&demo.data(1), remote).remove(0),
    ];
    let (nord_ca, sud_ca) = (demo.ca_of(0), demo.ca_of(1));
    for m in for_message(&inbox, &id).into_iter().chain(&envelopes) {
        let raw = std::fs::read(&m.path).unwrap();
        let pec::Parsed::Pec(p) = pec::parse(&raw, None) else {
            panic!("{m:?} is not PEC")
        };
        let d = p.daticert.unwrap();
        assert_eq!(d.risposte, reply_to, "{m:?}");
        assert_eq!(
            d.destinatari.iter().map(|x| x.address.as_str()).collect::<Vec<_>>(),
            [remote, local],
            "{m:?}: in the order submitted"
        );
        if m.pec_kind.as_deref() == Some("busta-trasporto") {
            assert_eq!(pec::mime::header_value(&raw, "Reply-To").as_deref(), Some(reply_to));
        }
        let ca = if openssl_verifies(&m.path, &nord_ca) {
            &nord_ca
        } else {
            &sud_ca
        };
        assert!(pec_check(&m.path, ca).is_empty(), "{m:?}: {:?}", pec_check(&m.path, ca));
    }
}

/// The envelope's postacert.eml equals the original apart from the rewritten Message-ID.
fn assert_postacert_is_the_original(envelope: &Path, original: &[u8], id: &str) {
    let raw = std::fs::read(envelope).unwrap();
    let pec::Parsed::Pec(m) = pec::parse(&raw, None) else {
        panic!("not PEC")
    };
    let postacert = String::from_utf8(m.postacert.unwrap()).unwrap();
    let original = String::from_utf8(original.to_vec()).unwrap();
    let client_id = original
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap()
        .to_string();
    assert!(
        postacert.contains(&format!("\r\nMessage-ID: <{id}>\r\n")),
        "{postacert}"
    );
    assert!(postacert.contains(&format!("\r\nX-Riferimento-Message-ID: {client_id}\r\n")));
    let strip = |s: &str| -> String {
        s.split_inclusive("\r\n")
            .filter(|l| !l.starts_with("Message-ID:") && !l.starts_with("X-Riferimento-Message-ID:"))
            .collect()
    };
    assert_eq!(strip(&postacert), strip(&original));
}

#[test]
fn many_recipients_on_both_providers_and_an_ordinary_address() {
    let sink_dir = tempfile::tempdir().unwrap();
    let (_sink, port) = start_sink(sink_dir.path());
    let demo = Demo::start(CERTA, Some(port));
    let (sender, _) = demo.user(0, 0);
    let nord2 = demo.user(0, 1).0;
    let (sud1, sud2) = (demo.user(1, 0).0, demo.user(1, 1).0);
    let ordinary = "cliente@example.com";
    let original = message(sender, &[nord2, sud1, ordinary], &[sud2], "Molti destinatari", "");
    let id = identificativo(&submit(
        &demo.account(0, 0),
        sender,
        &[nord2, sud1, ordinary, sud2],
        &original,
        &[],
    ));
    let inbox = wait_until("the receipts", Duration::from_secs(60), || {
        let m = mailbox(&demo.data(0), sender);
        (count(&m, "avvenuta-consegna") == 3).then_some(m)
    });
    // The ordinary address gets the signed envelope by plain SMTP, and no receipt follows.
    let delivered = wait_until("the envelope at the ordinary server", Duration::from_secs(30), || {
        std::fs::read(sink_dir.path().join("1.eml")).ok()
    });
    assert!(String::from_utf8_lossy(&delivered).contains("X-Trasporto: posta-certificata"));
    assert_eq!(
        std::fs::read_to_string(sink_dir.path().join("1.rcpt")).unwrap(),
        ordinary
    );
    std::thread::sleep(Duration::from_secs(2));
    let inbox_after = mailbox(&demo.data(0), sender);
    assert_eq!(
        inbox_after.len(),
        inbox.len(),
        "nothing more arrives for the ordinary recipient"
    );
    assert_eq!(count(&inbox_after, "accettazione"), 1);
    assert_eq!(count(&inbox_after, "avvenuta-consegna"), 3);
    assert_eq!(for_message(&inbox_after, &id).len(), 4);
    // The acceptance lists every recipient, the ordinary one as esterno.
    let acceptance = inbox_after
        .iter()
        .find(|m| m.pec_kind.as_deref() == Some("accettazione"))
        .unwrap();
    let pec::Parsed::Pec(a) = pec::parse(&std::fs::read(&acceptance.path).unwrap(), None) else {
        panic!()
    };
    let d = a.daticert.unwrap();
    assert_eq!(d.destinatari.len(), 4);
    assert_eq!(d.destinatari.iter().filter(|x| x.tipo.as_str() == "esterno").count(), 1);
    assert_eq!(count(&mailbox(&demo.data(0), nord2), "busta-trasporto"), 1);
    for m in [sud1, sud2] {
        assert_eq!(count(&mailbox(&demo.data(1), m), "busta-trasporto"), 1);
    }
}

#[test]
fn formal_violations_are_refused_and_nothing_is_stored() {
    let demo = Demo::start(CERTA, None);
    let (sender, _) = demo.user(0, 0);
    let (other, _) = demo.user(0, 1);
    let (remote, _) = demo.user(1, 0);
    let acct = demo.account(0, 0);

    // Spoofed From: the header says another mailbox.
    let spoofed = message(other, &[remote], &[], "Falso mittente", "");
    let o = submit(&acct, sender, &[remote], &spoofed, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 550), "{o:?}");
    // Reverse-path of another mailbox: refused at MAIL FROM.
    let o = submit(&acct, other, &[remote], &spoofed, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("mail", 550), "{o:?}");
    // Bcc.
    let bcc = message(sender, &[remote], &[], "Con Bcc", &format!("Bcc: {other}\r\n"));
    let o = submit(&acct, sender, &[remote, other], &bcc, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 550), "{o:?}");
    // Envelope recipients not in To/Cc.
    let hidden = message(sender, &[remote], &[], "Destinatario nascosto", "");
    let o = submit(&acct, sender, &[remote, other], &hidden, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 550), "{o:?}");
    // Without AUTH on submission.
    let o = submit(&acct, sender, &[remote], &hidden, &["--no-auth"]);
    assert_eq!((o.stage.as_str(), o.code), ("mail", 530), "{o:?}");
    // AUTH before TLS: not even offered.
    let o = submit(&acct, sender, &[remote], &hidden, &["--no-tls"]);
    assert_eq!(o.stage, "auth", "{o:?}");
    // Relay through the receiving point to a domain that is not ours.
    let inbound = Account {
        port: demo.provider(0)["inbound_port"].as_u64().unwrap() as u16,
        ..demo.account(0, 0)
    };
    let o = submit(
        &inbound,
        "someone@example.org",
        &["victim@example.com"],
        &hidden,
        &["--no-auth"],
    );
    assert_eq!((o.stage.as_str(), o.code), ("rcpt", 550), "{o:?}");

    std::thread::sleep(Duration::from_secs(2));
    // Nothing was accepted: no acceptance, no envelope anywhere; the sender got the notices.
    let inbox = mailbox(&demo.data(0), sender);
    assert_eq!(count(&inbox, "accettazione"), 0);
    assert_eq!(count(&inbox, "non-accettazione"), 3, "{inbox:?}");
    for n in inbox
        .iter()
        .filter(|m| m.pec_kind.as_deref() == Some("non-accettazione"))
    {
        assert!(openssl_verifies(&n.path, &demo.ca_of(0)));
        assert!(
            pec_check(&n.path, &demo.ca_of(0)).is_empty(),
            "{:?}",
            pec_check(&n.path, &demo.ca_of(0))
        );
    }
    assert!(mailbox(&demo.data(0), other).is_empty());
    assert!(mailbox(&demo.data(1), remote).is_empty());
    let log = certa()
        .args(["log", "search", "--json", "--data"])
        .arg(demo.data(0))
        .output()
        .unwrap();
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    let events: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(!events.contains(&"Accettazione"), "{events:?}");
    assert_eq!(events.iter().filter(|e| **e == "NonAccettazione").count(), 3);
}

#[test]
fn swaks_sends_a_pec() {
    testkit::process::require("swaks", "swaks");
    let version = std::process::Command::new("swaks").arg("--version").output().unwrap();
    assert!(version.status.success());
    let demo = Demo::start(CERTA, None);
    let (sender, password) = demo.user(0, 0);
    let (remote, _) = demo.user(1, 1);
    let port = demo.provider(0)["submission_port"].as_u64().unwrap().to_string();
    let out = std::process::Command::new("swaks")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
        ])
        .arg(demo.info["ca_certificate"].as_str().unwrap())
        .args(["--auth", "LOGIN", "--auth-user", sender, "--auth-password", password])
        .args([
            "--from",
            sender,
            "--to",
            remote,
            "--h-Subject",
            "Inviata con swaks",
            "--body",
            "Prova swaks",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("<~  250 2.0.0 accepted"), "{text}");
    wait_until("the delivery receipt", Duration::from_secs(60), || {
        (count(&mailbox(&demo.data(0), sender), "avvenuta-consegna") == 1).then_some(())
    });
}

#[test]
fn ordinary_mail_and_untrusted_envelopes_become_anomalies_and_sigterm_stops_cleanly() {
    let mut demo = Demo::start(CERTA, None);
    let (rcpt, _) = demo.user(1, 0);
    let inbound = Account {
        port: demo.provider(1)["inbound_port"].as_u64().unwrap() as u16,
        ..demo.account(1, 0)
    };
    // Ordinary mail from the Internet.
    let plain = message("someone@example.org", &[rcpt], &[], "Posta ordinaria", "");
    let o = submit(&inbound, "someone@example.org", &[rcpt], &plain, &["--no-auth"]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    // A well-formed, signed envelope from a provider that is not in the index.
    let samples = tempfile::tempdir().unwrap();
    assert!(
        certa()
            .args(["samples", "--out"])
            .arg(samples.path())
            .output()
            .unwrap()
            .status
            .success()
    );
    let forged = std::fs::read(samples.path().join("01-busta-trasporto.eml")).unwrap();
    let o = submit(
        &inbound,
        "mario.rossi@pec.certa-demo.it",
        &[rcpt],
        &forged,
        &["--no-auth"],
    );
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");

    let inbox = wait_until("two anomaly envelopes", Duration::from_secs(60), || {
        let m = mailbox(&demo.data(1), rcpt);
        (count(&m, "busta-anomalia") == 2).then_some(m)
    });
    assert_eq!(inbox.len(), 2);
    for m in &inbox {
        assert!(openssl_verifies(&m.path, &demo.ca_of(1)));
        let pec::Parsed::Pec(p) = pec::parse(&std::fs::read(&m.path).unwrap(), None) else {
            panic!()
        };
        let wraps_an_envelope =
            String::from_utf8_lossy(p.postacert.as_deref().unwrap()).contains("X-Trasporto: posta-certificata");
        let findings = pec_check(&m.path, &demo.ca_of(1));
        if wraps_an_envelope {
            // pec-rules.md 3.9: a PEC object that is not valid here arrives as an anomaly with
            // its own daticert still inside the original; pec-check walks into the original.
            assert_eq!(
                findings,
                vec!["an anomaly envelope carries no certification data, but daticert.xml is present"]
            );
        } else {
            assert!(findings.is_empty(), "{findings:?}");
        }
        assert_eq!(p.kind, pec::Kind::BustaAnomalia);
        assert!(p.headers.subject.unwrap().starts_with("ANOMALIA MESSAGGIO: "));
    }
    // SIGTERM: the providers stop and the process exits cleanly.
    demo.proc.terminate();
    let status = demo.proc.0.try_wait().unwrap().expect("stopped");
    assert!(status.success(), "{status:?}");
}
