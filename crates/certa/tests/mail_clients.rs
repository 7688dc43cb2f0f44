//! Debian's real mail clients against `certa demo` with the development CA trusted:
//! fetchmail downloads over POP3 with TLS (and mbsync syncs over IMAP, once the
//! IMAP front-end is wired). Installed by ./run-tests; skipped with a notice where
//! they are missing.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

fn installed(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

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
    if !installed("fetchmail") {
        eprintln!("fetchmail is not installed: skipped (./run-tests installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_demo, info) = start_demo(&dir.path().join("demo"), None);
    let sud = &info["providers"][1];
    let m = &sud["mailboxes"][0];
    let (user, password) = (m["address"].as_str().unwrap(), m["password"].as_str().unwrap());
    send_one(&info, user, "Per fetchmail");
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
