//! Activation by convention code (issue 13): the offer a code shows, an order
//! with its reservation, the order paid (the mailbox created, active, the
//! holder told), a declined payment, a reservation that lapses unpaid, and the
//! refusals that leave nothing behind; on both storage back ends.

mod common;
mod lifecycle_support;

use lifecycle::money::Money;
use lifecycle::subscription::Pricing;
use lifecycle_support::{ARUBA, POSTE, convention, example, rome};
use office::activation::{self, NewActivation, Stage};
use office::payments::{self, Payment, PaymentReport};
use office::{Error, Office};
use serde_json::json;

const GIULIA_CF: &str = "BNCGLI80A41A182V";
const OTHER_CF: &str = "RSSMRA85T10A562S";

fn giulia<'a>(mailbox: &'a str, tax_id: &'a str) -> NewActivation<'a> {
    NewActivation {
        code: ARUBA,
        plan: "triennale",
        mailbox,
        tax_id,
        holder_name: "Giulia Bianchi",
        billing_address: "Via Po 2, 15121 Alessandria",
        email: Some("giulia@example.com"),
        password: "una password lunga",
    }
}

fn card(order_id: &str, cents: i64, payment_id: &str) -> Payment<'static> {
    Payment {
        order_id: Box::leak(order_id.to_string().into_boxed_str()),
        amount: Money::from_cents(cents),
        payment_id: Box::leak(payment_id.to_string().into_boxed_str()),
        paid_at: None,
        source: "webhook",
        detail: Some("card"),
    }
}

/// Whether `address` exists as a mailbox, and the messages of its INBOX.
async fn inbox(office: &Office, address: &str) -> Option<i64> {
    let mut c = office.store().conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, address).await.unwrap()?;
    drop(c);
    let folders = office::mail::folders(office, m.id).await.unwrap();
    folders.iter().find(|f| f.name == "INBOX").map(|f| f.messages)
}

fn field(e: &Error) -> Option<&'static str> {
    e.field()
}

