//! The scenarios of `../shared/docs/lifecycle.md` (and issue 5) on a real engine
//! and store, driven by explicit instants in Europe/Rome: the exact notices
//! (dates, channels, texts), the mailbox's status, the subscription's state and
//! expiry, the deletions and the lifecycle log.

#[path = "support/lifecycle.rs"]
mod lifecycle_support;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use engine::access::{Refusal, Submission};
use engine::lifecycle::PaymentOutcome;
use lifecycle_support::*;
use store::lifecycle::NewPayment;
use store::mailboxes::Status;

const SENDER: &str = "segreteria@pec.dcssrl.it";

/// `count` notices a week apart from `first`, at local `h:m`.
fn weekly(first: NaiveDate, count: u64, (h, m): (u32, u32)) -> Vec<String> {
    (0..count)
        .map(|i| {
            let d = first + Days::new(7 * i);
            local(rome(d.year(), d.month(), d.day(), h, m))
        })
        .collect()
}

fn dates(notices: &[Notice]) -> Vec<String> {
    notices.iter().map(|n| local(n.at)).collect()
}

fn renewals(notices: Vec<Notice>) -> Vec<Notice> {
    notices.into_iter().filter(Notice::is_renewal).collect()
}

/// A renewal notice names the mailbox, the expiry, the order, the amount with
/// VAT, the payment methods and the renewal link (issue 5, point 6).
fn assert_renewal_text(bed: &Bed, n: &Notice, mailbox: &str, expiry: &str, order: &str, amount: &str) {
    let config = bed.engine.lifecycle_config();
    // The link names no order: its token opens this one (engine::renewal_link).
    let (before, after) = config.renewal_url.split_once("{token}").expect("a {token} in the link");
    let line = n
        .body
        .lines()
        .find_map(|l| l.strip_prefix("Rinnovo online: "))
        .unwrap_or_else(|| panic!("no renewal link in\n{}", n.body));
    let token = line
        .strip_prefix(before)
        .and_then(|t| t.strip_suffix(after))
        .unwrap_or_else(|| panic!("{line:?} is not {:?}", config.renewal_url));
    let opens = bed.engine.renewal_links().unwrap().check(token, n.at.date_naive());
    assert_eq!(opens.as_deref(), Ok(order), "the link of the notice of {}", local(n.at));
    let mut needles = vec![
        format!("la casella PEC {mailbox} "),
        format!(" {expiry}"),
        format!("Ordine di rinnovo: {order}\n"),
        format!("Importo: {amount}"),
        format!("Causale del bonifico: {order} {mailbox}\n"),
        "Modalità di pagamento:\n".to_string(),
        "il rinnovo decorre dalla scadenza attuale, non dalla data del pagamento".to_string(),
    ];
    assert!(!config.payment_methods.is_empty());
    needles.extend(config.payment_methods.iter().map(|m| format!("- {m}\n")));
    for needle in needles {
        assert!(
            n.body.contains(&needle),
            "notice of {}: {needle:?} missing in\n{}",
            local(n.at),
            n.body
        );
    }
    assert!(
        n.subject.contains(mailbox) && n.subject.contains(expiry),
        "{}",
        n.subject
    );
}

fn payment<'a>(id: &'a str, order: &'a str, cents: i64, at: DateTime<Utc>) -> NewPayment<'a> {
    NewPayment {
        payment_id: id,
        order_id: order,
        source: "bank",
        amount_cents: cents,
        paid_at: store::millis(at),
        detail: None,
    }
}

async fn dcs_bed() -> Bed {
    let bed = Bed::new("pec.dcssrl.it").await;
    bed.put_convention(&example_convention(DCS)).await;
    bed.add_mailbox(SENDER).await;
    bed
}

