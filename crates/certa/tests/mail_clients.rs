//! Debian's real mail clients against `certa demo` with the development CA trusted:
//! fetchmail downloads over POP3 with TLS and mbsync syncs over IMAP. Installed by
//! ./run-tests; where they are missing the tests fail and say so.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

fn send_one(info: &serde_json::Value, to: &str, subject: &str) {
    let nord = &info["providers"][0];
    let m = &nord["mailboxes"][0];
    let (from, password) = (m["address"].as_str().unwrap(), m["password"].as_str().unwrap());
    let account = Account {
        host: "127.0.0.1",
        port: nord["submission_port"].as_u64().unwrap() as u16,
        ca: info["ca_certificate"].as_str().unwrap(),
        user: from,
        password,
    };
    let o = submit(&account, from, &[to], &message(from, &[to], &[], subject, ""), &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
}

fn fetchmail(dir: &Path, port: u64, user: &str, password: &str, ca: &str, implicit: bool) -> String {
    let mbox = dir.join("mbox");
    let rc = dir.join("fetchmailrc");
    let tls = if implicit {
        "ssl sslcertfile"
    } else {
        "sslproto tls1.2+ sslcertfile"
    };
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\npoll localhost service {port} protocol pop3 uidl\n\tuser \"{user}\" with password \"{password}\"\n\t{tls} \"{ca}\" sslcertck\n\tkeep mda \"cat >> {}\"\n",
            mbox.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new("fetchmail")
        .args(["--nodetach", "--nosyslog", "-f"])
        .arg(&rc)
        .arg("--idfile")
        .arg(dir.join("ids"))
        .arg("--pidfile")
        .arg(dir.join("pid"))
        .env("HOME", dir)
        .env("FETCHMAILHOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fetchmail: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&mbox).unwrap_or_default()
}

#[test]
fn fetchmail_downloads_pec_over_pop3_with_tls() {
    testkit::process::require("fetchmail", "fetchmail");
    let demo = Demo::start(CERTA, None);
    let info = &demo.info;
    let sud = &info["providers"][1];
    let m = &sud["mailboxes"][0];
    let (user, password) = (m["address"].as_str().unwrap(), m["password"].as_str().unwrap());
    send_one(info, user, "Per fetchmail");
    let data = std::path::PathBuf::from(sud["data"].as_str().unwrap());
    wait_until("the envelope", Duration::from_secs(60), || {
        (count(&mailbox(&data, user), "busta-trasporto") == 1).then_some(())
    });
    let ca = info["ca_certificate"].as_str().unwrap();
    for (implicit, port) in [(true, &sud["pop3s_port"]), (false, &sud["pop3_port"])] {
        let run = tempfile::tempdir().unwrap();
        let mbox = fetchmail(run.path(), port.as_u64().unwrap(), user, password, ca, implicit);
        assert!(mbox.contains("X-Trasporto: posta-certificata"), "{mbox}");
        assert!(mbox.contains("Subject: POSTA CERTIFICATA: Per fetchmail"), "{mbox}");
    }
    // `keep`: the message is still there.
    assert_eq!(count(&mailbox(&data, user), "busta-trasporto"), 1);
}

fn mbsync(dir: &Path, port: u64, user: &str, password: &str, ca: &str) {
    let rc = dir.join("mbsyncrc");
    let mail = dir.join("Mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount certa\nHost localhost\nPort {port}\nUser {user}\nPass \"{password}\"\nSSLType IMAPS\nCertificateFile {ca}\n\n\
             IMAPStore remote\nAccount certa\n\n\
             MaildirStore local\nPath {mail}/\nInbox {mail}/INBOX\nSubFolders Verbatim\n\n\
             Channel certa\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n",
            mail = mail.display()
        ),
    )
    .unwrap();
    let out = Command::new("mbsync")
        .arg("-c")
        .arg(&rc)
        .arg("certa")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mbsync: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files of a Maildir folder (cur and new).
fn maildir(dir: &Path, folder: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(entries) = std::fs::read_dir(dir.join("Mail").join(folder).join(sub)) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    files.sort();
    files
}

fn server_flags(data: &Path, address: &str) -> Vec<(String, Vec<String>)> {
    let out = certa()
        .args(["mailbox", "show", address, "--json", "--data"])
        .arg(data)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let flags = m["message"]["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (m["folder"].as_str().unwrap().to_string(), flags)
        })
        .collect()
}

#[test]
fn mbsync_syncs_a_pec_mailbox_both_ways() {
    testkit::process::require("mbsync", "isync");
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(CERTA, None);
    let info = &demo.info;
    let sud = &info["providers"][1];
    let m = &sud["mailboxes"][0];
    let (user, password) = (m["address"].as_str().unwrap(), m["password"].as_str().unwrap());
    let data = std::path::PathBuf::from(sud["data"].as_str().unwrap());
    let port = sud["imaps_port"].as_u64().unwrap();
    let ca = info["ca_certificate"].as_str().unwrap();
    let local = dir.path().join("client");
    std::fs::create_dir_all(&local).unwrap();

    // Server -> client: a PEC arrives and is downloaded.
    send_one(info, user, "Primo per mbsync");
    wait_until("the envelope", Duration::from_secs(60), || {
        (count(&mailbox(&data, user), "busta-trasporto") == 1).then_some(())
    });
    mbsync(&local, port, user, password, ca);
    let inbox = maildir(&local, "INBOX");
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(
        std::fs::read_to_string(&inbox[0])
            .unwrap()
            .contains("Subject: POSTA CERTIFICATA: Primo per mbsync")
    );

    // Client -> server: the message read (flag S), and a new local folder with a message.
    // Maildir: the flags follow ":2," at the end of the file name, and read mail lives in cur/.
    let name = inbox[0].file_name().unwrap().to_string_lossy().into_owned();
    let base = name.split(":2,").next().unwrap();
    std::fs::rename(&inbox[0], local.join("Mail/INBOX/cur").join(format!("{base}:2,S"))).unwrap();
    let archive = local.join("Mail/Archivio");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(archive.join(sub)).unwrap();
    }
    std::fs::write(
        archive.join("new/1700000000.1.local"),
        "From: a@b.it\r\nTo: c@d.it\r\nSubject: Nota locale\r\n\r\nSalvata dal client.\r\n",
    )
    .unwrap();
    mbsync(&local, port, user, password, ca);
    let flags = server_flags(&data, user);
    assert!(
        flags
            .iter()
            .any(|(f, fl)| f == "INBOX" && fl.iter().any(|x| x == "\\Seen")),
        "{flags:?}"
    );
    assert_eq!(flags.iter().filter(|(f, _)| f == "Archivio").count(), 1, "{flags:?}");

    // Server -> client again: a second PEC; client -> server: the first one deleted.
    send_one(info, user, "Secondo per mbsync");
    wait_until("the second envelope", Duration::from_secs(60), || {
        (count(&mailbox(&data, user), "busta-trasporto") == 2).then_some(())
    });
    let first = maildir(&local, "INBOX")
        .into_iter()
        .find(|p| std::fs::read_to_string(p).unwrap().contains("Primo per mbsync"))
        .unwrap();
    std::fs::remove_file(first).unwrap();
    mbsync(&local, port, user, password, ca);
    let inbox = maildir(&local, "INBOX");
    assert_eq!(inbox.len(), 1);
    assert!(
        std::fs::read_to_string(&inbox[0])
            .unwrap()
            .contains("Secondo per mbsync")
    );
    let server = mailbox(&data, user);
    let in_inbox: Vec<_> = server.iter().filter(|m| m.folder == "INBOX").collect();
    assert_eq!(in_inbox.len(), 1, "the deletion reached the server: {server:?}");
    assert!(
        std::fs::read_to_string(&in_inbox[0].path)
            .unwrap()
            .contains("Secondo per mbsync")
    );
}

