//! The benchmark of a folder's first page over 100 000 messages (not a timed
//! test: it prints its figures). Run it with
//! `cargo test -p web --release --test reading_bench -- --ignored --nocapture`
//! (`CERTA_TEST_POSTGRES` set: on PostgreSQL too).
//!
//! The folder is filled by direct inserts (one shared small blob, each row with
//! its summary), in batches, then `/mail/{folder}` is asked through the router
//! as a browser would: the first page, a page 99 000 rows deep (keyset: it
//! should cost the same), the same with receipts hidden, and a search by
//! Message-ID. Each figure is the median of 5.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{Browser, Site, address};

const MESSAGES: i64 = 100_000;
const BATCH: i64 = 500;

async fn fill(site: &Site, mailbox: &str) -> i64 {
    let store = site.office.store();
    let raw = b"From: Mittente <m@example.it>\r\nTo: mario@pec.office.test\r\nSubject: Messaggio\r\n\r\nTesto.\r\n";
    let blob = store.blobs().put(raw).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let m = store::mailboxes::get(&mut tx, mailbox).await.unwrap().unwrap();
    let folder = store::messages::folder(&mut tx, m.id, "INBOX").await.unwrap().unwrap();
    store::blobs::add_ref(&mut tx, &blob, raw.len(), 0).await.unwrap();
    tx.commit().await.unwrap();
    let columns = 12;
    for start in (0..MESSAGES).step_by(BATCH as usize) {
        let mut sql = String::from(
            "INSERT INTO messages (folder_id, uid, modseq, blob, size, internal_date, flags, pec_kind, \
             summarised, from_address, subject, message_id) VALUES ",
        );
        let rows: Vec<String> = (0..BATCH)
            .map(|i| {
                let p: Vec<String> = (1..=columns).map(|c| format!("${}", i * columns + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        sql.push_str(&rows.join(", "));
        let mut q = store::sqlx::query(store::sqlx::AssertSqlSafe(sql));
        for n in start..start + BATCH {
            // Every tenth a receipt, every third read.
            let kind = (n % 10 == 9).then_some("avvenuta-consegna");
            q = q
                .bind(folder.id)
                .bind(n + 1)
                .bind(1_i64)
                .bind(blob.as_str().to_string())
                .bind(raw.len() as i64)
                .bind(1_700_000_000_000 + n * 1000)
                .bind(if n % 3 == 0 { "\\Seen" } else { "" })
                .bind(kind)
                .bind(1_i64)
                .bind(format!("m{}@example.it", n % 97))
                .bind(format!("Messaggio n. {n}"))
                .bind(format!("bench-{n}@example.it"));
        }
        let mut tx = store.begin().await.unwrap();
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut tx = store.begin().await.unwrap();
    store::sqlx::query("UPDATE folders SET uidnext = $1 WHERE id = $2")
        .bind(MESSAGES + 1)
        .bind(folder.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    folder.id
}

async fn median(b: &mut Browser, path: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..5 {
        let at = Instant::now();
        let page = b.get(path).await;
        times.push(at.elapsed());
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("/message/"), "{path}: rows shown");
    }
    times.sort();
    times[2]
}

async fn bench(database: Option<&str>, name: &str) {
    let site = Site::on(database).await;
    let filling = Instant::now();
    let folder = fill(&site, &address("mario")).await;
    let filled = filling.elapsed();
    let mut b = site.logged_in("mario").await;
    let first = median(&mut b, &format!("/mail/{folder}")).await;
    // 99 000 rows deep: the key of the row 99 000th from the newest.
    let (date, id): (i64, i64) =
        store::sqlx::query_as("SELECT internal_date, id FROM messages WHERE folder_id = $1 AND uid = $2")
            .bind(folder)
            .bind(MESSAGES - 99_000 + 1)
            .fetch_one(&mut *site.office.store().conn().await.unwrap())
            .await
            .unwrap();
    let deep_key = format!("{date}.{id}");
    let deep = median(&mut b, &format!("/mail/{folder}?older={deep_key}")).await;
    let hidden = median(&mut b, &format!("/mail/{folder}?receipts=hide")).await;
    let search = median(&mut b, "/search?msgid=bench-4242@example.it").await;
    println!(
        "{name}: {MESSAGES} messages filled in {:.1} s; /mail/{{folder}} first page median of 5: {:.1} ms; \
         99 000 rows deep: {:.1} ms; receipts hidden: {:.1} ms; search by Message-ID: {:.1} ms",
        filled.as_secs_f64(),
        first.as_secs_f64() * 1000.0,
        deep.as_secs_f64() * 1000.0,
        hidden.as_secs_f64() * 1000.0,
        search.as_secs_f64() * 1000.0,
    );
    site.office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run with --release -- --ignored --nocapture"]
async fn first_page_of_a_folder_of_100_000_messages() {
    bench(None, "SQLite").await;
    if std::env::var("CERTA_TEST_POSTGRES").is_ok() {
        let db = testkit::postgres::Database::create().await;
        bench(Some(&db.url), "PostgreSQL").await;
        db.drop_now().await;
    }
}
