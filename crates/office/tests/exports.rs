//! The files for the national registers through the office: INI-PEC day by
//! day, ReGIndE whole then incremental (and signed and sent as a PEC from the
//! Order's mailbox here), ReGIndE's answers recorded; on both storage back ends.

mod common;
mod registry_support;

use chrono::Days;
use office::mailboxes::{self, NewMailbox};
use office::registry::members::{self, CommunicatedPec};
use office::registry::orders::{self, NewDelegate, NewOrder};
use office::registry::pec_checker::CheckLists;
use office::registry::reginde::{self, Communication, Month, Sending};
use office::registry::{esiti, history, inipec};
use office::{Error, Office};
use pec::smime::Signer;
use registry::Sex;
use registry::inipec::IniPecFormat;
use registry_support::{ORDER, Row, add_order, at, cf, day, import, roll, today};

fn bianchi() -> Row<'static> {
    Row {
        ctu: true,
        ..Row::new(
            "Bianchi",
            "Anna",
            day(1975, 3, 1),
            Sex::Female,
            "anna.bianchi@legalmail.it",
        )
    }
}

fn rossi() -> Row<'static> {
    Row {
        ctu: true,
        ..Row::new("Rossi", "Mario", day(1980, 1, 1), Sex::Male, "mario.rossi@pec.it")
    }
}

fn verdi() -> Row<'static> {
    Row::new("Verdi", "Luca", day(1982, 7, 20), Sex::Male, "luca.verdi@pec.it")
}

async fn export(office: &Office, day: Option<chrono::NaiveDate>) -> office::Result<inipec::IniPecReport> {
    inipec::export(office, ORDER, day, &IniPecFormat::default()).await
}

fn text(file: &Option<Vec<u8>>) -> String {
    String::from_utf8(file.clone().expect("a file")).unwrap()
}

#[tokio::test]
async fn inipec_first_day_next_day_and_a_day_without_changes() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists::default();
        import(&office, &roll(&[bianchi(), rossi(), verdi()]), day(2026, 3, 2), &lists).await;
        let yesterday = today() - Days::new(1);

        // A past day not yet exported: today's roll, said so.
        let first = export(&office, Some(yesterday)).await.unwrap();
        assert_eq!((first.rows, first.again, first.backdated), (3, false, true));
        let header =
            "Indirizzo PEC;Nome;Cognome;Numero Iscrizione;Codice Fiscale;Stato;Data Iscrizione;Data Cancellazione\r\n";
        assert!(text(&first.file).starts_with(header));
        assert_eq!(text(&first.file).matches(";2;").count(), 3, "three insertions");

        let new = CommunicatedPec {
            order: ORDER,
            codice_fiscale: &rossi().cf(),
            address: "m.rossi@legalmail.it",
            channel: registry::model::Channel::Pec,
            date: None,
            lists: &lists,
        };
        members::set_pec(&office, &new).await.unwrap();
        let next = export(&office, None).await.unwrap();
        assert_eq!((next.day, next.rows, next.backdated), (today(), 1, false));
        assert_eq!(
            text(&next.file),
            format!("{header}m.rossi@legalmail.it;Mario;Rossi;1001;{};1;;\r\n", rossi().cf())
        );

        // The same day again: the recorded file; an earlier day and a day to come: refused.
        let again = export(&office, None).await.unwrap();
        assert!(again.again);
        assert_eq!(again.file, next.file);
        let e = export(&office, Some(yesterday - Days::new(1))).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("date"),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.reason().contains("already exported for the later day"), "{e}");
        let e = export(&office, Some(today() + Days::new(1))).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("date"),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.reason().contains("a day to come"), "{e}");

        let history = history::history(&office, ORDER).await.unwrap();
        let days: Vec<(&str, i64)> = history.inipec.iter().map(|e| (e.day.as_str(), e.row_count)).collect();
        assert_eq!(
            days,
            [(yesterday.to_string().as_str(), 3), (today().to_string().as_str(), 1)]
        );
    })
    .await;
}

