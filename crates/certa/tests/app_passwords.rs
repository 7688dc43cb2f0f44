//! Two-factor login seen from real mail clients: the provider's IMAP, POP3 and
//! SMTP logins (`provider::access`, `provider::handlers`) in process, driven by
//! Python's imaplib, poplib and smtplib. Once TOTP is on, the mailbox's
//! password no longer opens them and an app password does; revoked, it opens
//! nothing.

use std::sync::Arc;
use std::time::Duration;

use certa::provider::access::ReadLogin;
use certa::provider::handlers::SubmissionHandler;
use chrono::{TimeZone, Utc};
use office::mailboxes::{self, NewMailbox};
use office::security::{self, totp};
use smtp::server::{CancellationToken, Role};
use testkit::office::{DOMAIN, Stopped};

const PASSWORD: &str = "la-password-giusta";

const SCRIPT: &str = r#"
import imaplib, json, poplib, smtplib, ssl, sys
ca, user, imaps, pop3s, sub = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
out = {}
for password in sys.argv[6:]:
    r = {}
    try:
        imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx).login(user, password)
        r["imap"] = "ok"
    except imaplib.IMAP4.error as e:
        r["imap"] = "refused"
    try:
        p = poplib.POP3_SSL("localhost", pop3s, context=ctx)
        p.user(user)
        p.pass_(password)
        r["pop3"] = "ok"
    except poplib.error_proto as e:
        r["pop3"] = "refused"
    try:
        s = smtplib.SMTP("localhost", sub)
        s.starttls(context=ctx)
        s.login(user, password)
        r["smtp"] = "ok"
    except smtplib.SMTPAuthenticationError as e:
        r["smtp"] = "refused"
    out[password] = r
print(json.dumps(out))
"#;

#[tokio::test]
async fn with_totp_on_mail_clients_log_in_with_an_app_password_only() {
    testkit::process::require("python3", "python3");
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(Stopped(std::sync::Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 10).unwrap(),
    )));
    let office = testkit::office::office_on(&dir.path().join("data"), None, clock.clone()).await;
    let user = format!("mario@{DOMAIN}");
    let new = NewMailbox {
        address: &user,
        password: PASSWORD,
        quota_bytes: 1 << 20,
    };
    let id = mailboxes::add_mailbox(&office, &new).await.unwrap().id;

    let shutdown = CancellationToken::new();
    let engine = office.engine().clone();
    let tls = testkit::tls::server_config();
    let mut imap_config = imap::ServerConfig::new("localhost", tls.clone());
    imap_config.implicit_tls = true;
    let imaps = imap::spawn_on(
        testkit::servers::loopback().await,
        imap_config,
        Arc::new(ReadLogin(engine.clone())),
        office.store().clone(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let mut pop3_config = pop3::ServerConfig::new(tls.clone(), "localhost");
    pop3_config.implicit_tls = true;
    let pop3s = pop3::spawn_on(
        testkit::servers::loopback().await,
        pop3_config,
        Arc::new(ReadLogin(engine.clone())),
        office.store().clone(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let mut smtp_config = smtp::server::ServerConfig::new(Role::Submission, "localhost");
    smtp_config.tls = Some(tls);
    let submission = smtp::server::spawn_on(
        testkit::servers::loopback().await,
        smtp_config,
        Arc::new(SubmissionHandler(engine.clone())),
        shutdown.clone(),
    )
    .await
    .unwrap();

    let enrolment = security::start_enrolment(&office, id).await.unwrap();
    let code = totp::code_at(&enrolment.secret, clock.0.lock().unwrap().timestamp()).unwrap();
    security::confirm_enrolment(&office, id, &code).await.unwrap();
    let app = security::create_app_password(&office, id, "Thunderbird").await.unwrap();
    let revoked = security::create_app_password(&office, id, "vecchio telefono")
        .await
        .unwrap();
    security::revoke_app_password(&office, id, revoked.id).await.unwrap();

    let ca = testkit::pki::pki().ca_file.display().to_string();
    let out = testkit::python::run(
        "imaplib, poplib and smtplib logins",
        tokio::process::Command::new("python3")
            .arg("-c")
            .arg(SCRIPT)
            .args([ca, user])
            .arg(imaps.local_addr.port().to_string())
            .arg(pop3s.local_addr.port().to_string())
            .arg(submission.local_addr.port().to_string())
            .args([PASSWORD, &app.password, &revoked.password]),
        Duration::from_secs(60),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let each = |password: &str, outcome: &str| {
        for protocol in ["imap", "pop3", "smtp"] {
            assert_eq!(v[password][protocol], outcome, "{protocol} with {password}: {v}");
        }
    };
    each(PASSWORD, "refused");
    each(&app.password, "ok");
    each(&revoked.password, "refused");
    shutdown.cancel();
}