/// Scenario 1: DCS yearly plan, expiry 2025-03-10, tacit renewal, unpaid.
#[tokio::test]
async fn dcs_unpaid_weekly_notices_suspension_at_eleven_then_closure_with_contents_deleted() {
    let bed = dcs_bed().await;
    let mbox = "mario.rossi@pec.dcssrl.it";
    let row = bed.activate(DCS, "annuale", mbox, rome(2024, 3, 10, 9, 30)).await;
    assert_eq!(row.expiry, "2025-03-10");
    // The holder communicated the box to their Order, whose registry is kept here too.
    let member = {
        let mut c = bed.store().conn().await.unwrap();
        let order = store::registry::StoredOrder {
            code: "CROAS-VEN".into(),
            name: "Ordine degli Assistenti Sociali del Veneto".into(),
            tax_id: "80012345678".into(),
            codice_ente: "80012345678".into(),
            pec: "croas@pec.dcssrl.it".into(),
            delegate: None,
            created_at: 0,
        };
        store::registry::add_order(&mut c, &order).await.unwrap();
        let row = store::registry::MemberRow {
            codice_fiscale: "RSSMRA80A01H501U",
            surname: "Rossi",
            status: "active",
            ctu: false,
            data: "{}",
        };
        let id = store::registry::insert_member(&mut c, "CROAS-VEN", &row, 0)
            .await
            .unwrap();
        let pec = store::registry::NewPec {
            address: mbox,
            communicated_on: "2024-03-11",
            channel: "pec",
            official: true,
            warnings: "[]",
            flag: None,
        };
        store::registry::add_pec(&mut c, id, &pec, 0).await.unwrap();
        id
    };
    bed.set_clock(rome(2024, 5, 2, 10, 0));
    assert!(matches!(
        bed.send_pec(SENDER, mbox, "Convocazione assemblea").await,
        Submission::Accepted { .. }
    ));

    let events = bed
        .run_daily(date(2024, 3, 10), date(2025, 3, 9), &[(9, 0), (12, 0)])
        .await;
    let expected = weekly(date(2024, 12, 10), 13, (9, 0));
    assert_eq!(expected.last().unwrap(), "2025-03-04 09:00");
    let performed: Vec<&str> = events.iter().map(|(at, _)| at.as_str()).collect();
    let twice: Vec<&str> = expected.iter().flat_map(|d| [d.as_str(), d.as_str()]).collect();
    assert_eq!(
        performed, twice,
        "one notice per channel on each notice day: {events:#?}"
    );

    // The same notices, on both channels of the plan, naming one order.
    let orders = bed.orders(mbox).await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    let order = orders[0].id.clone();
    assert_eq!(order, "CRT-2024-000001");
    assert_eq!(orders[0].amount_cents, 793);
    let in_box = renewals(bed.pec_notices(mbox).await);
    let by_mail = renewals(bed.mail_notices(REFERENCE_EMAIL).await);
    assert_eq!(dates(&in_box), expected);
    assert_eq!(dates(&by_mail), expected);
    for n in in_box.iter().chain(&by_mail) {
        assert_renewal_text(
            &bed,
            n,
            mbox,
            "10/03/2025",
            &order,
            "7,93 € IVA inclusa (6,50 € + IVA 22 %)",
        );
        assert!(n.body.contains("scade il 10/03/2025"), "{}", n.body);
        assert_eq!(n.from, bed.engine.management_address());
    }
    assert!(in_box.iter().all(|n| n.to == mbox));
    assert!(by_mail.iter().all(|n| n.to == REFERENCE_EMAIL));

    // Suspended at 11:00 on the expiry day, not a minute before.
    bed.run(rome(2025, 3, 10, 9, 0)).await;
    assert!(bed.run(rome(2025, 3, 10, 10, 59)).await.events.is_empty());
    assert_eq!(bed.status(mbox).await, Status::Active);
    let report = bed.run(rome(2025, 3, 10, 11, 0)).await;
    assert_eq!(report.performed.get("suspend"), Some(&1), "{report:?}");
    assert_eq!(report.performed.len(), 1, "{report:?}");
    assert_eq!(bed.status(mbox).await, Status::Suspended);
    assert_eq!(bed.subscription(mbox).await.0.state, "suspended");
    for n in [bed.pec_notices(mbox).await, bed.mail_notices(REFERENCE_EMAIL).await] {
        let s = n
            .iter()
            .find(|n| n.subject.contains("sospesa"))
            .expect("a suspension notice");
        assert_eq!(local(s.at), "2025-03-10 11:00");
        for needle in [
            "dal 10/03/2025 alle ore 11:00 è sospesa",
            "cancellati definitivamente il 30/03/2025",
            "Ordine di rinnovo: CRT-2024-000001",
            "7,93 €",
        ] {
            assert!(s.body.contains(needle), "{needle:?} in\n{}", s.body);
        }
    }

    // 11:05: a PEC to the box is not delivered (the sender gets a non-delivery
    // notice) and the holder cannot send.
    let in_box_before = bed.messages(mbox).await.len();
    bed.set_clock(rome(2025, 3, 10, 11, 5));
    assert!(matches!(
        bed.send_pec(SENDER, mbox, "Sollecito").await,
        Submission::Accepted { .. }
    ));
    assert_eq!(bed.messages(mbox).await.len(), in_box_before);
    let failed = bed.messages(SENDER).await;
    assert_eq!(
        failed
            .iter()
            .filter(|m| m.pec_kind.as_deref() == Some("errore-consegna"))
            .count(),
        1
    );
    match bed.send_pec(mbox, SENDER, "Risposta").await {
        Submission::Refused(Refusal::MailboxCannotSend {
            status: Status::Suspended,
            ..
        }) => {}
        other => panic!("a suspended box sent: {other:?}"),
    }

    // Still unpaid: closed at 11:00 twenty days later, contents deleted at once.
    let during = bed.run_daily(date(2025, 3, 10), date(2025, 3, 29), &[(12, 0)]).await;
    assert!(during.is_empty(), "{during:#?}");
    assert!(bed.run(rome(2025, 3, 30, 10, 59)).await.events.is_empty());
    let kept: Vec<_> = bed.messages(mbox).await;
    assert_eq!(kept.len(), in_box_before);
    let report = bed.run(rome(2025, 3, 30, 11, 0)).await;
    assert_eq!(
        report.performed.keys().collect::<Vec<_>>(),
        ["close", "delete-contents"],
        "{report:?}"
    );
    assert_eq!(bed.status(mbox).await, Status::Closed);
    // The member who communicated the box no longer has a valid PEC.
    let official = {
        let mut c = bed.store().conn().await.unwrap();
        store::registry::pec_history(&mut c, member).await.unwrap().remove(0)
    };
    assert!(!official.valid);
    assert_eq!(
        official.flag.as_deref(),
        Some("mailbox mario.rossi@pec.dcssrl.it of this provider closed for non-payment on 2025-03-30")
    );
    assert!(bed.log_events(mbox).await.iter().any(|e| e == "registry-flagged"));
    let (row, sub) = bed.subscription(mbox).await;
    assert_eq!(row.state, "deleted");
    assert!(matches!(sub.state, lifecycle::subscription::State::Deleted { .. }));
    assert!(bed.messages(mbox).await.is_empty(), "the contents are deleted");
    assert_eq!(bed.orders(mbox).await[0].state, "cancelled");
    let closed = bed.mail_notices(REFERENCE_EMAIL).await;
    let closed = closed
        .iter()
        .find(|n| n.subject.ends_with(" chiusa"))
        .expect("a closure notice");
    assert_eq!(local(closed.at), "2025-03-30 11:00");
    assert!(
        closed.body.contains("dal 30/03/2025 alle ore 11:00 è chiusa"),
        "{}",
        closed.body
    );

    // The notices' files (referenced by this box alone) go after the one-day grace.
    let only_here: Vec<_> = kept.iter().filter(|m| m.pec_kind.is_none()).collect();
    assert_eq!(only_here.len(), 13 + 1);
    bed.run(rome(2025, 3, 31, 9, 0)).await;
    assert!(only_here.iter().all(|m| bed.blob_file(&m.blob).exists()));
    let report = bed.run(rome(2025, 3, 31, 12, 0)).await;
    assert!(report.blobs_deleted >= only_here.len() as u64, "{report:?}");
    assert!(only_here.iter().all(|m| !bed.blob_file(&m.blob).exists()));
    assert!(
        bed.run_daily(date(2025, 4, 1), date(2025, 4, 5), &[(12, 0)])
            .await
            .is_empty()
    );

    let mut log = bed.log_events(mbox).await;
    log.dedup();
    assert_eq!(
        log,
        [
            "activated",
            "send-notice",
            "suspend",
            "registry-flagged",
            "close",
            "contents-deleted",
            "delete-contents"
        ]
    );
    let closure = bed.log(mbox).await.into_iter().find(|e| e.event == "close").unwrap();
    assert_eq!(local(store::instant(closure.at)), "2025-03-30 11:00");
}

