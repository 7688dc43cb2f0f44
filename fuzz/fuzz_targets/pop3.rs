//! Any bytes as a POP3 client's input: the command parser and the session state machine
//! (no I/O) must never panic, and what they answer must stay well-formed: one status line
//! within RFC 2449's 512 octets, multi-line bodies whose only "." line is the last.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3::LoginError;
use pop3::protocol::{self, Action, Maildrop, Message, Reply, Session};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the starting point and the effects' outcomes.
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let mut session = Session::new(seed & 1 == 1);
    for line in data.split_inclusive(|&b| b == b'\n') {
        let line = &expand(line);
        let _ = protocol::parse(line);
        let mut action = if line.len() > session.line_limit() {
            session.line_too_long()
        } else {
            session.line(line)
        };
        loop {
            action = match action {
                Action::Reply(reply) => {
                    check(&reply);
                    break;
                }
                Action::Close(reply) => {
                    check(&reply);
                    return;
                }
                Action::StartTls(reply) => {
                    check(&reply);
                    session.tls_started();
                    break;
                }
                Action::Login { user, password } => login(&mut session, &user, &password, seed),
                Action::Fetch { number, id, top } => {
                    let message = &data[..(id as usize).min(data.len())];
                    check_message(&protocol::message(message, top));
                    check(&protocol::removed(number));
                    break;
                }
                Action::Commit { ids } => {
                    assert!(ids.len() <= 16);
                    let result = match seed & 6 {
                        0 => Ok(None),
                        2 => Ok(Some("a receipt proves a kept message".to_owned())),
                        _ => Err(()),
                    };
                    check(&session.committed(result));
                    return;
                }
            };
        }
    }
});

/// Keywords, so that the fuzzer reaches every state without guessing them: a line that
/// begins with a byte of 0xF0-0xFF (never the first byte of a command) begins with the
/// keyword that byte picks instead.
const KEYWORDS: [&[u8]; 16] = [
    b"USER ",
    b"PASS ",
    b"AUTH PLAIN ",
    b"STLS",
    b"CAPA",
    b"STAT",
    b"LIST ",
    b"UIDL ",
    b"RETR ",
    b"TOP ",
    b"DELE ",
    b"RSET",
    b"NOOP",
    b"QUIT",
    b"AUTH ",
    b"APOP ",
];

fn expand(line: &[u8]) -> Vec<u8> {
    match line.split_first() {
        Some((&b, rest)) if b >= 0xF0 => [KEYWORDS[usize::from(b - 0xF0)], rest].concat(),
        _ => line.to_vec(),
    }
}

/// The Auth's answer, made up from the credentials: a maildrop of up to 16 messages.
fn login(session: &mut Session, user: &str, password: &str, seed: u8) -> Action {
    match (user.len() + password.len() + seed as usize) % 5 {
        0 => Action::Reply(session.logged_in(maildrop(password.as_bytes()))),
        1 => session.login_failed(&LoginError::Invalid),
        2 => session.login_failed(&LoginError::Disabled(format!("the mailbox {user} is closed\r\n+OK"))),
        3 => session.login_failed(&LoginError::Throttled(password.to_string())),
        _ => session.login_failed(&LoginError::Internal(user.to_string())),
    }
}

fn maildrop(shape: &[u8]) -> Maildrop {
    Maildrop::new(
        shape
            .iter()
            .take(16)
            .enumerate()
            .map(|(i, &b)| Message {
                id: i64::from(b),
                unique_id: format!("1700000000.{i}"),
                size: u64::from(b) * 1000,
            })
            .collect(),
    )
}

fn check(reply: &Reply) {
    let wire = reply.to_wire();
    let status_end = wire.iter().position(|&b| b == b'\n').expect("a status line");
    assert!(status_end < 512, "status line of {status_end} octets");
    assert_eq!(wire[status_end - 1], b'\r');
    match reply {
        Reply::Multi { .. } => check_body(&wire[status_end + 1..]),
        _ => assert_eq!(status_end + 1, wire.len(), "one line: {wire:?}"),
    }
}

fn check_message(wire: &[u8]) {
    assert!(wire.starts_with(b"+OK "));
    let status_end = wire.iter().position(|&b| b == b'\n').expect("a status line");
    check_body(&wire[status_end + 1..]);
}

/// Lines ended by CRLF, none of them "." but the last.
fn check_body(body: &[u8]) {
    assert!(body.ends_with(b".\r\n"), "{body:?}");
    let lines: Vec<&[u8]> = body.split_inclusive(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        assert!(line.ends_with(b"\r\n"), "bare LF in {body:?}");
        if i + 1 < lines.len() {
            assert_ne!(*line, b".\r\n", "early terminator in {body:?}");
        }
    }
}
