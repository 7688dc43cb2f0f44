//! Reading and search (`office::mail`), on SQLite and PostgreSQL: a folder of
//! 120 messages paged by 50 both ways without a duplicate or a gap, receipts
//! hidden, the folders in the order people expect, rows stored before their
//! summary summarised on the way, a subject that is not UTF-8 listed with
//! replacement characters, and search by identificativo, Message-ID, kind and
//! "not delivered" over messages exchanged through `testkit::net`.

use office::compose::{self, Draft, Outcome, Uploads};
use office::mail::list::Position;
use office::mail::{self, Category, KindFilter, Query};
use store::Backend;
use store::messages::{self, NewMessage};
use testkit::net::{Net, on_both};

async fn mailbox_id(office: &office::Office, address: &str) -> i64 {
    let mut c = office.store().conn().await.unwrap();
    store::mailboxes::get(&mut c, address).await.unwrap().unwrap().id
}

async fn inbox(office: &office::Office, mailbox: i64) -> i64 {
    let mut c = office.store().conn().await.unwrap();
    messages::folder(&mut c, mailbox, "INBOX").await.unwrap().unwrap().id
}

/// Stores `raw` in `folder` arriving at `at` ms, with its summary unless `bare`.
async fn put(office: &office::Office, folder: i64, raw: &[u8], at: i64, kind: Option<&str>, bare: bool) -> i64 {
    let blob = office.store().blobs().put(raw).await.unwrap();
    let mut tx = office.store().begin().await.unwrap();
    let new = NewMessage {
        blob: &blob,
        size: raw.len() as i64,
        internal_date: at,
        flags: &[],
        pec_kind: kind,
        identificativo: None,
    };
    let m = if bare {
        messages::append(&mut tx, folder, &new).await.unwrap()
    } else {
        messages::append_summarised(&mut tx, folder, &new, &pec::summary(raw))
            .await
            .unwrap()
    };
    tx.commit().await.unwrap();
    m.id
}

fn plain(n: usize) -> Vec<u8> {
    format!("From: Mittente {n} <m{n}@example.it>\r\nTo: mario@nord.pec.test\r\nSubject: Messaggio {n}\r\nMessage-ID: <m{n}@example.it>\r\n\r\nTesto {n}.\r\n").into_bytes()
}

#[tokio::test]
async fn a_folder_of_120_pages_by_50_both_ways_without_duplicate_or_gap() {
    on_both(|backend: Backend| async move {
        let net = Net::start(backend).await;
        let mario = net.nord().create_mailbox("mario").await;
        let office = net.nord().office();
        let me = mailbox_id(&office, &mario).await;
        let folder = inbox(&office, me).await;
        // Pairs of messages share an arrival time: the id breaks the tie.
        let mut ids = Vec::new();
        for n in 0..120 {
            ids.push(
                put(
                    &office,
                    folder,
                    &plain(n),
                    1_700_000_000_000 + (n as i64 / 2) * 1000,
                    None,
                    false,
                )
                .await,
            );
        }
        let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

        let mut seen = Vec::new();
        let mut pages = Vec::new();
        let mut at = Position::Newest;
        loop {
            let page = mail::list(&office, me, folder, at, false).await.unwrap();
            assert!(page.rows.len() <= 50);
            seen.extend(page.rows.iter().map(|r| r.id));
            pages.push(page.rows.iter().map(|r| r.id).collect::<Vec<_>>());
            match page.older {
                Some(c) => at = Position::Older(c),
                None => break,
            }
        }
        assert_eq!(seen, newest_first, "every message once, newest first");
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
        assert_eq!(
            mail::list(&office, me, folder, Position::Newest, false)
                .await
                .unwrap()
                .messages,
            120
        );

        // Back from the last page through the newer links.
        let last = mail::list(
            &office,
            me,
            folder,
            Position::Older(cursor_after(&office, me, folder, 100).await),
            false,
        )
        .await
        .unwrap();
        assert_eq!(last.rows.iter().map(|r| r.id).collect::<Vec<_>>(), pages[2]);
        let middle = mail::list(&office, me, folder, Position::Newer(last.newer.unwrap()), false)
            .await
            .unwrap();
        assert_eq!(middle.rows.iter().map(|r| r.id).collect::<Vec<_>>(), pages[1]);
        let first = mail::list(&office, me, folder, Position::Newer(middle.newer.unwrap()), false)
            .await
            .unwrap();
        assert_eq!(first.rows.iter().map(|r| r.id).collect::<Vec<_>>(), pages[0]);
        assert!(first.newer.is_none(), "the newest page has no newer link");
        net.stop().await;
    })
    .await;
}