/// Scenario 2: the same box paid on 2025-03-15, during the suspension.
#[tokio::test]
async fn dcs_paid_during_suspension_is_reactivated_at_once_from_the_old_expiry_with_nothing_lost() {
    let bed = dcs_bed().await;
    let mbox = "anna.neri@pec.dcssrl.it";
    bed.activate(DCS, "annuale", mbox, rome(2024, 3, 10, 9, 30)).await;
    bed.set_clock(rome(2024, 5, 2, 10, 0));
    bed.send_pec(SENDER, mbox, "Convocazione assemblea").await;
    bed.run_daily(date(2024, 12, 1), date(2025, 3, 9), &[(9, 0)]).await;
    let report = bed.run(rome(2025, 3, 10, 11, 0)).await;
    assert_eq!(report.performed.get("suspend"), Some(&1), "{report:?}");
    bed.run_daily(date(2025, 3, 11), date(2025, 3, 14), &[(9, 0)]).await;
    assert_eq!(bed.status(mbox).await, Status::Suspended);
    let before = bed.messages(mbox).await;

    // The order every notice named, paid with its amount.
    let order = bed.orders(mbox).await[0].id.clone();
    let paid_at = rome(2025, 3, 15, 10, 30);
    bed.set_clock(paid_at);
    let outcome = bed
        .engine
        .apply_payment(&payment("BON-2025-0315", &order, 793, paid_at), paid_at)
        .await
        .unwrap();
    match outcome {
        PaymentOutcome::Renewed {
            new_expiry,
            reactivated,
            order: paid,
        } => {
            assert_eq!(
                new_expiry,
                date(2026, 3, 10),
                "from the old expiry, not the payment date"
            );
            assert!(reactivated);
            assert_eq!(paid.state, "paid");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bed.status(mbox).await, Status::Active, "reactivated at once");
    let (row, sub) = bed.subscription(mbox).await;
    assert_eq!((row.state.as_str(), row.expiry.as_str()), ("active", "2026-03-10"));
    assert_eq!(sub.last_payment_at, Some(paid_at));

    // Nothing lost: every message is still there, plus the reactivation notice.
    let after = bed.messages(mbox).await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        before
            .iter()
            .all(|m| after.iter().any(|a| a.id == m.id && a.blob == m.blob))
    );
    assert!(after.iter().any(|m| m.pec_kind.as_deref() == Some("busta-trasporto")));
    let notices = bed.pec_notices(mbox).await;
    let renewed = notices.last().unwrap();
    assert_eq!(
        renewed.subject,
        format!("Casella PEC {mbox} rinnovata fino al 10/03/2026")
    );
    assert_eq!(local(renewed.at), "2025-03-15 10:30");
    assert!(renewed.body.contains("scade ora il 10/03/2026"), "{}", renewed.body);

    // It sends and receives again; no closure follows.
    assert!(matches!(
        bed.send_pec(mbox, SENDER, "Eccomi").await,
        Submission::Accepted { .. }
    ));
    assert!(matches!(
        bed.send_pec(SENDER, mbox, "Bentornata").await,
        Submission::Accepted { .. }
    ));
    assert_eq!(
        bed.messages(mbox).await.len(),
        after.len() + 3,
        "envelope, acceptance, delivery receipt"
    );
    assert!(
        bed.run_daily(date(2025, 3, 15), date(2025, 4, 5), &[(12, 0)])
            .await
            .is_empty()
    );
    assert_eq!(bed.status(mbox).await, Status::Active);

    // The next cycle names the new expiry and a new order.
    assert!(bed.run(rome(2025, 12, 9, 9, 0)).await.events.is_empty());
    let report = bed.run(rome(2025, 12, 10, 9, 0)).await;
    assert_eq!(report.performed.get("send-notice"), Some(&2), "{report:?}");
    let next = renewals(bed.pec_notices(mbox).await).pop().unwrap();
    assert_renewal_text(&bed, &next, mbox, "10/03/2026", "CRT-2025-000001", "7,93 €");
    let mut log = bed.log_events(mbox).await;
    log.dedup();
    assert_eq!(
        log,
        [
            "activated",
            "send-notice",
            "suspend",
            "paid",
            "reactivate",
            "send-notice"
        ]
    );
}

