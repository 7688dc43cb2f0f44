//! Python's imaplib, a real client, against the server: every command over STARTTLS, implicit
//! TLS with AUTHENTICATE, closed and suspended mailboxes, QUOTA, IDLE with two sessions.

mod common;

use common::{CLOSED, SUSPENDED, TestServer, USER};
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
        .collect()
}

#[tokio::test]
async fn every_command_through_imaplib_over_starttls() {
    let server = TestServer::start().await;
    let out = server.python("commands.py", &[]).await;
    println!("{out:#}");
    assert!(
        out["select_before_login"].as_str().unwrap().contains("Log in first"),
        "{out}"
    );
    assert!(
        out["login_before_tls"].as_str().unwrap().contains("PRIVACYREQUIRED"),
        "{out}"
    );
    assert!(
        out["wrong_password"].as_str().unwrap().contains("AUTHENTICATIONFAILED"),
        "{out}"
    );
    assert!(
        out["login"].as_str().unwrap().starts_with("[CAPABILITY IMAP4rev1"),
        "{out}"
    );
    assert_eq!(out["id"], "(\"name\" \"Certa\" \"version\" \"0.1.0\")");
    assert_eq!(out["namespace"], "((\"\" \"/\")) NIL NIL");
    assert_eq!(out["enabled"], "CONDSTORE");
    assert_eq!(
        strings(&out["list"]),
        [
            "(\\HasNoChildren \\Drafts) \"/\" Drafts",
            "(\\HasNoChildren \\Junk) \"/\" Junk",
            "(\\HasNoChildren \\Sent) \"/\" Sent",
            "(\\HasNoChildren \\Trash) \"/\" Trash",
            "(\\HasNoChildren) \"/\" INBOX",
        ]
    );
    assert_eq!(strings(&out["list_delimiter"]), ["(\\Noselect) \"/\" \"\""]);
    assert_eq!(strings(&out["list_special_use"]).len(), 4);
    assert_eq!(
        strings(&out["list_return"]),
        [
            "(\\HasNoChildren \\Sent \\Subscribed) \"/\" Sent",
            "(\\HasNoChildren \\Subscribed) \"/\" INBOX"
        ]
    );
    assert_eq!(
        strings(&out["list_after_create"]),
        [
            "(\\HasChildren) \"/\" Progetti",
            "(\\HasNoChildren) \"/\" Progetti/2024"
        ]
    );
    assert_eq!(strings(&out["lsub"]), ["(\\HasNoChildren) \"/\" Progetti/2024"]);
    assert_eq!(
        strings(&out["list_after_rename"]),
        [
            "(\\HasChildren) \"/\" Archivio",
            "(\\HasNoChildren) \"/\" Archivio/2024"
        ]
    );
    let status = out["status"].as_str().unwrap();
    assert!(
        status.starts_with("INBOX (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY "),
        "{status}"
    );
    assert!(status.contains("UNSEEN 2 HIGHESTMODSEQ"), "{status}");
    assert_eq!(out["append_uids"], serde_json::json!([1, 2, 3]));
    assert_eq!(out["select_exists"], 3);
    assert!(out["permanentflags"].as_str().unwrap().contains("\\*"), "{out}");
    assert_eq!(out["read_write"], true);
    let envelope = &out["envelope1"];
    assert_eq!(envelope["subject"], "Fattura 2024/17");
    assert_eq!(envelope["date"], "Mon, 4 Mar 2024 10:00:00 +0100");
    assert_eq!(
        envelope["from"],
        serde_json::json!([["Mario Rossi", null, "mario.rossi", "pec.example.it"]])
    );
    assert_eq!(envelope["sender"], envelope["from"]);
    assert_eq!(envelope["message_id"], "<f17@pec.example.it>");
    assert!(out["internaldate1"].as_str().unwrap().contains("-Mar-2024"), "{out}");
    assert_eq!(strings(&out["flags3"]), ["\\Seen"]);
    assert_eq!(
        out["header_fields"],
        "From: Mario Rossi <mario.rossi@pec.example.it>\r\nSubject: Fattura 2024/17\r\n\r\n"
    );
    assert_eq!(out["text_partial"], "Gentile");
    assert_eq!(out["part1_partial"], "cliente");
    let structure: Vec<String> = strings(&out["bodystructure2"])
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(structure[..2], ["text", "plain"]);
    assert_eq!(structure[5..], ["7bit", "19", "1"]);
    assert_eq!(out["changedsince"], serde_json::json!([1]));
    let search = &out["search"];
    for (key, want) in [
        ("all", "[1,2,3]"),
        ("seen", "[1,3]"),
        ("unseen", "[2]"),
        ("from", "[1]"),
        ("from_decoded_name", "[2]"),
        ("subject", "[1]"),
        ("subject_encoded", "[2]"),
        ("text", "[1]"),
        ("body", "[2]"),
        ("header", "[2]"),
        ("since", "[2,3]"),
        ("before", "[1]"),
        ("on", "[3]"),
        ("sentsince", "[3]"),
        ("uid_range", "[2,3]"),
        ("larger", "[3]"),
        ("not", "[2]"),
        ("or", "[1,3]"),
        ("modseq", "[1]"),
        ("charset", "[1]"),
    ] {
        assert_eq!(search[key].to_string(), want, "SEARCH {key}");
    }
    assert_eq!(strings(&out["store_add"]), ["$Fattura", "\\Flagged", "\\Seen"]);
    assert_eq!(strings(&out["store_remove"]), ["$Fattura", "\\Seen"]);
    assert_eq!(out["modified"], "1");
    assert_eq!(out["search_keyword"], serde_json::json!([1]));
    let uidvalidity = out["uidvalidity"].as_i64().unwrap();
    assert!(out["copyuid"].as_str().unwrap().ends_with(" 1 1"), "{out}");
    assert!(out["move_copyuid"].as_str().unwrap().ends_with(" 2 1"), "{out}");
    assert!(uidvalidity > 0);
    assert_eq!(out["move_expunge"], serde_json::json!([2]));
    assert_eq!(out["after_move"], serde_json::json!([1, 3]));
    assert_eq!(out["uid_expunge"], serde_json::json!([2]));
    assert_eq!(out["after_uid_expunge"], serde_json::json!([1]));
    assert_eq!(out["after_expunge"], serde_json::json!([]));
    assert_eq!(out["examine_exists"], 1);
    // Sent, Drafts, Trash and Junk keep one small message each: 3 KiB in all.
    assert_eq!(
        out["quotaroot"],
        serde_json::json!([["INBOX \"\""], ["\"\" (STORAGE 3 4096)"]])
    );
    assert_eq!(out["quota"], "\"\" (STORAGE 3 4096)");
    assert_eq!(out["logout"], "BYE");
    let _ = (USER, CLOSED, SUSPENDED);
}

