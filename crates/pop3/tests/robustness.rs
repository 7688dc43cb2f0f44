//! What a broken or hostile client sends, over raw sockets: `-ERR`, never a crash, and the
//! connection stays usable where RFC 1939 lets it.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{MESSAGES, PASSWORD, Raw, TestServer, USER, config, raw_implicit};
use pop3::protocol::MAX_BAD_COMMANDS;

/// After each bad input the session still answers CAPA.
async fn still_usable(raw: &mut Raw) {
    let capa = raw.multi("CAPA").await;
    assert!(capa.iter().any(|l| l == "UIDL\r\n"), "{capa:?}");
}

async fn log_in(raw: &mut Raw) {
    assert!(raw.command(&format!("USER {USER}")).await.starts_with("+OK"));
    let reply = raw.command(&format!("PASS {PASSWORD}")).await;
    assert!(reply.starts_with("+OK maildrop has 3 messages"), "{reply}");
}

#[tokio::test]
async fn garbage_huge_lines_and_invalid_utf8_get_err_and_the_session_goes_on() {
    let server = TestServer::start().await;
    for tls in [false, true] {
        let mut raw = if tls {
            server.raw_tls().await
        } else {
            server.raw().await
        };
        assert_eq!(raw.command("HELO there").await, "-ERR unknown command\r\n");
        still_usable(&mut raw).await;
        raw.send(b"\x00\x01\x02\xff\xfe garbage\r\n").await;
        assert_eq!(raw.line().await, "-ERR invalid characters in command line\r\n");
        raw.send(b"USER \xc3\x28\r\n").await;
        assert_eq!(raw.line().await, "-ERR invalid characters in command line\r\n");
        raw.send(format!("NOOP {}\r\n", "x".repeat(10 * 1024))).await;
        assert_eq!(raw.line().await, "-ERR line too long\r\n");
        still_usable(&mut raw).await;
        assert_eq!(raw.command("").await, "-ERR empty command line\r\n");
        assert_eq!(raw.command("RETR one").await, "-ERR syntax: RETR <message number>\r\n");
        still_usable(&mut raw).await;
    }
}

#[tokio::test]
async fn commands_before_login_get_err_and_login_still_works() {
    let server = TestServer::start().await;
    let mut raw = server.raw_tls().await;
    for command in ["STAT", "LIST", "UIDL 1", "RETR 1", "TOP 1 1", "DELE 1", "RSET", "NOOP"] {
        assert_eq!(
            raw.command(command).await,
            "-ERR log in first (USER and PASS, or AUTH PLAIN)\r\n",
            "{command}"
        );
    }
    assert_eq!(raw.command("PASS x").await, "-ERR send USER first\r\n");
    assert_eq!(
        raw.command("APOP alice c4c9334bac560ecc979e58001b3e22fb").await,
        "-ERR APOP is not supported: use USER and PASS, or AUTH PLAIN, over TLS\r\n"
    );
    log_in(&mut raw).await;
    assert_eq!(
        raw.command("STAT").await,
        format!("+OK 3 {}\r\n", MESSAGES.iter().map(|m| m.len()).sum::<usize>())
    );
    assert_eq!(raw.command("USER bob").await, "-ERR already logged in\r\n");
    assert_eq!(
        raw.command("RETR 4").await,
        "-ERR no such message, only 3 in maildrop\r\n"
    );
    assert!(raw.command("QUIT").await.starts_with("+OK"));
    assert!(raw.closed().await);
}

#[tokio::test]
async fn plain_text_login_is_refused_and_stls_is_offered() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    let capa = raw.multi("CAPA").await;
    assert!(capa.contains(&"STLS\r\n".to_string()), "{capa:?}");
    assert!(!capa.contains(&"USER\r\n".to_string()), "{capa:?}");
    let refused = "-ERR [AUTH] TLS required before login: send STLS first\r\n";
    assert_eq!(raw.command(&format!("USER {USER}")).await, refused);
    assert_eq!(raw.command(&format!("PASS {PASSWORD}")).await, refused);
    assert_eq!(raw.command("AUTH PLAIN").await, refused);
    assert!(raw.command("STLS").await.starts_with("+OK"));
}

#[tokio::test]
async fn too_many_bad_commands_close_the_connection() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    for _ in 1..MAX_BAD_COMMANDS {
        assert_eq!(raw.command("BOGUS").await, "-ERR unknown command\r\n");
    }
    assert_eq!(
        raw.command("BOGUS").await,
        "-ERR too many bad commands, closing connection\r\n"
    );
    assert!(raw.closed().await);
}