#[tokio::test]
async fn a_code_shows_its_offer_at_the_convention_price_or_the_list_price_after_the_window() {
    common::on_both(rome(2026, 12, 2, 10, 0), |office| async move {
        convention(&office, ARUBA).await;
        convention(&office, POSTE).await;
        let offer = activation::offer(&office, " omceo-al-0056 ").await.unwrap();
        assert_eq!(offer.code, ARUBA);
        assert_eq!(offer.pricing, Pricing::Convention);
        assert_eq!(offer.domains, vec!["pec.it".to_string()]);
        let plan = &offer.plans[0];
        assert_eq!(
            (plan.name.as_str(), plan.first_term_months, plan.renewal),
            ("triennale", 36, "explicit")
        );
        assert_eq!(
            serde_json::to_value(plan.price).unwrap(),
            json!({"net": "4.00", "vat_percent": "22 %", "gross": "4.88"})
        );
        // Poste's window closed in 2016: its list price applies, as the convention says.
        let poste = activation::offer(&office, POSTE).await.unwrap();
        assert_eq!(poste.pricing, Pricing::ListPrice);
        assert_eq!(poste.plans[0].price.net, Money::from_cents(2500));

        let wrong = activation::offer(&office, "OMCEO-XX-0000").await.unwrap_err();
        assert!(matches!(wrong, Error::NotFound { .. }), "{wrong}");
        assert!(wrong.reason().contains("no convention has the code"), "{wrong}");
        assert!(!wrong.reason().contains(POSTE), "other codes are not told: {wrong}");

        // A window that ended without a list price refuses, naming the day.
        let ended = example(ARUBA).replace(ARUBA, "OMCEO-AL-0057").replace(
            "offer = { from = 2018-12-01 }",
            "offer = { from = 2018-12-01, to = 2019-01-31 }",
        );
        office::conventions::create(&office, &ended, false).await.unwrap();
        let e = activation::offer(&office, "OMCEO-AL-0057").await.unwrap_err();
        assert!(matches!(e, Error::Refused { .. }), "{e}");
        assert!(e.reason().contains("ended on 31/01/2019"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn an_order_reserves_the_name_and_its_payment_creates_the_mailbox_once() {
    common::on_both(rome(2026, 12, 2, 10, 0), |office| async move {
        convention(&office, ARUBA).await;
        let free = activation::check_name(&office, ARUBA, "Giulia.Bianchi", None)
            .await
            .unwrap();
        assert!(free.available, "{free:?}");
        assert_eq!(free.address, "giulia.bianchi@pec.it");

        // Without a reference e-mail the plan's notices fall back to the PEC mailbox.
        let new = NewActivation {
            email: None,
            ..giulia("giulia.bianchi", GIULIA_CF)
        };
        let ordered = activation::order(&office, &new).await.unwrap();
        assert_eq!(ordered.mailbox, "giulia.bianchi@pec.it");
        assert_eq!(
            (ordered.order.amount_cents, ordered.order.state.as_str()),
            (488, "open")
        );
        assert_eq!(ordered.reserved_until, rome(2026, 12, 4, 10, 0));
        assert_eq!(
            inbox(&office, "giulia.bianchi@pec.it").await,
            None,
            "no mailbox before payment"
        );

        // Reserved: another holder cannot take it, the same holder is told it is theirs.
        let taken = activation::check_name(&office, ARUBA, "giulia.bianchi", Some(OTHER_CF))
            .await
            .unwrap();
        assert!(
            !taken.available && taken.reason.contains("reserved by another order"),
            "{taken:?}"
        );
        let e = activation::order(&office, &giulia("giulia.bianchi", OTHER_CF))
            .await
            .unwrap_err();
        assert_eq!(field(&e), Some("mailbox"), "{e}");
        let mine = activation::check_name(&office, ARUBA, "giulia.bianchi", Some(GIULIA_CF))
            .await
            .unwrap();
        assert!(mine.available && mine.reason.contains(&ordered.order.id), "{mine:?}");

        let page = activation::page(&office, &ordered.token).await.unwrap();
        assert_eq!(page.stage, Stage::Reserved);
        assert_eq!(
            page.transfer_reference,
            format!("{} giulia.bianchi@pec.it", ordered.order.id)
        );

        let paid = payments::record(&office, &card(&ordered.order.id, 488, "card-1"))
            .await
            .unwrap();
        assert!(
            matches!(&paid, PaymentReport::Activated { mailbox, expiry, .. }
                if mailbox == "giulia.bianchi@pec.it" && expiry.to_string() == "2029-12-02"),
            "{paid:?}"
        );
        // The holder is told in the new mailbox; the password chosen at the order opens it.
        assert_eq!(inbox(&office, "giulia.bianchi@pec.it").await, Some(1));
        let login = office::login::log_in(
            &office,
            "giulia.bianchi@pec.it",
            "una password lunga",
            "127.0.0.1".parse().unwrap(),
        )
        .await
        .unwrap();
        assert!(login.is_ok(), "the password of the order opens the mailbox");
        let shown = office::subscriptions::show(&office, "giulia.bianchi@pec.it")
            .await
            .unwrap();
        assert_eq!(shown.expiry.to_string(), "2029-12-02");
        assert_eq!(shown.orders[0].id, ordered.order.id);
        assert_eq!(
            activation::page(&office, &ordered.token).await.unwrap().stage,
            Stage::Active
        );

        // A replay, or a second payment of the paid order, creates nothing twice.
        let replay = payments::record(&office, &card(&ordered.order.id, 488, "card-1"))
            .await
            .unwrap();
        assert!(matches!(replay, PaymentReport::AlreadyApplied { .. }), "{replay:?}");
        let twice = payments::record(&office, &card(&ordered.order.id, 488, "card-2"))
            .await
            .unwrap();
        assert!(twice.refund_due(), "{twice:?}");
        assert_eq!(inbox(&office, "giulia.bianchi@pec.it").await, Some(1));
        let now_taken = activation::check_name(&office, ARUBA, "giulia.bianchi", Some(GIULIA_CF))
            .await
            .unwrap();
        assert!(!now_taken.available, "{now_taken:?}");
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_named_and_leaves_nothing_behind() {
    common::on_both(rome(2026, 12, 2, 10, 0), |office| async move {
        convention(&office, ARUBA).await;
        let refuse = |new: NewActivation<'static>| {
            let office = office.clone();
            async move { activation::order(&office, &new).await.unwrap_err() }
        };
        let e = refuse(giulia("giulia.bianchi", "BNCGLI80A41A182M")).await;
        assert_eq!(field(&e), Some("tax_id"));
        assert!(e.reason().contains("wrong check character"), "{e}");
        let e = refuse(giulia("giulia..bianchi", GIULIA_CF)).await;
        assert_eq!(field(&e), Some("mailbox"));
        let e = refuse(NewActivation {
            password: "corta",
            ..giulia("giulia.bianchi", GIULIA_CF)
        })
        .await;
        assert_eq!(field(&e), Some("password"));
        let e = refuse(NewActivation {
            plan: "decennale",
            ..giulia("giulia.bianchi", GIULIA_CF)
        })
        .await;
        assert_eq!(field(&e), Some("plan"));
        let e = refuse(NewActivation {
            code: "NOPE",
            ..giulia("giulia.bianchi", GIULIA_CF)
        })
        .await;
        assert_eq!(field(&e), Some("code"));
        let e = refuse(NewActivation {
            billing_address: " ",
            ..giulia("giulia.bianchi", GIULIA_CF)
        })
        .await;
        assert_eq!(field(&e), Some("billing_address"));
        // An existing mailbox's name.
        lifecycle_support::mailbox(&office, "mario.rossi@pec.it").await;
        let e = refuse(giulia("mario.rossi", GIULIA_CF)).await;
        assert_eq!(field(&e), Some("mailbox"));
        assert!(e.reason().contains("taken"), "{e}");
        // Nothing was ordered.
        let mut c = office.store().conn().await.unwrap();
        for state in ["open", "cancelled", "paid"] {
            assert!(store::lifecycle::orders_in(&mut c, state).await.unwrap().is_empty());
        }
    })
    .await;
}

#[tokio::test]
async fn a_reservation_lapses_unpaid_and_a_declined_card_changes_nothing() {
    common::on_both_clocked(rome(2026, 12, 2, 10, 0), |office, clock| async move {
        convention(&office, ARUBA).await;
        let first = activation::order(&office, &giulia("giulia.bianchi", GIULIA_CF))
            .await
            .unwrap();
        // Ordering again replaces the holder's own order.
        let second = activation::order(&office, &giulia("giulia.bianchi", GIULIA_CF))
            .await
            .unwrap();
        assert_ne!(first.order.id, second.order.id);
        assert_eq!(
            activation::page(&office, &first.token).await.unwrap().stage,
            Stage::Lapsed
        );
        let e = payments::record(&office, &card(&first.order.id, 488, "card-old"))
            .await
            .unwrap_err();
        assert!(e.reason().contains("cancelled"), "{e}");

        let declined = payments::declined(&office, &second.order.id, "card-no", Some("insufficient funds"))
            .await
            .unwrap();
        assert!(matches!(declined, PaymentReport::Declined { .. }));
        assert_eq!(
            activation::page(&office, &second.token).await.unwrap().stage,
            Stage::Reserved
        );
        let mut c = office.store().conn().await.unwrap();
        let log = store::lifecycle::log_of(&mut c, "giulia.bianchi@pec.it").await.unwrap();
        drop(c);
        assert_eq!(log.iter().filter(|e| e.event == "payment-declined").count(), 1);

        // 48 hours later, unpaid: the daily machine lapses it and the name is free.
        clock.set(rome(2026, 12, 4, 10, 1));
        let run = office.engine().lifecycle_run(office.now()).await.unwrap();
        assert!(
            run.events
                .iter()
                .any(|e| e.contains("giulia.bianchi@pec.it reservation lapsed")),
            "{run:?}"
        );
        assert_eq!(
            activation::page(&office, &second.token).await.unwrap().stage,
            Stage::Lapsed
        );
        let free = activation::check_name(&office, ARUBA, "giulia.bianchi", Some(OTHER_CF))
            .await
            .unwrap();
        assert!(free.available, "{free:?}");
        let e = payments::record(&office, &card(&second.order.id, 488, "card-late"))
            .await
            .unwrap_err();
        assert!(e.reason().contains("cancelled"), "{e}");
        assert_eq!(inbox(&office, "giulia.bianchi@pec.it").await, None);
        // Another holder may order it now.
        activation::order(&office, &giulia("giulia.bianchi", OTHER_CF))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_deleted_mailbox_is_bought_again_by_its_holder_only() {
    common::on_both_clocked(rome(2026, 12, 2, 10, 0), |office, clock| async move {
        convention(&office, ARUBA).await;
        lifecycle_support::mailbox(&office, "mario.rossi@pec.it").await;
        let old = office::subscriptions::NewSubscription {
            address: "mario.rossi@pec.it",
            convention: ARUBA,
            plan: "triennale",
            tax_id: lifecycle_support::TAX_ID,
            name: "Mario Rossi",
            billing_address: "Via Roma 1, 15121 Alessandria",
            email: None,
            pricing: Pricing::Convention,
            at: None,
        };
        office::subscriptions::create(&office, &old).await.unwrap();
        // Unpaid: closed the day after its expiry, its contents deleted 30 days later.
        for at in [rome(2029, 12, 4, 10, 0), rome(2030, 1, 10, 10, 0)] {
            clock.set(at);
            office.engine().lifecycle_run(office.now()).await.unwrap();
        }
        let shown = office::subscriptions::show(&office, "mario.rossi@pec.it")
            .await
            .unwrap();
        assert_eq!(shown.state, "deleted", "{shown:?}");

        let other = activation::check_name(&office, ARUBA, "mario.rossi", Some(GIULIA_CF))
            .await
            .unwrap();
        assert!(
            !other.available && other.reason.contains("only its holder"),
            "{other:?}"
        );
        let e = activation::order(&office, &giulia("mario.rossi", GIULIA_CF))
            .await
            .unwrap_err();
        assert_eq!(field(&e), Some("mailbox"), "{e}");

        let holder = NewActivation {
            holder_name: "Mario Rossi",
            email: None,
            password: "la nuova password di mario",
            ..giulia("mario.rossi", lifecycle_support::TAX_ID)
        };
        let ordered = activation::order(&office, &holder).await.unwrap();
        let paid = payments::record(&office, &card(&ordered.order.id, 488, "card-mario"))
            .await
            .unwrap();
        assert!(matches!(paid, PaymentReport::Activated { .. }), "{paid:?}");
        let shown = office::subscriptions::show(&office, "mario.rossi@pec.it")
            .await
            .unwrap();
        assert_eq!(
            (shown.state, shown.expiry.to_string()),
            ("active", "2033-01-10".to_string())
        );
        let login = office::login::log_in(
            &office,
            "mario.rossi@pec.it",
            "la nuova password di mario",
            "127.0.0.1".parse().unwrap(),
        )
        .await
        .unwrap();
        assert!(login.is_ok(), "the new password opens the mailbox bought again");
    })
    .await;
}

#[tokio::test]
async fn two_holders_ordering_one_name_at_once_get_one_reservation() {
    common::on_both(rome(2026, 12, 2, 10, 0), |office| async move {
        convention(&office, ARUBA).await;
        for round in 0..4 {
            let name = format!("studio{round}");
            let (first, second) = (giulia(&name, GIULIA_CF), giulia(&name, OTHER_CF));
            let (a, b) = tokio::join!(activation::order(&office, &first), activation::order(&office, &second),);
            let refused: Vec<&Error> = [&a, &b].into_iter().filter_map(|r| r.as_ref().err()).collect();
            assert_eq!(refused.len(), 1, "round {round}: {a:?} {b:?}");
            assert_eq!(field(refused[0]), Some("mailbox"), "round {round}: {}", refused[0]);
        }
    })
    .await;
}