/// Failed logins are counted across protocols: ten wrong IMAP passwords lock the
/// account, and then even the right password is refused over SMTP, IMAP and POP3.
#[test]
fn failed_logins_lock_the_account_across_smtp_imap_and_pop3() {
    let demo = Demo::start(CERTA, None);
    let info = &demo.info;
    let nord = &info["providers"][0];
    let m = &nord["mailboxes"][1];
    let (user, password) = (m["address"].as_str().unwrap(), m["password"].as_str().unwrap());
    let script = r#"
import imaplib, json, poplib, smtplib, ssl, sys
ca, user, password, imaps, pop3s, sub = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
out = {"wrong": []}
for i in range(10):
    try:
        imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx).login(user, "wrong-password")
        out["wrong"].append("ok?!")
    except imaplib.IMAP4.error as e:
        out["wrong"].append(str(e))
try:
    imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx).login(user, password)
    out["imap"] = "ok"
except imaplib.IMAP4.error as e:
    out["imap"] = str(e)
try:
    p = poplib.POP3_SSL("localhost", pop3s, context=ctx)
    p.user(user)
    p.pass_(password)
    out["pop3"] = "ok"
except poplib.error_proto as e:
    out["pop3"] = str(e)
try:
    s = smtplib.SMTP("localhost", sub)
    s.starttls(context=ctx)
    s.login(user, password)
    out["smtp"] = "ok"
except smtplib.SMTPAuthenticationError as e:
    out["smtp"] = f"{e.smtp_code} {e.smtp_error.decode()}"
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(info["ca_certificate"].as_str().unwrap())
        .args([user, password])
        .arg(nord["imaps_port"].to_string())
        .arg(nord["pop3s_port"].to_string())
        .arg(nord["submission_port"].to_string())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let wrong = v["wrong"].as_array().unwrap();
    assert!(
        wrong.iter().all(
            |w| w.as_str().unwrap().contains("AUTHENTICATIONFAILED") || w.as_str().unwrap().contains("UNAVAILABLE")
        ),
        "{v}"
    );
    for protocol in ["imap", "pop3", "smtp"] {
        let answer = v[protocol].as_str().unwrap();
        assert!(answer.contains("too many failed logins"), "{protocol}: {answer}");
    }
    assert!(v["smtp"].as_str().unwrap().starts_with("454"), "{v}");
}
