//! The recipient's provider is down: the relay is retried, and with the clock
//! advanced the 12-hour preavviso and then the 24-hour notice each reach the
//! sender exactly once; after the final notice the relay stops. The provider runs
//! in-process on an offset clock; the relay really tries SMTP to a closed port.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use certa::provider::Provider;
use certa::provider::config::Listen;
use certa::provider::setup::{IndexEntry, create, write_index};
use engine::access::Submission;
use engine::{Clock, OffsetClock};

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn listen() -> Listen {
    Listen {
        submission: free_port(),
        submissions: free_port(),
        inbound: free_port(),
    }
}

async fn count(provider: &Provider, address: &str, kind: &str) -> usize {
    let store = provider.engine.store();
    let mut c = store.conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, address).await.unwrap().unwrap();
    store::messages::list_mailbox(&mut c, m.id)
        .await
        .unwrap()
        .iter()
        .filter(|(_, msg)| msg.pec_kind.as_deref() == Some(kind))
        .count()
}

async fn log_count(provider: &Provider, event: &str) -> usize {
    let mut c = provider.engine.store().conn().await.unwrap();
    let filter = store::log::Filter {
        event: Some(event.into()),
        ..Default::default()
    };
    store::log::search(&mut c, &filter).await.unwrap().len()
}

#[tokio::test]
async fn remote_provider_down_gives_the_12_and_24_hour_notices_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let (nord, sud) = (dir.path().join("nord"), dir.path().join("sud"));
    let nord_listen = listen();
    let sud_listen = listen(); // nothing will listen there: the provider is down
    create(&nord, "nord.pec.test", "Certa Nord", nord_listen, "../index.toml").unwrap();
    create(&sud, "sud.pec.test", "Certa Sud", sud_listen, "../index.toml").unwrap();
    write_index(
        &dir.path().join("index.toml"),
        &[
            IndexEntry::of(&nord, "nord.pec.test", "Certa Nord", nord_listen.inbound),
            IndexEntry::of(&sud, "sud.pec.test", "Certa Sud", sud_listen.inbound),
        ],
    )
    .unwrap();
    let clock = Arc::new(OffsetClock::default());
    let provider = Provider::open_with_clock(&nord, None, clock.clone()).await.unwrap();
    let engine = provider.engine.clone();
    let sender = "mario.rossi@nord.pec.test";
    let rcpt = "luca.verdi@sud.pec.test";
    {
        let mut tx = engine.store().begin().await.unwrap();
        store::mailboxes::create(
            &mut tx,
            sender,
            "password di prova",
            1 << 30,
            store::millis(clock.now()),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let raw = format!(
        "From: {sender}\r\nTo: {rcpt}\r\nSubject: Gestore irraggiungibile\r\nMessage-ID: <t1@client.test>\r\n\r\nCiao\r\n"
    );
    let outcome = engine
        .submit(sender, sender, &[rcpt.to_string()], raw.as_bytes())
        .await
        .unwrap();
    assert!(matches!(outcome, Submission::Accepted { .. }), "{outcome:?}");

    engine.run_until_idle().await.unwrap();
    assert_eq!(count(&provider, sender, "accettazione").await, 1);
    {
        let mut c = engine.store().conn().await.unwrap();
        let queued = store::jobs::list(&mut c, "queued", 100).await.unwrap();
        let relay = queued
            .iter()
            .find(|j| j.kind == "relay")
            .expect("the relay waits for a retry");
        assert_eq!(relay.attempts, 1);
        assert!(
            relay
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("Connection refused"),
            "{relay:?}"
        );
    }

    // 12 hours later (retries in between keep failing): the preavviso, once.
    clock.advance(chrono::Duration::hours(12) + chrono::Duration::minutes(1));
    engine.run_until_idle().await.unwrap();
    engine.run_until_idle().await.unwrap();
    assert_eq!(count(&provider, sender, "preavviso-errore-consegna").await, 1);
    assert_eq!(count(&provider, sender, "errore-consegna").await, 0);
    clock.advance(chrono::Duration::hours(1));
    engine.run_until_idle().await.unwrap();
    assert_eq!(
        count(&provider, sender, "preavviso-errore-consegna").await,
        1,
        "only once"
    );

    // 24 hours: the final notice, once; the recipient has failed and the relay stops.
    clock.advance(chrono::Duration::hours(11));
    engine.run_until_idle().await.unwrap();
    assert_eq!(count(&provider, sender, "errore-consegna").await, 1);
    clock.advance(chrono::Duration::hours(6));
    engine.run_until_idle().await.unwrap();
    assert_eq!(count(&provider, sender, "errore-consegna").await, 1, "only once");
    assert_eq!(count(&provider, sender, "preavviso-errore-consegna").await, 1);
    assert_eq!(log_count(&provider, "MancataConsegna12h").await, 1);
    assert_eq!(log_count(&provider, "MancataConsegna24h").await, 1);
    let mut c = engine.store().conn().await.unwrap();
    let queued = store::jobs::list(&mut c, "queued", 100).await.unwrap();
    assert!(
        queued.iter().all(|j| j.kind == "purge"),
        "nothing left to do but the daily purge: {queued:?}"
    );
    let mailbox = store::mailboxes::get(&mut c, sender).await.unwrap().unwrap();
    let notices = store::messages::list_mailbox(&mut c, mailbox.id).await.unwrap();
    for (_, n) in notices
        .iter()
        .filter(|(_, m)| m.pec_kind.as_deref() != Some("accettazione"))
    {
        let bytes = engine.store().blobs().get(&n.blob).await.unwrap();
        let pec::Parsed::Pec(p) = pec::parse(&bytes, None) else {
            panic!("not PEC")
        };
        assert!(
            p.headers
                .subject
                .unwrap()
                .starts_with("AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ")
        );
        assert_eq!(p.daticert.unwrap().consegna.as_deref(), Some(rcpt));
    }
}
