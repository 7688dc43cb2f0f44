//! `../shared/tools/pec-check.py`, the independent conformance check of one PEC
//! message: every kind Certa generates goes through it in the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared` beside the project root (CI always has it).
pub fn shared() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        dir.join("tools/pec-check.py").is_file(),
        "../shared is missing beside the project root"
    );
    dir
}

/// pec-check's findings on the message in `file`, signed by a provider of the CA
/// bundle `ca` (none: conformant).
pub fn pec_check(file: &Path, ca: &Path) -> Vec<String> {
    let out = Command::new("python3")
        .arg(shared().join("tools/pec-check.py"))
        .arg(file)
        .arg("--ca")
        .arg(ca)
        .arg("--json")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 pec-check.py: {e}"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("pec-check: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("pec-check printed no findings list: {v}"))
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect()
}

/// pec-check's findings on `message` (bytes), written to a temporary file.
pub fn pec_check_bytes(message: &[u8], ca: &Path) -> Vec<String> {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), message).expect("write the message");
    pec_check(file.path(), ca)
}
