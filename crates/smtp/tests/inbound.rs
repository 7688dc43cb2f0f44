//! The inbound role (RFC 5321 relay to us) over raw sockets: pipelining, limits, DATA edge
//! cases, garbage, timeouts and shutdown.

mod common;

use std::time::Duration;

use common::{DOMAIN, TestServer, config, wait_received};
use smtp::server::Role;
use tokio::io::AsyncWriteExt;

async fn inbound() -> TestServer {
    TestServer::start(config(Role::Inbound)).await
}

#[tokio::test]
async fn ehlo_offers_starttls_and_no_auth() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    let ehlo = raw.command("EHLO other.example.com").await;
    assert_eq!(
        ehlo,
        "250-mx.pec.example.it greets other.example.com\r\n\
         250-PIPELINING\r\n\
         250-SIZE 65536\r\n\
         250-8BITMIME\r\n\
         250-ENHANCEDSTATUSCODES\r\n\
         250 STARTTLS\r\n"
    );
    assert_eq!(
        raw.command("AUTH PLAIN AGEAYg==").await,
        "502 5.5.1 AUTH not available\r\n"
    );
}

#[tokio::test]
async fn pipelined_commands_get_all_their_replies_in_order() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    raw.send(
        "EHLO other.example.com\r\n\
         MAIL FROM:<sender@other.example.com> BODY=8BITMIME\r\n\
         RCPT TO:<bob@pec.example.it>\r\n\
         RCPT TO:<someone@elsewhere.example.com>\r\n\
         RCPT TO:<carol@pec.example.it>\r\n\
         DATA\r\n",
    )
    .await;
    assert!(raw.reply().await.starts_with("250-mx.pec.example.it"));
    assert_eq!(raw.reply().await, "250 2.1.0 Sender OK\r\n");
    assert_eq!(raw.reply().await, "250 2.1.5 Recipient OK\r\n");
    // The handler refuses relaying to a domain that is not ours.
    assert_eq!(raw.reply().await, "550 5.7.1 Relaying denied\r\n");
    assert_eq!(raw.reply().await, "250 2.1.5 Recipient OK\r\n");
    assert!(raw.reply().await.starts_with("354 "));
    raw.send("Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        .await;
    assert_eq!(raw.reply().await, "250 2.0.0 Ok: queued as 1\r\n");
    assert_eq!(raw.reply().await, "250 2.0.0 OK\r\n");
    assert_eq!(raw.reply().await, "221 2.0.0 mx.pec.example.it closing connection\r\n");
    assert!(raw.closed().await);
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received[0].from, "sender@other.example.com");
    assert_eq!(received[0].rcpts, ["bob@pec.example.it", "carol@pec.example.it"]);
    assert_eq!(received[0].message, b"Subject: pipelined\r\n\r\nbody\r\n");
    assert!(!received[0].tls);
    assert_eq!(received[0].authenticated, None);
}

/// Opens a transaction: EHLO, MAIL, one accepted RCPT.
async fn transaction(raw: &mut common::Raw) {
    assert!(raw.command("EHLO other.example.com").await.starts_with("250"));
    assert!(
        raw.command("MAIL FROM:<sender@other.example.com>")
            .await
            .starts_with("250")
    );
    assert!(raw.command(&format!("RCPT TO:<bob@{DOMAIN}>")).await.starts_with("250"));
}

#[tokio::test]
async fn a_first_line_dot_is_unstuffed_and_an_empty_message_ends_at_once() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    transaction(&mut raw).await;
    assert!(raw.command("DATA").await.starts_with("354"));
    assert!(raw.command("..first\r\nsecond\r\n.").await.starts_with("250"));
    transaction_after_ehlo(&mut raw).await;
    assert!(raw.command("DATA").await.starts_with("354"));
    assert!(raw.command(".").await.starts_with("250"));
    let received = wait_received(&server.handler, 2).await;
    assert_eq!(received[0].message, b".first\r\nsecond\r\n");
    assert_eq!(received[1].message, b"");
}

