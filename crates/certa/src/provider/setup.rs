//! Provisioning a provider's data directory: `certa.toml`, the development
//! keys, and a provider index listing the providers of this machine (what
//! `certa init`, `certa demo`, the benchmarks and the tests start from).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use engine::{Clock, SystemClock};
use pec::smime::{DevPki, dev_pki};

use super::config::{Access, Keys, Limits, Listen, ProviderConfig};

/// Writes the data directory of a provider: keys and `certa.toml`.
pub fn create(data: &Path, domain: &str, name: &str, listen: Listen, index: &str) -> Result<ProviderConfig> {
    let keys_dir = data.join("keys");
    std::fs::create_dir_all(&keys_dir).with_context(|| format!("cannot create {}", keys_dir.display()))?;
    let pki = dev_pki(domain, name, &["localhost", "127.0.0.1"], SystemClock.now())?;
    write_keys(&keys_dir, &pki)?;
    let config = ProviderConfig {
        name: name.to_string(),
        domain: domain.to_ascii_lowercase(),
        index: index.to_string(),
        database: None,
        anomaly: engine::AnomalyPolicy::Anomaly,
        keys: Keys::default(),
        access: Access::default(),
        listen,
        limits: Limits::default(),
        smarthost: None,
        web: None,
        lifecycle: None,
        payments: None,
    };
    config.save(data)?;
    Ok(config)
}

/// One provider as the index lists it.
pub struct IndexEntry {
    pub name: String,
    pub domain: String,
    pub certificate: PathBuf,
    pub tls_root: PathBuf,
    pub inbound: SocketAddr,
}

impl IndexEntry {
    pub fn of(data: &Path, domain: &str, name: &str, inbound: SocketAddr) -> Self {
        IndexEntry {
            name: name.to_string(),
            domain: domain.to_ascii_lowercase(),
            certificate: data.join("keys/signer.pem"),
            tls_root: data.join("keys/ca.pem"),
            inbound,
        }
    }
}

/// Writes a provider index (paths relative to it) listing `entries`.
pub fn write_index(path: &Path, entries: &[IndexEntry]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut text = String::from("# Provider index (RFC 6109 6): the providers this installation trusts.\n");
    let roots: Vec<String> = entries
        .iter()
        .map(|e| relative_to(dir, &e.tls_root))
        .collect::<Result<_>>()?;
    text.push_str(&format!("tls_roots = {}\n", toml_list(&roots)));
    for e in entries {
        text.push_str(&format!(
            "\n[[provider]]\nname = {:?}\ndomains = [{:?}]\ncertificate = {:?}\nreceipts = \"posta-certificata@{}\"\nsmtp = \"{}\"\ntls = \"starttls\"\n",
            e.name,
            e.domain,
            relative_to(dir, &e.certificate)?,
            e.domain,
            e.inbound
        ));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
    )
}

/// `target` as a path relative to `base` when it is inside it, else absolute.
pub fn relative_to(base: &Path, target: &Path) -> Result<String> {
    let base = std::path::absolute(base)?;
    let target = std::path::absolute(target)?;
    Ok(match target.strip_prefix(&base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => match (base.parent(), target.strip_prefix(base.parent().unwrap_or(&base))) {
            (Some(_), Ok(rel)) => format!("../{}", rel.display()),
            _ => target.display().to_string(),
        },
    })
}

/// The key files, in order: (name, is a private key).
pub const KEY_FILES: [(&str, bool); 6] = [
    ("ca.pem", false),
    ("ca.key", true),
    ("signer.pem", false),
    ("signer.key", true),
    ("tls.pem", false),
    ("tls.key", true),
];

/// Writes the development PKI's files into `dir`; the private keys mode 0600.
pub fn write_keys(dir: &Path, pki: &DevPki) -> Result<()> {
    let contents = [
        &pki.ca_cert_pem,
        &pki.ca_key_pem,
        &pki.signer_cert_pem,
        &pki.signer_key_pem,
        &pki.tls_cert_pem,
        &pki.tls_key_pem,
    ];
    for ((file, secret), content) in KEY_FILES.iter().zip(contents) {
        write_file(&dir.join(file), content.as_bytes(), *secret)?;
    }
    Ok(())
}

fn write_file(path: &Path, content: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(if secret { 0o600 } else { 0o644 });
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(content)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
