//! The webmail in a real headless browser (Debian's chromium driven by
//! playwright-core) against `certa demo`: every scenario of
//! `crates/web/tests/browser`, with a screenshot of each page under
//! `<target>/screenshots/`.

mod support;

use support::{CERTA, Demo, certa, submit};
use testkit::bundle::{openssl_verifies, sha256sum_check, unpack};

/// What `webmail.mjs` expects to find in mario's INBOX: a PEC from the other
/// provider with a text and a PDF attachment.
fn received(from: &str, to: &str) -> Vec<u8> {
    let pdf = format!("%PDF-1.4\n% parere\n{}\n%%EOF\n", "p".repeat(3000));
    let attachment = openssl_base64(pdf.as_bytes());
    format!(
        "From: Luca Verdi <{from}>\r\nTo: <{to}>\r\nSubject: Parere sul contratto di locazione\r\n\
         Message-ID: <parere-locazione@studio.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Gentile collega,\r\nin allegato il parere richiesto sul contratto di locazione.\r\n\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"parere-locazione.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"parere-locazione.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// Base64 in lines of 76 (RFC 2045 6.8), by the openssl command line.
fn openssl_base64(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["base64", "-e", "-A"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let one_line = String::from_utf8(out.stdout).unwrap();
    one_line
        .trim()
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn the_webmail_reads_sends_follows_proves_and_finds_a_pec_in_a_browser() {
    let demo = Demo::start(CERTA, None);
    let (luca, mario) = (demo.address(1, 0).to_string(), demo.address(0, 0).to_string());
    let sent = submit(&demo.account(1, 0), &luca, &[&mario], &received(&luca, &mario), &[]);
    assert_eq!(
        (sent.stage.as_str(), sent.code),
        ("data", 250),
        "the other provider took the PEC for mario: {sent:?}"
    );

    let out = testkit::browser::run("webmail", &demo);
    println!("{out}");

    // The proof bundle the browser downloaded, checked as a lawyer's expert would.
    let shots = testkit::browser::screenshots("webmail");
    let zip = std::fs::read(shots.join("proof-bundle.zip")).expect("the downloaded bundle");
    let dir = tempfile::tempdir().unwrap();
    let (top, files) = unpack(&zip, dir.path());
    let (ok, manifest) = sha256sum_check(&top);
    assert!(ok, "every hash of SHA256SUMS: {manifest}");
    assert_eq!(manifest.lines().count(), files.len() - 1, "{manifest}");
    let emls: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with(".eml") && f.as_str() != "messaggio-originale.eml")
        .collect();
    // The acceptance, and per recipient its delivery receipt (and the remote one's presa in carico).
    assert!(emls.len() >= 3, "the receipts in the bundle: {files:?}");
    for eml in emls {
        assert!(
            openssl_verifies(&top.join(eml), &demo.ca()),
            "openssl cms -verify {eml}"
        );
    }
}

#[test]
fn two_step_verification_is_turned_on_and_asked_at_login_in_a_browser() {
    let demo = Demo::start(CERTA, None);
    let out = testkit::browser::run("security", &demo);
    println!("{out}");
}

#[test]
fn a_member_communicates_a_pec_in_the_orders_reserved_area_and_the_next_inipec_file_has_it() {
    let demo = Demo::start(CERTA, None);
    let out = testkit::browser::run("reserved", &demo);
    println!("{out}");
    let order = &demo.info["order"];
    let code = order["code"].as_str().expect("the demo's Order");
    let luca = order["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Luca Verdi")
        .unwrap();
    let cf = luca["codice_fiscale"].as_str().unwrap();
    let export = certa()
        .args(["export", "inipec", "--order", code, "--data"])
        .arg(demo.data(0))
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "certa export inipec: {}",
        String::from_utf8_lossy(&export.stderr)
    );
    let file = String::from_utf8_lossy(&export.stdout);
    let line = file
        .lines()
        .find(|l| l.contains(cf))
        .unwrap_or_else(|| panic!("Luca Verdi in the INI-PEC file:\n{file}"));
    let new = luca["new_mailbox"]["address"].as_str().unwrap();
    assert!(line.contains(new), "the address he communicated and confirmed: {line}");
    assert!(
        !file.contains("luca.verdi@sud.pec.test"),
        "not the one it replaced:\n{file}"
    );
}

/// The member's journey of issue 13 (`member.mjs`): activation by convention
/// code, the test payment page, the webmail, a renewal with a change of plan,
/// a suspension and its reactivation. The daily machine of the demo is off:
/// the scenario drives it with `certa lifecycle run --now`.
#[test]
fn a_member_activates_pays_renews_and_is_reactivated_in_a_browser() {
    let demo = testkit::demo::Demo::start_with(CERTA, tempfile::tempdir().unwrap(), &["--daily-seconds", "0"]);
    let out = testkit::browser::run_with("member", &demo, &[("CERTA", CERTA)]);
    println!("{out}");
    // Each order was paid once: every payment in the lifecycle log of the first provider.
    let log = std::process::Command::new(CERTA)
        .args(["subscription", "show", "--data"])
        .arg(demo.data(0))
        .arg(format!(
            "giulia.bianchi@{}",
            demo.info["providers"][0]["domain"].as_str().unwrap()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(log.status.success(), "{text}{}", String::from_utf8_lossy(&log.stderr));
    assert!(text.contains("2030-12-02"), "giulia's new expiry:\n{text}");
}

#[test]
fn the_holder_cancels_from_the_subscription_page_by_pec_in_a_browser() {
    let demo = Demo::start(CERTA, None);
    let nord = demo.data(0);
    // The cancellation goes to the provider's management mailbox, which the demo has.
    let management = format!("gestione@{}", demo.domain(0));
    assert!(support::ok_on(&nord, &["mailbox", "list"]).contains(&management));
    let out = testkit::browser::run("subscription", &demo);
    println!("{out}");

    // The provider recorded it from the PEC, at the legal time of its acceptance.
    let shown = support::json_on(&nord, &["subscription", "show", demo.address(0, 0), "--json"]);
    assert!(shown["cancelled_at"].is_string(), "{shown}");
    let timeline = shown["timeline"].as_array().unwrap();
    assert!(
        timeline
            .iter()
            .any(|l| l["event"] == "cancelled" && l["detail"].as_str().unwrap().contains("disdetta via PEC")),
        "{shown}"
    );
}
