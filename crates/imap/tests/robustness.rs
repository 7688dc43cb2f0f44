//! What imaplib cannot send, over raw sockets: garbage, invalid UTF-8, commands in the wrong
//! state, huge literal announcements, over-quota APPEND. Each gets a tagged (or untagged) BAD
//! or NO, and the connection stays usable where RFC 3501 says so.

mod common;

use common::{MAX_LITERAL, TestServer, USER};
use store::mailboxes;

#[tokio::test]
async fn garbage_and_wrong_state_commands_get_bad_and_the_connection_goes_on() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    raw.send(b"\xff\xfe\x00garbage\r\n").await;
    assert_eq!(raw.line().await, "* BAD Invalid tag or command\r\n");
    assert_eq!(raw.command("a", "FROBNICATE").await, "a BAD Unknown command\r\n");
    assert_eq!(
        raw.command("b", "SELECT").await,
        "b BAD Syntax error in SELECT arguments\r\n"
    );
    assert_eq!(raw.command("c", "SELECT INBOX").await, "c BAD Log in first\r\n");
    assert_eq!(raw.command("d", "FETCH 1 FLAGS").await, "d BAD Log in first\r\n");
    assert_eq!(
        raw.command("e", "LOGIN alice \"pass\"").await,
        "e NO [PRIVACYREQUIRED] Logins are only accepted under TLS: use STARTTLS first\r\n"
    );
    assert_eq!(
        raw.command("f", "AUTHENTICATE PLAIN AGFsaWNlAHBhc3M=").await,
        "f NO [PRIVACYREQUIRED] Logins are only accepted under TLS: use STARTTLS first\r\n"
    );
    // A command with a bare LF instead of CRLF is not a command.
    raw.send("g NOOP\n").await;
    assert_eq!(raw.line().await, "g BAD Syntax error in NOOP arguments\r\n");
    raw.send(b"h NOOP \xc3\x28\r\n").await;
    assert!(raw.line().await.starts_with("h BAD "));
    assert_eq!(raw.command("i", "NOOP").await, "i OK NOOP completed\r\n");
    assert!(raw.command("j", "CAPABILITY").await.contains("LOGINDISABLED"));
    assert_eq!(
        raw.command("k", "LOGOUT").await,
        "* BYE Logging out\r\nk OK LOGOUT completed\r\n"
    );
    assert!(raw.closed().await);
}

#[tokio::test]
async fn too_many_bad_commands_end_the_session() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    for i in 0..19 {
        assert!(raw.command(&format!("t{i}"), "BOGUS").await.contains("BAD"));
    }
    raw.send("t19 BOGUS\r\n").await;
    assert_eq!(raw.line().await, "t19 BAD Unknown command\r\n");
    assert_eq!(raw.line().await, "* BYE Too many invalid commands\r\n");
    assert!(raw.closed().await);
}

#[tokio::test]
async fn huge_literal_announcements_before_login() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    // Synchronizing: refused at once, no continuation, the connection goes on.
    assert_eq!(
        raw.command("a", "LOGIN {4000000000}").await,
        "a NO [TOOBIG] Literal too large: the limit is 16384 bytes\r\n"
    );
    raw.send("b LOGIN {5}\r\n").await;
    assert_eq!(raw.line().await, "+ Ready for literal data\r\n");
    raw.send("alice {4}\r\npass\r\n").await;
    assert_eq!(raw.line().await, "+ Ready for literal data\r\n");
    assert!(raw.line().await.starts_with("b NO [PRIVACYREQUIRED]"));
    // Overflowing u32: not a literal at all, so a syntax error.
    assert!(
        raw.command("c", "LOGIN {99999999999999999999}")
            .await
            .starts_with("c BAD")
    );
    // Non-synchronizing (LITERAL+) over the limit before login: the client is already
    // sending it, so the connection is closed.
    raw.send("d LOGIN {100000+}\r\n").await;
    assert_eq!(raw.line().await, "* BYE Literal too large before login\r\n");
    assert!(raw.closed().await);
}

#[tokio::test]
async fn an_endless_line_before_login_closes_the_connection() {
    let server = TestServer::start().await;
    let mut raw = server.raw().await;
    raw.send(vec![b'a'; 70 * 1024]).await;
    assert_eq!(raw.line().await, "* BYE Command too long before login\r\n");
    assert!(raw.closed().await);
}

