//! The PEC duty (DL 185/2008 art. 16 c.7-bis) through the office: the cycle by
//! date, and the diffida campaign sent through the engine from the Order's
//! mailbox on this installation; on both storage back ends.

mod common;
mod registry_support;

use office::Error;
use office::mailboxes::{self, NewMailbox};
use office::registry::campaign::{self, Campaign, PecDiffide, SentDiffida};
use office::registry::compliance;
use office::registry::members::{self, CommunicatedPec};
use office::registry::pec_checker::CheckLists;
use office::{Office, registry::members::MemberShown};
use registry::model::Channel;
use registry::{MemberStatus, Sex};
use registry_support::{ORDER, Row, add_order, at, day, import, roll, today};
use store::mailboxes::Status;
use store::pec::RecipientState;
use store::sqlx;

const ORDER_PEC: &str = "segreteria@pec.office.test";

fn hospital() -> CheckLists {
    CheckLists {
        provider_domains: vec!["legalmail.it".into()],
        institutional_domains: vec!["ospedale.toscana.it".into()],
    }
}

fn bianchi() -> Row<'static> {
    Row::new(
        "Bianchi",
        "Anna",
        day(1975, 3, 1),
        Sex::Female,
        "anna.bianchi@ospedale.toscana.it",
    )
}

fn conte() -> Row<'static> {
    Row::new(
        "Conte",
        "Nicola",
        day(1982, 8, 15),
        Sex::Male,
        "nicola.conte@ospedale.toscana.it",
    )
}

fn verdi() -> Row<'static> {
    Row::new("Verdi", "Luca", day(1982, 7, 20), Sex::Male, "")
}

fn rossi() -> Row<'static> {
    Row::new("Rossi", "Paolo", day(1970, 5, 5), Sex::Male, "paolo.rossi@legalmail.it")
}

async fn shown(office: &Office, row: &Row<'_>) -> MemberShown {
    members::show(office, ORDER, &row.cf()).await.unwrap()
}

fn kinds(m: &MemberShown) -> Vec<&str> {
    m.steps.iter().map(|s| s.kind.as_str()).collect()
}

#[tokio::test]
async fn the_cycle_runs_by_date_warning_deadline_suspension_restoration() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = hospital();
        import(&office, &roll(&[verdi(), rossi()]), day(2026, 1, 2), &lists).await;
        let report = compliance::report(&office, ORDER, Some(day(2026, 1, 9))).await.unwrap();
        assert_eq!(report.order, ORDER);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["date"], "2026-01-09");
        assert_eq!(json["report"]["without_valid_pec"], serde_json::json!([verdi().cf()]));

        let mut campaign = Campaign {
            order: ORDER,
            date: Some(day(2026, 1, 10)),
            pec: PecDiffide::Send,
            letters: false,
        };
        let e = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("letters"),
                    ..
                }
            ),
            "{e}"
        );
        campaign.letters = true;
        let warned = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap();
        assert_eq!((warned.by_letter, warned.warned_by_pec()), (1, 0));
        assert!(
            warned
                .letters
                .starts_with("Luca Verdi\nVia dei Servi 12\n50122 Firenze (FI)")
                && warned.letters.contains("entro il 09/02/2026"),
            "{}",
            warned.letters
        );
        campaign.date = Some(day(2026, 1, 11));
        let again = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap();
        assert_eq!((again.by_letter, again.by_pec), (0, 0), "nobody is warned twice");

        let due = compliance::due(&office, ORDER, Some(day(2026, 2, 9)), false)
            .await
            .unwrap();
        assert!(due.members.is_empty(), "the 30 days include the 9th of February");
        let due = compliance::due(&office, ORDER, Some(day(2026, 2, 10)), false)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&due.members).unwrap(),
            serde_json::json!([{ "codice_fiscale": verdi().cf(), "deadline": "2026-02-09" }])
        );
        let due = compliance::due(&office, ORDER, Some(day(2026, 2, 11)), true)
            .await
            .unwrap();
        assert_eq!((due.suspended, due.members[0].surname.as_str()), (true, "Verdi"));
        assert_eq!(shown(&office, &verdi()).await.member.status, MemberStatus::Suspended);

        let new = CommunicatedPec {
            order: ORDER,
            codice_fiscale: &verdi().cf(),
            address: "luca.verdi@legalmail.it",
            channel: Channel::ReservedArea,
            date: Some(day(2026, 2, 20)),
            lists: &lists,
        };
        let done = members::set_pec(&office, &new).await.unwrap();
        assert_eq!(
            done.restored.as_deref(),
            Some("suspension of 2026-02-11 lifted, cycle closed")
        );
        let verdi = shown(&office, &verdi()).await;
        assert_eq!(verdi.member.status, MemberStatus::Active);
        assert_eq!(kinds(&verdi), ["letter", "suspension-listed", "suspended", "restored"]);
    })
    .await;
}

/// The Order with its mailbox here, and a roll: Bianchi and Conte with their
/// hospital's PEC (not valid: a diffida by PEC is due), Verdi without any PEC
/// (a letter), Rossi compliant.
async fn order_with_mailbox_here(office: &Office) {
    let mailbox = NewMailbox {
        address: ORDER_PEC,
        password: "segreteria segreteria",
        quota_bytes: 1 << 20,
    };
    mailboxes::add_mailbox(office, &mailbox).await.unwrap();
    add_order(office, ORDER_PEC).await;
    import(
        office,
        &roll(&[bianchi(), conte(), verdi(), rossi()]),
        day(2026, 3, 2),
        &hospital(),
    )
    .await;
}

async fn sent_by_the_order(office: &Office) -> Vec<String> {
    store::pec::sent_by(&mut office.store().conn().await.unwrap(), ORDER_PEC)
        .await
        .unwrap()
}

