//! Receipts as proof: kept from deletion while the mailbox keeps the message they
//! prove, and archived outside the quota (store::receipts), on both back ends.

mod common;

use common::on_both;
use store::Store;
use store::changes::{self, FlagOp};
use store::messages::{self, NewMessage, StoredMessage};
use store::pec::{self, NewPecMessage};
use store::{mailboxes, receipts};

const NOW: i64 = 1_780_000_000_000;
const ID: &str = "opec.1@pec.example.it";
const ADDRESS: &str = "a@pec.example.it";

struct Fixture {
    mailbox: i64,
    inbox: i64,
    sent: i64,
    copy: StoredMessage,
    acceptance: StoredMessage,
    delivery: StoredMessage,
}

/// A mailbox that sent a message (the access point's record), keeps a copy in
/// Sent and has two receipts about it in INBOX.
async fn fixture(store: &Store, copy_by_blob: bool) -> Fixture {
    let mut c = store.conn().await.unwrap();
    mailboxes::add_domain(&mut c, "pec.example.it", NOW).await.unwrap();
    let m = mailboxes::create(&mut c, ADDRESS, "password lunga", 1 << 20, NOW)
        .await
        .unwrap();
    let original = store.blobs().put(b"the original").await.unwrap();
    pec::insert(
        &mut c,
        &NewPecMessage {
            identificativo: ID,
            msgid: Some("<m@client>"),
            sender: ADDRESS,
            reply_to: ADDRESS,
            subject: "Oggetto",
            receipt_kind: "completa",
            original_blob: &original,
            original_size: 12,
            accepted_at: NOW,
            recipients: &[("b@pec.altro.it".to_string(), true, false)],
        },
    )
    .await
    .unwrap();
    let inbox = messages::folder(&mut c, m.id, "INBOX").await.unwrap().unwrap().id;
    let sent = messages::folder(&mut c, m.id, "Sent").await.unwrap().unwrap().id;
    let copy = if copy_by_blob {
        append(&mut c, sent, &original, 12, None, None).await
    } else {
        let other = store.blobs().put(b"a client's copy").await.unwrap();
        append(&mut c, sent, &other, 15, None, Some(ID)).await
    };
    let a = store.blobs().put(b"acceptance receipt").await.unwrap();
    let acceptance = append(&mut c, inbox, &a, 100, Some("accettazione"), Some(ID)).await;
    let d = store.blobs().put(b"delivery receipt").await.unwrap();
    let delivery = append(&mut c, inbox, &d, 1000, Some("avvenuta-consegna"), Some(ID)).await;
    Fixture {
        mailbox: m.id,
        inbox,
        sent,
        copy,
        acceptance,
        delivery,
    }
}

async fn append(
    c: &mut store::Conn,
    folder: i64,
    blob: &store::BlobId,
    size: i64,
    kind: Option<&str>,
    identificativo: Option<&str>,
) -> StoredMessage {
    let new = NewMessage {
        blob,
        size,
        internal_date: NOW,
        flags: &[],
        pec_kind: kind,
        identificativo,
    };
    messages::append(c, folder, &new).await.unwrap()
}

async fn used(c: &mut store::Conn) -> i64 {
    mailboxes::get(c, ADDRESS).await.unwrap().unwrap().used_bytes
}

