//! Quota at delivery: warnings at 70 % and 90 % (once each), then the engine's
//! non-delivery notice "casella piena" to the sender when the mailbox is full.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use certa::provider::Provider;
use certa::provider::config::Listen;
use certa::provider::setup::{IndexEntry, create, write_index};
use engine::SystemClock;

fn free() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[tokio::test]
async fn usage_warnings_then_mailbox_full_notice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("p");
    let listen = Listen {
        submission: free(),
        submissions: free(),
        inbound: free(),
    };
    create(&data, "quota.pec.test", "Certa Quota", listen, "index.toml").unwrap();
    write_index(
        &data.join("index.toml"),
        &[IndexEntry::of(&data, "quota.pec.test", "Certa Quota", listen.inbound)],
    )
    .unwrap();
    let provider = Provider::open_with_clock(&data, None, Arc::new(SystemClock))
        .await
        .unwrap();
    let engine = provider.engine.clone();
    let (sender, rcpt) = ("mittente@quota.pec.test", "piccola@quota.pec.test");
    {
        let mut tx = engine.store().begin().await.unwrap();
        store::mailboxes::create(&mut tx, sender, "password di prova", 1 << 30, 0)
            .await
            .unwrap();
        store::mailboxes::create(&mut tx, rcpt, "password di prova", 150_000, 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let kinds = |address: &'static str| {
        let engine = engine.clone();
        async move {
            let mut c = engine.store().conn().await.unwrap();
            let m = store::mailboxes::get(&mut c, address).await.unwrap().unwrap();
            let list = store::messages::list_mailbox(&mut c, m.id).await.unwrap();
            let mut subjects = Vec::new();
            for (_, msg) in &list {
                let raw = engine.store().blobs().get(&msg.blob).await.unwrap();
                let subject = mail_parser::MessageParser::default()
                    .parse(&raw)
                    .unwrap()
                    .subject()
                    .unwrap_or_default()
                    .to_string();
                subjects.push((msg.pec_kind.clone().unwrap_or_default(), subject));
            }
            subjects
        }
    };
    let mut sent = 0;
    loop {
        sent += 1;
        assert!(sent < 60, "the mailbox never filled up");
        let raw = format!(
            "From: {sender}\r\nTo: {rcpt}\r\nSubject: Numero {sent}\r\nMessage-ID: <q{sent}@client.test>\r\n\r\n{}\r\n",
            "x".repeat(3000)
        );
        engine
            .submit(sender, sender, &[rcpt.to_string()], raw.as_bytes())
            .await
            .unwrap();
        engine.run_until_idle().await.unwrap();
        if kinds(sender).await.iter().any(|(k, _)| k == "errore-consegna") {
            break;
        }
    }
    let received = kinds(rcpt).await;
    let warnings: Vec<&String> = received.iter().filter(|(k, _)| k.is_empty()).map(|(_, s)| s).collect();
    assert_eq!(warnings.len(), 2, "{received:?}");
    let percent = |s: &str| -> i64 {
        s.trim_start_matches("Avviso: spazio della casella usato al ")
            .trim_end_matches('%')
            .parse()
            .unwrap()
    };
    assert!((70..90).contains(&percent(warnings[0])), "{warnings:?}");
    assert!(percent(warnings[1]) >= 90, "{warnings:?}");
    let failure = kinds(sender)
        .await
        .into_iter()
        .find(|(k, _)| k == "errore-consegna")
        .unwrap();
    assert!(
        failure.1.starts_with("AVVISO DI MANCATA CONSEGNA: Numero"),
        "{failure:?}"
    );
    let mut c = engine.store().conn().await.unwrap();
    let log = store::log::search(
        &mut c,
        &store::log::Filter {
            event: Some("MancataConsegna".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].detail.as_deref().unwrap_or_default().contains("5.2.2"),
        "{log:?}"
    );
}
