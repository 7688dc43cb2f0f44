//! A mailbox's usage as the webmail shows it, on both storage back ends: the
//! levels of the server's warnings, the growth of the last 30 days (messages
//! older than that do not count in it; archived receipts count nowhere), and
//! the predicted day of fullness.

use chrono::{NaiveDate, TimeZone, Utc};
use office::mailboxes::{self, NewMailbox};
use office::quota::{self, Level};
use store::messages::{self, NewMessage};
use store::receipts::{ARCHIVE, ARCHIVE_FOLDER};
use testkit::office::on_both;

const KB: i64 = 1024;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Appends a message of `size` bytes to `folder`, `days_ago` days before the clock.
async fn append(office: &office::Office, folder: i64, size: i64, days_ago: i64, kind: Option<&str>, tag: &str) {
    let bytes = vec![b'x'; size as usize];
    let mut bytes = bytes;
    bytes[..tag.len()].copy_from_slice(tag.as_bytes());
    let blob = office.store().blobs().put(&bytes).await.unwrap();
    let mut c = office.store().conn().await.unwrap();
    messages::append(
        &mut c,
        folder,
        &NewMessage {
            blob: &blob,
            size,
            internal_date: office.now_ms() - days_ago * DAY_MS,
            flags: &[],
            pec_kind: kind,
            identificativo: kind.map(|_| "opec-quota-test"),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn usage_levels_growth_and_the_day_of_fullness() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
    on_both(now, |office| async move {
        let address = "quota@pec.office.test";
        let id = mailboxes::add_mailbox(
            &office,
            &NewMailbox {
                address,
                password: "una-password-lunga",
                quota_bytes: 1000 * KB,
            },
        )
        .await
        .unwrap()
        .id;
        let empty = quota::usage(&office, id).await.unwrap();
        assert_eq!((empty.used_bytes, empty.percent, empty.level), (0, 0, Level::Normal));
        assert_eq!(empty.full_on, None, "a mailbox that does not grow has no date");

        let mut c = office.store().conn().await.unwrap();
        let folders = messages::folders(&mut c, id).await.unwrap();
        let inbox = folders
            .iter()
            .find(|f| f.name == "INBOX")
            .expect("a new mailbox has its INBOX")
            .id;
        let archive = match folders.iter().find(|f| f.special_use.as_deref() == Some(ARCHIVE)) {
            Some(f) => f.id,
            None => {
                messages::create_folder(&mut c, id, ARCHIVE_FOLDER, Some(ARCHIVE), 2)
                    .await
                    .unwrap()
                    .id
            }
        };
        drop(c);
        // 400 KB forty days ago (usage, not growth), 300 KB in the last thirty days.
        append(&office, inbox, 400 * KB, 40, None, "old").await;
        append(&office, inbox, 150 * KB, 20, None, "recent-1").await;
        append(&office, inbox, 150 * KB, 1, Some("busta-trasporto"), "recent-2").await;
        // An archived receipt: outside the usage and the growth.
        append(&office, archive, 200 * KB, 1, Some("avvenuta-consegna"), "receipt").await;

        let usage = quota::usage(&office, id).await.unwrap();
        assert_eq!(usage.used_bytes, 700 * KB);
        assert_eq!((usage.percent, usage.level), (70, Level::Warning));
        assert_eq!(usage.growth_per_day, 300 * KB / 30);
        // 300 KB left at 10 KB a day: 30 days after 2 December 2026.
        assert_eq!(usage.full_on, NaiveDate::from_ymd_opt(2027, 1, 1));

        append(&office, inbox, 250 * KB, 0, None, "more").await;
        let usage = quota::usage(&office, id).await.unwrap();
        assert_eq!((usage.percent, usage.level), (95, Level::Critical));
    })
    .await;
}