#[tokio::test]
async fn idle_sees_what_another_session_appends_flags_and_expunges() {
    let server = TestServer::start().await;
    let out = server.python("idle.py", &[]).await;
    // 0 from SELECT, then 1 at the NOOP after the other session's APPEND.
    assert_eq!(out["noop_exists"], serde_json::json!([0, 1]), "{out}");
    let idle = strings(&out["idle"]);
    assert!(idle.contains(&"* 2 EXISTS".to_string()), "{idle:?}");
    assert!(
        idle.iter().any(|l| l.starts_with("* 2 FETCH (FLAGS (\\Flagged) UID 2")),
        "{idle:?}"
    );
    assert!(idle.contains(&"* 1 EXPUNGE".to_string()), "{idle:?}");
    assert_eq!(out["noop_expunge"], serde_json::json!([1]), "{out}");
    assert_eq!(out["uids"], serde_json::json!([]), "{out}");
}

#[tokio::test]
async fn implicit_tls_authenticate_and_the_mailbox_status_rules() {
    let mut config = common::config();
    config.implicit_tls = true;
    let server = TestServer::start_with(config).await;
    let out = server.python("auth.py", &[]).await;
    let caps = strings(&out["caps"]);
    assert!(
        caps.contains(&"AUTH=PLAIN".into()) && !caps.contains(&"STARTTLS".into()),
        "{caps:?}"
    );
    assert!(
        out["plain"].as_str().unwrap().starts_with("[CAPABILITY IMAP4rev1"),
        "{out}"
    );
    assert_eq!(out["login_challenges"], serde_json::json!(["Username:", "Password:"]));
    assert!(
        out["plain_wrong"].as_str().unwrap().contains("[AUTHENTICATIONFAILED]"),
        "{out}"
    );
    assert_eq!(
        out["closed"].as_str().unwrap(),
        format!("b'[CONTACTADMIN] the mailbox {CLOSED} is closed'")
    );
    assert!(
        out["throttled"]
            .as_str()
            .unwrap()
            .contains("[UNAVAILABLE] too many failed logins"),
        "{out}"
    );
    assert_eq!(out["after_three_failures"], "closed");
    assert_eq!(out["suspended_select"], "read-only");
    assert_eq!(
        out["suspended_append"],
        serde_json::json!([
            "NO",
            format!("[CONTACTADMIN] The mailbox {SUSPENDED} is suspended: it can only be read")
        ])
    );
    assert_eq!(out["suspended_create"][0], "NO");
}
