//! The operator's mailbox operations, on both storage back ends.

mod common;

use chrono::{TimeZone, Utc};
use office::Error;
use office::mailboxes::{self, NewMailbox};
use store::mailboxes::Status;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap()
}

#[tokio::test]
async fn a_mailbox_is_created_on_a_hosted_domain_and_shown_with_its_folders() {
    common::on_both(at(), |office| async move {
        let new = NewMailbox {
            address: "Mario.Rossi@pec.office.test",
            password: "una-password-lunga",
            quota_bytes: 1 << 20,
        };
        let m = mailboxes::add_mailbox(&office, &new).await.unwrap();
        assert_eq!(m.address, "mario.rossi@pec.office.test");
        assert_eq!(m.status, Status::Active);
        let shown = mailboxes::show(&office, "mario.rossi@pec.office.test").await.unwrap();
        assert!(shown.messages.is_empty());
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["mailbox"]["address"], "mario.rossi@pec.office.test");
        assert_eq!(mailboxes::list(&office).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_mailbox_on_a_domain_not_hosted_or_with_a_short_password_is_refused() {
    common::on_both(at(), |office| async move {
        let foreign = NewMailbox {
            address: "x@altrove.it",
            password: "una-password-lunga",
            quota_bytes: 1 << 20,
        };
        assert!(mailboxes::add_mailbox(&office, &foreign).await.is_err());
        let short = NewMailbox {
            address: "x@pec.office.test",
            password: "corta",
            quota_bytes: 1 << 20,
        };
        assert!(mailboxes::add_mailbox(&office, &short).await.is_err());
        let no_quota = NewMailbox {
            address: "x@pec.office.test",
            password: "una-password-lunga",
            quota_bytes: 0,
        };
        let e = mailboxes::add_mailbox(&office, &no_quota).await.unwrap_err();
        assert_eq!(e.field(), Some("quota"), "{e}");
        assert!(mailboxes::list(&office).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn status_and_password_of_an_unknown_mailbox_name_the_address() {
    common::on_both(at(), |office| async move {
        let e = mailboxes::set_status(&office, "nessuno@pec.office.test", Status::Closed)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound { field: "address", .. }), "{e}");
        assert!(e.to_string().contains("no mailbox nessuno@pec.office.test"), "{e}");
        let e = mailboxes::set_password(&office, "nessuno@pec.office.test", "una-password-lunga")
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("address"));
    })
    .await;
}

#[tokio::test]
async fn a_new_password_replaces_the_old_one_and_a_short_one_is_refused() {
    common::on_both(at(), |office| async move {
        let new = NewMailbox {
            address: "anna@pec.office.test",
            password: "la-prima-password",
            quota_bytes: 1 << 20,
        };
        mailboxes::add_mailbox(&office, &new).await.unwrap();
        let e = mailboxes::set_password(&office, "anna@pec.office.test", "corta")
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("password"), "{e}");
        mailboxes::set_password(&office, "anna@pec.office.test", "la-seconda-password")
            .await
            .unwrap();
        let mut c = office.store().conn().await.unwrap();
        let old = store::mailboxes::authenticate(&mut c, "anna@pec.office.test", "la-prima-password").await;
        assert!(old.unwrap().is_none());
        let now = store::mailboxes::authenticate(&mut c, "anna@pec.office.test", "la-seconda-password").await;
        assert!(now.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn a_closed_mailbox_is_suspended_then_closed_and_reports_its_status() {
    common::on_both(at(), |office| async move {
        let new = NewMailbox {
            address: "luca@pec.office.test",
            password: "una-password-lunga",
            quota_bytes: 1 << 20,
        };
        mailboxes::add_mailbox(&office, &new).await.unwrap();
        let change = mailboxes::set_status(&office, "LUCA@pec.office.test", Status::Suspended)
            .await
            .unwrap();
        assert_eq!(change.address, "luca@pec.office.test");
        assert_eq!(change.status, Status::Suspended);
        let change = mailboxes::set_status(&office, "luca@pec.office.test", Status::Closed)
            .await
            .unwrap();
        assert!(change.flagged.is_empty());
        assert_eq!(
            mailboxes::show(&office, "luca@pec.office.test")
                .await
                .unwrap()
                .mailbox
                .status,
            Status::Closed
        );
    })
    .await;
}
