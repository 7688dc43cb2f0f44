//! TLS for tests: the servers' configuration on the development PKI, and clients that trust
//! its CA (or the CA bundle of a `certa demo`).

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::pki::pki;

/// A server configuration with the development TLS certificate.
pub fn server_config() -> Arc<rustls::ServerConfig> {
    let pki = pki();
    starttls::server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).expect("TLS config")
}

/// The development CA as the only root.
pub fn roots() -> rustls::RootCertStore {
    roots_of(pki().ca_pem.as_bytes())
}

/// Every certificate of a PEM bundle as a root.
pub fn roots_of(ca_pem: &[u8]) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.expect("CA PEM")).expect("CA accepted as root");
    }
    assert!(!roots.is_empty(), "no certificate in the CA bundle");
    roots
}

/// A client configuration trusting `roots` only.
pub fn client_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A connector trusting the development CA.
pub fn connector() -> tokio_rustls::TlsConnector {
    tokio_rustls::TlsConnector::from(client_config(roots()))
}

/// The client's TLS handshake on `stream` with a server of the development PKI, as
/// `localhost`.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(stream: S) -> tokio_rustls::client::TlsStream<S> {
    let name = ServerName::try_from("localhost").expect("server name");
    connector().connect(name, stream).await.expect("TLS handshake")
}
