//! Every message Certa signs, held against tools written apart from it: the real
//! `openssl` command line verifies the signature against the development CA, and
//! `../shared/tools/pec-check.py` (an independent reading of the rules) finds
//! nothing to object to. One byte changed must make openssl fail.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn openssl_verifies(message: &Path, ca: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["smime", "-verify", "-in"])
        .arg(message)
        .args(["-out", "/dev/null", "-CAfile"])
        .arg(ca)
        .output()
        .expect("the openssl command must be installed");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn openssl_command_line_verifies_every_signed_message_and_rejects_one_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", pki().ca_cert_pem.as_bytes());
    for (i, (label, _, built)) in every_message("Verifica con openssl").into_iter().enumerate() {
        let file = write(dir.path(), &format!("m{i}.eml"), &built.bytes);
        let (ok, err) = openssl_verifies(&file, &ca);
        assert!(ok, "{label}: openssl smime -verify failed: {err}");
        // Also with the CMS command, purpose smimesign (the default): the EKU must allow it.
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-in"])
            .arg(&file)
            .args(["-out", "/dev/null", "-CAfile"])
            .arg(&ca)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{label}: openssl cms -verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Change one byte inside the signed text (a letter of the human text).
        let mut tampered = built.bytes.clone();
        let at = find(&tampered, b"Identificativo messaggio")
            .or_else(|| find(&tampered, b"Anomalia nel messaggio"))
            .unwrap();
        tampered[at] ^= 0x20;
        let bad = write(dir.path(), &format!("t{i}.eml"), &tampered);
        let (ok, _) = openssl_verifies(&bad, &ca);
        assert!(!ok, "{label}: a changed byte still verifies");
    }
}

#[test]
fn pec_check_finds_nothing_in_any_generated_message() {
    let script = shared_dir().join("tools/pec-check.py");
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", pki().ca_cert_pem.as_bytes());
    for subject in [
        "Fattura n. 12/2026",
        "Caffè e perché: àèìòù €",
        "L'avviso \"urgente\" <n. 3> & altro",
    ] {
        for (i, (label, _, built)) in every_message(subject).into_iter().enumerate() {
            let file = write(dir.path(), &format!("m{i}.eml"), &built.bytes);
            let out = Command::new("python3")
                .arg(&script)
                .arg(&file)
                .arg("--ca")
                .arg(&ca)
                .output()
                .expect("python3 must be installed");
            assert!(
                out.status.success(),
                "{label} ({subject}): pec-check findings:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
