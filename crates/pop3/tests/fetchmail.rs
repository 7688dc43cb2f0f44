//! fetchmail, a real downloader, over implicit TLS and STLS with the certificate checked.
//! fetchmail must be installed (`./run-tests` installs it): without it the tests fail.

mod common;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use common::{MESSAGES, PASSWORD, TestServer, USER, pki};

/// Runs fetchmail once with a run-control file polling `server`; returns its exit code
/// (0: mail retrieved, 1: no mail) after printing its output.
async fn fetchmail(server: &TestServer, dir: &Path, tls: &str, options: &str) -> i32 {
    let rc = dir.join("fetchmailrc");
    let mbox = dir.join("mbox");
    let rc_text = format!(
        "set no bouncemail\n\
         poll localhost service {port} protocol pop3 uidl\n\
         \tuser \"{USER}\" with password \"{PASSWORD}\"\n\
         \t{tls} sslcertfile \"{ca}\" sslcertck\n\
         \t{options} mda \"cat >> {mbox}\"\n",
        port = server.port(),
        ca = pki().ca_file.display(),
        mbox = mbox.display(),
    );
    // fetchmail refuses a run-control file others can read.
    let _ = std::fs::remove_file(&rc);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&rc)
        .and_then(|mut f| f.write_all(rc_text.as_bytes()))
        .expect("write rcfile");
    let output = tokio::process::Command::new("fetchmail")
        .args(["--nodetach", "--nosyslog", "--verbose", "-f"])
        .arg(&rc)
        .arg("--idfile")
        .arg(dir.join("fetchids"))
        .arg("--pidfile")
        .arg(dir.join("fetchmail.pid"))
        .env("HOME", dir)
        .env("FETCHMAILHOME", dir)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("fetchmail finishes")
        .expect("fetchmail runs");
    eprintln!(
        "fetchmail {tls}: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.status.code().unwrap_or(-1)
}

async fn downloads_every_message_once(server: TestServer, tls: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(fetchmail(&server, dir.path(), tls, "keep").await, 0, "mail retrieved");
    let mbox = std::fs::read(dir.path().join("mbox")).expect("mbox written");
    for message in MESSAGES {
        let body = &message[message.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        // The MDA gets LF line ends; compare line by line.
        let body = String::from_utf8_lossy(body).replace("\r\n", "\n");
        assert!(
            String::from_utf8_lossy(&mbox).contains(&body),
            "{body:?} in\n{}",
            String::from_utf8_lossy(&mbox)
        );
    }
    // `keep` left them on the server, and UIDL tells fetchmail it has them already.
    assert_eq!(server.inbox(server.alice).await.len(), 3);
    assert_eq!(fetchmail(&server, dir.path(), tls, "keep").await, 1, "no new mail");
    // Without `keep` fetchmail deletes what it downloaded (DELE, QUIT).
    assert_eq!(fetchmail(&server, dir.path(), tls, "fetchall no keep").await, 0);
    assert!(server.inbox(server.alice).await.is_empty());
}

#[tokio::test]
async fn fetchmail_downloads_over_implicit_tls() {
    testkit::process::require("fetchmail", "fetchmail");
    downloads_every_message_once(TestServer::start_tls().await, "ssl").await;
}

#[tokio::test]
async fn fetchmail_downloads_over_stls() {
    testkit::process::require("fetchmail", "fetchmail");
    // sslproto without ssl: STLS, and TLS is required.
    downloads_every_message_once(TestServer::start().await, "sslproto tls1.2+").await;
}