#[tokio::test]
async fn literals_invalid_utf8_and_bad_arguments_after_login() {
    let server = TestServer::start().await;
    let mut tls = server.tls_login(USER).await;
    // Invalid UTF-8 in a mailbox name sent as a literal.
    tls.send("a SELECT {4}\r\n").await;
    assert_eq!(tls.line().await, "+ Ready for literal data\r\n");
    tls.send(b"\xff\xfe\xfd\xfc\r\n").await;
    assert_eq!(tls.line().await, "a BAD The mailbox name is not valid UTF-8\r\n");
    // A synchronizing APPEND literal over the limit: NO [TOOBIG] without continuation.
    let too_big = MAX_LITERAL + 1;
    assert_eq!(
        tls.command("b", &format!("APPEND INBOX {{{too_big}}}")).await,
        format!("b NO [TOOBIG] Literal too large: the limit is {MAX_LITERAL} bytes\r\n")
    );
    // A non-synchronizing one is read and dropped, then refused.
    tls.send(format!("c APPEND INBOX {{{too_big}+}}\r\n")).await;
    tls.send(vec![b'x'; too_big]).await;
    tls.send("\r\n").await;
    assert_eq!(
        tls.line().await,
        format!("c BAD [TOOBIG] Literal too large: the limit is {MAX_LITERAL} bytes\r\n")
    );
    // A LITERAL+ APPEND within the limit works.
    let message = "Subject: literal plus\r\n\r\nbody\r\n";
    let append = tls
        .command(
            "d",
            &format!("APPEND INBOX (\\Seen) {{{}+}}\r\n{message}", message.len()),
        )
        .await;
    assert!(append.starts_with("d OK [APPENDUID "), "{append}");
    assert!(tls.command("e", "SELECT INBOX").await.contains("* 1 EXISTS"));
    assert_eq!(
        tls.command("f", "FETCH 2 FLAGS").await,
        "f BAD Invalid message sequence number\r\n"
    );
    assert_eq!(
        tls.command("g", "FETCH 1 (BINARY[1])").await,
        "g BAD BINARY is not supported\r\n"
    );
    assert_eq!(
        tls.command("h", "STORE 1 +FLAGS (\\Recent)").await,
        "h BAD Unknown system flag\r\n"
    );
    // Sections that name no part answer empty; odd partials are clamped.
    let odd = tls
        .command(
            "i",
            "FETCH 1 (BODY.PEEK[9.9.MIME] BODY.PEEK[1]<100.5> BODY.PEEK[TEXT]<0.2>)",
        )
        .await;
    assert!(odd.contains("BODY[9.9.MIME] {0}\r\n"), "{odd}");
    assert!(odd.contains("BODY[1]<100> {0}\r\n"), "{odd}");
    assert!(odd.contains("BODY[TEXT]<0> {2}\r\nbo"), "{odd}");
    // Deeply nested search keys are a syntax error or an answer, never a crash.
    let nested = format!("SEARCH {}ALL", "NOT ".repeat(2000));
    assert!(tls.command("j", &nested).await.contains("j "));
    assert!(tls.command("k", "LIST (BOGUS) \"\" *").await.starts_with("k BAD"));
    assert!(tls.command("l", "LIST \"\" *  RETURN").await.starts_with("l BAD"));
    assert_eq!(tls.command("m", "NOOP").await, "m OK NOOP completed\r\n");
    // The server is still there for others.
    server.raw().await;
}

#[tokio::test]
async fn append_over_quota_is_refused_with_overquota() {
    let server = TestServer::start().await;
    let mut c = server.store.conn().await.expect("conn");
    mailboxes::set_quota(&mut c, USER, 100).await.expect("quota");
    drop(c);
    let mut tls = server.tls_login(USER).await;
    let message = "Subject: big\r\n\r\n".to_string() + &"x".repeat(200);
    tls.send(format!("a APPEND INBOX {{{}+}}\r\n{message}\r\n", message.len()))
        .await;
    assert_eq!(
        tls.until_tagged("a").await,
        "a NO [OVERQUOTA] Not enough space left in the mailbox\r\n"
    );
    assert_eq!(
        tls.command("b", "GETQUOTAROOT INBOX").await,
        "* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 0 0)\r\nb OK GETQUOTAROOT completed\r\n"
    );
    assert!(
        tls.command("c", "SETQUOTA \"\" (STORAGE 10)")
            .await
            .starts_with("c NO [NOPERM]")
    );
}

#[tokio::test]
async fn shutdown_says_bye_to_idle_sessions() {
    let server = TestServer::start().await;
    let mut tls = server.tls_login(USER).await;
    assert!(tls.command("a", "SELECT INBOX").await.contains("a OK"));
    tls.send("b IDLE\r\n").await;
    assert_eq!(tls.line().await, "+ idling\r\n");
    server.shutdown.cancel();
    assert_eq!(tls.line().await, "* BYE Server shutting down\r\n");
    tokio::time::timeout(std::time::Duration::from_secs(10), server.handle.join)
        .await
        .expect("server stops")
        .expect("server task");
}