async fn transaction_after_ehlo(raw: &mut common::Raw) {
    assert!(
        raw.command("MAIL FROM:<sender@other.example.com>")
            .await
            .starts_with("250")
    );
    assert!(raw.command(&format!("RCPT TO:<bob@{DOMAIN}>")).await.starts_with("250"));
}

#[tokio::test]
async fn a_bare_lf_dot_does_not_end_the_data() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    transaction(&mut raw).await;
    assert!(raw.command("DATA").await.starts_with("354"));
    // SMTP smuggling: only <CRLF>.<CRLF> ends the data (RFC 5321 4.1.1.4).
    let smuggled = "a\n.\r\nMAIL FROM:<evil@example.com>\r\nb\r.\r\nc\r\n";
    raw.send(smuggled).await;
    assert!(raw.command(".").await.starts_with("250 2.0.0 Ok: queued as 1"));
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message, smuggled.as_bytes());
}

#[tokio::test]
async fn data_over_the_size_limit_is_read_and_refused_with_552() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    transaction(&mut raw).await;
    assert!(raw.command("DATA").await.starts_with("354"));
    let line = format!("{}\r\n", "x".repeat(998));
    for _ in 0..70 {
        raw.send(&line).await;
    }
    assert_eq!(
        raw.command(".").await,
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
    );
    // The session goes on, without a transaction.
    assert_eq!(raw.command("NOOP").await, "250 2.0.0 OK\r\n");
    assert_eq!(raw.command("DATA").await, "503 5.5.1 Need MAIL command first\r\n");
    assert!(server.handler.received().is_empty());
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_at_mail() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    raw.command("EHLO other.example.com").await;
    assert_eq!(
        raw.command("MAIL FROM:<sender@other.example.com> SIZE=65537").await,
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
    );
    assert!(
        raw.command("MAIL FROM:<sender@other.example.com> SIZE=65536")
            .await
            .starts_with("250")
    );
}

#[tokio::test]
async fn recipients_past_the_limit_get_452() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    raw.command("EHLO other.example.com").await;
    raw.command("MAIL FROM:<sender@other.example.com>").await;
    for i in 0..5 {
        assert!(
            raw.command(&format!("RCPT TO:<r{i}@{DOMAIN}>"))
                .await
                .starts_with("250")
        );
    }
    assert_eq!(
        raw.command(&format!("RCPT TO:<r5@{DOMAIN}>")).await,
        "452 4.5.3 Too many recipients\r\n"
    );
}

#[tokio::test]
async fn commands_out_of_sequence_and_the_simple_verbs() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    assert_eq!(raw.command("MAIL FROM:<a@b.it>").await, "503 5.5.1 Send EHLO first\r\n");
    assert_eq!(raw.command("HELO other.example.com").await, "250 mx.pec.example.it\r\n");
    assert_eq!(
        raw.command(&format!("RCPT TO:<bob@{DOMAIN}>")).await,
        "503 5.5.1 Need MAIL command first\r\n"
    );
    assert!(raw.command("MAIL FROM:<>").await.starts_with("250"));
    assert_eq!(
        raw.command("MAIL FROM:<a@b.it>").await,
        "503 5.5.1 Nested MAIL command\r\n"
    );
    assert_eq!(raw.command("DATA").await, "554 5.5.1 No valid recipients\r\n");
    assert_eq!(raw.command("RSET").await, "250 2.0.0 OK\r\n");
    assert!(raw.command("VRFY bob").await.starts_with("252 "));
    assert!(raw.command("EXPN list").await.starts_with("502 5.5.1"));
    assert_eq!(raw.command("FOO bar").await, "500 5.5.1 Unknown command\r\n");
    assert!(
        raw.command("MAIL FROM:<a@b.it> RET=FULL")
            .await
            .starts_with("555 5.5.4 RET")
    );
    assert!(raw.command("MAIL FROM:<a@b.it> FOO=BAR").await.starts_with("555 5.5.4"));
    assert_eq!(
        raw.command("QUIT").await,
        "221 2.0.0 mx.pec.example.it closing connection\r\n"
    );
}