#[tokio::test]
async fn a_receipt_is_not_deleted_while_the_message_it_proves_is_kept() {
    for by_blob in [false, true] {
        on_both(|store| async move {
            let f = fixture(&store, by_blob).await;
            let mut c = store.conn().await.unwrap();
            let removed = changes::remove(&mut c, f.inbox, &[f.acceptance.id, f.delivery.id], NOW)
                .await
                .unwrap();
            assert!(removed.uids.is_empty(), "{removed:?}");
            assert_eq!(removed.kept.len(), 2);
            assert_eq!(removed.kept[0].kept_by, f.copy.id);
            assert_eq!(removed.kept[0].identificativo, ID);
            let why = removed.why_kept().unwrap();
            assert!(
                why.starts_with("2 receipts kept: they are the proof of a sent message"),
                "{why}"
            );
            assert_eq!(messages::list(&mut c, f.inbox).await.unwrap().len(), 2);

            // EXPUNGE keeps them too, flagged \Deleted.
            changes::set_flags(
                &mut c,
                f.inbox,
                &[f.delivery.id],
                FlagOp::Add,
                &["\\Deleted".into()],
                None,
            )
            .await
            .unwrap();
            let removed = changes::expunge(&mut c, f.inbox, None, NOW).await.unwrap();
            assert_eq!((removed.uids.len(), removed.kept.len()), (0, 1));

            // A folder holding one cannot be deleted (and the caller rolls back).
            let filed = changes::create_folder(&mut c, f.mailbox, "Pratiche", NOW)
                .await
                .unwrap();
            changes::move_messages(&mut c, f.inbox, &[f.acceptance.id], filed.id, NOW)
                .await
                .unwrap();
            let e = changes::delete_folder(&mut c, f.mailbox, "Pratiche", NOW)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("cannot be deleted: 1 receipt kept"), "{e}");

            // Once the copy is gone, the receipts go.
            let removed = changes::remove(&mut c, f.sent, &[f.copy.id], NOW).await.unwrap();
            assert_eq!(removed.uids, vec![f.copy.uid]);
            let removed = changes::expunge(&mut c, f.inbox, None, NOW).await.unwrap();
            assert_eq!((removed.uids, removed.kept), (vec![f.delivery.uid], vec![]));
        })
        .await;
    }
}

#[tokio::test]
async fn a_message_deleted_with_its_receipts_takes_them_along() {
    on_both(|store| async move {
        let f = fixture(&store, false).await;
        let mut c = store.conn().await.unwrap();
        // One folder holds the copy and a receipt: deleting both at once is allowed.
        changes::move_messages(&mut c, f.sent, &[f.copy.id], f.inbox, NOW)
            .await
            .unwrap();
        let ids: Vec<i64> = messages::list(&mut c, f.inbox)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        let removed = changes::remove(&mut c, f.inbox, &ids, NOW).await.unwrap();
        assert_eq!((removed.uids.len(), removed.kept.len()), (3, 0));
        assert_eq!(used(&mut c).await, 0);
    })
    .await;
}

#[tokio::test]
async fn receipts_in_the_archive_do_not_count_in_the_usage() {
    on_both(|store| async move {
        let f = fixture(&store, false).await;
        let mut c = store.conn().await.unwrap();
        assert_eq!(used(&mut c).await, 15 + 100 + 1000);
        let archive = receipts::archive_folder(&mut c, f.mailbox, NOW).await.unwrap();
        assert_eq!(archive.name, receipts::ARCHIVE_FOLDER);
        assert_eq!(archive.special_use.as_deref(), Some("\\Archive"));
        assert_eq!(
            receipts::archive_folder(&mut c, f.mailbox, NOW).await.unwrap().id,
            archive.id
        );
        changes::move_messages(&mut c, f.inbox, &[f.acceptance.id, f.delivery.id], archive.id, NOW)
            .await
            .unwrap();
        assert_eq!(used(&mut c).await, 15, "only the copy counts");
        // Any other message in the archive counts as anywhere else.
        changes::move_messages(&mut c, f.sent, &[f.copy.id], archive.id, NOW)
            .await
            .unwrap();
        assert_eq!(used(&mut c).await, 15);
        // Out of the archive, a receipt counts again.
        let archived = messages::list(&mut c, archive.id).await.unwrap();
        let delivery = archived.iter().find(|m| m.size == 1000).unwrap();
        changes::move_messages(&mut c, archive.id, &[delivery.id], f.inbox, NOW)
            .await
            .unwrap();
        assert_eq!(used(&mut c).await, 1015);
        assert_eq!(receipts::recount_usage(&mut c, f.mailbox).await.unwrap(), 1015);
        let listed = receipts::receipts_of(&mut c, f.mailbox, ID).await.unwrap();
        assert_eq!(listed.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_folder_of_the_archives_name_becomes_the_archive() {
    on_both(|store| async move {
        let f = fixture(&store, false).await;
        let mut c = store.conn().await.unwrap();
        let own = changes::create_folder(&mut c, f.mailbox, receipts::ARCHIVE_FOLDER, NOW)
            .await
            .unwrap();
        changes::move_messages(&mut c, f.inbox, &[f.delivery.id], own.id, NOW)
            .await
            .unwrap();
        assert_eq!(used(&mut c).await, 1115);
        let archive = receipts::archive_folder(&mut c, f.mailbox, NOW).await.unwrap();
        assert_eq!(archive.id, own.id);
        assert_eq!(used(&mut c).await, 115, "recounted");
    })
    .await;
}
