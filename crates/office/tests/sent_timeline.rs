//! What happened to every message (`office::sent`): one message from the
//! webmail of `nord` to a local mailbox, a mailbox of `sud`, an address `sud`
//! does not have and a provider that never answers (`ovest`), followed over the
//! recorded wire of `testkit::net` through every receipt, the presa in carico,
//! a non-delivery and the 12-hour and 24-hour notices, on SQLite and
//! PostgreSQL; the Sent folder at a glance; another mailbox sees nothing.

use chrono::Duration;
use office::Error;
use office::compose::{self, Draft, Outcome, Uploads};
use office::sent::{self, Acceptance, EventKind, Overall, Reason, Standing};
use store::Backend;
use testkit::net::{Net, on_both};

async fn mailbox_id(office: &office::Office, address: &str) -> i64 {
    let mut c = office.store().conn().await.unwrap();
    store::mailboxes::get(&mut c, address).await.unwrap().unwrap().id
}

fn kinds(r: &sent::RecipientTimeline) -> Vec<EventKind> {
    r.events.iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn a_message_to_four_kinds_of_recipient_is_followed_to_its_last_receipt() {
    on_both(|backend: Backend| async move {
        let mut net = Net::start(backend).await;
        let mario = net.nord().create_mailbox("mario").await;
        net.nord().create_mailbox("anna").await;
        net.sud().create_mailbox("luca").await;
        let office = net.nord().office();
        let me = mailbox_id(&office, &mario).await;

        let uploads = Uploads::new(&office, 1 << 20).unwrap();
        let draft = Draft {
            to: "anna@nord.pec.test, Luca <luca@sud.pec.test>".into(),
            cc: "nessuno@sud.pec.test; x@ovest.pec.test".into(),
            subject: "Diffida".into(),
            text: "Buongiorno.".into(),
            receipt: "sintetica".into(),
            ..Draft::default()
        };
        let Outcome::Accepted { identificativo, .. } = compose::send(&office, me, &draft, &uploads).await.unwrap()
        else {
            panic!("not accepted");
        };
        let before = sent::progress(&office, me, &identificativo).await.unwrap();
        assert!(!before.all_final);
        net.pump().await;

        let t = sent::timeline(&office, me, &identificativo).await.unwrap();
        assert_eq!(t.subject, "Diffida");
        assert_eq!(t.receipt_kind, "sintetica");
        let Acceptance::Accepted { receipt: Some(_), .. } = t.acceptance else {
            panic!("no acceptance receipt linked: {:?}", t.acceptance);
        };
        let by = |a: &str| t.recipients.iter().find(|r| r.address == a).unwrap();
        let anna = by("anna@nord.pec.test");
        assert_eq!(kinds(anna), [EventKind::Accepted, EventKind::Delivered]);
        assert!(anna.local && anna.is_final && matches!(anna.standing, Standing::Delivered));
        assert!(
            anna.events.iter().all(|e| e.receipt.is_some()),
            "each event links its receipt"
        );

        let luca = by("luca@sud.pec.test");
        assert_eq!(
            kinds(luca),
            [EventKind::Accepted, EventKind::TakenOver, EventKind::Delivered]
        );
        assert_eq!(
            luca.events[1].receipt, None,
            "the presa in carico goes to the provider, not the mailbox"
        );
        assert_eq!(luca.events[2].issued_by.as_deref(), Some("Certa Sud S.p.A."));
        assert_eq!(
            luca.events[2].at.offset().local_minus_utc() % 3600,
            0,
            "a legal time with its offset"
        );

        let ghost = by("nessuno@sud.pec.test");
        assert_eq!(
            kinds(ghost),
            [EventKind::Accepted, EventKind::TakenOver, EventKind::NotDelivered]
        );
        let why = ghost.events[2].why.as_ref().unwrap();
        assert_eq!(why.reason, Reason::UnknownRecipient);
        assert_eq!(why.gestore.as_deref(), Some("Certa Sud S.p.A."));
        assert!(matches!(&ghost.standing, Standing::NotDelivered { why } if why.reason == Reason::UnknownRecipient));

        let west = by("x@ovest.pec.test");
        assert_eq!(kinds(west), [EventKind::Accepted]);
        assert!(
            matches!(&west.standing, Standing::HandedOn { to: Some(p) } if p == "Ovest PEC S.p.A."),
            "{:?}",
            west.standing
        );
        assert!(!t.all_final, "ovest has not answered");

        let unchanged = sent::progress(&office, me, &identificativo).await.unwrap();
        assert_eq!(unchanged.stamp, t.stamp, "the stamp is the timeline's");
        assert_ne!(unchanged.stamp, before.stamp);
        net.pump().await;
        assert_eq!(
            sent::progress(&office, me, &identificativo).await.unwrap().stamp,
            t.stamp
        );

        // pec-rules.md 1.4: the preavviso after 12 hours, the notice after 24.
        net.clock.advance(Duration::hours(12) + Duration::minutes(1));
        net.pump().await;
        let t12 = sent::timeline(&office, me, &identificativo).await.unwrap();
        assert_ne!(t12.stamp, t.stamp);
        let west = t12.recipients.iter().find(|r| r.address == "x@ovest.pec.test").unwrap();
        assert_eq!(kinds(west), [EventKind::Accepted, EventKind::Warning12h]);
        assert!(west.events[1].receipt.is_some());
        let luca = t12
            .recipients
            .iter()
            .find(|r| r.address == "luca@sud.pec.test")
            .unwrap();
        assert_eq!(luca.events.len(), 3, "nothing more for a delivered recipient");

        net.clock.advance(Duration::hours(12));
        net.pump().await;
        let t24 = sent::timeline(&office, me, &identificativo).await.unwrap();
        let west = t24.recipients.iter().find(|r| r.address == "x@ovest.pec.test").unwrap();
        assert_eq!(
            kinds(west),
            [EventKind::Accepted, EventKind::Warning12h, EventKind::Timeout24h]
        );
        assert!(matches!(&west.standing, Standing::NotDelivered { why } if why.reason == Reason::Timeout));
        assert!(t24.all_final && sent::progress(&office, me, &identificativo).await.unwrap().all_final);

        let list = sent::list(&office, me, None).await.unwrap();
        assert_eq!(list.messages.len(), 1);
        let m = &list.messages[0];
        assert_eq!((m.recipients, m.delivered, m.failed, m.pending), (4, 2, 2, 0));
        assert_eq!(m.state, Overall::FailedForSome);
        assert_eq!(m.identificativo, identificativo);
        assert!(list.next.is_none());

        // Another mailbox, though its INBOX holds the envelope of this very message.
        let anna = mailbox_id(&office, "anna@nord.pec.test").await;
        for e in [
            sent::timeline(&office, anna, &identificativo).await.unwrap_err(),
            sent::progress(&office, anna, &identificativo).await.unwrap_err(),
        ] {
            assert!(matches!(e, Error::NotFound { .. }), "{e}");
        }
        assert!(sent::list(&office, anna, None).await.unwrap().messages.is_empty());
        for bad in ["", "a\0b", "x@y\r\nz"] {
            let e = sent::timeline(&office, me, bad).await.unwrap_err();
            assert!(matches!(e, Error::NotFound { .. }), "{bad:?}: {e}");
        }
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_receipt_the_holder_deleted_is_still_told_from_the_providers_records() {
    let mut net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    net.sud().create_mailbox("luca").await;
    let office = net.nord().office();
    let me = mailbox_id(&office, &mario).await;
    let uploads = Uploads::new(&office, 1 << 20).unwrap();
    let draft = Draft {
        to: "luca@sud.pec.test".into(),
        subject: "Senza ricevute".into(),
        ..Draft::default()
    };
    let Outcome::Accepted { identificativo, .. } = compose::send(&office, me, &draft, &uploads).await.unwrap() else {
        panic!("not accepted");
    };
    net.pump().await;
    let mut c = office.store().conn().await.unwrap();
    store::messages::delete_all(&mut c, me, office.now_ms()).await.unwrap();
    drop(c);
    let t = sent::timeline(&office, me, &identificativo).await.unwrap();
    let luca = &t.recipients[0];
    assert_eq!(
        kinds(luca),
        [EventKind::Accepted, EventKind::TakenOver, EventKind::Delivered]
    );
    assert!(luca.events.iter().all(|e| e.receipt.is_none()));
    assert!(luca.is_final);
    net.stop().await;
}

#[tokio::test]
async fn the_sent_folder_pages_from_the_newest() {
    let net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    net.nord().create_mailbox("anna").await;
    let office = net.nord().office();
    let me = mailbox_id(&office, &mario).await;
    let total = sent::PAGE + 3;
    for n in 0..total {
        let uploads = Uploads::new(&office, 1 << 20).unwrap();
        let draft = Draft {
            to: "anna@nord.pec.test".into(),
            subject: format!("N. {n}"),
            ..Draft::default()
        };
        assert!(matches!(
            compose::send(&office, me, &draft, &uploads).await.unwrap(),
            Outcome::Accepted { .. }
        ));
    }
    let first = sent::list(&office, me, None).await.unwrap();
    assert_eq!(first.messages.len() as i64, sent::PAGE);
    assert_eq!(first.messages[0].subject, format!("N. {}", total - 1));
    assert!(first.messages.iter().all(|m| m.state == Overall::Pending));
    let second = sent::list(&office, me, first.next).await.unwrap();
    let subjects: Vec<&str> = second.messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["N. 2", "N. 1", "N. 0"]);
    assert!(second.next.is_none());
    net.stop().await;
}
