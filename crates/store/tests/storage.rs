//! The storage suite, run against SQLite and PostgreSQL alike. Each PostgreSQL
//! case runs in a fresh database of its own (created and dropped here) on the
//! server of `CERTA_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test);
//! a missing server is a failure, not a skip.

use store::Store;
use store::blobs::BlobId;
use store::jobs;
use store::log::{self, Event, Filter, NewEntry};
use store::mailboxes::{self, Status};
use store::messages::{self, NewMessage};
use store::pec::{self, NewPecMessage, RecipientState};

mod common;

use common::on_both;

const NOW: i64 = 1_772_000_000_000;

async fn mailbox(store: &Store, address: &str) -> mailboxes::Mailbox {
    let mut tx = store.begin().await.unwrap();
    mailboxes::add_domain(&mut tx, address.rsplit('@').next().unwrap(), NOW)
        .await
        .unwrap();
    let m = mailboxes::create(&mut tx, address, "una password lunga", mailboxes::DEFAULT_QUOTA, NOW)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    m
}

#[tokio::test]
async fn mailboxes_hash_passwords_and_authenticate() {
    on_both(|store| async move {
        let m = mailbox(&store, "Mario.Rossi@pec.example.it").await;
        assert_eq!(m.address, "mario.rossi@pec.example.it");
        assert_eq!(m.status, Status::Active);
        assert_eq!(m.quota_bytes, 1024 * 1024 * 1024);
        let mut c = store.conn().await.unwrap();
        let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM mailboxes")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            mailboxes::authenticate(&mut c, "mario.rossi@pec.example.it", "una password lunga")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            mailboxes::authenticate(&mut c, "MARIO.ROSSI@pec.example.it", "una password lunga")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            mailboxes::authenticate(&mut c, "mario.rossi@pec.example.it", "sbagliata!")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            mailboxes::authenticate(&mut c, "nessuno@pec.example.it", "una password lunga")
                .await
                .unwrap()
                .is_none()
        );
        mailboxes::set_status(&mut c, "mario.rossi@pec.example.it", Status::Suspended)
            .await
            .unwrap();
        assert_eq!(
            mailboxes::get(&mut c, "mario.rossi@pec.example.it")
                .await
                .unwrap()
                .unwrap()
                .status,
            Status::Suspended
        );
        let folders: Vec<String> = messages::folders(&mut c, m.id)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(folders, vec!["Drafts", "INBOX", "Junk", "Sent", "Trash"]);
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_nothing_is_stored() {
    on_both(|store| async move {
        mailbox(&store, "a@pec.example.it").await;
        let mut tx = store.begin().await.unwrap();
        let dup = mailboxes::create(&mut tx, "a@pec.example.it", "una password lunga", 1, NOW)
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("already exists"), "{dup}");
        let short = mailboxes::create(&mut tx, "b@pec.example.it", "corta", 1, NOW)
            .await
            .unwrap_err();
        assert!(short.to_string().contains("at least 8"), "{short}");
        let foreign = mailboxes::create(&mut tx, "c@altro.it", "una password lunga", 1, NOW)
            .await
            .unwrap_err();
        assert!(
            foreign.to_string().contains("not a domain of this provider"),
            "{foreign}"
        );
        let bad = mailboxes::create(&mut tx, "not an address", "una password lunga", 1, NOW)
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("not an e-mail address"), "{bad}");
        tx.rollback().await.unwrap();
        let mut c = store.conn().await.unwrap();
        assert_eq!(mailboxes::list(&mut c).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn blobs_are_stored_once_and_counted() {
    on_both(|store| async move {
        let a = mailbox(&store, "a@pec.example.it").await;
        let b = mailbox(&store, "b@pec.example.it").await;
        let body = b"Subject: x\r\n\r\nciao\r\n".to_vec();
        let id = store.blobs().put(&body).await.unwrap();
        assert_eq!(id, BlobId::of(&body));
        assert_eq!(store.blobs().put(&body).await.unwrap(), id);
        let mut tx = store.begin().await.unwrap();
        for m in [&a, &b] {
            let inbox = messages::folder(&mut tx, m.id, "inbox").await.unwrap().unwrap();
            let new = NewMessage {
                blob: &id,
                size: body.len() as i64,
                internal_date: NOW,
                flags: &[],
                pec_kind: None,
                identificativo: None,
            };
            messages::append(&mut tx, inbox.id, &new).await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        let (refs,): (i64,) = sqlx::query_as("SELECT refcount FROM blobs WHERE sha256 = $1")
            .bind(id.as_str())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(refs, 2);
        assert_eq!(store.blobs().get(&id).await.unwrap(), body);
        assert_eq!(
            mailboxes::get(&mut c, "a@pec.example.it")
                .await
                .unwrap()
                .unwrap()
                .used_bytes,
            body.len() as i64
        );
        assert!(matches!(
            store.blobs().get(&BlobId::of(b"missing")).await,
            Err(store::Error::MissingBlob(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn uids_and_modseqs_grow_and_a_rolled_back_append_leaves_no_trace() {
    on_both(|store| async move {
        let m = mailbox(&store, "a@pec.example.it").await;
        let id = store.blobs().put(b"x").await.unwrap();
        let new = NewMessage {
            blob: &id,
            size: 1,
            internal_date: NOW,
            flags: &["\\Seen"],
            pec_kind: Some("accettazione"),
            identificativo: Some("id@x"),
        };
        let mut tx = store.begin().await.unwrap();
        let inbox = messages::folder(&mut tx, m.id, "INBOX").await.unwrap().unwrap();
        let first = messages::append(&mut tx, inbox.id, &new).await.unwrap();
        let second = messages::append(&mut tx, inbox.id, &new).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((first.uid, second.uid), (1, 2));
        assert!(second.modseq > first.modseq);
        assert_eq!(first.flags, vec!["\\Seen"]);
        let mut tx = store.begin().await.unwrap();
        messages::append(&mut tx, inbox.id, &new).await.unwrap();
        tx.rollback().await.unwrap();
        let mut c = store.conn().await.unwrap();
        let listed = messages::list(&mut c, inbox.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(messages::folder_by_id(&mut c, inbox.id).await.unwrap().uidnext, 3);
        assert_eq!(listed[0].identificativo.as_deref(), Some("id@x"));
    })
    .await;
}

#[tokio::test]
async fn pec_recipients_advance_but_never_leave_a_final_state() {
    on_both(|store| async move {
        let blob = store.blobs().put(b"original").await.unwrap();
        let rcpts = vec![
            ("b@pec.altro.it".to_string(), true, false),
            ("c@example.com".to_string(), false, false),
        ];
        let mut tx = store.begin().await.unwrap();
        let id = pec::insert(
            &mut tx,
            &NewPecMessage {
                identificativo: "certa.1@pec.example.it",
                msgid: Some("<m@client>"),
                sender: "a@pec.example.it",
                reply_to: "a@pec.example.it",
                subject: "Oggetto",
                receipt_kind: "completa",
                original_blob: &blob,
                original_size: 8,
                accepted_at: NOW,
                recipients: &rcpts,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        assert!(
            pec::advance(&mut c, id, "B@pec.altro.it", RecipientState::TakenOver, None, NOW)
                .await
                .unwrap()
        );
        assert!(
            !pec::advance(&mut c, id, "b@pec.altro.it", RecipientState::TakenOver, None, NOW)
                .await
                .unwrap()
        );
        assert!(
            pec::advance(&mut c, id, "b@pec.altro.it", RecipientState::Delivered, Some("ok"), NOW)
                .await
                .unwrap()
        );
        assert!(
            !pec::advance(&mut c, id, "b@pec.altro.it", RecipientState::Failed, None, NOW)
                .await
                .unwrap()
        );
        let r = pec::recipients(&mut c, id).await.unwrap();
        assert_eq!(r[0].state, RecipientState::Delivered);
        assert_eq!(r[1].state, RecipientState::Pending);
        assert!(!r[1].certified);
        let m = pec::by_identificativo(&mut c, "certa.1@pec.example.it")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.msgid.as_deref(), Some("<m@client>"));
        let env = store.blobs().put(b"envelope").await.unwrap();
        pec::set_envelope(&mut c, id, &env, 8, NOW).await.unwrap();
        assert!(
            pec::set_envelope(&mut c, id, &env, 8, NOW).await.is_err(),
            "the envelope is built once"
        );
        assert!(pec::first_time(&mut c, "in:x", NOW).await.unwrap());
        assert!(!pec::first_time(&mut c, "in:x", NOW).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_pec_message_keeps_its_reply_to_and_the_submitted_order_of_its_recipients() {
    on_both(|store| async move {
        let blob = store.blobs().put(b"original").await.unwrap();
        // Submitted in this order, which is not the alphabetical one.
        let rcpts = vec![
            ("zeta@pec.altro.it".to_string(), true, false),
            ("alfa@example.com".to_string(), false, false),
            ("mario@pec.example.it".to_string(), true, true),
        ];
        let mut tx = store.begin().await.unwrap();
        let id = pec::insert(
            &mut tx,
            &NewPecMessage {
                identificativo: "certa.2@pec.example.it",
                msgid: Some("<r@client>"),
                sender: "a@pec.example.it",
                reply_to: "segreteria@example.it",
                subject: "Con Reply-To",
                receipt_kind: "breve",
                original_blob: &blob,
                original_size: 8,
                accepted_at: NOW,
                recipients: &rcpts,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        let m = pec::get(&mut c, id).await.unwrap();
        assert_eq!(m.reply_to.as_deref(), Some("segreteria@example.it"));
        assert_eq!(m.reply_address(), "segreteria@example.it");
        let listed: Vec<(String, bool, bool)> = pec::recipients(&mut c, id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.address, r.certified, r.local))
            .collect();
        assert_eq!(listed, rcpts);

        // A message recorded before migration 0006: no reply_to, no order.
        sqlx::query(
            "INSERT INTO pec_messages (identificativo, msgid, sender, subject, receipt_kind, original_blob, accepted_at)
             VALUES ('certa.old@pec.example.it', NULL, 'a@pec.example.it', 'Vecchio', 'completa', $1, $2)",
        )
        .bind(blob.as_str())
        .bind(NOW)
        .execute(&mut *c)
        .await
        .unwrap();
        let old = pec::by_identificativo(&mut c, "certa.old@pec.example.it")
            .await
            .unwrap()
            .unwrap();
        for address in ["b@pec.altro.it", "a@pec.altro.it"] {
            sqlx::query(
                "INSERT INTO pec_recipients (pec_message_id, address, certified, local, state, updated_at)
                 VALUES ($1, $2, 1, 0, 'pending', $3)",
            )
            .bind(old.id)
            .bind(address)
            .bind(NOW)
            .execute(&mut *c)
            .await
            .unwrap();
        }
        assert_eq!(old.reply_to, None);
        assert_eq!(old.reply_address(), "a@pec.example.it", "the sender, as before");
        let addresses: Vec<String> = pec::recipients(&mut c, old.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.address)
            .collect();
        assert_eq!(addresses, ["a@pec.altro.it", "b@pec.altro.it"]);
    })
    .await;
}

#[tokio::test]
async fn jobs_are_claimed_once_leased_and_replayed_after_a_lost_lease() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        assert!(
            jobs::enqueue(&mut c, "acceptance", "{}", "m1:acceptance", NOW, NOW)
                .await
                .unwrap()
        );
        assert!(
            !jobs::enqueue(&mut c, "acceptance", "{}", "m1:acceptance", NOW, NOW)
                .await
                .unwrap(),
            "idempotency key"
        );
        assert!(
            jobs::enqueue(&mut c, "timer", "{}", "m1:timer", NOW + 1000, NOW)
                .await
                .unwrap()
        );
        // Only the due one is claimed, and only once while leased.
        let job = jobs::claim(&mut c, "node-a", NOW, NOW + 100).await.unwrap().unwrap();
        assert_eq!(job.kind, "acceptance");
        assert_eq!(job.attempts, 1);
        assert!(
            jobs::claim(&mut c, "node-b", NOW + 50, NOW + 150)
                .await
                .unwrap()
                .is_none()
        );
        // node-a dies; after the lease node-b takes it, and node-a can no longer complete it.
        let again = jobs::claim(&mut c, "node-b", NOW + 101, NOW + 200)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (job.id, 2));
        assert!(!jobs::complete(&mut c, &job, NOW + 102).await.unwrap());
        assert!(jobs::complete(&mut c, &again, NOW + 102).await.unwrap());
        // Retry with backoff, then cancel.
        let timer = jobs::claim(&mut c, "node-a", NOW + 1000, NOW + 2000)
            .await
            .unwrap()
            .unwrap();
        jobs::retry(&mut c, &timer, NOW + 5000, "remote down").await.unwrap();
        assert!(
            jobs::claim(&mut c, "node-a", NOW + 1001, NOW + 3000)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(jobs::next_due(&mut c).await.unwrap(), Some(NOW + 5000));
        assert!(jobs::cancel(&mut c, "m1:timer", NOW).await.unwrap());
        assert_eq!(
            jobs::counts(&mut c).await.unwrap(),
            jobs::Counts {
                queued: 0,
                done: 1,
                dead: 0,
                cancelled: 1
            }
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    on_both(|store| async move {
        {
            let mut tx = store.begin().await.unwrap();
            for i in 0..60 {
                jobs::enqueue(&mut tx, "k", "{}", &format!("job-{i}"), NOW, NOW)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let mut workers = Vec::new();
        for w in 0..4 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let mut tx = store.begin().await.unwrap();
                    let job = jobs::claim(&mut tx, &format!("w{w}"), NOW, NOW + 60_000).await.unwrap();
                    tx.commit().await.unwrap();
                    let Some(job) = job else { break };
                    let mut tx = store.begin().await.unwrap();
                    assert!(jobs::complete(&mut tx, &job, NOW).await.unwrap());
                    tx.commit().await.unwrap();
                    mine.push(job.id);
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (60, 60));
    })
    .await;
}

#[tokio::test]
async fn provider_log_is_searchable_and_purged_after_retention() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let rcpts = vec!["b@pec.altro.it".to_string(), "c@example.com".to_string()];
        let e = NewEntry {
            identificativo: Some("certa.1@pec.example.it"),
            msgid: Some("<m@client>"),
            sender: Some("a@pec.example.it"),
            recipients: &rcpts,
            subject: Some("Oggetto"),
            detail: None,
        };
        log::append(&mut c, NOW - 1000, Event::Accettazione, &e).await.unwrap();
        log::append(&mut c, NOW, Event::BustaTrasporto, &e).await.unwrap();
        log::append(
            &mut c,
            NOW + 1000,
            Event::Consegna,
            &NewEntry {
                identificativo: Some("other@x"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let by_id = log::search(
            &mut c,
            &Filter {
                identificativo: Some("certa.1@pec.example.it".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            by_id.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            vec!["Accettazione", "BustaTrasporto"]
        );
        let by_msgid = log::search(
            &mut c,
            &Filter {
                msgid: Some("m@client".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_msgid.len(), 2);
        let by_rcpt = log::search(
            &mut c,
            &Filter {
                address: Some("C@example.com".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_rcpt.len(), 2);
        assert_eq!(by_rcpt[0].recipients, rcpts);
        let by_date = log::search(
            &mut c,
            &Filter {
                from: Some(NOW),
                to: Some(NOW + 1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_date.len(), 1);
        assert_eq!(log::purge(&mut c, NOW).await.unwrap(), 1);
        assert_eq!(log::search(&mut c, &Filter::default()).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn flags_expunge_copy_move_and_folders_keep_uids_modseqs_and_usage_right() {
    use store::changes::{self, FlagOp};
    on_both(|store| async move {
        let m = mailbox(&store, "a@pec.example.it").await;
        let blob = store.blobs().put(b"Subject: x\r\n\r\n12345").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let inbox = messages::folder(&mut tx, m.id, "INBOX").await.unwrap().unwrap();
        let new = NewMessage {
            blob: &blob,
            size: 20,
            internal_date: NOW,
            flags: &[],
            pec_kind: None,
            identificativo: None,
        };
        let a = messages::append(&mut tx, inbox.id, &new).await.unwrap();
        let b = messages::append(&mut tx, inbox.id, &new).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        // STORE +FLAGS, and CONDSTORE's UNCHANGEDSINCE.
        let seen = vec!["\\Seen".to_string()];
        let (changed, _) = changes::set_flags(&mut c, inbox.id, &[a.id], FlagOp::Add, &seen, None)
            .await
            .unwrap();
        assert_eq!(changed[0].flags, seen);
        assert!(changed[0].modseq > b.modseq);
        let (none, refused) = changes::set_flags(
            &mut c,
            inbox.id,
            &[a.id],
            FlagOp::Add,
            &["\\Flagged".into()],
            Some(a.modseq),
        )
        .await
        .unwrap();
        assert!(none.is_empty());
        assert_eq!(refused.len(), 1);
        let (same, _) = changes::set_flags(&mut c, inbox.id, &[a.id], FlagOp::Add, &seen, None)
            .await
            .unwrap();
        assert!(same.is_empty(), "no change, no new MODSEQ");
        // COPY to Trash, MOVE to Sent: usage follows.
        let trash = messages::folder(&mut c, m.id, "Trash").await.unwrap().unwrap();
        let sent = messages::folder(&mut c, m.id, "Sent").await.unwrap().unwrap();
        assert_eq!(changes::copy(&mut c, &[a.id], trash.id).await.unwrap(), vec![(1, 1)]);
        assert_eq!(
            changes::move_messages(&mut c, inbox.id, &[b.id], sent.id, NOW)
                .await
                .unwrap(),
            vec![(2, 1)]
        );
        assert_eq!(
            mailboxes::get(&mut c, "a@pec.example.it")
                .await
                .unwrap()
                .unwrap()
                .used_bytes,
            60
        );
        // EXPUNGE removes only \Deleted.
        changes::set_flags(&mut c, inbox.id, &[a.id], FlagOp::Add, &["\\Deleted".into()], None)
            .await
            .unwrap();
        assert_eq!(
            changes::expunge(&mut c, inbox.id, None, NOW).await.unwrap().uids,
            vec![1]
        );
        assert!(messages::list(&mut c, inbox.id).await.unwrap().is_empty());
        assert_eq!(
            mailboxes::get(&mut c, "a@pec.example.it")
                .await
                .unwrap()
                .unwrap()
                .used_bytes,
            40
        );
        let (refs,): (i64,) = sqlx::query_as("SELECT refcount FROM blobs WHERE sha256 = $1")
            .bind(blob.as_str())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(refs, 2);
        // Folders: create, rename (new UIDVALIDITY), delete with its messages.
        let f = changes::create_folder(&mut c, m.id, "Clienti", NOW).await.unwrap();
        assert!(changes::create_folder(&mut c, m.id, "Clienti", NOW).await.is_err());
        changes::rename_folder(&mut c, m.id, "Clienti", "Clienti/2026", NOW)
            .await
            .unwrap();
        let renamed = messages::folder(&mut c, m.id, "Clienti/2026").await.unwrap().unwrap();
        assert!(renamed.uidvalidity > f.uidvalidity);
        let in_trash = messages::list(&mut c, trash.id).await.unwrap()[0].id;
        changes::copy(&mut c, &[in_trash], renamed.id).await.unwrap();
        changes::delete_folder(&mut c, m.id, "Clienti/2026", NOW).await.unwrap();
        assert!(messages::folder(&mut c, m.id, "Clienti/2026").await.unwrap().is_none());
        assert!(changes::delete_folder(&mut c, m.id, "INBOX", NOW).await.is_err());
        assert_eq!(
            mailboxes::get(&mut c, "a@pec.example.it")
                .await
                .unwrap()
                .unwrap()
                .used_bytes,
            40
        );
    })
    .await;
}

fn sub_row<'a>(mailbox: &'a str, tax_id: &'a str, state: &'a str) -> store::lifecycle::SubscriptionRow<'a> {
    store::lifecycle::SubscriptionRow {
        mailbox,
        convention: "CROAS-DCS-2024",
        tax_id,
        state,
        expiry: "2025-03-10",
        cancelled_at: None,
        data: "{}",
    }
}

#[tokio::test]
async fn conventions_subscriptions_and_done_keys_keep_their_rules() {
    use store::lifecycle as lc;
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        lc::put_convention(&mut c, "CROAS-DCS-2024", "code = 1", false, NOW)
            .await
            .unwrap();
        let err = lc::put_convention(&mut c, "croas-dcs-2024", "code = 2", false, NOW)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        lc::put_convention(&mut c, "croas-dcs-2024", "code = 2", true, NOW + 1)
            .await
            .unwrap();
        let conv = lc::convention(&mut c, " Croas-DCS-2024 ").await.unwrap().unwrap();
        assert_eq!(
            (conv.code.as_str(), conv.source.as_str()),
            ("CROAS-DCS-2024", "code = 2")
        );
        assert_eq!(lc::conventions(&mut c).await.unwrap().len(), 1);

        let a = "anna@pec.example.it";
        let sub = lc::insert_subscription(&mut c, &sub_row(a, "RSSMRA85T10A562S", "active"), NOW)
            .await
            .unwrap();
        let err = lc::insert_subscription(&mut c, &sub_row(a, "RSSMRA85T10A562S", "active"), NOW)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already has a subscription"), "{err}");

        // Optimistic lock: a writer holding an old version is refused.
        let v1 = lc::update_subscription(
            &mut c,
            sub.id,
            sub.version,
            &sub_row(a, "RSSMRA85T10A562S", "suspended"),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!((v1.state.as_str(), v1.version), ("suspended", 1));
        let stale = lc::update_subscription(
            &mut c,
            sub.id,
            sub.version,
            &sub_row(a, "RSSMRA85T10A562S", "active"),
            NOW,
        )
        .await
        .unwrap_err();
        assert!(stale.to_string().contains("changed meanwhile"), "{stale}");

        assert!(lc::mark_done(&mut c, sub.id, "notice-90", NOW).await.unwrap());
        assert!(!lc::mark_done(&mut c, sub.id, "notice-90", NOW).await.unwrap());
        assert_eq!(
            lc::done_between(&mut c, sub.id, sub.id).await.unwrap(),
            vec![(sub.id, "notice-90".to_string())]
        );

        // Deleted: the address may be bought again only by the same holder.
        lc::update_subscription(
            &mut c,
            sub.id,
            v1.version,
            &sub_row(a, "RSSMRA85T10A562S", "deleted"),
            NOW,
        )
        .await
        .unwrap();
        assert!(lc::subscription(&mut c, a).await.unwrap().is_none());
        let err = lc::insert_subscription(&mut c, &sub_row(a, "06363391001", "active"), NOW)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("only by the same"), "{err}");
        let again = lc::insert_subscription(&mut c, &sub_row(a, "RSSMRA85T10A562S", "active"), NOW)
            .await
            .unwrap();
        assert_ne!(again.id, sub.id);
        assert_eq!(lc::history(&mut c, a).await.unwrap().len(), 2);
        assert_eq!(lc::live_page(&mut c, 0, 10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn orders_are_numbered_once_and_payments_apply_once() {
    use store::lifecycle as lc;
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let sub = lc::insert_subscription(&mut c, &sub_row("b@pec.example.it", "RSSMRA85T10A562S", "active"), NOW)
            .await
            .unwrap();
        let new = lc::NewOrder {
            subscription_id: sub.id,
            mailbox: "b@pec.example.it",
            plan: "annuale",
            renews_expiry: "2025-03-10",
            net_cents: 650,
            vat_basis_points: 2200,
            amount_cents: 793,
        };
        let first = lc::ensure_order(&mut c, &new, 2024, NOW).await.unwrap();
        assert_eq!(first.id, "CRT-2024-000001");
        assert_eq!(lc::ensure_order(&mut c, &new, 2024, NOW).await.unwrap().id, first.id);
        let next = lc::ensure_order(
            &mut c,
            &lc::NewOrder {
                renews_expiry: "2026-03-10",
                ..new
            },
            2024,
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(next.id, "CRT-2024-000002");
        let payment = lc::NewPayment {
            payment_id: "BANK-1",
            order_id: "crt-2024-000001",
            source: "bank",
            amount_cents: 700,
            paid_at: NOW,
            detail: None,
        };
        let err = lc::record_payment(&mut c, &payment, NOW).await.unwrap_err();
        assert!(
            err.to_string().contains("does not match order CRT-2024-000001"),
            "{err}"
        );
        let paid = lc::record_payment(
            &mut c,
            &lc::NewPayment {
                amount_cents: 793,
                ..payment
            },
            NOW,
        )
        .await
        .unwrap();
        assert!(
            matches!(&paid, lc::Recorded::Paid(o) if o.state == "paid" && o.payment_id.as_deref() == Some("BANK-1"))
        );
        assert_eq!(
            lc::record_payment(
                &mut c,
                &lc::NewPayment {
                    amount_cents: 793,
                    ..payment
                },
                NOW
            )
            .await
            .unwrap(),
            lc::Recorded::AlreadyApplied
        );
        let twice = lc::NewPayment {
            payment_id: "CARD-9",
            amount_cents: 793,
            ..payment
        };
        assert!(matches!(
            lc::record_payment(&mut c, &twice, NOW).await.unwrap(),
            lc::Recorded::OrderAlreadyPaid(_)
        ));
        let err = lc::record_payment(
            &mut c,
            &lc::NewPayment {
                order_id: "CRT-2024-999999",
                ..twice
            },
            NOW,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("order not found: CRT-2024-999999"), "{err}");
        assert_eq!(
            lc::applied_payment_ids(&mut c).await.unwrap(),
            vec!["BANK-1".to_string()]
        );
        assert_eq!(lc::orders_in(&mut c, "open").await.unwrap().len(), 1);
        assert_eq!(lc::cancel_open_orders(&mut c, sub.id).await.unwrap(), 1);
        lc::log(&mut c, NOW, Some(sub.id), "b@pec.example.it", "paid", "CRT-2024-000001")
            .await
            .unwrap();
        assert_eq!(lc::log_of(&mut c, "b@pec.example.it").await.unwrap()[0].event, "paid");
    })
    .await;
}

#[tokio::test]
async fn deleting_a_mailboxs_contents_frees_blobs_after_the_grace_period() {
    on_both(|store| async move {
        let m = mailbox(&store, "c@pec.example.it").await;
        let other = mailbox(&store, "d@pec.example.it").await;
        let only_c = store.blobs().put(b"only in c").await.unwrap();
        let shared = store.blobs().put(b"in c and d").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        for (mb, blob) in [(&m, &only_c), (&m, &shared), (&other, &shared)] {
            let inbox = messages::folder(&mut tx, mb.id, "INBOX").await.unwrap().unwrap();
            let new = NewMessage {
                blob,
                size: 9,
                internal_date: NOW,
                flags: &[],
                pec_kind: None,
                identificativo: None,
            };
            messages::append(&mut tx, inbox.id, &new).await.unwrap();
        }
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        assert_eq!(messages::delete_all(&mut tx, m.id, NOW).await.unwrap(), (2, 18));
        mailboxes::set_status(&mut tx, "c@pec.example.it", Status::ReceiveOnly)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut c = store.conn().await.unwrap();
        let after = mailboxes::get(&mut c, "c@pec.example.it").await.unwrap().unwrap();
        assert_eq!((after.used_bytes, after.status), (0, Status::ReceiveOnly));
        assert!(messages::list_mailbox(&mut c, m.id).await.unwrap().is_empty());
        assert_eq!(messages::list_mailbox(&mut c, other.id).await.unwrap().len(), 1);
        drop(c);

        // Within the grace period nothing goes; after it, only the unshared blob.
        assert_eq!(store::blobs::collect_garbage(&store, NOW).await.unwrap(), 0);
        assert_eq!(store::blobs::collect_garbage(&store, NOW + 1).await.unwrap(), 1);
        assert!(matches!(
            store.blobs().get(&only_c).await,
            Err(store::Error::MissingBlob(_))
        ));
        assert_eq!(store.blobs().get(&shared).await.unwrap(), b"in c and d");
    })
    .await;
}

/// A store created before the lifecycle migration keeps every row through it
/// (SQLite rebuilds the mailboxes table) and its foreign keys still hold.
#[tokio::test]
async fn the_lifecycle_migration_keeps_existing_mailboxes_and_their_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("old");
    std::fs::create_dir_all(&data).unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.join("certa.db").display());
    {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::migrate!("migrations/sqlite").run_to(1, &pool).await.unwrap();
        for sql in [
            "INSERT INTO domains VALUES ('pec.example.it', 1)",
            "INSERT INTO mailboxes (address, domain, password_hash, status, quota_bytes, created_at)
             VALUES ('old@pec.example.it', 'pec.example.it', 'x', 'suspended', 100, 1)",
            "INSERT INTO folders (mailbox_id, name, uidvalidity) VALUES (1, 'INBOX', 1)",
            "INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ('ab', 1, 1, 1)",
            "INSERT INTO messages (folder_id, uid, modseq, blob, size, internal_date) VALUES (1, 1, 1, 'ab', 1, 1)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let store = Store::open(None, &data).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let m = mailboxes::get(&mut c, "old@pec.example.it").await.unwrap().unwrap();
    assert_eq!(m.status, Status::Suspended);
    assert_eq!(messages::list_mailbox(&mut c, m.id).await.unwrap().len(), 1);
    mailboxes::set_status(&mut c, "old@pec.example.it", Status::ReceiveOnly)
        .await
        .unwrap();
    let bad = sqlx::query("UPDATE mailboxes SET status = 'gone'")
        .execute(&mut *c)
        .await;
    assert!(bad.is_err(), "the status check survives the rebuild");
    let orphan = sqlx::query("INSERT INTO folders (mailbox_id, name, uidvalidity) VALUES (99, 'X', 1)")
        .execute(&mut *c)
        .await;
    assert!(orphan.is_err(), "folders still reference mailboxes");
}
