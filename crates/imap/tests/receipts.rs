//! EXPUNGE keeps a receipt that proves a message the mailbox keeps (store::receipts):
//! the others go, as the EXPUNGE responses say, and the command answers NO [CANNOT]
//! saying why (RFC 3501 6.4.3 allows NO).

mod common;

use common::{TestServer, USER};
use store::messages::{self, NewMessage};

async fn put(server: &TestServer, folder: &str, kind: Option<&str>, identificativo: Option<&str>, body: &str) {
    let blob = server.store.blobs().put(body.as_bytes()).await.unwrap();
    let mut c = server.store.conn().await.unwrap();
    let folder = messages::folder(&mut c, server.alice_id, folder)
        .await
        .unwrap()
        .unwrap();
    let new = NewMessage {
        blob: &blob,
        size: body.len() as i64,
        internal_date: 1_780_000_000_000,
        flags: &[],
        pec_kind: kind,
        identificativo,
    };
    messages::append(&mut c, folder.id, &new).await.unwrap();
}

#[tokio::test]
async fn expunge_keeps_the_receipt_of_a_kept_message_and_says_no() {
    let server = TestServer::start().await;
    let id = Some("opec.1@pec.example.it");
    put(&server, "Sent", None, id, "Subject: inviato\r\n\r\ncopia\r\n").await;
    put(
        &server,
        "INBOX",
        Some("accettazione"),
        id,
        "Subject: ACCETTAZIONE: inviato\r\n\r\nricevuta\r\n",
    )
    .await;
    put(&server, "INBOX", None, None, "Subject: ordinaria\r\n\r\nposta\r\n").await;
    let mut imap = server.tls_login(USER).await;
    imap.command("s", "SELECT INBOX").await;
    imap.command("f", "STORE 1:* +FLAGS.SILENT (\\Deleted)").await;
    let expunge = imap.command("e", "EXPUNGE").await;
    assert!(expunge.contains("* 2 EXPUNGE\r\n"), "{expunge}");
    assert!(!expunge.contains("* 1 EXPUNGE"), "{expunge}");
    assert!(
        expunge.contains("e NO [CANNOT] 1 receipt kept: it is the proof of a sent message still in the mailbox"),
        "{expunge}"
    );
    let search = imap.command("q", "UID SEARCH ALL").await;
    assert!(search.contains("* SEARCH 1\r\n"), "{search}");
    // With the copy gone, the receipt goes too.
    imap.command("s2", "SELECT Sent").await;
    imap.command("f2", "STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert!(imap.command("e2", "EXPUNGE").await.contains("e2 OK"));
    imap.command("s3", "SELECT INBOX").await;
    let done = imap.command("e3", "EXPUNGE").await;
    assert!(done.contains("* 1 EXPUNGE") && done.contains("e3 OK"), "{done}");
}
