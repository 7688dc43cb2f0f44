//! Python's poplib, a real client, against a running server: every command, over STLS and
//! implicit TLS, with USER/PASS and AUTH PLAIN; deletions committed only by QUIT.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{CLOSED, MESSAGES, SUSPENDED, THROTTLED, TestServer, USER};
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// Checks what read_all.py saw against the store.
async fn check_read_all(server: &TestServer, out: &Value) {
    let inbox = server.inbox(server.alice).await;
    assert_eq!(inbox.len(), 3, "reading removes nothing");
    let total: usize = MESSAGES.iter().map(|m| m.len()).sum();
    assert!(out["welcome"].as_str().unwrap().starts_with("+OK"), "{out}");
    assert!(out["login"].as_str().unwrap().starts_with("+OK"), "{out}");
    assert_eq!(out["stat"], serde_json::json!([3, total]));
    assert_eq!(out["list_status"], format!("+OK 3 messages ({total} octets)"));
    let list: Vec<String> = MESSAGES
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}", i + 1, m.len()))
        .collect();
    assert_eq!(strings(&out["list"]), list);
    assert_eq!(out["list_one"], format!("+OK 2 {}", MESSAGES[1].len()));
    let uidvalidity = server.uidvalidity().await;
    let uidl: Vec<String> = inbox
        .iter()
        .enumerate()
        .map(|(i, (_, uid, _))| format!("{} {uidvalidity}.{uid}", i + 1))
        .collect();
    assert_eq!(strings(&out["uidl"]), uidl);
    assert_eq!(out["uidl_one"], format!("+OK {}", uidl[2]));
    assert_eq!(
        strings(&out["top"]),
        [
            "From: Carol <carol@pec.example.it>",
            "To: alice@pec.example.it",
            "Subject: five lines",
            "",
            "body 1",
            "body 2",
            "body 3"
        ]
    );
    assert_eq!(strings(&out["top_zero"]).last().map(String::as_str), Some(""));
    assert_eq!(strings(&out["top_zero"]).len(), 5, "header and blank line");
    let retr = out["retr"].as_array().expect("retr");
    assert_eq!(retr.len(), 3);
    for (i, r) in retr.iter().enumerate() {
        let message = BASE64.decode(r["message"].as_str().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&message),
            String::from_utf8_lossy(MESSAGES[i]),
            "message {}",
            i + 1
        );
        assert_eq!(message, inbox[i].2, "RETR {} is byte-exact", i + 1);
        assert_eq!(r["status"], format!("+OK {} octets", MESSAGES[i].len()));
    }
    assert_eq!(out["noop"], "+OK");
    assert!(out["quit"].as_str().unwrap().starts_with("+OK"), "{out}");
}

#[tokio::test]
async fn poplib_reads_every_message_over_stls_with_user_and_pass() {
    let server = TestServer::start().await;
    let out = server.python("read_all.py", &[]).await;
    check_read_all(&server, &out).await;
    let capa = out["capa"].as_object().expect("capa");
    for cap in [
        "TOP",
        "UIDL",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "USER",
        "SASL",
    ] {
        assert!(capa.contains_key(cap), "{cap} in {capa:?}");
    }
    assert_eq!(capa["SASL"], serde_json::json!(["PLAIN"]));
    assert_eq!(capa["IMPLEMENTATION"], serde_json::json!(["Certa"]));
    assert_eq!(capa["EXPIRE"], serde_json::json!(["NEVER"]));
    assert!(!capa.contains_key("STLS"), "no STLS under TLS: {capa:?}");
}

#[tokio::test]
async fn poplib_reads_over_implicit_tls_with_auth_plain() {
    let server = TestServer::start_tls().await;
    let out = server
        .python("read_all.py", &[("TLS", "implicit"), ("AUTH", "plain")])
        .await;
    check_read_all(&server, &out).await;
}

#[tokio::test]
async fn auth_plain_with_a_continuation_line() {
    let server = TestServer::start().await;
    let out = server.python("read_all.py", &[("AUTH", "plain-continue")]).await;
    check_read_all(&server, &out).await;
}

#[tokio::test]
async fn dele_then_quit_removes_the_messages_from_the_store() {
    let server = TestServer::start().await;
    let before = server.inbox(server.alice).await;
    let out = server.python("dele.py", &[("DELE", "1,3"), ("END", "quit")]).await;
    assert_eq!(
        out["dele"],
        serde_json::json!(["+OK message 1 deleted", "+OK message 3 deleted"])
    );
    assert_eq!(out["stat_after_dele"], serde_json::json!([1, MESSAGES[1].len()]));
    assert_eq!(out["quit"], "+OK bye, 2 messages deleted");
    let after = server.inbox(server.alice).await;
    assert_eq!(after, [before[1].clone()]);
}

#[tokio::test]
async fn dele_then_rset_keeps_the_messages() {
    let server = TestServer::start().await;
    let out = server.python("dele.py", &[("DELE", "2"), ("END", "rset")]).await;
    assert_eq!(out["stat_after_dele"][0], 2);
    assert_eq!(out["stat_after_rset"][0], 3);
    assert_eq!(out["quit"], "+OK bye, 0 messages deleted");
    assert_eq!(server.inbox(server.alice).await.len(), 3);
}

#[tokio::test]
async fn dele_then_a_dropped_connection_keeps_the_messages() {
    let server = TestServer::start_tls().await;
    let out = server
        .python("dele.py", &[("TLS", "implicit"), ("DELE", "1,2,3"), ("END", "drop")])
        .await;
    assert_eq!(out["stat_after_dele"], serde_json::json!([0, 0]));
    // The server notices the close when it next reads; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(server.inbox(server.alice).await.len(), 3);
}

#[tokio::test]
async fn login_before_tls_is_refused_with_a_clear_message() {
    let server = TestServer::start().await;
    let out = server.python("refused.py", &[("TLS", "none")]).await;
    assert!(strings(&out["capa"]).contains(&"STLS".to_string()), "{out}");
    assert!(!strings(&out["capa"]).contains(&"USER".to_string()), "{out}");
    assert!(!strings(&out["capa"]).contains(&"SASL".to_string()), "{out}");
    assert_eq!(out["user"], "-ERR [AUTH] TLS required before login: send STLS first");
    assert_eq!(out["auth"], "-ERR [AUTH] TLS required before login: send STLS first");
    assert_eq!(out["stat"], "-ERR log in first (USER and PASS, or AUTH PLAIN)");
}

#[tokio::test]
async fn closed_mailbox_cannot_log_in_and_says_why() {
    let server = TestServer::start().await;
    let logins = format!("{CLOSED},{USER}:wrong password,{THROTTLED},{SUSPENDED}");
    for auth in ["user", "plain"] {
        let out = server
            .python("refused.py", &[("LOGIN_AS", logins.as_str()), ("AUTH", auth)])
            .await;
        assert_eq!(out[CLOSED], format!("-ERR [AUTH] the mailbox {CLOSED} is closed"));
        assert_eq!(
            out[format!("{USER}:wrong password")],
            "-ERR [AUTH] invalid user or password"
        );
        assert_eq!(
            out[THROTTLED],
            "-ERR [SYS/TEMP] too many failed logins: try again in 15 minutes"
        );
        // Reading is allowed to a suspended mailbox (the Auth decides; this one allows it).
        assert_eq!(
            out[SUSPENDED],
            format!("accepted: +OK maildrop has 1 messages ({} octets)", MESSAGES[2].len())
        );
    }
}
