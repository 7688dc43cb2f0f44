//! A message APPENDed by a client is stored with its summary (the webmail's
//! lists and search read it): decoded subject, sender, Message-ID.

mod common;

use common::{TestServer, USER};

#[tokio::test]
async fn an_appended_message_is_stored_with_its_summary() {
    let server = TestServer::start().await;
    let mut tls = server.tls_login(USER).await;
    let message = "From: Anna <anna@example.it>\r\nSubject: =?UTF-8?Q?Citt=C3=A0?=\r\nMessage-ID: <a1@example.it>\r\n\r\nbody\r\n";
    let append = tls
        .command("a", &format!("APPEND INBOX {{{}+}}\r\n{message}", message.len()))
        .await;
    assert!(append.starts_with("a OK [APPENDUID "), "{append}");
    let mut c = server.store.conn().await.unwrap();
    let (_, stored) = store::messages::list_mailbox(&mut c, server.alice_id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let row = store::listing::row(&mut c, stored.id).await.unwrap().unwrap();
    assert!(row.summarised);
    assert_eq!(row.subject.as_deref(), Some("Città"));
    assert_eq!(row.from_address.as_deref(), Some("anna@example.it"));
    assert_eq!(row.message_id.as_deref(), Some("a1@example.it"));
}