#[tokio::test]
async fn three_failed_logins_close_the_connection() {
    let server = TestServer::start_tls().await;
    let mut raw = raw_implicit(&server).await;
    for i in 1..=3 {
        assert!(raw.command(&format!("USER {USER}")).await.starts_with("+OK"));
        assert_eq!(
            raw.command("PASS wrong password").await,
            "-ERR [AUTH] invalid user or password\r\n",
            "attempt {i}"
        );
    }
    assert!(raw.closed().await);
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let server = TestServer::start_tls().await;
    let mut raw = raw_implicit(&server).await;
    let plain = BASE64.encode(format!("\0{USER}\0{PASSWORD}"));
    raw.send(format!(
        "AUTH PLAIN {plain}\r\nSTAT\r\nLIST 1\r\nUIDL 9\r\nTOP 3 0\r\nNOOP\r\n"
    ))
    .await;
    assert!(raw.line().await.starts_with("+OK maildrop has 3 messages"));
    assert!(raw.line().await.starts_with("+OK 3 "));
    assert_eq!(raw.line().await, format!("+OK 1 {}\r\n", MESSAGES[0].len()));
    assert_eq!(raw.line().await, "-ERR no such message, only 3 in maildrop\r\n");
    assert_eq!(raw.line().await, "+OK top of message follows\r\n");
    assert_eq!(raw.line().await, "From: Dave <dave@pec.example.it>\r\n");
    assert_eq!(raw.line().await, "Subject: short\r\n");
    assert_eq!(raw.line().await, "\r\n");
    assert_eq!(raw.line().await, ".\r\n");
    assert_eq!(raw.line().await, "+OK\r\n");
}

#[tokio::test]
async fn commands_sent_in_clear_after_stls_are_dropped() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    // CVE-2011-0411 style injection: the CAPA sent with STLS must not run under TLS.
    raw.send("STLS\r\nCAPA\r\n").await;
    assert!(raw.line().await.starts_with("+OK"));
    let mut raw = raw.handshake().await;
    assert_eq!(
        raw.command("NOOP").await,
        "-ERR log in first (USER and PASS, or AUTH PLAIN)\r\n"
    );
}

#[tokio::test]
async fn retr_of_a_message_another_session_removed_says_so_and_quit_skips_it() {
    let server = TestServer::start().await;
    let mut raw = server.raw_tls().await;
    log_in(&mut raw).await;
    // An IMAP client, say, removes message 2 meanwhile.
    let inbox = server.inbox(server.alice).await;
    {
        let mut c = server.store.conn().await.unwrap();
        let folder = store::messages::folder(&mut c, server.alice, "INBOX")
            .await
            .unwrap()
            .unwrap();
        drop(c);
        let mut tx = server.store.begin().await.unwrap();
        store::changes::remove(&mut tx, folder.id, &[inbox[1].0], testkit::servers::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        raw.command("RETR 2").await,
        "-ERR message 2 was removed by another session\r\n"
    );
    assert_eq!(
        raw.command("TOP 2 1").await,
        "-ERR message 2 was removed by another session\r\n"
    );
    // The snapshot is kept: numbers do not shift.
    let retr = raw.multi("RETR 3").await;
    assert_eq!(retr[1], "From: Dave <dave@pec.example.it>\r\n");
    assert!(raw.command("DELE 2").await.starts_with("+OK"));
    assert!(raw.command("DELE 1").await.starts_with("+OK"));
    assert_eq!(raw.command("QUIT").await, "+OK bye, 2 messages deleted\r\n");
    let left = server.inbox(server.alice).await;
    assert_eq!(left, [inbox[2].clone()]);
}

#[tokio::test]
async fn an_idle_session_is_closed_without_a_reply_and_removes_nothing() {
    let mut config = config(true);
    config.idle_timeout = Duration::from_millis(500);
    let server = TestServer::start_with(config).await;
    let mut raw = raw_implicit(&server).await;
    log_in(&mut raw).await;
    assert!(raw.command("DELE 1").await.starts_with("+OK"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    // RFC 1939 3: the autologout sends nothing and enters no UPDATE state.
    assert!(raw.closed().await);
    assert_eq!(server.inbox(server.alice).await.len(), 3);
}

#[tokio::test]
async fn shutdown_tells_waiting_sessions_and_stops_the_listener() {
    let mut server = TestServer::start().await;
    let mut raw = server.raw_tls().await;
    log_in(&mut raw).await;
    assert!(raw.command("DELE 1").await.starts_with("+OK"));
    server.shutdown.cancel();
    assert_eq!(
        raw.line().await,
        "-ERR [SYS/TEMP] server shutting down, try again later\r\n"
    );
    assert!(raw.closed().await);
    tokio::time::timeout(Duration::from_secs(10), &mut server.handle.join)
        .await
        .expect("listener stops")
        .expect("listener task");
    assert_eq!(server.inbox(server.alice).await.len(), 3);
}
