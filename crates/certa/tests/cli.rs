//! The `certa` binary as a user runs it: samples, inspect, verify exit codes, keys.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn certa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certa"))
        .args(args)
        .output()
        .expect("run certa")
}

fn vector(name: &str) -> String {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/real"));
    assert!(
        dir.is_dir(),
        "../shared/vectors/real is missing beside the project root"
    );
    dir.join(name).display().to_string()
}

fn samples(dir: &Path) -> Vec<PathBuf> {
    let out = certa(&["samples", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 16);
    files
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

#[test]
fn verify_exit_codes_are_the_documented_ones() {
    let dir = tempfile::tempdir().unwrap();
    let files = samples(dir.path());
    let ca = dir.path().join("ca.pem");
    let ca = ca.to_str().unwrap();
    for f in &files {
        let f = f.to_str().unwrap();
        assert_eq!(code(&certa(&["verify", f, "--trust", ca])), 0, "{f} with trust");
        assert_eq!(code(&certa(&["verify", f])), 1, "{f} without trust");
    }
    // A trust list of another provider: valid but not trusted.
    let other = tempfile::tempdir().unwrap();
    assert!(
        certa(&[
            "keys",
            "init",
            "--domain",
            "pec.altro.it",
            "--dir",
            other.path().to_str().unwrap()
        ])
        .status
        .success()
    );
    let other_ca = other.path().join("ca.pem");
    assert_eq!(
        code(&certa(&[
            "verify",
            files[0].to_str().unwrap(),
            "--trust",
            other_ca.to_str().unwrap()
        ])),
        1
    );
    // The trust list as a directory.
    assert_eq!(
        code(&certa(&[
            "verify",
            files[0].to_str().unwrap(),
            "--trust",
            dir.path().to_str().unwrap()
        ])),
        0
    );

    // One byte changed in the signed text: 2.
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let at = bytes
        .windows(24)
        .position(|w| w == b"Ricevuta di accettazione")
        .unwrap();
    bytes[at] = b'r';
    let tampered = dir.path().join("tampered.eml");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = certa(&["verify", tampered.to_str().unwrap(), "--trust", ca]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"));

    assert_eq!(code(&certa(&["verify", &vector("sogei-envelope-invio-file.eml")])), 2);
    assert_eq!(code(&certa(&["verify", &vector("anon-envelope.eml")])), 3);
    assert_eq!(code(&certa(&["verify", &vector("aruba-2018-accettazione.eml")])), 1);
    assert_eq!(code(&certa(&["verify", &vector("plain-simple.eml")])), 4);
    assert_eq!(code(&certa(&["verify", "/nonexistent/message.eml"])), 4);
    assert_eq!(
        code(&certa(&[
            "verify",
            files[0].to_str().unwrap(),
            "--trust",
            "/nonexistent/ca.pem"
        ])),
        4
    );
    assert_eq!(code(&certa(&["verify"])), 64, "usage error");
}

#[test]
fn verify_prints_one_line() {
    let out = certa(&["verify", &vector("aruba-2018-accettazione.eml")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("accettazione signed by posta-certificata@pec.aruba.it (sha1), signature valid"),
        "{text}"
    );
}

#[test]
fn inspect_summarises_and_prints_json() {
    let out = certa(&["inspect", &vector("anon-aruba-mancata-consegna.eml")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "avviso di mancata consegna (non-delivery notice) [errore-consegna]",
        "Sender:         sender@fakepec.it",
        "Recipient:      rec@fakepec.it",
        "Error:          no-dest: 5.1.1 - FAKE Pec S.p.A. - indirizzo non valido",
        "Identificativo: opec210312.20241115182038.288127.606.1.53@fakepec.it",
        "Legal time:     15/11/2024 18:21:03 (+0100)",
        "unreadable",
        "stray text",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let out = certa(&["inspect", "--json", &vector("aruba-2018-accettazione.eml")]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"]["classification"], "pec");
    assert_eq!(json["result"]["kind"], "accettazione");
    assert_eq!(json["result"]["signature"]["verdict"], "valid");
    assert_eq!(json["result"]["signature"]["digest_algorithm"], "sha1");
    assert_eq!(
        json["result"]["daticert"]["identificativo"],
        "opec288.20181113163926.01838.310.1.63@pec.aruba.it"
    );
    let out = certa(&["inspect", "--json", &vector("plain-simple.eml")]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"]["classification"], "not-pec");
}

#[test]
fn inspect_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_certa"))
        .args(["inspect", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(vector("aruba-2014-message1.eml")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("[busta-trasporto]"));
}

#[test]
fn keys_init_writes_private_keys_readable_only_by_the_owner_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = certa(&[
        "keys",
        "init",
        "--domain",
        "pec.esempio.it",
        "--name",
        "Esempio PEC",
        "--dir",
        d,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("PRIVATE KEY"),
        "keys must never be printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca.key", "signer.key", "tls.key"] {
            let mode = std::fs::metadata(dir.path().join(key)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
    }
    // The signer certificate has the production profile.
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.path().join("signer.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("email:posta-certificata@pec.esempio.it"), "{text}");
    assert!(text.contains("E-mail Protection"), "{text}");
    assert!(text.contains("Public-Key: (2048 bit)"), "{text}");
    // And chains to the CA.
    let ok = Command::new("openssl")
        .args(["verify", "-purpose", "smimesign", "-CAfile"])
        .arg(dir.path().join("ca.pem"))
        .arg(dir.path().join("signer.pem"))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    let again = certa(&["keys", "init", "--domain", "pec.esempio.it", "--dir", d]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
}

/// The DCS example convention of the lifecycle crate's format documentation.
fn dcs_convention(dir: &Path) -> PathBuf {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lifecycle/src/convention/format.md"
    ))
    .unwrap();
    let block = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("CROAS-DCS"))
        .unwrap();
    let path = dir.join("dcs.toml");
    std::fs::write(&path, block).unwrap();
    path
}

#[test]
fn convention_check_and_lifecycle_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dcs_convention(dir.path());
    let f = file.to_str().unwrap();
    let out = certa(&["convention", "check", f]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("6,50 € + VAT 22 % = 7,93 €") && text.contains("12,00 € + VAT 22 % = 14,64 €"),
        "{text}"
    );
    let out = certa(&[
        "lifecycle",
        "simulate",
        "--convention",
        f,
        "--plan",
        "annuale",
        "--activated",
        "2024-03-10T09:00:00+01:00",
        "--mailbox",
        "mario@pec.dcssrl.it",
        "--from",
        "2025-03-01",
        "--to",
        "2025-04-15",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2025-03-10 11:00 CET  suspended"), "{text}");
    assert!(text.contains("2025-03-30 11:00 CEST  closed"), "{text}");
    let bad = certa(&[
        "lifecycle",
        "simulate",
        "--convention",
        f,
        "--plan",
        "mensile",
        "--activated",
        "2024-03-10T09:00:00+01:00",
        "--from",
        "2025-03-01",
        "--to",
        "2025-04-15",
    ]);
    assert_eq!(code(&bad), 1);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("has no plan \"mensile\""));
    std::fs::write(dir.path().join("bad.toml"), "code = \"\"\n").unwrap();
    let bad = certa(&["convention", "check", dir.path().join("bad.toml").to_str().unwrap()]);
    assert_eq!(code(&bad), 1);
}
