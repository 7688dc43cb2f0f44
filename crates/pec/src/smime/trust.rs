//! Trust list and certificate path checking.
//!
//! Whom an incoming point trusts (`../shared/docs/pec-rules.md` 6.1): the
//! signer of a PEC object must match a `provider` entry of the provider index
//! (its `providerCertificate`), and since 2017 every provider certificate
//! chains to AgID CA1 (1.5). So a trust list holds provider certificates, CAs,
//! or both, and a bare provider certificate is an anchor. Revocation is not
//! checked (`ARCHITECTURE.md`, "Deliberately absent").

use std::fmt;

use chrono::{DateTime, Utc};
use openssl::error::ErrorStack;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509PurposeId, X509Ref, X509StoreContext};

use super::SmimeError;
use super::x509util::{one_line_name, ossl_reason};

/// OpenSSL verify errors meaning "no path to a trusted certificate".
const ERR_UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
const ERR_DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
const ERR_SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
const ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;

/// A trust list: certificates of providers (leaf certificates, as in the national provider index)
/// and/or CAs. A signer is trusted when a chain can be built from it to any certificate of the
/// list (partial chains are allowed, so a bare provider certificate is a valid anchor).
#[derive(Clone, Default)]
pub struct TrustList {
    certs: Vec<X509>,
}

impl fmt::Debug for TrustList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustList").field("subjects", &self.subjects()).finish()
    }
}

/// The outcome of building a path from a signer to the trust list.
pub(crate) struct ChainOutcome {
    /// `Ok` when trusted, else the reason.
    pub result: Result<(), String>,
    /// Subjects of the built chain, signer first (empty when no chain was built).
    pub chain: Vec<String>,
}

impl TrustList {
    /// An empty trust list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every certificate of a PEM bundle (non-certificate PEM blocks are skipped) or a single
    /// DER certificate. Certificates already in the list are not added twice. Returns how many
    /// were added.
    pub fn add_certificates(&mut self, pem_or_der: &[u8]) -> Result<usize, SmimeError> {
        let found = if contains(pem_or_der, b"-----BEGIN") {
            X509::stack_from_pem(pem_or_der).map_err(|e| SmimeError::BadPem(ossl_reason(&e)))?
        } else if pem_or_der.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            vec![X509::from_der(pem_or_der).map_err(|e| SmimeError::BadDer(ossl_reason(&e)))?]
        };
        if found.is_empty() {
            return Err(SmimeError::NoCertificate);
        }
        let mut known: Vec<Vec<u8>> = self.certs.iter().filter_map(|c| c.to_der().ok()).collect();
        let mut added = 0;
        for c in found {
            let der = c.to_der().map_err(|e| SmimeError::BadDer(ossl_reason(&e)))?;
            if !known.contains(&der) {
                known.push(der);
                self.certs.push(c);
                added += 1;
            }
        }
        Ok(added)
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether the list holds no certificate.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// One-line subjects of the certificates, for display.
    pub fn subjects(&self) -> Vec<String> {
        self.certs.iter().map(|c| one_line_name(c.subject_name())).collect()
    }

    /// Builds and checks a path from `signer` (with `untrusted` as intermediate candidates) to
    /// any certificate of the list, for the S/MIME signing purpose, at time `at` (validity is not
    /// checked when `at` is `None`). Security level 0: SHA-1 and RSA-1024 certificates of real
    /// providers are accepted (the caller reports their weakness).
    pub(crate) fn check_chain(&self, signer: &X509Ref, untrusted: &[X509], at: Option<DateTime<Utc>>) -> ChainOutcome {
        if self.certs.is_empty() {
            return ChainOutcome {
                result: Err("the trust list is empty".to_owned()),
                chain: Vec::new(),
            };
        }
        match self.run_store_check(signer, untrusted, at) {
            Ok(outcome) => outcome,
            Err(e) => ChainOutcome {
                result: Err(format!("certificate path check failed: {}", ossl_reason(&e))),
                chain: Vec::new(),
            },
        }
    }

    fn run_store_check(
        &self,
        signer: &X509Ref,
        untrusted: &[X509],
        at: Option<DateTime<Utc>>,
    ) -> Result<ChainOutcome, ErrorStack> {
        let mut builder = X509StoreBuilder::new()?;
        for c in &self.certs {
            builder.add_cert(c.clone())?;
        }
        let mut param = X509VerifyParam::new()?;
        // A provider certificate of the index is an anchor by itself (pec-rules.md 6.1).
        param.set_flags(X509VerifyFlags::PARTIAL_CHAIN)?;
        // pec-rules.md 1.5, 9: the 2014 DigitPA-era chain is SHA-1 with RSA-1024.
        param.set_auth_level(0);
        // pec-rules.md 1.5: provider certificates carry EKU emailProtection.
        param.set_purpose(X509PurposeId::SMIME_SIGN)?;
        // time_t is i64 on most targets but not all.
        #[allow(clippy::useless_conversion)]
        let at = at.map(|t| t.timestamp().try_into());
        match at {
            Some(Ok(t)) => param.set_time(t),
            _ => param.set_flags(X509VerifyFlags::NO_CHECK_TIME)?,
        }
        builder.set_param(&param)?;
        let store = builder.build();

        let mut stack = Stack::new()?;
        for c in untrusted {
            stack.push(c.clone())?;
        }
        let anchors: Vec<Vec<u8>> = self.certs.iter().filter_map(|c| c.to_der().ok()).collect();
        let mut ctx = X509StoreContext::new()?;
        ctx.init(&store, signer, &stack, |c| {
            let ok = c.verify_cert()?;
            // OpenSSL may extend a partial chain past the anchor with embedded certificates:
            // report it up to the first certificate of the trust list.
            let mut chain: Vec<String> = Vec::new();
            if let Some(ch) = c.chain() {
                for x in ch {
                    chain.push(one_line_name(x.subject_name()));
                    if x.to_der().is_ok_and(|d| anchors.contains(&d)) {
                        break;
                    }
                }
            }
            if ok {
                return Ok(ChainOutcome { result: Ok(()), chain });
            }
            let err = c.error();
            let at_cert = c
                .current_cert()
                .map(|x| one_line_name(x.subject_name()))
                .unwrap_or_else(|| format!("depth {}", c.error_depth()));
            let reason = match err.as_raw() {
                ERR_UNABLE_TO_GET_ISSUER_CERT
                | ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
                | ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
                | ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                | ERR_SELF_SIGNED_CERT_IN_CHAIN => {
                    format!("signer not in the trust list: {} (at {at_cert})", err.error_string())
                }
                _ => format!("certificate chain rejected: {} (at {at_cert})", err.error_string()),
            };
            Ok(ChainOutcome {
                result: Err(reason),
                chain: Vec::new(),
            })
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_certificates_errors() {
        let mut t = TrustList::new();
        assert!(matches!(t.add_certificates(b""), Err(SmimeError::NoCertificate)));
        assert!(matches!(
            t.add_certificates(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(SmimeError::NoCertificate)
        ));
        assert!(matches!(
            t.add_certificates(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            Err(SmimeError::BadPem(_))
        ));
        assert!(matches!(
            t.add_certificates(b"\x30\x03\x02\x01\x01"),
            Err(SmimeError::BadDer(_))
        ));
        assert!(t.is_empty());
    }
}