#[tokio::test]
async fn bdat_is_not_offered_and_its_chunk_is_never_read_as_commands() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    transaction(&mut raw).await;
    raw.send("BDAT 18 LAST\r\nQUIT\r\nQUIT\r\nQUIT\r\n").await;
    assert_eq!(raw.reply().await, "502 5.5.1 CHUNKING not offered, use DATA\r\n");
    assert_eq!(raw.command("NOOP").await, "250 2.0.0 OK\r\n");
}

#[tokio::test]
async fn garbage_gets_error_replies_and_the_server_stays_up() {
    let server = inbound().await;

    // Binary junk, NULs and invalid UTF-8, a few lines of it.
    let mut raw = server.raw().await;
    raw.send(b"\x00\x01\x02\xff\xfe\r\n\x80\x81 MAIL FROM:<\xff@x>\r\n\x1b[31m\r\n")
        .await;
    assert!(raw.reply().await.starts_with("500 5.5."));
    assert_eq!(raw.reply().await, "500 5.5.2 Invalid characters in command\r\n");
    assert!(raw.reply().await.starts_with("500 5.5."));
    assert_eq!(raw.command("EHLO \u{e8}x\u{e8}").await.get(..3), Some("250"));
    assert_eq!(raw.command("NOOP").await, "250 2.0.0 OK\r\n");

    // A 100 kB line: one reply, then the session goes on.
    let mut raw = server.raw().await;
    raw.send(vec![b'A'; 100_000]).await;
    raw.send(b"\r\n").await;
    assert_eq!(raw.reply().await, "500 5.5.2 Line too long\r\n");
    assert_eq!(raw.command("NOOP").await, "250 2.0.0 OK\r\n");

    // Invalid UTF-8 inside an address.
    let mut raw = server.raw().await;
    raw.command("EHLO other.example.com").await;
    raw.send(b"MAIL FROM:<caf\xe9@other.example.com>\r\n").await;
    assert_eq!(raw.reply().await, "500 5.5.2 Invalid characters in command\r\n");

    // Random bytes until the server gives up on the session.
    let mut raw = server.raw().await;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let junk: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let _ = raw.stream.write_all(&junk).await;
    let _ = raw.stream.shutdown().await;

    // The next connection is served as usual.
    let mut raw = server.raw().await;
    assert!(raw.command("EHLO other.example.com").await.starts_with("250-"));
    transaction_after_ehlo(&mut raw).await;
    assert!(raw.command("DATA").await.starts_with("354"));
    assert!(raw.command("Subject: still up\r\n\r\nok\r\n.").await.starts_with("250"));
}

#[tokio::test]
async fn too_many_bad_commands_end_the_session_with_421() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    for _ in 0..9 {
        assert_eq!(raw.command("XYZZY").await, "500 5.5.1 Unknown command\r\n");
    }
    assert_eq!(
        raw.command("XYZZY").await,
        "421 4.7.0 Too many errors, closing connection\r\n"
    );
    assert!(raw.closed().await);
}

#[tokio::test]
async fn an_idle_session_times_out_with_421() {
    let mut config = config(Role::Inbound);
    config.idle_timeout = Duration::from_millis(300);
    let server = TestServer::start(config).await;
    let mut raw = server.raw().await;
    assert_eq!(
        raw.reply().await,
        "421 4.4.2 mx.pec.example.it Timeout, closing connection\r\n"
    );
    assert!(raw.closed().await);
}

#[tokio::test]
async fn shutdown_closes_idle_sessions_with_421_and_stops_listening() {
    let server = inbound().await;
    let mut raw = server.raw().await;
    raw.command("EHLO other.example.com").await;
    server.shutdown.cancel();
    assert_eq!(
        raw.reply().await,
        "421 4.3.2 mx.pec.example.it Service shutting down, closing connection\r\n"
    );
    assert!(raw.closed().await);
    tokio::time::timeout(Duration::from_secs(5), server.handle.join)
        .await
        .expect("server stops")
        .expect("server task ends cleanly");
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
}
