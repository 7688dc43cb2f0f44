//! The development PKI of [`DOMAIN`](crate::DOMAIN): a CA, the provider's signing and TLS
//! certificates (for `localhost` and `127.0.0.1`), made once per test binary.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The TLS certificate and key, and the CA that issued them.
pub struct Pki {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
    /// The CA certificate as a file, for clients that read one (Python's `cafile`,
    /// fetchmail, mbsync).
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// The PKI of this test binary, made on first use.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dev = pec::smime::dev_pki(
            crate::DOMAIN,
            "Example PEC S.p.A.",
            &["localhost", "127.0.0.1"],
            chrono::Utc::now(),
        )
        .expect("dev PKI");
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &dev.ca_cert_pem).expect("write CA");
        Pki {
            cert_pem: dev.tls_cert_pem,
            key_pem: dev.tls_key_pem,
            ca_pem: dev.ca_cert_pem,
            ca_file,
            _dir: dir,
        }
    })
}