/// Scenario 3: Aruba, three-year plan expiring 2027-01-31 (activated 2024-01-31),
/// renewed and paid on 2026-11-02.
#[tokio::test]
async fn aruba_three_year_plan_paid_early_renews_from_the_old_expiry() {
    let bed = Bed::new("pec.it").await;
    bed.put_convention(&example_convention(ARUBA)).await;
    let mbox = "luca.verdi@pec.it";
    let row = bed.activate(ARUBA, "triennale", mbox, rome(2024, 1, 31, 16, 0)).await;
    assert_eq!(row.expiry, "2027-01-31");

    let at = rome(2026, 11, 2, 10, 0);
    bed.set_clock(at);
    let order = office::subscriptions::renew(&bed.office(), mbox, None)
        .await
        .unwrap()
        .order;
    assert_eq!(
        (order.id.as_str(), order.amount_cents, order.renews_expiry.as_str()),
        ("CRT-2026-000001", 488, "2027-01-31")
    );
    let outcome = bed
        .engine
        .apply_payment(&payment("PAYPAL-77", &order.id, 488, at), at)
        .await
        .unwrap();
    assert!(
        matches!(outcome, PaymentOutcome::Renewed { new_expiry, reactivated: false, .. } if new_expiry == date(2030, 1, 31)),
        "{outcome:?}"
    );
    assert_eq!(bed.subscription(mbox).await.0.expiry, "2030-01-31");

    // Neither the notice of 2027-01-01 nor the deactivation of 2027-02-01 happens.
    let events = bed
        .run_daily(date(2026, 11, 2), date(2027, 2, 3), &[(0, 0), (9, 0)])
        .await;
    assert!(events.is_empty(), "{events:#?}");
    assert_eq!(bed.status(mbox).await, Status::Active);

    // The next notice: 30 days before the new expiry, to the reference e-mail only.
    assert!(bed.run(rome(2029, 12, 31, 23, 59)).await.events.is_empty());
    let report = bed.run(rome(2030, 1, 1, 9, 0)).await;
    assert_eq!(report.events.len(), 1, "{report:?}");
    assert!(
        bed.pec_notices(mbox).await.is_empty(),
        "Aruba writes to the reference e-mail only"
    );
    let mail = renewals(bed.mail_notices(REFERENCE_EMAIL).await);
    assert_eq!(dates(&mail), ["2030-01-01 09:00"]);
    assert_renewal_text(
        &bed,
        &mail[0],
        mbox,
        "31/01/2030",
        "CRT-2030-000001",
        "4,88 € IVA inclusa (4,00 € + IVA 22 %)",
    );
    // Unpaid this time: deactivated the day after expiry.
    assert!(bed.run(rome(2030, 1, 31, 23, 59)).await.events.is_empty());
    bed.run(rome(2030, 2, 1, 0, 0)).await;
    assert_eq!(bed.status(mbox).await, Status::Closed);
}