/// The cursor of the `n`th newest row (the page after it starts at n + 1).
async fn cursor_after(office: &office::Office, me: i64, folder: i64, n: usize) -> mail::Cursor {
    let mut at = Position::Newest;
    let mut rows = Vec::new();
    while rows.len() < n {
        let page = mail::list(office, me, folder, at, false).await.unwrap();
        rows.extend(page.rows.iter().map(|r| r.cursor));
        at = Position::Older(page.older.unwrap());
    }
    rows[n - 1]
}

#[tokio::test]
async fn receipts_hide_and_rows_without_a_summary_are_summarised_on_the_way() {
    on_both(|backend: Backend| async move {
        let net = Net::start(backend).await;
        let mario = net.nord().create_mailbox("mario").await;
        let office = net.nord().office();
        let me = mailbox_id(&office, &mario).await;
        let folder = inbox(&office, me).await;
        put(&office, folder, &plain(1), 1_000, None, true).await;
        put(
            &office,
            folder,
            b"Subject: ACCETTAZIONE: x\r\n\r\n",
            2_000,
            Some("accettazione"),
            false,
        )
        .await;
        put(
            &office,
            folder,
            b"Subject: CONSEGNA: x\r\n\r\n",
            3_000,
            Some("avvenuta-consegna"),
            false,
        )
        .await;
        put(
            &office,
            folder,
            b"Subject: Perch\xe8 no\r\nFrom: a@b.it\r\n\r\n",
            4_000,
            None,
            false,
        )
        .await;

        let all = mail::list(&office, me, folder, Position::Newest, false).await.unwrap();
        assert_eq!(all.rows.len(), 4);
        assert_eq!(
            all.rows[0].subject, "Perch\u{FFFD} no",
            "bad bytes replaced, never a failure"
        );
        assert_eq!(all.rows[1].category, Category::Receipt);
        assert_eq!(all.rows[3].subject, "Messaggio 1", "summarised when first listed");
        assert_eq!(all.rows[3].from, "Mittente 1 <m1@example.it>");

        let hidden = mail::list(&office, me, folder, Position::Newest, true).await.unwrap();
        let subjects: Vec<&str> = hidden.rows.iter().map(|r| r.subject.as_str()).collect();
        assert_eq!(subjects, ["Perch\u{FFFD} no", "Messaggio 1"]);

        put(&office, folder, &plain(2), 5_000, None, true).await;
        assert_eq!(mail::backfill(&office, None, 10).await.unwrap(), 1);
        assert_eq!(mail::backfill(&office, None, 10).await.unwrap(), 0);
        net.stop().await;
    })
    .await;
}

