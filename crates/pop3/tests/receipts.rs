//! QUIT keeps a receipt that proves a message the mailbox keeps (store::receipts):
//! RFC 1939 6's "-ERR some deleted messages not removed", saying why.

mod common;

use common::{PASSWORD, TestServer, USER};
use store::messages::{self, NewMessage};

async fn put(server: &TestServer, folder: &str, kind: Option<&str>, body: &str) {
    let blob = server.store.blobs().put(body.as_bytes()).await.unwrap();
    let mut c = server.store.conn().await.unwrap();
    let folder = messages::folder(&mut c, server.alice, folder).await.unwrap().unwrap();
    let new = NewMessage {
        blob: &blob,
        size: body.len() as i64,
        internal_date: 1_780_000_000_000,
        flags: &[],
        pec_kind: kind,
        identificativo: Some("opec.1@pec.example.it"),
    };
    messages::append(&mut c, folder.id, &new).await.unwrap();
}

#[tokio::test]
async fn quit_keeps_the_receipt_of_a_kept_message_and_says_so() {
    let server = TestServer::start().await;
    put(&server, "Sent", None, "Subject: inviato\r\n\r\ncopia\r\n").await;
    put(
        &server,
        "INBOX",
        Some("accettazione"),
        "Subject: ACCETTAZIONE: inviato\r\n\r\nricevuta\r\n",
    )
    .await;
    let before = server.inbox(server.alice).await.len();
    let mut raw = server.raw_tls().await;
    assert!(raw.command(&format!("USER {USER}")).await.starts_with("+OK"));
    assert!(raw.command(&format!("PASS {PASSWORD}")).await.starts_with("+OK"));
    assert!(raw.command(&format!("DELE {before}")).await.starts_with("+OK"));
    assert!(raw.command("DELE 1").await.starts_with("+OK"));
    let quit = raw.command("QUIT").await;
    assert!(
        quit.starts_with("-ERR some deleted messages not removed: 1 receipt kept"),
        "{quit}"
    );
    let after = server.inbox(server.alice).await;
    assert_eq!(after.len(), before - 1, "the ordinary message went, the receipt stayed");
}