/// Scenario 4: Poste, common expiry 2019-09-30, notices 30 and 5 days before and
/// 25 days after (while the box can only receive).
#[tokio::test]
async fn poste_common_expiry_notices_before_and_after_expiry_while_receive_only() {
    let bed = Bed::new("al.omceo.it").await;
    bed.put_convention(&example_convention(POSTE)).await;
    let mbox = "giulia.bianchi@al.omceo.it";
    let other = "segreteria@al.omceo.it";
    bed.add_mailbox(other).await;
    let row = bed.activate(POSTE, "annuale", mbox, rome(2016, 10, 3, 11, 0)).await;
    assert_eq!(row.expiry, "2019-09-30", "the convention's common expiry");

    let mut events = bed.run_daily(date(2016, 10, 3), date(2019, 9, 30), &[(9, 0)]).await;
    assert!(bed.run(rome(2019, 9, 30, 23, 59)).await.events.is_empty());
    assert_eq!(bed.status(mbox).await, Status::Active);
    let report = bed.run(rome(2019, 10, 1, 0, 0)).await;
    assert_eq!(report.performed.keys().collect::<Vec<_>>(), ["receive-only"]);
    assert_eq!(bed.status(mbox).await, Status::ReceiveOnly);
    bed.set_clock(rome(2019, 10, 2, 10, 0));
    assert!(matches!(
        bed.send_pec(other, mbox, "Verbale").await,
        Submission::Accepted { .. }
    ));
    assert!(
        bed.messages(mbox)
            .await
            .iter()
            .any(|m| m.pec_kind.as_deref() == Some("busta-trasporto")),
        "a receive-only box receives"
    );
    assert!(matches!(
        bed.send_pec(mbox, other, "Risposta").await,
        Submission::Refused(Refusal::MailboxCannotSend {
            status: Status::ReceiveOnly,
            ..
        })
    ));
    events.extend(bed.run_daily(date(2019, 10, 1), date(2019, 10, 30), &[(9, 0)]).await);
    let notices: Vec<_> = events.iter().filter(|(_, e)| e.contains("notice")).collect();
    assert_eq!(notices.len(), 3, "{events:#?}");

    let in_box = renewals(bed.pec_notices(mbox).await);
    assert_eq!(
        dates(&in_box),
        ["2019-08-31 09:00", "2019-09-25 09:00", "2019-10-25 09:00"]
    );
    assert!(
        bed.mail_notices(REFERENCE_EMAIL).await.is_empty(),
        "Poste writes into the PEC mailbox only"
    );
    for n in &in_box {
        assert_renewal_text(&bed, n, mbox, "30/09/2019", "CRT-2019-000001", "16,10 € IVA inclusa");
    }
    assert!(in_box[0].body.contains("scade il 30/09/2019"));
    assert!(
        in_box[2]
            .body
            .contains("è scaduta il 30/09/2019 e non risulta rinnovata")
    );
    assert_eq!(
        in_box[2].subject,
        format!("Casella PEC {mbox} scaduta il 30/09/2019: rinnovo")
    );

    // Blocked at the end of the 30 days; no retention: deleted at once.
    assert!(bed.run(rome(2019, 10, 30, 23, 59)).await.events.is_empty());
    let report = bed.run(rome(2019, 10, 31, 0, 0)).await;
    assert_eq!(
        report.performed.keys().collect::<Vec<_>>(),
        ["close", "delete-contents"]
    );
    assert_eq!(bed.status(mbox).await, Status::Closed);
    assert!(bed.messages(mbox).await.is_empty());
    let mut log = bed.log_events(mbox).await;
    log.dedup();
    assert_eq!(
        log,
        [
            "activated",
            "send-notice",
            "receive-only",
            "send-notice",
            "close",
            "contents-deleted",
            "delete-contents"
        ]
    );
}

