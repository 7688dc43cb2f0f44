//! Crash safety: `certa serve` is killed with SIGKILL in the middle of a batch of
//! submissions and restarted; every message that got `250` gets exactly its
//! receipts, and nothing anywhere arrives twice.

mod support;

use std::collections::HashMap;
use std::io::BufRead;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(data: &Path, port: u16) -> Proc {
    let child = certa()
        .args(["serve", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the submission port", Duration::from_secs(60), || {
        TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))
            .ok()
            .map(|_| ())
    });
    Proc(child)
}

fn queue_idle(data: &Path) -> bool {
    let out = certa().args(["queue", "--json", "--data"]).arg(data).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["due_now"].as_i64() == Some(0) && v["counts"]["dead"].as_i64() == Some(0)
}

#[test]
fn sigkill_mid_batch_loses_nothing_accepted_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("p");
    let (sub, subs, inbound) = (free_port(), free_port(), free_port());
    let init = certa()
        .args(["init", "--domain", "crash.pec.test", "--name", "Certa Crash", "--data"])
        .arg(&data)
        .args([
            "--submission",
            &format!("127.0.0.1:{sub}"),
            "--submissions",
            &format!("127.0.0.1:{subs}"),
        ])
        .args(["--inbound", &format!("127.0.0.1:{inbound}")])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let senders: Vec<(String, String)> = (0..4)
        .map(|i| (format!("mittente{i}@crash.pec.test"), format!("password-{i}-lunga")))
        .collect();
    let recipients = ["uno@crash.pec.test", "due@crash.pec.test"];
    for (address, password) in senders
        .iter()
        .cloned()
        .chain(recipients.iter().map(|r| (r.to_string(), "password-dest".into())))
    {
        let out = certa()
            .args(["mailbox", "add", &address, "--password", &password, "--data"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    let mut server = serve(&data, sub);
    let config = dir.path().join("batch.json");
    let total = 160;
    std::fs::write(
        &config,
        serde_json::json!({
            "host": "127.0.0.1", "port": sub, "ca": data.join("keys/ca.pem"),
            "senders": senders, "recipients": recipients, "count": total,
        })
        .to_string(),
    )
    .unwrap();
    let mut batch = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/batch.py"))
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(batch.stdout.take().unwrap());
    let mut accepted: HashMap<String, String> = HashMap::new(); // identificativo -> sender
    let mut answered = 0;
    let mut killed = false;
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        answered += 1;
        if v["code"] == 250 {
            let id = v["text"].as_str().unwrap().rsplit(' ').next().unwrap().to_string();
            accepted.insert(id, v["sender"].as_str().unwrap().to_string());
        }
        if !killed && accepted.len() >= 50 {
            server.kill9(); // SIGKILL, mid-batch
            killed = true;
        }
    }
    batch.wait().unwrap();
    assert!(killed, "the batch ended before the kill");
    assert_eq!(answered, total);
    assert!(accepted.len() < total, "some submissions must have met the dead server");

    // Restart: the unfinished jobs run again.
    let _server = serve(&data, sub);
    wait_until("the queue to drain", Duration::from_secs(180), || {
        queue_idle(&data).then_some(())
    });

    let mut per_id: HashMap<(String, String), usize> = HashMap::new(); // (identificativo, kind) -> count
    for (address, _) in &senders {
        for m in mailbox(&data, address) {
            *per_id
                .entry((m.identificativo.unwrap_or_default(), m.pec_kind.unwrap_or_default()))
                .or_default() += 1;
        }
    }
    let mut envelopes: HashMap<String, usize> = HashMap::new();
    for r in recipients {
        for m in mailbox(&data, r) {
            assert_eq!(m.pec_kind.as_deref(), Some("busta-trasporto"));
            *envelopes
                .entry(format!("{}|{r}", m.identificativo.unwrap_or_default()))
                .or_default() += 1;
        }
    }
    for (id, sender) in &accepted {
        assert_eq!(
            per_id.get(&(id.clone(), "accettazione".into())),
            Some(&1),
            "{id} of {sender}: one acceptance"
        );
        assert_eq!(
            per_id.get(&(id.clone(), "avvenuta-consegna".into())),
            Some(&2),
            "{id}: one receipt per recipient"
        );
        for r in recipients {
            assert_eq!(
                envelopes.get(&format!("{id}|{r}")),
                Some(&1),
                "{id} in {r}'s mailbox once"
            );
        }
    }
    // Nothing twice, for any message at all (also one stored as the server died, before its 250).
    assert!(
        per_id
            .iter()
            .all(|((_, kind), n)| *n == if kind == "avvenuta-consegna" { 2 } else { 1 }),
        "{per_id:?}"
    );
    assert!(envelopes.values().all(|n| *n == 1));
    eprintln!(
        "crash test: {total} submitted, {} answered 250 before or after the SIGKILL, all with exactly their receipts",
        accepted.len()
    );
}