#[tokio::test]
async fn a_day_without_changes_is_recorded_as_such() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let none = export(&office, None).await.unwrap();
        assert!(none.no_changes && none.file.is_none() && none.rows == 0);
        let history = history::history(&office, ORDER).await.unwrap();
        assert!(history.inipec[0].no_changes);
        let json = serde_json::to_value(&history).unwrap();
        assert_eq!(json["inipec"][0]["no_changes"], true);
        assert!(json["inipec"][0].get("file").is_none());
    })
    .await;
}

#[tokio::test]
async fn reginde_whole_then_incremental_then_nothing() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists::default();
        import(&office, &roll(&[bianchi(), rossi(), verdi()]), day(2026, 3, 2), &lists).await;
        let month = |m: &str| Some(m.parse::<Month>().unwrap());
        let request = |m| Communication {
            order: ORDER,
            month: month(m),
            whole: None,
            send: None,
        };
        let whole = reginde::export(&office, &request("2026-03")).await.unwrap();
        assert!(whole.whole && whole.sent.is_none());
        assert_eq!(whole.subjects, 2, "the court experts");
        let xml = whole.xml.unwrap();
        assert!(xml.contains("<ComunicazioneInteroAlbo>true</ComunicazioneInteroAlbo>"));
        assert!(xml.contains(&bianchi().cf()) && !xml.contains(&verdi().cf()));
        assert_eq!(serde_json::to_value(whole.month).unwrap(), "2026-03");

        let nothing = reginde::export(&office, &request("2026-04")).await.unwrap();
        assert!(!nothing.whole && nothing.xml.is_none());

        let new = CommunicatedPec {
            order: ORDER,
            codice_fiscale: &bianchi().cf(),
            address: "anna@legalmail.it",
            channel: registry::model::Channel::Paper,
            date: None,
            lists: &lists,
        };
        members::set_pec(&office, &new).await.unwrap();
        let incremental = reginde::export(&office, &request("2026-04")).await.unwrap();
        assert_eq!((incremental.whole, incremental.subjects), (false, 1));
        let xml = incremental.xml.unwrap();
        assert!(
            xml.contains("<OperazioneRichiesta>modifica</OperazioneRichiesta>") && xml.contains("anna@legalmail.it")
        );
        let history = history::history(&office, ORDER).await.unwrap();
        let made: Vec<(&str, bool)> = history.reginde.iter().map(|e| (e.month.as_str(), e.whole)).collect();
        assert_eq!(made, [("2026-03", true), ("2026-04", false)]);
        assert!("2026-13".parse::<Month>().is_err());
    })
    .await;
}

/// A self-signed signing certificate whose subject carries `cf` (serialNumber
/// `TINIT-<cf>`), as a qualified signature's does.
fn signer_of(cf: &str) -> Signer {
    use openssl::{asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "Mario Rossi").unwrap();
    name.append_entry_by_text("serialNumber", &format!("TINIT-{cf}"))
        .unwrap();
    let name = name.build();
    let mut cert = x509::X509Builder::new().unwrap();
    cert.set_version(2).unwrap();
    cert.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(30).unwrap()).unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let pem = cert.build().to_pem().unwrap();
    Signer::from_pem(&pem, &key.private_key_to_pem_pkcs8().unwrap(), &[]).unwrap()
}

