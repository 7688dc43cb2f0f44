//! Submission (RFC 6409) driven by Python's smtplib: STARTTLS, implicit TLS, AUTH PLAIN and
//! LOGIN, and what is refused before them.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{PASSWORD, TestServer, USER, config, wait_received};
use smtp::server::Role;

/// Lines starting with "." (and one that is only ".") test the dot-stuffing both ways.
const MESSAGE: &[u8] = b"From: Alice <alice@pec.example.it>\r\n\
To: bob@pec.example.it, carol@pec.example.it\r\n\
Subject: dots\r\n\
Message-ID: <1@pec.example.it>\r\n\
\r\n\
.a line starting with a dot\r\n\
.\r\n\
..two dots\r\n\
\xc3\xa8 8-bit text\r\n\
last line\r\n";

const RCPTS: [&str; 3] = ["bob@pec.example.it", "carol@pec.example.it", "dave@pec.example.it"];

async fn submission() -> TestServer {
    TestServer::start(config(Role::Submission)).await
}

async fn implicit_tls_submission() -> TestServer {
    let mut config = config(Role::Submission);
    config.implicit_tls = true;
    TestServer::start(config).await
}

const STARTTLS_AUTH_LOGIN_SEND: &str = r#"
import base64, os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
msg = base64.b64decode(os.environ['MESSAGE'])
with smtplib.SMTP('localhost', int(os.environ['PORT']), local_hostname='client.example.it') as s:
    s.ehlo()
    print('before tls: starttls', s.has_extn('starttls'), 'auth', s.has_extn('auth'))
    s.starttls(context=ctx)
    s.ehlo()
    print('after tls: starttls', s.has_extn('starttls'), 'auth', s.esmtp_features.get('auth', '').strip())
    s.user, s.password = os.environ['SMTP_USER'], os.environ['SMTP_PASSWORD']
    code, _ = s.auth('LOGIN', s.auth_login)
    print('login', code)
    refused = s.sendmail(os.environ['SMTP_USER'], os.environ['RCPTS'].split(','), msg)
    print('refused', refused)
"#;

#[tokio::test]
async fn starttls_then_auth_login_delivers_the_message_byte_exact_to_every_recipient() {
    let server = submission().await;
    let out = server
        .python_with(
            STARTTLS_AUTH_LOGIN_SEND,
            &[("MESSAGE", &BASE64.encode(MESSAGE)), ("RCPTS", &RCPTS.join(","))],
        )
        .await;
    assert!(out.contains("before tls: starttls True auth False"), "{out}");
    assert!(out.contains("after tls: starttls False auth PLAIN LOGIN"), "{out}");
    assert!(out.contains("login 235"), "{out}");
    assert!(out.contains("refused {}"), "{out}");
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.message, MESSAGE, "{}", String::from_utf8_lossy(&got.message));
    assert_eq!(got.from, USER);
    assert_eq!(got.rcpts, RCPTS);
    assert!(got.tls);
    assert_eq!(got.authenticated.as_deref(), Some(USER));
}

const STARTTLS_AUTH_PLAIN: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
for initial in (True, False):
    with smtplib.SMTP('localhost', int(os.environ['PORT'])) as s:
        s.starttls(context=ctx)
        s.ehlo()
        s.user, s.password = os.environ['SMTP_USER'], os.environ['SMTP_PASSWORD']
        code, _ = s.auth('PLAIN', s.auth_plain, initial_response_ok=initial)
        print('plain', initial, code)
        print('mail', s.mail(os.environ['SMTP_USER'])[0])
"#;

#[tokio::test]
async fn auth_plain_with_and_without_initial_response() {
    let server = submission().await;
    let out = server.python(STARTTLS_AUTH_PLAIN).await;
    assert!(out.contains("plain True 235"), "{out}");
    assert!(out.contains("plain False 235"), "{out}");
    assert_eq!(out.matches("mail 250").count(), 2, "{out}");
    let attempts = server.handler.auth_attempts.lock().unwrap().clone();
    assert_eq!(attempts, vec![(USER.to_owned(), PASSWORD.to_owned()); 2]);
}

const IMPLICIT_TLS_SEND: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
with smtplib.SMTP_SSL('localhost', int(os.environ['PORT']), context=ctx) as s:
    s.ehlo()
    print('starttls', s.has_extn('starttls'))
    print('login', s.login(os.environ['SMTP_USER'], os.environ['SMTP_PASSWORD'])[0])
    print('refused', s.sendmail(os.environ['SMTP_USER'], ['bob@pec.example.it'], b'Subject: x\r\n\r\nbody\r\n'))
"#;

