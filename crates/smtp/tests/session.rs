//! `client::Session` against our own submission server: logging in under TLS,
//! many transactions on one connection, a refused one leaving the session usable.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{DEFERRED_SENDER, PASSWORD, REFUSE_DATA_RCPT, TestServer, USER, config, pki, wait_received};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use smtp::client::{ClientConfig, Endpoint, SendError, Session, TlsMode};
use smtp::server::Role;

fn client_config() -> ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(pki().ca_pem.as_bytes()).expect("CA PEM");
    roots.add(ca).expect("CA accepted as root");
    ClientConfig {
        helo: "client.example.com".to_owned(),
        roots: Arc::new(roots),
        timeout: Duration::from_secs(10),
    }
}

fn endpoint(server: &TestServer, tls: TlsMode) -> Endpoint {
    Endpoint {
        host: "localhost".to_owned(),
        port: server.port(),
        tls,
    }
}

fn message(n: usize) -> Vec<u8> {
    format!("From: {USER}\r\nTo: bob@pec.example.it\r\nSubject: {n}\r\n\r\n.body {n}\r\n").into_bytes()
}

fn rcpts(list: &[&str]) -> Vec<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

#[tokio::test]
async fn a_session_logs_in_and_sends_many_messages_on_one_connection() {
    let server = TestServer::start(config(Role::Submission)).await;
    let mut session = Session::open(&endpoint(&server, TlsMode::StartTls), &client_config())
        .await
        .expect("open");
    session.auth_plain(USER, PASSWORD).await.expect("logged in");
    for n in 0..3 {
        let t = session
            .send(USER, &rcpts(&["bob@pec.example.it"]), &message(n))
            .await
            .expect("sent");
        assert_eq!(t.delivery.accepted, rcpts(&["bob@pec.example.it"]));
        let reply = t.reply.expect("a reply to DATA");
        assert_eq!(reply.code, 250);
        assert_eq!(reply.text, format!("Ok: queued as {}", n + 1));
    }
    session.quit().await;
    let received = wait_received(&server.handler, 3).await;
    assert!(
        received
            .iter()
            .all(|r| r.authenticated.as_deref() == Some(USER) && r.tls)
    );
    assert_eq!(received[2].message, message(2));
}

#[tokio::test]
async fn wrong_credentials_are_the_servers_refusal() {
    let server = TestServer::start(config(Role::Submission)).await;
    let mut session = Session::open(&endpoint(&server, TlsMode::StartTls), &client_config())
        .await
        .expect("open");
    let err = session.auth_plain(USER, "wrong").await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(r) if r.code == 535), "{err:?}");
}

#[tokio::test]
async fn no_password_crosses_a_connection_without_tls() {
    let server = TestServer::start(config(Role::Submission)).await;
    let mut session = Session::open(&endpoint(&server, TlsMode::None), &client_config())
        .await
        .expect("open");
    let err = session.auth_plain(USER, PASSWORD).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Connect(why) if why.contains("without TLS")),
        "{err:?}"
    );
    assert!(server.handler.auth_attempts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_transaction_leaves_the_session_usable() {
    let server = TestServer::start(config(Role::Submission)).await;
    let mut session = Session::open(&endpoint(&server, TlsMode::StartTls), &client_config())
        .await
        .expect("open");
    session.auth_plain(USER, PASSWORD).await.expect("logged in");
    let err = session
        .send(USER, &rcpts(&["bob@pec.example.it", REFUSE_DATA_RCPT]), &message(0))
        .await
        .unwrap_err();
    assert!(matches!(&err, SendError::Permanent(r) if r.code == 554), "{err:?}");
    let err = session
        .send(DEFERRED_SENDER, &rcpts(&["bob@pec.example.it"]), &message(1))
        .await
        .unwrap_err();
    assert!(matches!(&err, SendError::Temporary(r) if r.code == 451), "{err:?}");
    let none = session
        .send(USER, &rcpts(&["someone@elsewhere.example"]), &message(2))
        .await
        .expect("no recipient accepted is not an error");
    assert!(none.reply.is_none() && none.delivery.accepted.is_empty());
    let t = session
        .send(USER, &rcpts(&["bob@pec.example.it"]), &message(3))
        .await
        .expect("sent after the refusals");
    assert_eq!(t.reply.map(|r| r.code), Some(250));
    assert_eq!(wait_received(&server.handler, 1).await[0].message, message(3));
}
