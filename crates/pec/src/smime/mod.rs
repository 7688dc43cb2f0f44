//! Detached CMS (S/MIME v3) signatures for PEC messages.
//!
//! - [`Signer`]: the provider's signing identity; [`Signer::sign_detached`] produces the DER of the
//!   `application/pkcs7-signature` part of a `multipart/signed` (SHA-256, chain embedded,
//!   signingTime), over the exact bytes given (no line-ending conversion: the caller passes the
//!   canonical CRLF MIME entity).
//! - [`verify_detached`]: verifies a received signature over the exact bytes of the first part of a
//!   `multipart/signed`, and reports the signature maths ([`SignatureVerdict`]), trust against a
//!   [`TrustList`] ([`TrustVerdict`]), and the facts a human or a log needs ([`SignatureReport`]).
//!   Real PEC providers still sign with SHA-1 (and, in 2014, RSA-1024 keys): those verify as
//!   `Valid`, with the weakness listed in [`SignatureReport::problems`].
//! - [`TrustList`]: provider certificates (as in the national provider index) and/or CAs; a signer
//!   is trusted when a chain reaches any of them (partial chains allowed).
//! - [`dev_pki`]: a development CA, provider signing certificate and TLS certificate with the
//!   production profile of the provider certificates (pec-rules.md 1.5).
//!
//! OpenSSL does the cryptography; the RustCrypto `cms` crate only decodes the SignedData to report
//! algorithms and the signing time. No I/O happens here.

mod cms_info;
mod devpki;
mod report;
mod sign;
mod trust;
mod verify;
mod x509util;

pub use devpki::{DevPki, dev_pki};
pub use report::{SignatureReport, SignatureVerdict, TrustVerdict};
pub use sign::Signer;
pub use trust::TrustList;
pub use verify::verify_detached;
pub use x509util::{CertificateFacts, certificate_facts};

/// Errors of the S/MIME module. Verification never fails with an error: it returns a
/// [`SignatureReport`] instead.
#[derive(Debug, thiserror::Error)]
pub enum SmimeError {
    /// The signing certificate could not be read.
    #[error("invalid signer certificate: {0}")]
    Certificate(String),
    /// The private key could not be read.
    #[error("invalid private key: {0}")]
    PrivateKey(String),
    /// The private key does not belong to the certificate.
    #[error("the private key does not match the signer certificate's public key")]
    KeyMismatch,
    /// The key is too weak to sign with.
    #[error("signing key too weak: {0}")]
    WeakKey(String),
    /// The key type cannot be used to sign with SHA-256.
    #[error("unsupported signing key type: {0} (RSA of at least 2048 bits or EC required)")]
    UnsupportedKey(String),
    /// A chain certificate could not be read.
    #[error("invalid chain certificate: {0}")]
    Chain(String),
    /// OpenSSL failed to produce a signature.
    #[error("signing failed: {0}")]
    Sign(String),
    /// The produced signature does not use the expected digest.
    #[error("the signature uses digest {found}, expected sha256")]
    UnexpectedDigest {
        /// The digest found in the produced SignerInfo.
        found: String,
    },
    /// A PEM bundle or DER input held no certificate.
    #[error("no certificate found in the input")]
    NoCertificate,
    /// A PEM bundle was malformed.
    #[error("bad PEM certificate data: {0}")]
    BadPem(String),
    /// DER input was not a certificate.
    #[error("bad DER certificate: {0}")]
    BadDer(String),
    /// Invalid arguments for the development PKI.
    #[error("invalid development PKI parameter: {0}")]
    DevPkiParam(String),
    /// OpenSSL failed while generating the development PKI.
    #[error("development PKI generation failed: {0}")]
    DevPki(String),
}
