//! The holder's subscription page (`office::account`): what it shows, the
//! holder's data edited with bad input named, the renewal page of the current
//! order, the cancellation sent as a PEC from the mailbox and recorded at its
//! legal time, the archive built with its progress, the password changed; on
//! SQLite and PostgreSQL.

mod common;
mod lifecycle_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use lifecycle::money::Money;
use lifecycle_support::{DCS_DOMAIN, mailbox, rome, subscribed};
use office::Error;
use office::account::{self, ArchiveState, Archives, Cancellation};
use office::payments::{self, Payment};
use office::sent::{self, Acceptance};
use office::{Office, login, subscriptions};

const MARIO: &str = "mario.rossi@pec.dcssrl.it";
/// DCS's cancellation address (its convention's `cancellation_address`).
const MANAGEMENT: &str = "gestione.servizi@pec.dcssrl.it";
const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn id_of(office: &Office, address: &str) -> i64 {
    let mut c = office.store().conn().await.unwrap();
    store::mailboxes::get(&mut c, address).await.unwrap().unwrap().id
}

#[tokio::test]
async fn the_page_shows_state_plan_holder_orders_payments_notices_and_timeline() {
    common::on_both_clocked(rome(2025, 1, 1, 10, 0), |office, clock| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        mailbox(&office, &format!("anna@{DCS_DOMAIN}")).await;
        let me = id_of(&office, MARIO).await;
        let anna = id_of(&office, &format!("anna@{DCS_DOMAIN}")).await;
        assert!(
            account::subscription(&office, anna).await.unwrap().is_none(),
            "no subscription: None"
        );

        // The daily machine sends the weekly notice into the mailbox.
        office::daily::run(&office).await.unwrap();
        let order = subscriptions::renew(&office, MARIO, None).await.unwrap().order;
        clock.set(rome(2025, 1, 2, 10, 0));
        let pay = Payment {
            order_id: &order.id,
            amount: Money::from_cents(793),
            payment_id: "BON-1",
            paid_at: None,
            source: "bank",
            detail: None,
        };
        payments::record(&office, &pay).await.unwrap();

        let a = account::subscription(&office, me).await.unwrap().unwrap();
        assert_eq!(a.mailbox, MARIO);
        assert_eq!(a.state, "active");
        assert_eq!(a.since, rome(2024, 3, 10, 9, 30));
        assert_eq!(a.expiry.to_string(), "2026-03-10", "renewed from the old expiry");
        assert_eq!(
            (a.convention.as_str(), a.plan.name.as_str()),
            ("CROAS-DCS-2024", "annuale")
        );
        assert!(a.plan.tacit);
        assert_eq!(a.plan.price.as_ref().unwrap().gross.plain(), "7.93");
        assert_eq!(a.holder.tax_id, "RSSMRA85T10A562S");
        assert_eq!(a.holder.billing_address, "Via Roma 1, 15121 Alessandria");
        assert_eq!(a.payer, "member");
        assert!(a.can_renew);
        assert_eq!(a.orders.len(), 1);
        let line = &a.orders[0];
        assert_eq!(
            (line.order.id.as_str(), line.order.state.as_str()),
            (order.id.as_str(), "paid")
        );
        assert_eq!(line.next_expiry.unwrap().to_string(), "2026-03-10");
        let paid = line.payment.as_ref().unwrap();
        assert_eq!((paid.payment_id.as_str(), paid.source.as_str()), ("BON-1", "bank"));
        assert_eq!(paid.amount.plain(), "7.93");
        let subjects: Vec<&str> = a.notices.iter().map(|n| n.subject.as_str()).collect();
        assert_eq!(
            subjects.len(),
            2,
            "the renewal notice, then the renewal's: {subjects:?}"
        );
        assert!(
            subjects[0].contains("rinnovata fino al 10/03/2026"),
            "newest first: {subjects:?}"
        );
        assert!(subjects[1].contains("in scadenza il 10/03/2025"), "{subjects:?}");
        assert_eq!(a.ordinary_notices_to.as_deref(), Some("mario.rossi@example.com"));
        let events: Vec<&str> = a.timeline.iter().map(|l| l.event.as_str()).collect();
        assert_eq!(events.last(), Some(&"activated"), "newest first: {events:?}");
        assert!(
            events.contains(&"send-notice") && events.contains(&"paid"),
            "{events:?}"
        );
        assert!(matches!(a.cancellation, Cancellation::Possible));
        let ending = a.ending.unwrap();
        assert_eq!(
            ending.service_ends,
            rome(2026, 3, 11, 0, 0),
            "a cancellation now: the day after expiry"
        );
        assert_eq!(ending.contents_deleted, rome(2026, 3, 11, 0, 0), "DCS keeps nothing");

        let receipt = account::payment_receipt(&office, me, &order.id).await.unwrap();
        assert_eq!(receipt.payment.payment_id, "BON-1");
        assert_eq!(receipt.holder.name, "Mario Rossi");
        let e = account::payment_receipt(&office, anna, &order.id).await.unwrap_err();
        assert!(
            matches!(e, Error::NotFound { field: "order", .. }),
            "another mailbox's order: {e:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_holder_edits_billing_address_and_reference_email_and_bad_input_is_named() {
    common::on_both(rome(2025, 1, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let me = id_of(&office, MARIO).await;
        for (billing, email, field, reason) in [
            ("  ", "m@example.com", "billing_address", "empty"),
            ("Via Po 2\nTorino", "m@example.com", "billing_address", "one line"),
            ("Via Po 2", "mario", "email", "\"mario\" is not an e-mail address"),
            ("Via Po 2", "a@b@example.com", "email", "is not an e-mail address"),
        ] {
            let e = account::update_holder(&office, me, billing, email).await.unwrap_err();
            assert_eq!(e.field(), Some(field), "{billing:?} {email:?}: {e}");
            assert!(e.reason().contains(reason), "{e}");
        }
        let unchanged = account::subscription(&office, me).await.unwrap().unwrap();
        assert_eq!(unchanged.holder.billing_address, "Via Roma 1, 15121 Alessandria");

        let change = account::update_holder(&office, me, " Via Po 2, 10123 Torino ", "Mario@Example.org")
            .await
            .unwrap();
        assert!(change.changed);
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        assert_eq!(a.holder.billing_address, "Via Po 2, 10123 Torino");
        assert_eq!(a.holder.reference_email.as_deref(), Some("Mario@example.org"));
        assert_eq!(a.timeline[0].event, "holder-changed");
        assert!(
            a.timeline[0].detail.contains("Via Po 2, 10123 Torino"),
            "{}",
            a.timeline[0].detail
        );
        // No reference e-mail: the notices go to the PEC mailbox only.
        account::update_holder(&office, me, "Via Po 2, 10123 Torino", "")
            .await
            .unwrap();
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        assert_eq!(a.holder.reference_email, None);
        let again = account::update_holder(&office, me, "Via Po 2, 10123 Torino", "")
            .await
            .unwrap();
        assert!(!again.changed);
    })
    .await;
}

#[tokio::test]
async fn renewing_leads_to_the_renewal_page_of_the_current_order() {
    common::on_both(rome(2025, 1, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let me = id_of(&office, MARIO).await;
        let link = account::renew(&office, me).await.unwrap();
        let page = office::renewal::open(&office, &link.token).await.unwrap();
        assert_eq!(page.order.id, link.order_id);
        assert_eq!(page.mailbox, MARIO);
        let again = account::renew(&office, me).await.unwrap();
        assert_eq!(again.order_id, link.order_id, "one order per expiry");
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        assert_eq!(a.orders[0].order.state, "open");

        subscriptions::cancel(&office, MARIO, rome(2025, 1, 1, 9, 0), "raccomandata A/R")
            .await
            .unwrap();
        let e = account::renew(&office, me).await.unwrap_err();
        assert!(e.reason().contains("was cancelled"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn the_cancellation_is_a_pec_from_the_mailbox_recorded_at_its_legal_time() {
    common::on_both(rome(2025, 1, 15, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let me = id_of(&office, MARIO).await;
        // No management mailbox here: nothing can be sent, and it says where to write.
        let e = account::cancellation_letter(&office, me).await.unwrap_err();
        assert!(e.reason().contains("registered letter"), "{e}");
        mailbox(&office, MANAGEMENT).await;

        let letter = account::cancellation_letter(&office, me).await.unwrap();
        assert_eq!((letter.from.as_str(), letter.to.as_str()), (MARIO, MANAGEMENT));
        assert_eq!(letter.subject, format!("Disdetta della casella PEC {MARIO}"));
        for part in [
            MARIO,
            "Mario Rossi",
            "RSSMRA85T10A562S",
            "CROAS-DCS-2024",
            "disdetta",
            "10/03/2025",
        ] {
            assert!(letter.text.contains(part), "{part} missing from:\n{}", letter.text);
        }
        let e = account::cancel_by_pec(&office, me, false).await.unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "confirm", .. }), "{e:?}");
        assert!(
            sent::list(&office, me, None).await.unwrap().messages.is_empty(),
            "nothing sent unconfirmed"
        );

        // Two confirmations at the same instant send one PEC.
        let (first, second) = tokio::join!(
            account::cancel_by_pec(&office, me, true),
            account::cancel_by_pec(&office, me, true)
        );
        let (sent_now, refused) = match (first, second) {
            (Ok(s), Err(e)) | (Err(e), Ok(s)) => (s, e),
            other => panic!("one of two confirmations sends: {other:?}"),
        };
        assert_eq!(refused.field(), Some("confirm"), "{refused}");
        assert_eq!(sent::list(&office, me, None).await.unwrap().messages.len(), 1);
        assert_eq!(sent_now.to, MANAGEMENT);
        assert_eq!(sent_now.recorded_at, None, "not delivered yet");
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        let Cancellation::Sent { identificativo, to, .. } = &a.cancellation else {
            panic!("{:?}", a.cancellation);
        };
        assert_eq!((identificativo, to.as_str()), (&sent_now.identificativo, MANAGEMENT));
        let e = account::cancel_by_pec(&office, me, true).await.unwrap_err();
        assert!(e.reason().contains("already sent"), "while on its way: {e}");

        // The access point's jobs deliver it and its acceptance.
        office.engine().run_until_idle().await.unwrap();
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        let Cancellation::Recorded { legal_time } = a.cancellation else {
            panic!("not recorded: {:?}", a.cancellation);
        };
        let timeline = sent::timeline(&office, me, &sent_now.identificativo).await.unwrap();
        let Acceptance::Accepted { at, receipt: Some(_) } = timeline.acceptance else {
            panic!("no acceptance receipt in the mailbox: {:?}", timeline.acceptance);
        };
        assert_eq!(
            legal_time,
            at.with_timezone(&chrono::Utc),
            "the acceptance's legal time"
        );
        let sent_rows = sent::list(&office, me, None).await.unwrap().messages;
        assert_eq!(sent_rows.len(), 1);
        assert_eq!(sent_rows[0].subject, letter.subject);
        // The copy in the mailbox's Sent folder, linked to its receipts.
        let mut c = office.store().conn().await.unwrap();
        let folder = store::messages::folder(&mut c, me, "Sent").await.unwrap().unwrap();
        let copies = store::messages::list(&mut c, folder.id).await.unwrap();
        assert_eq!(copies.len(), 1);
        assert_eq!(
            copies[0].identificativo.as_deref(),
            Some(sent_now.identificativo.as_str())
        );
        drop(c);
        let ending = a.ending.unwrap();
        assert_eq!(ending.service_ends, rome(2025, 3, 11, 0, 0));
        assert_eq!(ending.contents_deleted, rome(2025, 3, 11, 0, 0));
        assert!(!a.can_renew);
        assert!(
            a.timeline
                .iter()
                .any(|l| l.event == "cancelled" && l.detail.contains("disdetta via PEC"))
        );
        assert!(
            a.notices.iter().any(|n| n.subject.to_lowercase().contains("disdetta")),
            "the notice that it was recorded: {:?}",
            a.notices
        );

        let e = account::cancel_by_pec(&office, me, true).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("confirm"),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.reason().contains("already recorded at legal time"), "{e}");
        assert_eq!(
            sent::list(&office, me, None).await.unwrap().messages.len(),
            1,
            "no second PEC"
        );
    })
    .await;
}

#[tokio::test]
async fn the_archive_is_built_with_its_progress_then_downloaded() {
    common::on_both(rome(2025, 1, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        office::daily::run(&office).await.unwrap();
        let me = id_of(&office, MARIO).await;
        let archives = Archives::new();
        assert!(matches!(archives.state(&office, me), ArchiveState::None));
        let e = archives.download(&office, me).unwrap_err();
        assert_eq!(e.field(), Some("archive"));

        // What a server stopped midway left is removed; a recent file is not.
        let exports = office.store().data_dir().join("exports");
        std::fs::create_dir_all(&exports).unwrap();
        let (stale, recent) = (
            exports.join(".certa-archive-old.tar.gz"),
            exports.join(".certa-archive-new.tar.gz"),
        );
        for (file, age) in [(&stale, 3), (&recent, 1)] {
            let f = std::fs::File::create(file).unwrap();
            let at = office.now() - chrono::Duration::hours(age);
            f.set_modified(std::time::SystemTime::from(at)).unwrap();
        }
        let started = archives.start(&office, me).await.unwrap();
        assert!(!stale.exists() && recent.exists());
        assert!(matches!(started, ArchiveState::Building { .. }), "{started:?}");
        let mut state = archives.state(&office, me);
        for _ in 0..200 {
            if !matches!(state, ArchiveState::Building { .. }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            state = archives.state(&office, me);
        }
        let ArchiveState::Ready {
            messages,
            size,
            file_name,
            ..
        } = state
        else {
            panic!("not built: {state:?}");
        };
        assert!(messages >= 1, "the notice is in it");
        assert!(
            file_name.starts_with(MARIO) && file_name.ends_with(".tar.gz"),
            "{file_name}"
        );
        let download = archives.download(&office, me).unwrap();
        assert_eq!(download.size, size);
        let mut names = Vec::new();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(download.file));
        for entry in tar.entries().unwrap() {
            names.push(entry.unwrap().path().unwrap().display().to_string());
        }
        assert!(names.contains(&format!("{MARIO}/certa-export.json")), "{names:?}");
        // Another mailbox has none.
        mailbox(&office, &format!("anna@{DCS_DOMAIN}")).await;
        let anna = id_of(&office, &format!("anna@{DCS_DOMAIN}")).await;
        assert!(archives.download(&office, anna).is_err());
    })
    .await;
}

#[tokio::test]
async fn the_password_changes_only_with_the_current_one_and_ends_the_other_sessions() {
    common::on_both(rome(2025, 1, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let me = id_of(&office, MARIO).await;
        let policy = login::SessionPolicy::default();
        let other = login::log_in(&office, MARIO, "una password lunga", IP)
            .await
            .unwrap()
            .unwrap();
        let cases = [
            (
                "sbagliata!",
                "nuova password 1",
                "nuova password 1",
                "current",
                "is wrong",
            ),
            (
                "una password lunga",
                "nuova password 1",
                "nuova password 2",
                "repeat",
                "differ",
            ),
            ("una password lunga", "corta", "corta", "new", "at least 8 characters"),
            (
                "una password lunga",
                "una password lunga",
                "una password lunga",
                "new",
                "is the current one",
            ),
        ];
        for (current, new, repeated, field, reason) in cases {
            let e = account::change_password(&office, me, current, new, repeated, IP)
                .await
                .unwrap_err();
            assert_eq!(e.field(), Some(field), "{e}");
            assert!(e.reason().contains(reason), "{e}");
        }
        assert!(
            login::session(&office, &other.token, policy).await.unwrap().is_some(),
            "nothing changed"
        );

        let token = account::change_password(
            &office,
            me,
            "una password lunga",
            "nuova password 1",
            "nuova password 1",
            IP,
        )
        .await
        .unwrap();
        assert!(
            login::session(&office, &other.token, policy).await.unwrap().is_none(),
            "the other session ended"
        );
        let mine = login::session(&office, &token, policy).await.unwrap().unwrap();
        assert!(mine.complete && mine.mailbox_id == me);
        assert!(
            login::log_in(&office, MARIO, "una password lunga", IP)
                .await
                .unwrap()
                .is_err()
        );
        assert!(
            login::log_in(&office, MARIO, "nuova password 1", IP)
                .await
                .unwrap()
                .is_ok()
        );
    })
    .await;
}

#[tokio::test]
async fn a_mailbox_that_cannot_send_is_told_to_cancel_by_letter() {
    common::on_both(rome(2025, 3, 12, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        mailbox(&office, MANAGEMENT).await;
        office::mailboxes::set_status(&office, MARIO, store::mailboxes::Status::Suspended)
            .await
            .unwrap();
        let me = id_of(&office, MARIO).await;
        let e = account::cancel_by_pec(&office, me, true).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("confirm"),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.reason().contains("registered letter"), "{e}");
        assert!(sent::list(&office, me, None).await.unwrap().messages.is_empty());
        let a = account::subscription(&office, me).await.unwrap().unwrap();
        assert!(
            matches!(a.cancellation, Cancellation::Possible),
            "nothing recorded nor pending"
        );
        assert!(a.can_renew, "a suspended mailbox renews from its page");
    })
    .await;
}
