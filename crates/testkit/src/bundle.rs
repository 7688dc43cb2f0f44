//! Proof bundles checked as their reader would: unpacked, every hash of the
//! manifest checked with `sha256sum -c`, every signature with `openssl cms -verify`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Unpacks the ZIP `bytes` into `into`; the bundle's top directory (its only
/// entry at the top) and the paths of its files relative to it, in order.
pub fn unpack(bytes: &[u8], into: &Path) -> (PathBuf, Vec<String>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut top = None;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.enclosed_name().expect("a path inside the bundle");
        let (first, rest) = name
            .to_str()
            .unwrap()
            .split_once('/')
            .expect("every file under the top directory");
        assert!(top.get_or_insert(first.to_string()) == first, "one top directory");
        let path = into.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        std::fs::write(&path, content).unwrap();
        files.push(rest.to_string());
    }
    (into.join(top.expect("a file")), files)
}

/// `sha256sum -c SHA256SUMS` in `dir`: whether every file matches, and its output.
pub fn sha256sum_check(dir: &Path) -> (bool, String) {
    let out = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .expect("sha256sum (coreutils)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Whether `openssl cms -verify` accepts the signature of the S/MIME message
/// `eml` against the CA certificate `ca` (what a court's expert would run).
pub fn openssl_verifies(eml: &Path, ca: &Path) -> bool {
    Command::new("openssl")
        .args(["cms", "-verify", "-in"])
        .arg(eml)
        .args(["-out", "/dev/null", "-CAfile"])
        .arg(ca)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