/// Scenario 5: a cancellation received as a PEC on 2025-02-01 for a box with
/// tacit renewal expiring 2025-03-10, under a DCS-like convention keeping the
/// data for 30 days.
#[tokio::test]
async fn cancellation_by_pec_stops_notices_ends_service_at_expiry_and_deletes_after_retention() {
    let bed = Bed::new("pec.dcssrl.it").await;
    let source = example_convention(DCS).replace("retention_days = 0", "retention_days = 30");
    bed.put_convention(&source).await;
    bed.add_mailbox(SENDER).await;
    // The convention's cancellation address (named by the notices) and the
    // provider's management address both read by the machine.
    let conv_address = "gestione.servizi@pec.dcssrl.it";
    let management = bed.engine.management_address();
    assert_eq!(management, "gestione@pec.dcssrl.it");
    bed.add_mailbox(conv_address).await;
    bed.add_mailbox(&management).await;
    let mbox = "paolo.gialli@pec.dcssrl.it";
    bed.activate(DCS, "annuale", mbox, rome(2024, 3, 10, 9, 30)).await;
    bed.run_daily(date(2024, 12, 1), date(2025, 1, 31), &[(9, 0)]).await;
    let notices = renewals(bed.pec_notices(mbox).await);
    assert!(
        notices.iter().all(|n| n.body.contains(conv_address)),
        "the notices say where to cancel"
    );

    bed.set_clock(rome(2025, 2, 1, 10, 15));
    bed.send_pec(mbox, conv_address, "Disdetta casella PEC").await;
    bed.send_pec(mbox, &management, "Richiesta informazioni").await;
    bed.send_pec(SENDER, &management, "Recesso dal contratto").await; // no subscription here
    bed.set_clock(rome(2025, 2, 1, 10, 20));
    assert_eq!(bed.engine.process_cancellations().await.unwrap(), 1);
    assert_eq!(
        bed.engine.process_cancellations().await.unwrap(),
        0,
        "each message read once"
    );

    let envelope = bed.messages(conv_address).await.pop().unwrap();
    assert_eq!(envelope.flags, [engine::lifecycle::FLAG_RECORDED]);
    for m in bed.messages(&management).await {
        assert_eq!(m.flags, [engine::lifecycle::FLAG_CHECK], "{m:?}");
    }
    let raw = bed.store().blobs().get(&envelope.blob).await.unwrap();
    let pec::parse::Parsed::Pec(parsed) = pec::parse::parse(&raw, None) else {
        panic!("not a PEC")
    };
    let legal = parsed.daticert.unwrap().time().unwrap().utc();
    assert_eq!(local(legal), "2025-02-01 10:15");
    let (row, sub) = bed.subscription(mbox).await;
    assert_eq!(sub.cancelled_at, Some(legal), "the legal time of the acceptance");
    assert_eq!(row.cancelled_at, Some(store::millis(legal)));
    assert_eq!(bed.orders(mbox).await[0].state, "cancelled");
    let recorded = bed
        .pec_notices(mbox)
        .await
        .into_iter()
        .find(|n| n.subject.ends_with("disdetta registrata"))
        .expect("the holder is told");
    assert!(recorded.body.contains("resta attiva fino alla scadenza del 10/03/2025"));
    assert!(
        recorded.body.contains("cancellati definitivamente il 10/04/2025"),
        "{}",
        recorded.body
    );

    // Recorded again by the operator later: the first legal time stays, no new notice.
    let later = rome(2025, 2, 3, 9, 0);
    let again = bed
        .engine
        .cancel_subscription(mbox, later, "operatore", later)
        .await
        .unwrap();
    assert_eq!(again.cancelled_at, Some(legal));
    let recorded_notices = |n: &Vec<Notice>| n.iter().filter(|n| n.subject.ends_with("disdetta registrata")).count();
    assert_eq!(recorded_notices(&bed.pec_notices(mbox).await), 1);
    assert_eq!(recorded_notices(&bed.mail_notices(REFERENCE_EMAIL).await), 1);

    // No further notices, no suspension at 11:00 on the expiry day.
    let events = bed
        .run_daily(date(2025, 2, 1), date(2025, 3, 10), &[(9, 0), (12, 0)])
        .await;
    assert!(events.is_empty(), "{events:#?}");
    assert!(bed.run(rome(2025, 3, 10, 23, 59)).await.events.is_empty());
    assert_eq!(bed.status(mbox).await, Status::Active);
    assert_eq!(
        dates(&renewals(bed.pec_notices(mbox).await)),
        weekly(date(2024, 12, 10), 8, (9, 0)),
        "the last notice before the cancellation is the one of 28 January"
    );
    assert_eq!(dates(&renewals(bed.mail_notices(REFERENCE_EMAIL).await)).len(), 8);

    // The service ends at the start of the day after expiry; the data stays 30 days.
    let report = bed.run(rome(2025, 3, 11, 0, 0)).await;
    assert_eq!(report.performed.keys().collect::<Vec<_>>(), ["end-service"]);
    assert_eq!(bed.status(mbox).await, Status::Closed);
    assert_eq!(bed.subscription(mbox).await.0.state, "closed");
    let ended = bed.mail_notices(REFERENCE_EMAIL).await.pop().unwrap();
    assert_eq!(
        ended.subject,
        format!("Casella PEC {mbox}: servizio terminato per disdetta")
    );
    assert!(
        ended.body.contains("cancellati definitivamente il 10/04/2025"),
        "{}",
        ended.body
    );
    let kept = bed.messages(mbox).await;
    assert!(!kept.is_empty());
    let events = bed.run_daily(date(2025, 3, 11), date(2025, 4, 9), &[(9, 0)]).await;
    assert!(events.is_empty(), "{events:#?}");
    assert!(bed.run(rome(2025, 4, 9, 23, 59)).await.events.is_empty());
    assert_eq!(bed.messages(mbox).await.len(), kept.len(), "kept for the retention");

    let report = bed.run(rome(2025, 4, 10, 0, 0)).await;
    assert_eq!(report.performed.keys().collect::<Vec<_>>(), ["delete-contents"]);
    assert!(bed.messages(mbox).await.is_empty());
    assert_eq!(bed.subscription(mbox).await.0.state, "deleted");
    let notices: Vec<_> = kept.iter().filter(|m| m.pec_kind.is_none()).collect();
    assert!(notices.iter().all(|m| bed.blob_file(&m.blob).exists()));
    bed.run(rome(2025, 4, 11, 0, 1)).await;
    assert!(notices.iter().all(|m| !bed.blob_file(&m.blob).exists()));

    let mut log = bed.log_events(mbox).await;
    log.dedup();
    assert_eq!(
        log,
        [
            "activated",
            "send-notice",
            "cancelled",
            "end-service",
            "contents-deleted",
            "delete-contents"
        ]
    );
}