#[tokio::test]
async fn folders_come_in_the_order_people_expect() {
    let net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    let office = net.nord().office();
    let me = mailbox_id(&office, &mario).await;
    let mut tx = office.store().begin().await.unwrap();
    for name in ["Archivio", "Trash", "Junk", "Drafts", "Sent", "Clienti"] {
        // A new mailbox may have some of them already.
        if messages::folder(&mut tx, me, name).await.unwrap().is_none() {
            store::changes::create_folder(&mut tx, me, name, 1_000_000)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let names: Vec<String> = mail::folders(&office, me)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archivio", "Clienti"]
    );
    net.stop().await;
}

#[tokio::test]
async fn another_mailboxs_folder_and_message_are_not_found() {
    let net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    let anna = net.nord().create_mailbox("anna").await;
    let office = net.nord().office();
    let (me, other) = (mailbox_id(&office, &mario).await, mailbox_id(&office, &anna).await);
    let folder = inbox(&office, me).await;
    let id = put(&office, folder, &plain(1), 1_000, None, false).await;
    assert!(matches!(
        mail::list(&office, other, folder, Position::Newest, false).await,
        Err(office::Error::NotFound { .. })
    ));
    assert!(matches!(
        mail::read(&office, other, id).await,
        Err(office::Error::NotFound { .. })
    ));
    assert!(matches!(
        mail::part(&office, other, id, 0).await,
        Err(office::Error::NotFound { .. })
    ));
    assert!(matches!(
        mail::read(&office, me, id + 1000).await,
        Err(office::Error::NotFound { .. })
    ));
    net.stop().await;
}

#[tokio::test]
async fn search_finds_by_identificativo_message_id_kind_and_what_was_not_delivered() {
    on_both(|backend: Backend| async move {
        let mut net = Net::start(backend).await;
        let mario = net.nord().create_mailbox("mario").await;
        net.nord().create_mailbox("anna").await;
        net.sud().create_mailbox("luca").await;
        let office = net.nord().office();
        let me = mailbox_id(&office, &mario).await;
        let send = |to: &str, subject: &str| Draft {
            to: to.into(),
            subject: subject.into(),
            text: "Buongiorno.".into(),
            ..Draft::default()
        };
        let mut sent = Vec::new();
        for (to, subject) in [
            ("anna@nord.pec.test, luca@sud.pec.test", "Consegnato a tutti"),
            ("anna@nord.pec.test, x@ovest.pec.test", "Ovest non risponde"),
        ] {
            let uploads = Uploads::new(&office, 1 << 20).unwrap();
            let Outcome::Accepted { identificativo, .. } =
                compose::send(&office, me, &send(to, subject), &uploads).await.unwrap()
            else {
                panic!("not accepted");
            };
            sent.push(identificativo);
        }
        net.pump().await;

        let q = |f: &dyn Fn(&mut Query)| {
            let mut q = Query::default();
            f(&mut q);
            q
        };
        let by_id = mail::search(&office, me, &q(&|q| q.identificativo = Some(sent[0].clone())))
            .await
            .unwrap();
        let kinds: Vec<Option<&str>> = by_id.rows.iter().map(|r| r.pec_kind.as_deref()).collect();
        assert!(kinds.contains(&None), "the copy in Sent: {kinds:?}");
        assert!(kinds.contains(&Some("accettazione")), "{kinds:?}");
        assert_eq!(
            kinds.iter().filter(|k| **k == Some("avvenuta-consegna")).count(),
            2,
            "{kinds:?}"
        );
        assert!(
            by_id
                .rows
                .iter()
                .all(|r| r.identificativo.as_deref() == Some(sent[0].as_str()))
        );

        let copy = by_id.rows.iter().find(|r| r.pec_kind.is_none()).unwrap();
        let mut c = office.store().conn().await.unwrap();
        let row = store::listing::row(&mut c, copy.id).await.unwrap().unwrap();
        drop(c);
        let msgid = row.message_id.expect("the copy's Message-ID");
        let by_msgid = mail::search(&office, me, &q(&|q| q.message_id = Some(format!("<{msgid}>"))))
            .await
            .unwrap();
        assert_eq!(by_msgid.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [copy.id]);

        let receipts = mail::search(&office, me, &q(&|q| q.kind = Some(KindFilter::Receipt)))
            .await
            .unwrap();
        assert!(receipts.rows.len() >= 4);
        assert!(receipts.rows.iter().all(|r| r.category == Category::Receipt));

        let not_delivered = mail::search(&office, me, &q(&|q| q.not_delivered = true))
            .await
            .unwrap();
        let subjects: Vec<&str> = not_delivered.rows.iter().map(|r| r.subject.as_str()).collect();
        assert_eq!(subjects, ["Ovest non risponde"]);

        let by_subject = mail::search(&office, me, &q(&|q| q.subject = Some("consegnato A".into())))
            .await
            .unwrap();
        assert!(by_subject.rows.iter().any(|r| r.subject == "Consegnato a tutti"));
        let by_recipient = mail::search(&office, me, &q(&|q| q.recipient = Some("x@ovest".into())))
            .await
            .unwrap();
        assert!(
            by_recipient
                .rows
                .iter()
                .all(|r| r.identificativo.as_deref() == Some(sent[1].as_str()))
        );
        assert!(!by_recipient.rows.is_empty());
        net.stop().await;
    })
    .await;
}
