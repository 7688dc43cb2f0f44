//! `client::send` against our own server: STARTTLS, implicit TLS, plain; per-recipient
//! outcomes; the failures that stop a send.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{BUSY_RCPT, DEFERRED_SENDER, REFUSE_DATA_RCPT, TestServer, config, wait_received};
use smtp::client::{self, ClientConfig, Delivery, Endpoint, SendError, TlsMode};
use smtp::server::Role;

const MESSAGE: &[u8] = b"From: sender@other.example.com\r\n\
To: bob@pec.example.it\r\n\
Subject: relay\r\n\
\r\n\
.leading dot\r\n\
.\r\n\
end\r\n";

fn client_config() -> ClientConfig {
    ClientConfig {
        helo: "mx.other.example.com".to_owned(),
        roots: Arc::new(testkit::tls::roots()),
        timeout: Duration::from_secs(10),
    }
}

fn endpoint(server: &TestServer, host: &str, tls: TlsMode) -> Endpoint {
    Endpoint {
        host: host.to_owned(),
        port: server.port(),
        tls,
    }
}

fn rcpts(list: &[&str]) -> Vec<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

#[tokio::test]
async fn starttls_relay_arrives_byte_exact() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let to = rcpts(&["bob@pec.example.it", "carol@pec.example.it"]);
    let delivery = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &to,
        MESSAGE,
    )
    .await
    .expect("sent");
    assert_eq!(
        delivery,
        Delivery {
            accepted: to.clone(),
            rejected: vec![]
        }
    );
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received[0].message, MESSAGE);
    assert_eq!(received[0].from, "sender@other.example.com");
    assert_eq!(received[0].rcpts, to);
    assert!(received[0].tls);
}

#[tokio::test]
async fn implicit_tls_to_an_ip_address() {
    let mut config = config(Role::Inbound);
    config.implicit_tls = true;
    let server = TestServer::start(config).await;
    let to = rcpts(&["bob@pec.example.it"]);
    client::send(
        &endpoint(&server, "127.0.0.1", TlsMode::Implicit),
        &client_config(),
        "",
        &to,
        MESSAGE,
    )
    .await
    .expect("sent");
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received[0].message, MESSAGE);
    assert_eq!(received[0].from, "");
    assert!(received[0].tls);
}

#[tokio::test]
async fn plain_relay_without_tls() {
    let mut config = config(Role::Inbound);
    config.tls = None;
    let server = TestServer::start(config).await;
    let body = b"Subject: no final CRLF\r\n\r\n\xc3\xa8";
    client::send(
        &endpoint(&server, "127.0.0.1", TlsMode::None),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it"]),
        body,
    )
    .await
    .expect("sent");
    let received = wait_received(&server.handler, 1).await;
    // The CRLF the terminator needs is the only change.
    assert_eq!(received[0].message, b"Subject: no final CRLF\r\n\r\n\xc3\xa8\r\n");
    assert!(!received[0].tls);
}

#[tokio::test]
async fn recipients_are_judged_one_by_one() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let delivery = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it", "x@elsewhere.example.com", BUSY_RCPT, "bad>@x.it"]),
        MESSAGE,
    )
    .await
    .expect("sent to the accepted recipient");
    assert_eq!(delivery.accepted, ["bob@pec.example.it"]);
    let rejected: Vec<_> = delivery
        .rejected
        .iter()
        .map(|(rcpt, reply)| (rcpt.as_str(), reply.code, reply.status))
        .collect();
    assert_eq!(
        rejected,
        [
            ("x@elsewhere.example.com", 550, Some((5, 7, 1))),
            (BUSY_RCPT, 450, Some((4, 2, 1))),
            ("bad>@x.it", 553, Some((5, 1, 3))),
        ]
    );
    assert_eq!(delivery.rejected[0].1.text, "Relaying denied");
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received[0].rcpts, ["bob@pec.example.it"]);
}

#[tokio::test]
async fn no_accepted_recipient_means_no_data() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let delivery = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["x@elsewhere.example.com"]),
        MESSAGE,
    )
    .await
    .expect("the session itself went fine");
    assert!(delivery.accepted.is_empty());
    assert_eq!(delivery.rejected.len(), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.handler.received().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = Endpoint {
        host: "127.0.0.1".to_owned(),
        port,
        tls: TlsMode::StartTls,
    };
    let err = client::send(&endpoint, &client_config(), "a@b.it", &rcpts(&["c@d.it"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn a_5xx_after_data_is_permanent() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let err = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it", REFUSE_DATA_RCPT]),
        MESSAGE,
    )
    .await
    .unwrap_err();
    match err {
        SendError::Permanent(reply) => {
            assert_eq!((reply.code, reply.status), (554, Some((5, 6, 0))));
            assert_eq!(reply.text, "Message refused");
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
}

#[tokio::test]
async fn a_4xx_at_mail_is_temporary() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let err = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        DEFERRED_SENDER,
        &rcpts(&["bob@pec.example.it"]),
        MESSAGE,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::Temporary(reply) if reply.code == 451),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_size_over_the_servers_limit_is_refused_at_mail() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let big = vec![b'x'; 70_000];
    let err = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it"]),
        &big,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::Permanent(reply) if reply.code == 552),
        "{err:?}"
    );
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_a_connect_error() {
    let mut config = config(Role::Inbound);
    config.tls = None;
    let server = TestServer::start(config).await;
    let err = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &client_config(),
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it"]),
        MESSAGE,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::Connect(m) if m.contains("STARTTLS")),
        "{err:?}"
    );
    assert!(server.handler.received().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error() {
    let server = TestServer::start(config(Role::Inbound)).await;
    let mut config = client_config();
    config.roots = Arc::new(rustls::RootCertStore::empty());
    let err = client::send(
        &endpoint(&server, "localhost", TlsMode::StartTls),
        &config,
        "sender@other.example.com",
        &rcpts(&["bob@pec.example.it"]),
        MESSAGE,
    )
    .await
    .unwrap_err();
    assert!(matches!(&err, SendError::Connect(m) if m.contains("TLS")), "{err:?}");
    assert!(server.handler.received().is_empty());
}