/// The Order pays until 2023-12-31, each member from 2024-01-01 (DCS): the box
/// renews itself at the lapse while the Order pays, then the member gets notices
/// and orders, on the same address with the same messages.
#[tokio::test]
async fn order_paid_period_then_member_paid_keeps_the_address_and_messages() {
    let bed = Bed::new("pec.dcssrl.it").await;
    let source = example_convention(DCS).replace("offer = { from = 2024-01-22 }", "offer = { from = 2022-01-01 }");
    bed.put_convention(&source).await;
    bed.add_mailbox(SENDER).await;
    let mbox = "sara.blu@pec.dcssrl.it";
    let first = bed.activate(DCS, "annuale", mbox, rome(2022, 6, 15, 10, 0)).await;
    assert_eq!(first.expiry, "2023-06-15");
    bed.set_clock(rome(2022, 9, 1, 10, 0));
    bed.send_pec(SENDER, mbox, "Benvenuta").await;
    let messages = bed.messages(mbox).await;

    // While the Order pays: no notice, no order, a tacit renewal at the lapse.
    let events = bed.run_daily(date(2023, 1, 1), date(2023, 12, 31), &[(12, 0)]).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].0, "2023-06-15 12:00");
    assert!(
        events[0].1.contains("tacit renewal") && events[0].1.contains("2024-06-15"),
        "{events:?}"
    );
    assert!(bed.pec_notices(mbox).await.is_empty());
    assert!(bed.mail_notices(REFERENCE_EMAIL).await.is_empty());
    assert!(bed.orders(mbox).await.is_empty());
    assert_eq!(bed.status(mbox).await, Status::Active);
    assert_eq!(bed.subscription(mbox).await.0.expiry, "2024-06-15");

    // The member pays from 2024: weekly notices from 90 days before, with the order.
    let events = bed.run_daily(date(2024, 1, 1), date(2024, 4, 30), &[(12, 0)]).await;
    let expected = weekly(date(2024, 3, 17), 7, (12, 0));
    assert_eq!(dates(&renewals(bed.pec_notices(mbox).await)), expected, "{events:#?}");
    assert_eq!(dates(&renewals(bed.mail_notices(REFERENCE_EMAIL).await)), expected);
    let order = bed.orders(mbox).await.remove(0);
    assert_eq!((order.id.as_str(), order.amount_cents), ("CRT-2024-000001", 793));
    for n in renewals(bed.pec_notices(mbox).await) {
        assert_renewal_text(&bed, &n, mbox, "15/06/2024", &order.id, "7,93 €");
    }
    let paid_at = rome(2024, 5, 2, 15, 0);
    bed.set_clock(paid_at);
    let outcome = bed
        .engine
        .apply_payment(&payment("CARD-1", &order.id, 793, paid_at), paid_at)
        .await
        .unwrap();
    assert!(matches!(outcome, PaymentOutcome::Renewed { new_expiry, .. } if new_expiry == date(2025, 6, 15)));
    let events = bed.run_daily(date(2024, 5, 2), date(2024, 7, 1), &[(12, 0)]).await;
    assert!(events.is_empty(), "{events:#?}");

    let (row, sub) = bed.subscription(mbox).await;
    assert_eq!(
        (row.id, row.mailbox.as_str()),
        (first.id, mbox),
        "the same subscription and address"
    );
    assert_eq!((row.state.as_str(), sub.expiry), ("active", date(2025, 6, 15)));
    let now = bed.messages(mbox).await;
    assert!(
        messages.iter().all(|m| now.iter().any(|n| n.id == m.id)),
        "nothing lost"
    );
    let mut log = bed.log_events(mbox).await;
    log.dedup();
    assert_eq!(log, ["activated", "tacit-renew", "send-notice", "paid"]);
}

