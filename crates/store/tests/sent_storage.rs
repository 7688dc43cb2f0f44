//! What a mailbox sent, read for its holder (`store::sent`): pages newest first
//! from the last one shown, the recipients counted by where they stand, one
//! sender's messages only; the messages of a mailbox about one identificativo,
//! never another mailbox's. On SQLite and PostgreSQL.

use store::Store;
use store::mailboxes;
use store::messages::{self, NewMessage};
use store::pec::{self, NewPecMessage, RecipientState};
use store::sent;

mod common;

use common::on_both;

const NOW: i64 = 1_772_000_000_000;

async fn accept(store: &Store, sender: &str, n: i64, rcpts: &[(String, bool, bool)]) -> i64 {
    let blob = store.blobs().put(format!("original {n}").as_bytes()).await.unwrap();
    let identificativo = format!("certa.{n}@pec.example.it");
    let subject = format!("Messaggio {n}");
    let mut tx = store.begin().await.unwrap();
    let id = pec::insert(
        &mut tx,
        &NewPecMessage {
            identificativo: &identificativo,
            msgid: None,
            sender,
            reply_to: sender,
            subject: &subject,
            receipt_kind: "completa",
            original_blob: &blob,
            original_size: 10,
            accepted_at: NOW + n,
            recipients: rcpts,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn the_sent_pages_go_newest_first_from_the_last_one_shown_with_recipients_counted() {
    on_both(|store| async move {
        let rcpts = vec![
            ("a@pec.altro.it".to_string(), true, false),
            ("b@pec.altro.it".to_string(), true, false),
            ("c@example.com".to_string(), false, false),
        ];
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(accept(&store, "mario@pec.example.it", n, &rcpts).await);
        }
        accept(&store, "anna@pec.example.it", 99, &rcpts).await;
        let mut tx = store.begin().await.unwrap();
        pec::advance(&mut tx, ids[4], "a@pec.altro.it", RecipientState::Delivered, None, NOW)
            .await
            .unwrap();
        pec::advance(
            &mut tx,
            ids[4],
            "b@pec.altro.it",
            RecipientState::Failed,
            Some("x"),
            NOW,
        )
        .await
        .unwrap();
        pec::advance(&mut tx, ids[4], "c@example.com", RecipientState::Relayed, None, NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.conn().await.unwrap();
        let first = sent::page(&mut c, "Mario@pec.example.it", None, 2).await.unwrap();
        let subjects: Vec<&str> = first.iter().map(|r| r.subject.as_str()).collect();
        assert_eq!(subjects, ["Messaggio 4", "Messaggio 3"]);
        let newest = &first[0];
        assert_eq!(
            (
                newest.recipients,
                newest.delivered,
                newest.failed,
                newest.ordinary_handed_on
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((first[1].delivered, first[1].failed), (0, 0));
        let second = sent::page(&mut c, "mario@pec.example.it", Some(first[1].id), 2)
            .await
            .unwrap();
        let subjects: Vec<&str> = second.iter().map(|r| r.subject.as_str()).collect();
        assert_eq!(subjects, ["Messaggio 2", "Messaggio 1"]);
        let last = sent::page(&mut c, "mario@pec.example.it", Some(second[1].id), 2)
            .await
            .unwrap();
        assert_eq!(last.len(), 1, "only the oldest is left");
        assert!(
            sent::page(&mut c, "nessuno@pec.example.it", None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn the_messages_about_an_identificativo_are_one_mailboxs_only() {
    on_both(|store| async move {
        let mut tx = store.begin().await.unwrap();
        mailboxes::add_domain(&mut tx, "pec.example.it", NOW).await.unwrap();
        let mario = mailboxes::create(&mut tx, "mario@pec.example.it", "una password lunga", 1 << 30, NOW)
            .await
            .unwrap();
        let anna = mailboxes::create(&mut tx, "anna@pec.example.it", "una password lunga", 1 << 30, NOW)
            .await
            .unwrap();
        let blob = store.blobs().put(b"receipt").await.unwrap();
        let mut appended = Vec::new();
        for (mailbox, kind) in [
            (mario.id, Some("accettazione")),
            (mario.id, Some("avvenuta-consegna")),
            (mario.id, None),
            (anna.id, Some("busta-trasporto")),
        ] {
            let inbox = messages::folder(&mut tx, mailbox, "INBOX").await.unwrap().unwrap();
            let m = messages::append(
                &mut tx,
                inbox.id,
                &NewMessage {
                    blob: &blob,
                    size: 7,
                    internal_date: NOW,
                    flags: &[],
                    pec_kind: kind,
                    identificativo: Some("certa.1@pec.example.it"),
                },
            )
            .await
            .unwrap();
            appended.push(m.id);
        }
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        let about: Vec<(i64, Option<String>)> = sent::about(&mut c, mario.id, "certa.1@pec.example.it")
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.pec_kind))
            .collect();
        assert_eq!(
            about,
            [
                (appended[0], Some("accettazione".to_string())),
                (appended[1], Some("avvenuta-consegna".to_string()))
            ]
        );
        assert_eq!(sent::owner(&mut c, appended[3]).await.unwrap(), Some(anna.id));
        assert_eq!(sent::owner(&mut c, 999_999).await.unwrap(), None);
    })
    .await;
}
