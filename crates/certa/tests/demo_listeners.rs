//! `certa demo --free-ports` binds each listener once and keeps it. Another program that
//! binds the ports named in a provider's configuration the moment the file appears (as
//! a test running alongside may, by chance, when it asks for a free port) takes none of
//! them, and the demo starts at the first attempt; when its `demo.json` appears every
//! port it names already answers with its protocol's greeting, and the providers'
//! configuration and index name the same ports.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use certa::provider::ProviderConfig;
use rustls_pki_types::ServerName;

use support::*;

/// Every listener of a demo provider: its field in `demo.json`, whether it speaks TLS
/// at once, and the start of its greeting.
const LISTENERS: [(&str, bool, &str); 7] = [
    ("submission_port", false, "220 "),
    ("submissions_port", true, "220 "),
    ("inbound_port", false, "220 "),
    ("imap_port", false, "* OK "),
    ("imaps_port", true, "* OK "),
    ("pop3_port", false, "+OK "),
    ("pop3s_port", true, "+OK "),
];

/// Watches for the configuration of each of `data` and binds every address it names as
/// soon as it can be read, until stopped: the addresses it managed to take.
fn take_configured_ports(data: Vec<PathBuf>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<SocketAddr>> {
    std::thread::spawn(move || {
        let mut pending = data;
        let mut taken = Vec::new();
        let mut held = Vec::new();
        while !stop.load(Ordering::Relaxed) && !pending.is_empty() {
            pending.retain(|dir| {
                let Ok(config) = ProviderConfig::load(dir) else {
                    return true;
                };
                let l = config.listen;
                let a = config.access;
                let addresses = [l.submission, l.submissions, l.inbound].into_iter();
                for addr in addresses.chain([a.imap, a.imaps, a.pop3, a.pop3s].into_iter().flatten()) {
                    if let Ok(listener) = TcpListener::bind(addr) {
                        taken.push(addr);
                        held.push(listener);
                    }
                }
                false
            });
            std::thread::sleep(Duration::from_millis(1));
        }
        // Held until the demo is ready (or has failed), as a test running alongside would.
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
        }
        taken
    })
}

/// The first line the server on `port` sends, under TLS trusting `ca` when `tls`.
fn greeting(port: u16, tls: bool, ca: &[u8]) -> String {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect to {port}: {e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut line = String::new();
    if tls {
        let config = testkit::tls::client_config(testkit::tls::roots_of(ca));
        let name = ServerName::try_from("localhost").unwrap();
        let mut connection = rustls::ClientConnection::new(config, name).unwrap();
        let stream = rustls::Stream::new(&mut connection, &mut tcp);
        BufReader::new(stream.take(1024)).read_line(&mut line).unwrap();
    } else {
        BufReader::new(tcp.take(1024)).read_line(&mut line).unwrap();
    }
    line
}

#[test]
fn free_ports_are_bound_once_and_demo_json_names_the_listening_ones() {
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let data = ["nord", "sud"].map(|p| dir.path().join(p)).to_vec();
    let taker = take_configured_ports(data, stop.clone());
    let demo = std::panic::catch_unwind(|| Demo::start_in(CERTA, dir, None));
    stop.store(true, Ordering::Relaxed);
    let taken = taker.join().unwrap();
    let demo = demo.unwrap_or_else(|_| panic!("the demo did not start; ports taken from it: {taken:?}"));
    assert_eq!(taken, [], "ports named in the configuration were free");

    let ca = std::fs::read(demo.ca()).unwrap();
    for i in 0..2 {
        for (field, tls, expected) in LISTENERS {
            let line = greeting(demo.port(i, field), tls, &ca);
            assert!(line.starts_with(expected), "provider {i} {field}: {line:?}");
        }
    }

    let index: toml::Value = toml::from_str(&std::fs::read_to_string(demo.path("index.toml")).unwrap()).unwrap();
    for i in 0..2 {
        let config = ProviderConfig::load(&demo.data(i)).unwrap();
        let port = |field| Some(demo.port(i, field));
        assert_eq!(config.listen.submission.port(), demo.port(i, "submission_port"));
        assert_eq!(config.listen.submissions.port(), demo.port(i, "submissions_port"));
        assert_eq!(config.listen.inbound.port(), demo.port(i, "inbound_port"));
        assert_eq!(config.access.imap.map(|a| a.port()), port("imap_port"));
        assert_eq!(config.access.imaps.map(|a| a.port()), port("imaps_port"));
        assert_eq!(config.access.pop3.map(|a| a.port()), port("pop3_port"));
        assert_eq!(config.access.pop3s.map(|a| a.port()), port("pop3s_port"));
        let entry = index["provider"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["domains"][0].as_str() == Some(demo.domain(i)))
            .unwrap_or_else(|| panic!("{} is not in index.toml", demo.domain(i)));
        assert_eq!(
            entry["smtp"].as_str().unwrap(),
            format!("127.0.0.1:{}", demo.port(i, "inbound_port"))
        );
    }
}
