//! The session state machine, one rule per test.

use super::*;
use crate::LoginError;

fn maildrop() -> Maildrop {
    Maildrop::new(vec![
        Message {
            id: 11,
            unique_id: "1700000000.1".into(),
            size: 120,
        },
        Message {
            id: 12,
            unique_id: "1700000000.2".into(),
            size: 80,
        },
    ])
}

fn reply(action: Action) -> Reply {
    match action {
        Action::Reply(reply) => reply,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn err_text(action: Action) -> String {
    match reply(action) {
        Reply::Err(text) => text,
        other => panic!("expected -ERR, got {other:?}"),
    }
}

/// A session under TLS, logged in over the test maildrop.
fn logged_in() -> Session {
    let mut s = Session::new(true);
    assert!(reply(s.line(b"USER alice\r\n")).is_ok());
    assert_eq!(
        s.line(b"PASS secret\r\n"),
        Action::Login {
            user: "alice".into(),
            password: "secret".into()
        }
    );
    assert_eq!(
        s.logged_in(maildrop()),
        Reply::ok("maildrop has 2 messages (200 octets)")
    );
    s
}

#[test]
fn login_before_tls_is_refused_and_capa_offers_stls_instead() {
    let mut s = Session::new(false);
    assert!(err_text(s.line(b"USER alice\r\n")).starts_with("[AUTH] TLS required"));
    assert!(err_text(s.line(b"PASS x\r\n")).starts_with("[AUTH] TLS required"));
    assert!(err_text(s.line(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")).starts_with("[AUTH] TLS required"));
    let Reply::Multi { lines, .. } = reply(s.line(b"CAPA\r\n")) else {
        panic!("CAPA is multi-line")
    };
    assert!(lines.contains(&"STLS".to_string()));
    assert!(!lines.contains(&"USER".to_string()));
    assert!(!lines.iter().any(|l| l.starts_with("SASL")));
    assert_eq!(
        s.line(b"STLS\r\n"),
        Action::StartTls(Reply::ok("begin TLS negotiation"))
    );
    s.tls_started();
    let Reply::Multi { lines, .. } = reply(s.line(b"CAPA\r\n")) else {
        panic!("CAPA is multi-line")
    };
    for cap in [
        "TOP",
        "UIDL",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "USER",
        "SASL PLAIN",
    ] {
        assert!(lines.contains(&cap.to_string()), "{cap} in {lines:?}");
    }
    assert!(!lines.contains(&"STLS".to_string()));
    assert_eq!(err_text(s.line(b"STLS\r\n")), "TLS is already active");
}

#[test]
fn stls_forgets_the_user_given_before_it() {
    let mut s = Session::new(false);
    s.line(b"STLS\r\n");
    s.tls_started();
    assert!(reply(s.line(b"USER alice\r\n")).is_ok());
    assert!(matches!(s.line(b"STLS\r\n"), Action::Reply(Reply::Err(_))));
    assert!(matches!(s.line(b"PASS secret\r\n"), Action::Login { .. }));
}

#[test]
fn pass_needs_user_first_and_a_failure_starts_over() {
    let mut s = Session::new(true);
    assert_eq!(err_text(s.line(b"PASS secret\r\n")), "send USER first");
    s.line(b"USER alice\r\n");
    assert!(matches!(s.line(b"PASS wrong\r\n"), Action::Login { .. }));
    assert_eq!(
        reply(s.login_failed(&LoginError::Invalid)),
        Reply::err("[AUTH] invalid user or password")
    );
    assert_eq!(err_text(s.line(b"PASS secret\r\n")), "send USER first");
}

#[test]
fn login_failures_carry_response_codes_and_the_third_closes() {
    let mut s = Session::new(true);
    let disabled = LoginError::Disabled("the mailbox a@x.it is closed".into());
    assert_eq!(
        reply(s.login_failed(&disabled)),
        Reply::err("[AUTH] the mailbox a@x.it is closed")
    );
    let throttled = LoginError::Throttled("too many failed logins, try again in 5 minutes".into());
    assert_eq!(
        err_text(s.login_failed(&throttled)),
        "[SYS/TEMP] too many failed logins, try again in 5 minutes"
    );
    // Our own failures do not count against the client.
    let internal = LoginError::Internal("database is locked".into());
    let text = err_text(s.login_failed(&internal));
    assert!(text.starts_with("[SYS/TEMP]") && !text.contains("database"), "{text}");
    assert_eq!(
        s.login_failed(&LoginError::Invalid),
        Action::Close(Reply::err("[AUTH] invalid user or password"))
    );
}

#[test]
fn auth_plain_with_and_without_initial_response() {
    let mut s = Session::new(true);
    // "\0alice\0secret"
    assert_eq!(
        s.line(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
        Action::Login {
            user: "alice".into(),
            password: "secret".into()
        }
    );
    s.login_failed(&LoginError::Invalid);
    assert_eq!(reply(s.line(b"AUTH PLAIN\r\n")), Reply::Continue(String::new()));
    assert_eq!(s.line_limit(), SASL_LINE_MAX);
    // "alice\0alice\0pass word"
    assert_eq!(
        s.line(b"YWxpY2UAYWxpY2UAcGFzcyB3b3Jk\r\n"),
        Action::Login {
            user: "alice".into(),
            password: "pass word".into()
        }
    );
    assert_eq!(s.line_limit(), COMMAND_LINE_MAX);
}

#[test]
fn auth_refuses_other_mechanisms_bad_responses_and_cancellation() {
    let mut s = Session::new(true);
    assert_eq!(
        err_text(s.line(b"AUTH CRAM-MD5\r\n")),
        "unsupported SASL mechanism CRAM-MD5: use PLAIN"
    );
    let Reply::Multi { lines, .. } = reply(s.line(b"AUTH\r\n")) else {
        panic!("AUTH lists mechanisms")
    };
    assert_eq!(lines, ["PLAIN"]);
    s.line(b"AUTH PLAIN\r\n");
    assert_eq!(err_text(s.line(b"*\r\n")), "authentication cancelled");
    // Back to commands after the exchange.
    assert!(matches!(s.line(b"CAPA\r\n"), Action::Reply(Reply::Multi { .. })));
    assert_eq!(
        err_text(s.line(b"AUTH PLAIN !!!\r\n")),
        "[AUTH] the response is not base64"
    );
    // "bob\0alice\0secret": acting as another user.
    assert_eq!(
        err_text(s.line(b"AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n")),
        "[AUTH] authorization identity not permitted"
    );
}

#[test]
fn transaction_commands_need_a_login() {
    let mut s = Session::new(true);
    for line in [
        &b"STAT\r\n"[..],
        b"LIST\r\n",
        b"RETR 1\r\n",
        b"DELE 1\r\n",
        b"UIDL\r\n",
        b"NOOP\r\n",
    ] {
        assert_eq!(err_text(s.line(line)), "log in first (USER and PASS, or AUTH PLAIN)");
    }
}

#[test]
fn stat_list_and_uidl() {
    let mut s = logged_in();
    assert_eq!(reply(s.line(b"STAT\r\n")), Reply::ok("2 200"));
    assert_eq!(
        reply(s.line(b"LIST\r\n")).to_wire(),
        b"+OK 2 messages (200 octets)\r\n1 120\r\n2 80\r\n.\r\n"
    );
    assert_eq!(reply(s.line(b"LIST 2\r\n")), Reply::ok("2 80"));
    assert_eq!(err_text(s.line(b"LIST 3\r\n")), "no such message, only 2 in maildrop");
    assert_eq!(
        reply(s.line(b"UIDL\r\n")).to_wire(),
        b"+OK unique-id listing follows\r\n1 1700000000.1\r\n2 1700000000.2\r\n.\r\n"
    );
    assert_eq!(reply(s.line(b"UIDL 1\r\n")), Reply::ok("1 1700000000.1"));
    assert_eq!(reply(s.line(b"NOOP\r\n")), Reply::ok(""));
    assert_eq!(err_text(s.line(b"USER bob\r\n")), "already logged in");
    assert_eq!(err_text(s.line(b"STLS\r\n")), "STLS is only allowed before login");
}

#[test]
fn retr_and_top_ask_for_the_message() {
    let mut s = logged_in();
    assert_eq!(
        s.line(b"RETR 2\r\n"),
        Action::Fetch {
            number: 2,
            id: 12,
            top: None
        }
    );
    assert_eq!(
        s.line(b"TOP 1 5\r\n"),
        Action::Fetch {
            number: 1,
            id: 11,
            top: Some(5)
        }
    );
    assert_eq!(err_text(s.line(b"RETR 9\r\n")), "no such message, only 2 in maildrop");
}

#[test]
fn dele_marks_rset_unmarks_and_quit_commits_the_marks() {
    let mut s = logged_in();
    assert_eq!(reply(s.line(b"DELE 1\r\n")), Reply::ok("message 1 deleted"));
    assert_eq!(err_text(s.line(b"DELE 1\r\n")), "message 1 already deleted");
    assert_eq!(err_text(s.line(b"RETR 1\r\n")), "message 1 already deleted");
    assert_eq!(reply(s.line(b"STAT\r\n")), Reply::ok("1 80"));
    assert_eq!(
        reply(s.line(b"LIST\r\n")).to_wire(),
        b"+OK 1 messages (80 octets)\r\n2 80\r\n.\r\n"
    );
    assert_eq!(
        reply(s.line(b"RSET\r\n")),
        Reply::ok("maildrop has 2 messages (200 octets)")
    );
    s.line(b"DELE 2\r\n");
    assert_eq!(s.line(b"QUIT\r\n"), Action::Commit { ids: vec![12] });
    assert_eq!(s.committed(Ok(None)), Reply::ok("bye, 1 messages deleted"));
    assert!(matches!(s.line(b"STAT\r\n"), Action::Close(_)));
}

#[test]
fn quit_before_login_just_closes() {
    let mut s = Session::new(false);
    assert_eq!(s.line(b"QUIT\r\n"), Action::Close(Reply::ok("bye")));
}

#[test]
fn bad_commands_are_answered_until_too_many() {
    let mut s = Session::new(false);
    for _ in 1..MAX_BAD_COMMANDS {
        assert!(matches!(s.line(b"\xff garbage\r\n"), Action::Reply(Reply::Err(_))));
    }
    assert!(matches!(s.line(b"garbage\r\n"), Action::Close(Reply::Err(_))));
}

#[test]
fn a_long_line_is_refused_and_the_session_goes_on() {
    let mut s = logged_in();
    assert_eq!(err_text(s.line_too_long()), "line too long");
    assert_eq!(reply(s.line(b"STAT\r\n")), Reply::ok("2 200"));
}
