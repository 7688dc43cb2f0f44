//! The result of verifying a detached signature.

use chrono::{DateTime, Utc};

/// The signature maths over the content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureVerdict {
    /// The signature matches the content (whatever the algorithms' strength).
    Valid,
    /// The signature does not match the content (altered content, wrong signature).
    Invalid,
    /// The signature cannot be evaluated: not a parseable CMS SignedData, no signer, or the signer
    /// certificate is not embedded.
    Unreadable,
}

/// Whether the signer chains to the trust list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum TrustVerdict {
    /// A chain was built from the signer to a certificate of the trust list, valid at the
    /// checked time.
    Trusted,
    /// Not trusted, with the reason.
    NotTrusted(String),
    /// No trust list was given, or the signature is not [`SignatureVerdict::Valid`].
    NotChecked,
}

/// Everything learnt while verifying a detached signature.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignatureReport {
    /// The signature maths over the content.
    pub verdict: SignatureVerdict,
    /// Trust against the trust list.
    pub trust: TrustVerdict,
    /// "sha1", "sha256", ... from the SignerInfo digestAlgorithm.
    pub digest_algorithm: Option<String>,
    /// e.g. "rsaEncryption" or "sha256WithRSAEncryption", from the SignerInfo.
    pub signature_algorithm: Option<String>,
    /// "RSA", "EC", ... of the signer certificate's key.
    pub key_algorithm: Option<String>,
    /// Size of the signer certificate's key.
    pub key_bits: Option<u32>,
    /// One-line subject, most specific attribute first.
    pub signer_subject: Option<String>,
    /// One-line issuer.
    pub signer_issuer: Option<String>,
    /// Serial number in hexadecimal.
    pub signer_serial: Option<String>,
    /// SHA-256 of the signer certificate's DER, lowercase hex (its fingerprint).
    pub signer_certificate_sha256: Option<String>,
    /// The signer certificate, PEM (not serialised: the fingerprint names it).
    #[serde(skip)]
    pub signer_certificate_pem: Option<String>,
    /// rfc822Name SANs, then emailAddress attributes of the subject DN.
    pub signer_emails: Vec<String>,
    /// Start of the signer certificate's validity.
    pub not_before: Option<DateTime<Utc>>,
    /// End of the signer certificate's validity.
    pub not_after: Option<DateTime<Utc>>,
    /// The signingTime signed attribute, if any.
    pub signing_time: Option<DateTime<Utc>>,
    /// The time validity was checked at (signing_time, else the caller's fallback time).
    pub checked_at: Option<DateTime<Utc>>,
    /// Whether checked_at is within [not_before, not_after].
    pub valid_at_signing_time: Option<bool>,
    /// Subjects from the signer up to the trust anchor when a chain was built, else the embedded
    /// certificates (signer first).
    pub chain: Vec<String>,
    /// Human-readable findings (weak algorithms, expiry, trust failures...).
    pub problems: Vec<String>,
}

impl SignatureReport {
    /// A report for a signature that cannot be evaluated.
    pub fn unreadable(reason: impl Into<String>) -> Self {
        let mut r = Self::empty(SignatureVerdict::Unreadable);
        r.problems.push(reason.into());
        r
    }

    pub(crate) fn empty(verdict: SignatureVerdict) -> Self {
        SignatureReport {
            verdict,
            trust: TrustVerdict::NotChecked,
            digest_algorithm: None,
            signature_algorithm: None,
            key_algorithm: None,
            key_bits: None,
            signer_subject: None,
            signer_issuer: None,
            signer_serial: None,
            signer_certificate_sha256: None,
            signer_certificate_pem: None,
            signer_emails: Vec::new(),
            not_before: None,
            not_after: None,
            signing_time: None,
            checked_at: None,
            valid_at_signing_time: None,
            chain: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Valid signature from a trusted signer.
    pub fn is_trusted_valid(&self) -> bool {
        self.verdict == SignatureVerdict::Valid && self.trust == TrustVerdict::Trusted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_report() {
        let r = SignatureReport::unreadable("empty signature");
        assert_eq!(r.verdict, SignatureVerdict::Unreadable);
        assert_eq!(r.trust, TrustVerdict::NotChecked);
        assert_eq!(r.problems, vec!["empty signature".to_owned()]);
        assert!(!r.is_trusted_valid());
    }

    #[test]
    fn serialises_verdicts() {
        let v = serde_json::to_value(TrustVerdict::NotTrusted("expired".into())).unwrap();
        assert_eq!(v, serde_json::json!({"status": "not-trusted", "reason": "expired"}));
        let v = serde_json::to_value(TrustVerdict::NotChecked).unwrap();
        assert_eq!(v, serde_json::json!({"status": "not-checked"}));
        let v = serde_json::to_value(SignatureVerdict::Unreadable).unwrap();
        assert_eq!(v, serde_json::json!("unreadable"));
        let r = serde_json::to_value(SignatureReport::unreadable("x")).unwrap();
        assert_eq!(r["verdict"], "unreadable");
        assert_eq!(r["trust"]["status"], "not-checked");
    }
}
