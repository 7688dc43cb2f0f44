//! The provider index (RFC 6109 6, "indice dei gestori"): which providers exist,
//! their PEC domains, signing certificates, receipts address and SMTP endpoint.
//!
//! Read from a TOML file (paths in it are relative to the file):
//!
//! ```toml
//! tls_roots = ["ca-nord.pem"]          # CAs that sign the providers' SMTP TLS certificates
//!
//! [[provider]]
//! name = "Certa Nord S.p.A."
//! domains = ["nord.certa.test"]        # managedDomains
//! certificate = "nord/keys/signer.pem" # providerCertificate (PEM file, or the PEM itself)
//! receipts = "posta-certificata@nord.certa.test"   # mailReceipt
//! smtp = "127.0.0.1:2525"              # where its receiving point listens
//! tls = "starttls"                     # starttls | tls | none
//! ```

use std::path::{Path, PathBuf};

use pec::smime::{SignatureReport, TrustList};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read the provider index {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the provider index {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("provider index {path}, provider {provider:?}: {message}")]
    Provider {
        path: PathBuf,
        provider: String,
        message: String,
    },
    #[error("provider index {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct FileProvider {
    name: String,
    domains: Vec<String>,
    certificate: String,
    receipts: String,
    smtp: String,
    #[serde(default = "default_tls")]
    tls: TlsMode,
}

fn default_tls() -> TlsMode {
    TlsMode::Starttls
}

#[derive(Debug, Clone, serde::Deserialize)]
struct IndexFile {
    #[serde(default)]
    tls_roots: Vec<String>,
    #[serde(default, rename = "provider")]
    providers: Vec<FileProvider>,
}

/// One provider of the index.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provider {
    pub name: String,
    pub domains: Vec<String>,
    pub receipts: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub tls: TlsMode,
    /// The signing certificate, PEM.
    pub certificate_pem: String,
    /// SHA-256 of the certificate's DER, hex (what the index's providerCertificateHash identifies).
    pub certificate_sha256: String,
    pub certificate_subject: String,
    pub certificate_serial: String,
    pub certificate_issuer: String,
    pub certificate_not_after: String,
}

#[derive(Debug, Clone)]
pub struct ProviderIndex {
    pub path: PathBuf,
    pub providers: Vec<Provider>,
    /// PEM of the CAs for the providers' SMTP TLS.
    pub tls_roots_pem: Vec<String>,
    trust: TrustList,
}

impl ProviderIndex {
    pub fn load(path: &Path) -> Result<ProviderIndex, IndexError> {
        let text = std::fs::read_to_string(path).map_err(|source| IndexError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: IndexFile = toml::from_str(&text).map_err(|e| IndexError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut providers = Vec::new();
        let mut trust = TrustList::new();
        for p in file.providers {
            let fail = |message: String| IndexError::Provider {
                path: path.to_path_buf(),
                provider: p.name.clone(),
                message,
            };
            let pem = read_pem(base, &p.certificate).map_err(&fail)?;
            let cert = pec::smime::certificate_facts(pem.as_bytes()).map_err(|e| fail(format!("certificate: {e}")))?;
            trust
                .add_certificates(pem.as_bytes())
                .map_err(|e| fail(format!("certificate: {e}")))?;
            let (host, port) = p
                .smtp
                .rsplit_once(':')
                .and_then(|(h, port)| {
                    port.parse::<u16>()
                        .ok()
                        .map(|port| (h.trim_matches(['[', ']']).to_string(), port))
                })
                .ok_or_else(|| fail(format!("smtp {:?} is not host:port", p.smtp)))?;
            if p.domains.is_empty() {
                return Err(fail("no domains".into()));
            }
            providers.push(Provider {
                name: p.name.clone(),
                domains: p.domains.iter().map(|d| d.trim().to_ascii_lowercase()).collect(),
                receipts: p.receipts.trim().to_ascii_lowercase(),
                smtp_host: host,
                smtp_port: port,
                tls: p.tls,
                certificate_pem: pem,
                certificate_sha256: cert.sha256,
                certificate_subject: cert.subject,
                certificate_serial: cert.serial,
                certificate_issuer: cert.issuer,
                certificate_not_after: cert.not_after,
            });
        }
        let mut seen = std::collections::HashMap::new();
        for p in &providers {
            for d in &p.domains {
                if let Some(other) = seen.insert(d.clone(), p.name.clone()) {
                    return Err(IndexError::Invalid {
                        path: path.to_path_buf(),
                        message: format!("domain {d} is listed by both {other:?} and {:?}", p.name),
                    });
                }
            }
        }
        let mut tls_roots_pem = Vec::new();
        for r in &file.tls_roots {
            tls_roots_pem.push(read_pem(base, r).map_err(|message| IndexError::Invalid {
                path: path.to_path_buf(),
                message,
            })?);
        }
        Ok(ProviderIndex {
            path: path.to_path_buf(),
            providers,
            tls_roots_pem,
            trust,
        })
    }

    /// The trust list of every provider's signing certificate.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The provider managing `domain` (case-insensitive).
    pub fn provider_for_domain(&self, domain: &str) -> Option<&Provider> {
        let d = domain.trim().to_ascii_lowercase();
        self.providers.iter().find(|p| p.domains.contains(&d))
    }

    /// The provider of an address's domain.
    pub fn provider_for_address(&self, address: &str) -> Option<&Provider> {
        address.rsplit_once('@').and_then(|(_, d)| self.provider_for_domain(d))
    }

    /// Whether an address is a PEC address (its domain is managed by a provider).
    pub fn is_certified(&self, address: &str) -> bool {
        self.provider_for_address(address).is_some()
    }

    /// The provider whose certificate signed, from a verified signature's report.
    pub fn provider_for_signer(&self, report: &SignatureReport) -> Option<&Provider> {
        let serial = report.signer_serial.as_deref()?;
        let issuer = report.signer_issuer.as_deref()?;
        self.providers
            .iter()
            .find(|p| p.certificate_serial.eq_ignore_ascii_case(serial) && p.certificate_issuer == issuer)
    }
}

fn read_pem(base: &Path, value: &str) -> Result<String, String> {
    if value.contains("-----BEGIN") {
        return Ok(value.to_string());
    }
    let path = base.join(value);
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
