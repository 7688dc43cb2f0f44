//! pec-rules.md 3.3 and 4.2: the transport envelope's `Reply-To` and every daticert's
//! `<risposte>` are the original Reply-To, or the sender when there is none. The
//! builders run long after acceptance, from what the access point recorded; these
//! tests follow one message with a Reply-To through every kind a gestore issues
//! about it, at the sender's provider and at the recipient's, on SQLite and on
//! PostgreSQL, and check each against the facts of the original and pec-check.

mod common;

use common::{Net, Provider, on_both};
use engine::access::{FormalProblem, Refusal, Submission};
use pec::Kind;
use pec::build::Certified;
use pec::daticert::{Daticert, Destinatario, Errore, ReceiptKind};
use testkit::conformance::pec_check_bytes as pec_check;

const REPLY_TO: &str = "segreteria@example.it";

/// A message as a client writes it: a text and a PDF attachment (what a breve
/// receipt replaces with its hash).
fn original(from: &str, to: &[&str], subject: &str, msgid: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "From: Mario Rossi <{from}>\r\nTo: {}\r\n{extra_headers}Subject: {subject}\r\n\
         Message-ID: {msgid}\r\nDate: Mon, 02 Mar 2026 10:30:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Buongiorno.\r\n--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         JVBERi0xLjQK\r\n--b1--\r\n",
        to.join(", ")
    )
    .into_bytes()
}

fn with_reply_to(extra: &str) -> String {
    format!("Reply-To: Segreteria <{REPLY_TO}>\r\n{extra}")
}

async fn submit(p: &Provider, from: &str, rcpts: &[&str], raw: &[u8]) -> Submission {
    let rcpts: Vec<String> = rcpts.iter().map(|r| r.to_string()).collect();
    p.engine.submit(from, from, &rcpts, raw).await.unwrap()
}

fn accepted(s: Submission) -> String {
    match s {
        Submission::Accepted { identificativo } => identificativo,
        other => panic!("not accepted: {other:?}"),
    }
}

/// A generated message read back: its kind, its daticert, its Reply-To header.
struct Generated {
    kind: Kind,
    daticert: Option<Daticert>,
    reply_to: Option<String>,
    tipo_ricevuta: Option<String>,
    raw: Vec<u8>,
}

fn read(raw: &[u8]) -> Generated {
    let pec::Parsed::Pec(m) = pec::parse(raw, None) else {
        panic!("not PEC: {}", String::from_utf8_lossy(raw))
    };
    Generated {
        kind: m.kind,
        daticert: m.daticert,
        reply_to: pec::mime::header_value(raw, "Reply-To").map(|v| v.trim().to_string()),
        tipo_ricevuta: pec::mime::header_value(raw, "X-TipoRicevuta").map(|v| v.trim().to_string()),
        raw: raw.to_vec(),
    }
}

/// What every daticert about the message must say of the original.
struct Expected<'a> {
    identificativo: &'a str,
    sender: &'a str,
    risposte: &'a str,
    subject: &'a str,
    msgid: &'a str,
    recipients: &'a [Destinatario],
}

impl Expected<'_> {
    fn check(&self, g: &Generated, ca: &std::path::Path) {
        let d = g
            .daticert
            .as_ref()
            .unwrap_or_else(|| panic!("{} without daticert", g.kind));
        let what = format!("{} of {}", g.kind, self.identificativo);
        assert_eq!(d.identificativo, self.identificativo, "{what}");
        assert_eq!(d.mittente, self.sender, "{what}: mittente");
        assert_eq!(d.risposte, self.risposte, "{what}: risposte");
        assert_eq!(d.oggetto.as_deref(), Some(self.subject), "{what}: oggetto");
        assert_eq!(d.msgid.as_deref(), Some(self.msgid), "{what}: msgid");
        assert_eq!(
            d.destinatari, self.recipients,
            "{what}: destinatari, in the order submitted"
        );
        let findings = pec_check(&g.raw, ca);
        assert!(findings.is_empty(), "{what}: pec-check: {findings:?}");
    }
}