/// Each notice and transition happens once: the machine run twice at the same
/// instant, and by two nodes at once on the same store.
async fn each_notice_and_transition_once(database: Option<&str>) {
    let bed = Bed::on("pec.dcssrl.it", database).await;
    bed.put_convention(&example_convention(DCS)).await;
    let due = "due@pec.dcssrl.it"; // a notice due (90 days before 2025-06-08)
    let lapsing = "lapsing@pec.dcssrl.it"; // expires today: a notice and the suspension
    let closing = "closing@pec.dcssrl.it"; // suspended 20 days ago: closed and deleted
    bed.activate(DCS, "annuale", due, rome(2024, 6, 8, 9, 0)).await;
    bed.activate(DCS, "annuale", lapsing, rome(2024, 3, 10, 9, 0)).await;
    bed.activate(DCS, "annuale", closing, rome(2024, 2, 18, 9, 0)).await;
    let at = rome(2025, 3, 10, 11, 0);
    bed.set_clock(at);

    let other = bed.second_node().await;
    let (a, b) = tokio::join!(bed.engine.lifecycle_run(at), other.lifecycle_run(at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
    let mut performed = a.performed.clone();
    for (k, n) in &b.performed {
        *performed.entry(k.clone()).or_default() += n;
    }
    let expected: std::collections::BTreeMap<String, usize> =
        [("send-notice", 4), ("suspend", 2), ("close", 1), ("delete-contents", 1)]
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
    assert_eq!(performed, expected, "{a:#?} {b:#?}");

    let check = || async {
        assert_eq!(bed.done_keys().await, 8);
        assert_eq!(bed.pec_notices(due).await.len(), 1);
        assert_eq!(
            bed.pec_notices(lapsing).await.len(),
            2,
            "the last weekly notice and the suspension"
        );
        assert!(bed.messages(closing).await.is_empty());
        let mail = bed.mail_notices(REFERENCE_EMAIL).await;
        let to = |m: &str| mail.iter().filter(|n| n.subject.contains(m)).count();
        assert_eq!((to(due), to(lapsing), to(closing)), (1, 2, 2), "{mail:#?}");
        for m in [due, lapsing] {
            assert_eq!(bed.orders(m).await.len(), 1);
        }
        assert_eq!(bed.status(lapsing).await, Status::Suspended);
        assert_eq!(bed.status(closing).await, Status::Closed);
        let log = bed.log_events(closing).await;
        assert_eq!(log.iter().filter(|e| *e == "close").count(), 1, "{log:?}");
    };
    check().await;
    for engine in [&bed.engine, &other, &bed.engine] {
        let again = engine.lifecycle_run(at).await.unwrap();
        assert!(again.events.is_empty() && again.errors.is_empty(), "{again:?}");
    }
    let (a, b) = tokio::join!(bed.engine.lifecycle_run(at), other.lifecycle_run(at));
    assert!(a.unwrap().events.is_empty() && b.unwrap().events.is_empty());
    check().await;
}

#[tokio::test]
async fn each_notice_and_transition_once_on_sqlite() {
    each_notice_and_transition_once(None).await;
}

#[tokio::test]
async fn each_notice_and_transition_once_on_postgres() {
    let db = PgDatabase::create().await;
    each_notice_and_transition_once(Some(&db.url)).await;
    db.drop_now().await;
}

/// `certa lifecycle bench` on a few hundred subscriptions: every run completes,
/// and a second run at the same instant finds nothing to do.
#[tokio::test]
async fn the_lifecycle_bench_runs_on_a_small_store() {
    let args = certa::cmd::lifecycle::BenchArgs {
        subscriptions: 600,
        runs: 2,
        database: None,
        day: date(2026, 6, 15),
        keep: false,
    };
    let code = certa::cmd::lifecycle::bench(args).await.unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}