#[tokio::test]
async fn the_reginde_file_is_sent_only_signed_by_the_delegate_from_the_orders_mailbox_here() {
    let delegate = cf("Rossi", "Mario", day(1960, 4, 2), Sex::Male);
    let (signer, stranger) = (signer_of(&delegate), signer_of(&bianchi().cf()));
    common::on_both(at(), |office| {
        let (delegate, signer, stranger) = (delegate.clone(), signer.clone(), stranger.clone());
        async move {
            let pec = "segreteria@pec.office.test";
            let order = NewOrder {
                code: ORDER,
                name: "Ordine dei Medici",
                tax_id: "80003530484",
                codice_ente: "80003530484",
                pec,
                delegate: Some(NewDelegate {
                    codice_fiscale: &delegate,
                    surname: "Rossi",
                    name: "Mario",
                }),
            };
            orders::add(&office, &order).await.unwrap();
            import(
                &office,
                &roll(&[bianchi(), rossi()]),
                day(2026, 3, 2),
                &CheckLists::default(),
            )
            .await;
            let send = |signer| Communication {
                order: ORDER,
                month: None,
                whole: None,
                send: Some(Sending {
                    to: "prot.dgsia@giustiziacert.it",
                    signer,
                    file_name: "ComunicazioniSoggetti.xml",
                }),
            };
            let e = reginde::export(&office, &send(&signer)).await.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Refused {
                        field: Some("send_to"),
                        ..
                    }
                ),
                "{e}"
            );
            assert!(e.reason().contains("is not a mailbox of this installation"), "{e}");

            let mailbox = NewMailbox {
                address: pec,
                password: "segreteria segreteria",
                quota_bytes: 1 << 20,
            };
            mailboxes::add_mailbox(&office, &mailbox).await.unwrap();
            let e = reginde::export(&office, &send(&stranger)).await.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Refused {
                        field: Some("signer"),
                        ..
                    }
                ),
                "{e}"
            );
            assert!(e.reason().contains("(F001)") && e.reason().contains(&delegate), "{e}");
            assert!(history::history(&office, ORDER).await.unwrap().reginde.is_empty());

            let sent = reginde::export(&office, &send(&signer)).await.unwrap();
            let file = sent.sent.as_ref().expect("sent");
            assert!(file.signer.contains("Mario Rossi"), "{}", file.signer);
            assert_eq!(sent.month.to_string(), "2026-03");
            let history = history::history(&office, ORDER).await.unwrap();
            assert_eq!(
                history.reginde[0].message.as_deref(),
                Some(file.identificativo.as_str())
            );
            let accepted = store::pec::sent_by(&mut office.store().conn().await.unwrap(), pec)
                .await
                .unwrap();
            assert_eq!(accepted, std::slice::from_ref(&file.identificativo));
        }
    })
    .await;
}

#[tokio::test]
async fn esiti_are_recorded_and_read_back() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let (b, r) = (bianchi().cf(), rossi().cf());
        let answer = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Esiti>\n<IdMessaggio>msg-1</IdMessaggio>\n\
             <CodiceEnte>80003530484</CodiceEnte>\n\
             <EsitoSoggetto><CodiceFiscale>{b}</CodiceFiscale><Codice>S000</Codice>\
             <Descrizione>Operazione eseguita</Descrizione></EsitoSoggetto>\n\
             <EsitoSoggetto><CodiceFiscale>{r}</CodiceFiscale><Codice>W001</Codice>\
             <Descrizione>Soggetto gia' presente per altro ente</Descrizione></EsitoSoggetto>\n</Esiti>\n"
        );
        let report = esiti::record(&office, ORDER, answer.as_bytes()).await.unwrap();
        assert!(report.file_refused.is_none());
        let codes: Vec<(&str, &str)> = report
            .subjects
            .iter()
            .map(|e| (e.code.as_str(), e.severity.as_str()))
            .collect();
        assert_eq!(codes, [("S000", "success"), ("W001", "warning")]);
        assert!(report.diverged, "W001: ReGIndE's view differs");
        let recorded = esiti::recorded(&office, ORDER).await.unwrap();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[1].codice_fiscale.as_deref(), Some(r.as_str()));
        let e = esiti::record(&office, ORDER, b"not xml").await.unwrap_err();
        assert_eq!(e.field(), Some("file"), "{e}");
    })
    .await;
}