/// The generated messages about `identificativo` in a mailbox.
async fn about(p: &Provider, address: &str, identificativo: &str) -> Vec<Generated> {
    p.mailbox(address)
        .await
        .into_iter()
        .map(|(_, raw)| read(&raw))
        .filter(|g| g.daticert.as_ref().is_some_and(|d| d.identificativo == identificativo))
        .collect()
}

fn only<'a>(list: &'a [Generated], kind: Kind, consegna: Option<&str>) -> &'a Generated {
    let found: Vec<&Generated> = list
        .iter()
        .filter(|g| g.kind == kind)
        .filter(|g| consegna.is_none() || g.daticert.as_ref().unwrap().consegna.as_deref() == consegna)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} for {consegna:?}, found {}", found.len());
    found[0]
}

#[tokio::test]
async fn a_reply_to_reaches_the_envelope_and_every_daticert_of_every_kind() {
    on_both(|backend| async move {
        let mut net = Net::start(backend).await;
        let (nord, sud) = (net.nord(), net.sud());
        let mario = nord.create_mailbox("mario.rossi").await;
        let anna = nord.create_mailbox("anna.bianchi").await;
        let luca = sud.create_mailbox("luca.verdi").await;
        let ghost_sud = sud.address("nessuno");
        let ghost_nord = nord.address("nessuno");
        let ovest = "paolo.neri@ovest.pec.test".to_string();
        let esterno = "ufficio@example.com".to_string();
        let (nord_ca, sud_ca) = (nord.ca.clone(), sud.ca.clone());

        // One message to a local mailbox, a remote one, a remote and a local address
        // that do not exist, a provider that never answers and an ordinary address:
        // submitted in this order, not the alphabetical one.
        let to = [
            luca.as_str(),
            anna.as_str(),
            ghost_sud.as_str(),
            ghost_nord.as_str(),
            ovest.as_str(),
            esterno.as_str(),
        ];
        let subject = "Convocazione assemblea";
        let msgid = "<conv-1@client.test>";
        let raw = original(&mario, &to, subject, msgid, &with_reply_to(""));
        let id = accepted(submit(nord, &mario, &to, &raw).await);
        let recipients = [
            Destinatario::certificato(&luca),
            Destinatario::certificato(&anna),
            Destinatario::certificato(&ghost_sud),
            Destinatario::certificato(&ghost_nord),
            Destinatario::certificato(&ovest),
            Destinatario::esterno(&esterno),
        ];
        let expected = Expected {
            identificativo: &id,
            sender: &mario,
            risposte: REPLY_TO,
            subject,
            msgid,
            recipients: &recipients,
        };
        net.pump().await;
        // The 12-hour preavviso and the 24-hour notice for the provider that never answers.
        net.clock
            .advance(chrono::Duration::hours(12) + chrono::Duration::minutes(1));
        net.pump().await;
        net.clock.advance(chrono::Duration::hours(12));
        net.pump().await;
        let (nord, sud) = (net.nord(), net.sud());

        // The envelope, at the local recipient and at the remote one: its Reply-To too.
        for (p, rcpt) in [(nord, &anna), (sud, &luca)] {
            let got = about(p, rcpt, &id).await;
            let envelope = only(&got, Kind::BustaTrasporto, None);
            assert_eq!(
                envelope.reply_to.as_deref(),
                Some(REPLY_TO),
                "the envelope's Reply-To at {rcpt}"
            );
            assert_eq!(
                envelope.daticert.as_ref().unwrap().ricevuta,
                Some(ReceiptKind::Completa)
            );
            expected.check(envelope, &nord_ca);
        }
        // The ordinary recipient got the same signed envelope through the smarthost.
        assert!(
            net.unanswered
                .iter()
                .any(|s| s.rcpts == [esterno.clone()] && read(&s.message).reply_to.as_deref() == Some(REPLY_TO))
        );

        let to_mario = about(nord, &mario, &id).await;
        expected.check(only(&to_mario, Kind::Accettazione, None), &nord_ca);
        // Delivery receipts: the local one by nord, the remote one by sud.
        let local = only(&to_mario, Kind::AvvenutaConsegna, Some(&anna));
        expected.check(local, &nord_ca);
        let remote = only(&to_mario, Kind::AvvenutaConsegna, Some(&luca));
        expected.check(remote, &sud_ca);
        for r in [local, remote] {
            assert_eq!(r.daticert.as_ref().unwrap().ricevuta, Some(ReceiptKind::Completa));
        }
        // Non-delivery: the unknown address at sud (by sud), the unknown local one (by nord).
        for (rcpt, ca) in [(&ghost_sud, &sud_ca), (&ghost_nord, &nord_ca)] {
            let n = only(&to_mario, Kind::ErroreConsegna, Some(rcpt));
            assert_eq!(n.daticert.as_ref().unwrap().errore, Errore::NoDest);
            expected.check(n, ca);
        }
        // The timeouts for the provider that never answered.
        expected.check(only(&to_mario, Kind::PreavvisoErroreConsegna, Some(&ovest)), &nord_ca);
        let timeout = only(&to_mario, Kind::ErroreConsegna, Some(&ovest));
        expected.check(timeout, &nord_ca);
        // The presa in carico, from sud to nord's receipts address.
        let presa: Vec<Generated> = net
            .seen
            .iter()
            .map(|s| read(&s.message))
            .filter(|g| g.kind == Kind::PresaInCarico)
            .filter(|g| g.daticert.as_ref().unwrap().identificativo == id)
            .collect();
        assert_eq!(presa.len(), 1);
        expected.check(&presa[0], &sud_ca);

        // Breve and sintetica delivery receipts, local and remote.
        for (n, kind) in [(2, ReceiptKind::Breve), (3, ReceiptKind::Sintetica)] {
            let to = [anna.as_str(), luca.as_str()];
            let subject = format!("Ricevuta {kind}");
            let msgid = format!("<conv-{n}@client.test>");
            let extra = with_reply_to(&format!("X-TipoRicevuta: {kind}\r\n"));
            let raw = original(&mario, &to, &subject, &msgid, &extra);
            let id = accepted(submit(net.nord(), &mario, &to, &raw).await);
            net.pump().await;
            let recipients = [Destinatario::certificato(&anna), Destinatario::certificato(&luca)];
            let expected = Expected {
                identificativo: &id,
                sender: &mario,
                risposte: REPLY_TO,
                subject: &subject,
                msgid: &msgid,
                recipients: &recipients,
            };
            let to_mario = about(net.nord(), &mario, &id).await;
            expected.check(only(&to_mario, Kind::Accettazione, None), &nord_ca);
            for (rcpt, ca) in [(&anna, &nord_ca), (&luca, &sud_ca)] {
                let r = only(&to_mario, Kind::AvvenutaConsegna, Some(rcpt));
                assert_eq!(r.daticert.as_ref().unwrap().ricevuta, Some(kind.clone()));
                assert_eq!(r.tipo_ricevuta.as_deref(), Some(kind.as_str()));
                expected.check(r, ca);
            }
            for (p, rcpt) in [(net.nord(), &anna), (net.sud(), &luca)] {
                let got = about(p, rcpt, &id).await;
                let envelope = only(&got, Kind::BustaTrasporto, None);
                assert_eq!(envelope.reply_to.as_deref(), Some(REPLY_TO));
                assert_eq!(envelope.tipo_ricevuta.as_deref(), Some(kind.as_str()));
                expected.check(envelope, &nord_ca);
            }
        }

        // A virus found at sud: its rilevazione virus to nord, nord's avviso di mancata
        // consegna per virus to the sender.
        let to = [luca.as_str()];
        let (subject, msgid) = ("Con allegato infetto", "<conv-4@client.test>");
        let raw = original(&mario, &to, subject, msgid, &with_reply_to(""));
        let id = accepted(submit(net.nord(), &mario, &to, &raw).await);
        net.nord().engine.run_until_idle().await.unwrap();
        let relayed = net.wire.take();
        let envelope = relayed
            .iter()
            .map(|s| read(&s.message))
            .find(|g| g.kind == Kind::BustaTrasporto)
            .expect("the envelope went to sud");
        let facts = Certified::from_daticert(envelope.daticert.as_ref().unwrap()).unwrap();
        assert_eq!(facts.reply_to, REPLY_TO);
        let sud = net.sud();
        let detection = sud
            .engine
            .gestore()
            .virus_detection(
                &facts,
                &luca,
                "Eicar-Test-Signature",
                &net.nord().engine.receipts_address(),
                sud.engine.legal_now(),
            )
            .unwrap();
        let detection_mail = common::Sent {
            port: common::port_of(0),
            mail_from: sud.engine.receipts_address(),
            rcpts: vec![net.nord().engine.receipts_address()],
            message: detection.bytes.clone(),
        };
        net.deliver(detection_mail).await;
        net.pump().await;
        let recipients = [Destinatario::certificato(&luca)];
        let expected = Expected {
            identificativo: &id,
            sender: &mario,
            risposte: REPLY_TO,
            subject,
            msgid,
            recipients: &recipients,
        };
        expected.check(&read(&detection.bytes), &sud_ca);
        let to_mario = about(net.nord(), &mario, &id).await;
        let virus = only(&to_mario, Kind::ErroreConsegna, Some(&luca));
        assert_eq!(virus.daticert.as_ref().unwrap().errore, Errore::Virus);
        expected.check(virus, &nord_ca);

        // Not accepted (a Bcc): the avviso di non accettazione carries the Reply-To too.
        let to = [anna.as_str()];
        let (subject, msgid) = ("Con copia nascosta", "<conv-5@client.test>");
        let extra = with_reply_to(&format!("Bcc: {luca}\r\n"));
        let raw = original(&mario, &to, subject, msgid, &extra);
        let Submission::Refused(Refusal::NotAccepted {
            identificativo,
            problems,
        }) = submit(net.nord(), &mario, &to, &raw).await
        else {
            panic!("a Bcc was accepted")
        };
        assert_eq!(problems, [FormalProblem::Bcc]);
        let recipients = [Destinatario::certificato(&anna)];
        let expected = Expected {
            identificativo: &identificativo,
            sender: &mario,
            risposte: REPLY_TO,
            subject,
            msgid,
            recipients: &recipients,
        };
        let to_mario = about(net.nord(), &mario, &identificativo).await;
        expected.check(only(&to_mario, Kind::NonAccettazione, None), &nord_ca);
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn without_a_reply_to_or_a_recorded_one_the_sender_is_the_reply_address() {
    on_both(|backend| async move {
        let mut net = Net::start(backend).await;
        let nord = net.nord();
        let mario = nord.create_mailbox("mario.rossi").await;
        let anna = nord.create_mailbox("anna.bianchi").await;
        let to = [anna.as_str()];

        // No Reply-To in the original.
        let raw = original(&mario, &to, "Senza Reply-To", "<plain@client.test>", "");
        let plain = accepted(submit(nord, &mario, &to, &raw).await);
        // A Reply-To, but the message was recorded before migration 0006 kept it.
        let raw = original(&mario, &to, "Riga vecchia", "<old@client.test>", &with_reply_to(""));
        let old = accepted(submit(nord, &mario, &to, &raw).await);
        {
            let mut c = nord.engine.store().conn().await.unwrap();
            store::sqlx::query("UPDATE pec_messages SET reply_to = NULL WHERE identificativo = $1")
                .bind(&old)
                .execute(&mut *c)
                .await
                .unwrap();
        }
        net.pump().await;
        let nord = net.nord();
        for id in [&plain, &old] {
            let envelope = about(nord, &anna, id).await;
            let envelope = only(&envelope, Kind::BustaTrasporto, None);
            assert_eq!(envelope.reply_to.as_deref(), Some(mario.as_str()));
            assert_eq!(envelope.daticert.as_ref().unwrap().risposte, mario);
            let to_mario = about(nord, &mario, id).await;
            for kind in [Kind::Accettazione, Kind::AvvenutaConsegna] {
                assert_eq!(only(&to_mario, kind, None).daticert.as_ref().unwrap().risposte, mario);
            }
        }
        net.stop().await;
    })
    .await;
}