#[tokio::test]
async fn implicit_tls_greets_after_the_handshake_and_accepts_login() {
    let server = implicit_tls_submission().await;
    let out = server.python(IMPLICIT_TLS_SEND).await;
    assert!(out.contains("starttls False"), "{out}");
    assert!(out.contains("login 235"), "{out}");
    assert!(out.contains("refused {}"), "{out}");
    let received = wait_received(&server.handler, 1).await;
    assert_eq!(received[0].message, b"Subject: x\r\n\r\nbody\r\n");
    assert!(received[0].tls);
}

const LOGIN_IN_CLEAR: &str = r#"
import os, smtplib
with smtplib.SMTP('127.0.0.1', int(os.environ['PORT'])) as s:
    s.ehlo()
    print('auth advertised', s.has_extn('auth'))
    try:
        s.login(os.environ['SMTP_USER'], os.environ['SMTP_PASSWORD'])
        print('logged in')
    except smtplib.SMTPNotSupportedError:
        print('login not supported')
    print('mail', s.mail(os.environ['SMTP_USER']))
"#;

#[tokio::test]
async fn auth_is_neither_advertised_nor_accepted_before_tls() {
    let server = submission().await;
    let out = server.python(LOGIN_IN_CLEAR).await;
    assert!(out.contains("auth advertised False"), "{out}");
    assert!(out.contains("login not supported"), "{out}");
    assert!(out.contains("mail (530, b'5.7.0 Authentication required')"), "{out}");

    let mut raw = server.raw().await;
    raw.command("EHLO client.example.it").await;
    let plain = BASE64.encode(format!("\0{USER}\0{PASSWORD}"));
    let reply = raw.command(&format!("AUTH PLAIN {plain}")).await;
    assert_eq!(
        reply,
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
    );
    assert!(server.handler.auth_attempts.lock().unwrap().is_empty());
}

const MAIL_WITHOUT_AUTH: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
with smtplib.SMTP('localhost', int(os.environ['PORT'])) as s:
    s.starttls(context=ctx)
    s.ehlo()
    print('mail', s.mail(os.environ['SMTP_USER']))
"#;

#[tokio::test]
async fn mail_before_auth_is_refused_with_530() {
    let server = submission().await;
    let out = server.python(MAIL_WITHOUT_AUTH).await;
    assert!(out.contains("mail (530, b'5.7.0 Authentication required')"), "{out}");
}

const WRONG_PASSWORD_THREE_TIMES: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
s = smtplib.SMTP('localhost', int(os.environ['PORT']))
s.starttls(context=ctx)
s.ehlo()
s.user, s.password = os.environ['SMTP_USER'], 'wrong'
for _ in range(3):
    try:
        s.auth('PLAIN', s.auth_plain)
        print('accepted')
    except smtplib.SMTPAuthenticationError as e:
        print('refused', e.smtp_code, e.smtp_error.decode())
try:
    print('then', s.noop()[0])
except smtplib.SMTPServerDisconnected:
    print('then disconnected')
"#;

#[tokio::test]
async fn three_failed_auths_end_the_session_with_421() {
    let server = submission().await;
    let out = server.python(WRONG_PASSWORD_THREE_TIMES).await;
    assert_eq!(out.matches("refused 535 5.7.8").count(), 3, "{out}");
    assert!(out.contains("then 421") || out.contains("then disconnected"), "{out}");
    assert_eq!(server.handler.auth_attempts.lock().unwrap().len(), 3);
}

const LINE_AFTER_STARTTLS: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
with smtplib.SMTP('localhost', int(os.environ['PORT'])) as s:
    s.ehlo()
    s.starttls(context=ctx)
    print('mail', s.docmd('MAIL FROM:<%s>' % os.environ['SMTP_USER'])[0])
    print('auth', s.docmd('AUTH', 'CRAM-MD5')[0])
"#;

#[tokio::test]
async fn starttls_forgets_the_ehlo_and_unknown_mechanisms_get_504() {
    let server = submission().await;
    let out = server.python(LINE_AFTER_STARTTLS).await;
    // RFC 3207 4.2: EHLO must be sent again under TLS.
    assert!(out.contains("mail 503"), "{out}");
    assert!(out.contains("auth 504"), "{out}");
}

const OVERSIZE_DECLARED: &str = r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
with smtplib.SMTP('localhost', int(os.environ['PORT'])) as s:
    s.starttls(context=ctx)
    s.ehlo()
    print('size', s.esmtp_features.get('size'))
    s.login(os.environ['SMTP_USER'], os.environ['SMTP_PASSWORD'])
    try:
        s.sendmail(os.environ['SMTP_USER'], ['bob@pec.example.it'], b'x' * 70000 + b'\r\n')
        print('sent')
    except smtplib.SMTPSenderRefused as e:
        print('refused', e.smtp_code, e.smtp_error.decode())
"#;

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_with_552() {
    let server = submission().await;
    let out = server.python(OVERSIZE_DECLARED).await;
    assert!(out.contains("size 65536"), "{out}");
    assert!(out.contains("refused 552 5.3.4"), "{out}");
    assert!(server.handler.received().is_empty());
}
