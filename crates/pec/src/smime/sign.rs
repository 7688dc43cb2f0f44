//! The provider's signing identity and detached CMS signing.
//!
//! A gestore signs every message it generates (receipts, notices, envelopes)
//! with its provider key (`../shared/docs/pec-rules.md` 1.2, 3.1): a CMS
//! SignedData without its content (RFC 5652 5.1, 5.2), carried as the second
//! part of a `multipart/signed` (RFC 1847 2.1), with the signingTime attribute
//! (RFC 5652 11.3). We sign with SHA-256 and keys of provider-certificate
//! strength (pec-rules.md 1.5: RSA 2048 with `sha256WithRSAEncryption` since
//! 2017); which digest gestori should emit is an open question of the rules
//! (pec-rules.md 10 item 4).

use std::fmt;

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::{Id, PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;

use super::SmimeError;
use super::cms_info;
use super::x509util::{key_id_name, one_line_name, ossl_reason, san_emails};

/// Smallest RSA key we sign with: the provider certificates' since 2017 (pec-rules.md 1.5).
const MIN_RSA_BITS: u32 = 2048;
/// Smallest EC key we sign with.
const MIN_EC_BITS: u32 = 256;

/// The provider's signing identity: certificate, private key and the chain embedded in signatures.
///
/// `Debug` shows only the certificate subject: the private key is never printed.
#[derive(Clone)]
pub struct Signer {
    cert: X509,
    key: PKey<Private>,
    chain: Vec<X509>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &one_line_name(self.cert.subject_name()))
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// `cert_pem`: the provider certificate; `key_pem`: its private key (PKCS#8 or traditional
    /// PEM, unencrypted); `chain_pem`: zero or more intermediate/CA certificates (concatenated PEM,
    /// may be empty) to embed in signatures.
    ///
    /// Refuses RSA keys under 2048 bits, EC keys under 256 bits, other key types (whose default
    /// CMS digest would not be SHA-256) and a key that does not match the certificate.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8], chain_pem: &[u8]) -> Result<Signer, SmimeError> {
        let cert = X509::from_pem(cert_pem)
            .map_err(|e| SmimeError::Certificate(format!("not a PEM certificate: {}", ossl_reason(&e))))?;
        if contains(key_pem, b"ENCRYPTED") {
            return Err(SmimeError::PrivateKey(
                "the key is encrypted; an unencrypted PEM key is required".to_owned(),
            ));
        }
        // An explicit empty passphrase: OpenSSL must never prompt on a terminal.
        let key = PKey::private_key_from_pem_passphrase(key_pem, b"")
            .map_err(|e| SmimeError::PrivateKey(format!("not a PEM private key: {}", ossl_reason(&e))))?;
        let bits = key.bits();
        match key.id() {
            Id::RSA if bits < MIN_RSA_BITS => {
                return Err(SmimeError::WeakKey(format!(
                    "RSA key of {bits} bits (at least {MIN_RSA_BITS} required)"
                )));
            }
            Id::EC if bits < MIN_EC_BITS => {
                return Err(SmimeError::WeakKey(format!(
                    "EC key of {bits} bits (at least {MIN_EC_BITS} required)"
                )));
            }
            Id::RSA | Id::EC => {}
            other => return Err(SmimeError::UnsupportedKey(key_id_name(other))),
        }
        let cert_key = cert
            .public_key()
            .map_err(|e| SmimeError::Certificate(format!("unreadable public key: {}", ossl_reason(&e))))?;
        if !cert_key.public_eq(&key) {
            return Err(SmimeError::KeyMismatch);
        }
        let chain = if chain_pem.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            let chain = X509::stack_from_pem(chain_pem).map_err(|e| SmimeError::Chain(ossl_reason(&e)))?;
            if chain.is_empty() {
                return Err(SmimeError::Chain(
                    "no PEM certificate found in the chain data".to_owned(),
                ));
            }
            chain
        };
        Ok(Signer { cert, key, chain })
    }

    /// Detached CMS SignedData (S/MIME v3) over `content` exactly as given (no line-ending
    /// conversion), digest SHA-256, signer certificate and chain embedded, signed attributes
    /// including signingTime. Returns DER.
    pub fn sign_detached(&self, content: &[u8]) -> Result<Vec<u8>, SmimeError> {
        self.sign(content, CMSOptions::DETACHED | CMSOptions::BINARY)
    }

    /// CAdES-BES (ETSI EN 319 122-1), the `.p7m` of an Italian *firma digitale*: CMS
    /// SignedData enveloping `content` exactly as given, SHA-256, the signer
    /// certificate and chain embedded, and among the signed attributes the ESS
    /// signing-certificate-v2 that binds the signature to the certificate. DER.
    pub fn sign_cades(&self, content: &[u8]) -> Result<Vec<u8>, SmimeError> {
        // OpenSSL's CMS_CADES (3.0 and later), which the openssl crate does not name.
        const CMS_CADES: u32 = 0x10_0000;
        self.sign(content, CMSOptions::BINARY | CMSOptions::from_bits_retain(CMS_CADES))
    }

    /// CMS SignedData over `content` with the certificate and chain embedded; DER.
    /// CMS_sign picks the key's default digest: refused unless it is SHA-256, the
    /// one micalg and the rules announce.
    fn sign(&self, content: &[u8], flags: CMSOptions) -> Result<Vec<u8>, SmimeError> {
        let mut stack = Stack::new().map_err(|e| SmimeError::Sign(ossl_reason(&e)))?;
        for c in &self.chain {
            stack.push(c.clone()).map_err(|e| SmimeError::Sign(ossl_reason(&e)))?;
        }
        let cms = CmsContentInfo::sign(Some(&self.cert), Some(&self.key), Some(&stack), Some(content), flags)
            .map_err(|e| SmimeError::Sign(ossl_reason(&e)))?;
        let der = cms.to_der().map_err(|e| SmimeError::Sign(ossl_reason(&e)))?;
        let info =
            cms_info::parse(&der).map_err(|e| SmimeError::Sign(format!("cannot decode our own signature: {e:?}")))?;
        let found = info
            .first_signer
            .map(|s| s.digest_oid)
            .unwrap_or_else(|| "none".to_owned());
        if found != cms_info::OID_SHA256 {
            return Err(SmimeError::UnexpectedDigest {
                found: cms_info::digest_name(&found),
            });
        }
        Ok(der)
    }

    /// The holder's tax code as a qualified certificate carries it: the subject's
    /// serialNumber, `TINIT-` followed by the codice fiscale (ETSI EN 319 412-1
    /// 5.1.3), or a bare code. None when the subject has no serialNumber.
    pub fn holder_tax_id(&self) -> Option<String> {
        let entry = self
            .cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::SERIALNUMBER)
            .next()?;
        let value = entry.data().to_string().ok()?;
        let value = value.trim();
        Some(value.strip_prefix("TINIT-").unwrap_or(value).to_ascii_uppercase())
    }

    /// `"sha-256"`: the micalg parameter value matching [`Signer::sign_detached`]'s digest
    /// (RFC 5751 3.4.3.2).
    pub fn micalg(&self) -> &'static str {
        "sha-256"
    }

    /// The signer certificate, PEM.
    pub fn certificate_pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap_or_default()
    }

    /// rfc822Name SAN entries of the certificate (e.g. `posta-certificata@pec.example.it`).
    pub fn emails(&self) -> Vec<String> {
        san_emails(&self.cert)
    }

    /// One-line subject of the certificate.
    pub fn subject(&self) -> String {
        one_line_name(self.cert.subject_name())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