#[tokio::test]
async fn diffide_go_through_the_engine_once_and_their_delivery_is_recorded() {
    common::on_both(at(), |office| async move {
        order_with_mailbox_here(&office).await;
        let campaign = Campaign {
            order: ORDER,
            date: None,
            pec: PecDiffide::Send,
            letters: true,
        };
        let mut told: Vec<SentDiffida> = Vec::new();
        let report = campaign::warn(&office, &campaign, &mut |s| told.push(s.clone()))
            .await
            .unwrap();
        assert!(report.interrupted.is_none());
        assert_eq!((report.by_pec, report.warned_by_pec(), report.by_letter), (2, 2, 1));
        assert_eq!(report.date, today());
        assert_eq!(told.len(), 2, "each diffida told as it is accepted");
        assert!(report.letters.contains("Luca Verdi") && report.messages.is_none());
        let accepted = sent_by_the_order(&office).await;
        assert_eq!(accepted.len(), 2);
        let bianchi_sent = told
            .iter()
            .find(|s| s.codice_fiscale.as_str() == bianchi().cf())
            .unwrap();
        assert_eq!(bianchi_sent.address, "anna.bianchi@ospedale.toscana.it");
        let steps = shown(&office, &bianchi()).await.steps;
        assert_eq!(steps.len(), 1);
        assert_eq!(
            (steps[0].kind.as_str(), steps[0].message.as_deref()),
            ("warned", Some(bianchi_sent.identificativo.as_str())),
            "the step names the message"
        );

        // Run again: nothing is due, nothing is sent.
        let again = campaign::warn(&office, &campaign, &mut |_| panic!("sent twice"))
            .await
            .unwrap();
        assert_eq!((again.by_pec, again.by_letter), (0, 0));
        // A campaign interrupted after an acceptance, before its step was recorded:
        // the message is found by its Message-ID, not sent again.
        sqlx::query("DELETE FROM registry_compliance WHERE kind = 'warned'")
            .execute(&mut *office.store().conn().await.unwrap())
            .await
            .unwrap();
        let resumed = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap();
        assert_eq!(resumed.sent.len(), 2);
        let mut ids: Vec<&str> = resumed.sent.iter().map(|s| s.identificativo.as_str()).collect();
        ids.sort();
        let mut first: Vec<&str> = told.iter().map(|s| s.identificativo.as_str()).collect();
        first.sort();
        assert_eq!(ids, first);
        assert_eq!(sent_by_the_order(&office).await, accepted, "nothing sent twice");

        // What became of them, from the provider's records: Bianchi's delivered,
        // Conte's not (void: the next diffida goes by letter).
        let mut c = office.store().conn().await.unwrap();
        for (row, state, detail) in [
            (bianchi(), RecipientState::Delivered, None),
            (conte(), RecipientState::Failed, Some("5.1.1 - casella inesistente")),
        ] {
            let s = told.iter().find(|s| s.codice_fiscale.as_str() == row.cf()).unwrap();
            let m = store::pec::by_identificativo(&mut c, &s.identificativo)
                .await
                .unwrap()
                .unwrap();
            assert!(
                store::pec::advance(&mut c, m.id, row.pec, state, detail, office.now_ms())
                    .await
                    .unwrap()
            );
        }
        drop(c);
        let report = compliance::report(&office, ORDER, None).await.unwrap().report;
        let deadline = today() + chrono::Days::new(30);
        assert_eq!(
            serde_json::to_value(&report.warned).unwrap(),
            serde_json::json!([[bianchi().cf(), deadline], [verdi().cf(), deadline]])
        );
        assert_eq!(
            serde_json::to_value(&report.diffida_due).unwrap(),
            serde_json::json!([[conte().cf(), { "channel": "letter" }]])
        );
        let bianchi = shown(&office, &bianchi()).await;
        assert_eq!(kinds(&bianchi), ["warned", "received"]);
        let conte = shown(&office, &conte()).await;
        assert_eq!(kinds(&conte), ["warned", "undelivered"]);
        assert!(
            conte.pec[0]
                .flag
                .as_deref()
                .unwrap()
                .contains("was not delivered: 5.1.1")
        );
    })
    .await;
}

#[tokio::test]
async fn a_campaign_that_cannot_send_from_here_is_refused_or_written_as_texts() {
    common::on_both(at(), |office| async move {
        order_with_mailbox_here(&office).await;
        let mut campaign = Campaign {
            order: ORDER,
            date: Some(today() + chrono::Days::new(1)),
            pec: PecDiffide::Send,
            letters: true,
        };
        let e = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap_err();
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
        assert!(
            e.reason().contains("dated by its acceptance, today (2026-03-10)"),
            "{e}"
        );

        mailboxes::set_status(&office, ORDER_PEC, Status::Suspended)
            .await
            .unwrap();
        campaign.date = None;
        let e = campaign::warn(&office, &campaign, &mut |_| {}).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("messages"),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.reason().contains("is suspended: it cannot send"), "{e}");
        assert!(shown(&office, &bianchi()).await.steps.is_empty(), "nothing recorded");

        campaign.pec = PecDiffide::Texts;
        let texts = campaign::warn(&office, &campaign, &mut |_| panic!("sent"))
            .await
            .unwrap();
        let messages = texts.messages.clone().unwrap();
        assert_eq!(messages.matches("Subject: Diffida ad adempiere").count(), 2);
        assert!(
            messages.starts_with("To: anna.bianchi@ospedale.toscana.it\n"),
            "{messages}"
        );
        assert_eq!((texts.warned_by_pec(), texts.by_letter), (2, 1));
        assert!(sent_by_the_order(&office).await.is_empty());
        assert_eq!(kinds(&shown(&office, &bianchi()).await), ["warned"]);
    })
    .await;
}
