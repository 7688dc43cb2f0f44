//! Verification of detached signatures: the `application/pkcs7-signature`
//! part of a `multipart/signed` (RFC 1847 2.1) over its first part. It is
//! S/MIME (RFC 8551; the PEC rules name its ancestor RFC 2633), a CMS
//! SignedData without its content (RFC 5652 5.1, 5.2: an external signature).
//!
//! The PEC rules behind the choices (`../shared/docs/pec-rules.md`):
//!
//! - every message a gestore generates is signed with its provider
//!   certificate, chain embedded (3.1; DM 2/11/2005 art. 6 c. 1: "conformi allo
//!   standard internazionale S/MIME, così come descritto dallo standard RFC
//!   2633", quoted in 1.2);
//! - real providers sign with SHA-1 (2014-2024) and, in 2014, with RSA-1024
//!   keys (1.5, 3.1, 8 item 3): such signatures verify and their weakness is
//!   reported, never turned into a failure;
//! - any re-encoding breaks a detached signature (8 item 2): the bytes are
//!   verified as received (the CRLF retry of RFC 5751 3.1.1 is the parser's);
//! - a signer is trusted when it is in the provider index or chains to the CA
//!   that issues provider certificates (1.5, 6.1), at the signing time.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::Id;
use openssl::stack::Stack;
use openssl::x509::{X509, X509Name, X509Ref};

use super::cms_info::{self, CmsDecodeError, SignerId, SignerSummary};
use super::report::{SignatureReport, SignatureVerdict, TrustVerdict};
use super::trust::TrustList;
use super::x509util::{all_emails, asn1_to_chrono, hex, key_algorithm_name, one_line_name, ossl_reason, serial_hex};

/// What was learnt from decoding the SignedData (besides the maths).
#[derive(Default)]
struct Inspected {
    certs: Vec<X509>,
    signer_cert: Option<X509>,
    summary: Option<SignerSummary>,
    signer_count: Option<usize>,
    notes: Vec<String>,
}

/// Verifies a detached signature over `content` (the exact bytes of the first part of a
/// `multipart/signed`, as received). Never panics, whatever the input.
///
/// `fallback_time`: the time to check certificate validity at when the signature has no
/// signingTime attribute (callers pass the message's Date header).
///
/// The maths is checked without any certificate checks and without canonicalisation; SHA-1
/// digests and RSA keys under 2048 bits verify as [`SignatureVerdict::Valid`] and are listed in
/// `problems`. Trust is then checked against `trust` at the signing time (see
/// [`TrustList`]).
pub fn verify_detached(
    content: &[u8],
    signature_der: &[u8],
    trust: Option<&TrustList>,
    fallback_time: Option<DateTime<Utc>>,
) -> SignatureReport {
    if signature_der.is_empty() {
        return SignatureReport::unreadable("empty signature");
    }
    let mut cms = match CmsContentInfo::from_der(signature_der) {
        Ok(c) => c,
        Err(e) => {
            return SignatureReport::unreadable(format!("not a CMS/PKCS#7 structure: {}", ossl_reason(&e)));
        }
    };
    let inspected = match inspect(signature_der) {
        Ok(i) => i,
        Err(reason) => return SignatureReport::unreadable(reason),
    };

    // RFC 5652 5.6 (the maths) only; trust is decided below against the
    // provider index. BINARY: no MIME canonicalisation, RFC 1847 2.1 signs the
    // first part's exact octets.
    let flags = CMSOptions::NO_SIGNER_CERT_VERIFY | CMSOptions::BINARY;
    let math = cms.verify(None, None, Some(content), None, flags);
    let mut report = match (&math, &inspected.signer_cert) {
        (Ok(()), _) => SignatureReport::empty(SignatureVerdict::Valid),
        (Err(e), None) => {
            let mut r = SignatureReport::unreadable(format!(
                "signer certificate not found among the embedded certificates: {}",
                ossl_reason(e)
            ));
            r.problems.extend(inspected.notes.iter().cloned());
            return r;
        }
        (Err(e), Some(_)) => {
            let mut r = SignatureReport::empty(SignatureVerdict::Invalid);
            r.problems
                .push(format!("signature does not match the content: {}", ossl_reason(e)));
            r
        }
    };
    report.problems.extend(inspected.notes.iter().cloned());
    // RFC 5652 5.1: signerInfos may hold any number of signers.
    if let Some(n) = inspected.signer_count.filter(|n| *n > 1) {
        report
            .problems
            .push(format!("{n} signers; the details are of the first one"));
    }

    if let Some(s) = &inspected.summary {
        let digest = cms_info::digest_name(&s.digest_oid);
        // pec-rules.md 3.1: "A Rust verifier must therefore accept SHA-1
        // message digests for PEC input"; we report it.
        if matches!(digest.as_str(), "sha1" | "md5" | "md2") {
            report
                .problems
                .push(format!("weak digest {digest} (accepted for received messages)"));
        }
        report.digest_algorithm = Some(digest);
        report.signature_algorithm = Some(cms_info::signature_name(&s.signature_oid));
        report.signing_time = s.signing_time;
    }

    if let Some(cert) = &inspected.signer_cert {
        describe_signer(&mut report, cert);
    }
    report.chain = embedded_chain(&inspected);

    // RFC 5652 11.3: signingTime is optional; without it the certificate is
    // judged at the message's date.
    report.checked_at = report.signing_time.or(fallback_time);
    match (report.signing_time, report.checked_at) {
        (Some(_), _) => {}
        (None, Some(_)) => report
            .problems
            .push("no signingTime attribute: certificate validity checked at the message date".to_owned()),
        (None, None) => report
            .problems
            .push("no signingTime attribute and no message date: certificate validity not checked".to_owned()),
    }
    let mut validity_problem = None;
    if let (Some(t), Some(nb), Some(na)) = (report.checked_at, report.not_before, report.not_after) {
        let ok = nb <= t && t <= na;
        report.valid_at_signing_time = Some(ok);
        if t > na {
            validity_problem = Some(format!(
                "certificate expired at signing time ({t} is after its end of validity {na})"
            ));
        } else if t < nb {
            validity_problem = Some(format!(
                "certificate not yet valid at signing time ({t} is before its start of validity {nb})"
            ));
        }
    }
    if let Some(p) = &validity_problem {
        report.problems.push(p.clone());
    }

    report.trust = match (trust, &report.verdict, &inspected.signer_cert, validity_problem) {
        (None, _, _, _) => TrustVerdict::NotChecked,
        (Some(_), v, _, _) if *v != SignatureVerdict::Valid => TrustVerdict::NotChecked,
        (Some(_), _, None, _) => {
            let r = "signer certificate not identified in the signature".to_owned();
            report.problems.push(r.clone());
            TrustVerdict::NotTrusted(r)
        }
        // An expired (or not yet valid) certificate is never trusted; already in `problems`.
        (Some(_), _, Some(_), Some(p)) => TrustVerdict::NotTrusted(p),
        // pec-rules.md 6.1: the signer must match a provider of the index (or
        // chain to the CA of provider certificates, 1.5).
        (Some(list), _, Some(cert), None) => {
            let outcome = list.check_chain(cert, &inspected.certs, report.checked_at);
            match outcome.result {
                Ok(()) => {
                    if !outcome.chain.is_empty() {
                        report.chain = outcome.chain;
                    }
                    TrustVerdict::Trusted
                }
                Err(r) => {
                    report.problems.push(r.clone());
                    TrustVerdict::NotTrusted(r)
                }
            }
        }
    };
    report
}

/// Decodes the SignedData for the report: embedded certificates, signer certificate, SignerInfo
/// summary. `Err` means the signature cannot be evaluated at all.
fn inspect(der: &[u8]) -> Result<Inspected, String> {
    match cms_info::parse(der) {
        Ok(info) => {
            // RFC 5652 5.1 allows zero SignerInfos (a certificates-only
            // message), which signs nothing.
            if info.signer_count == 0 {
                return Err("the SignedData has no SignerInfo".to_owned());
            }
            let mut out = Inspected {
                certs: info
                    .certificates_der
                    .iter()
                    .filter_map(|d| X509::from_der(d).ok())
                    .collect(),
                signer_count: Some(info.signer_count),
                ..Inspected::default()
            };
            if let Some(s) = &info.first_signer {
                out.signer_cert = out.certs.iter().find(|c| matches_sid(c, &s.sid)).cloned();
            } else {
                out.notes
                    .push("the SignerInfo could not be decoded for details".to_owned());
            }
            out.summary = info.first_signer;
            if out.signer_cert.is_none() {
                let (_, signer) = pkcs7_details(der);
                out.signer_cert = signer;
            }
            Ok(out)
        }
        Err(CmsDecodeError::NotSignedData(oid)) => Err(format!("not a SignedData (content type {oid})")),
        Err(CmsDecodeError::Malformed(m)) => {
            let (certs, signer) = pkcs7_details(der);
            Ok(Inspected {
                certs,
                signer_cert: signer,
                notes: vec![format!(
                    "the SignedData could not be decoded for details ({m}); algorithms and signing time unknown"
                )],
                ..Inspected::default()
            })
        }
    }
}

/// Embedded certificates and signer certificate as OpenSSL's PKCS#7 code sees them.
fn pkcs7_details(der: &[u8]) -> (Vec<X509>, Option<X509>) {
    let Ok(p7) = Pkcs7::from_der(der) else {
        return (Vec::new(), None);
    };
    let certs: Vec<X509> = p7
        .signed()
        .and_then(|s| s.certificates())
        .map(|st| st.iter().map(|c| c.to_owned()).collect())
        .unwrap_or_default();
    let signer = Stack::new()
        .ok()
        .and_then(|empty| p7.signers(&empty, Pkcs7Flags::empty()).ok())
        .and_then(|st| st.iter().next().map(|c| c.to_owned()));
    (certs, signer)
}

/// RFC 5652 5.3: `sid` names the signer's certificate by issuer and serial
/// number, or by subject key identifier.
fn matches_sid(cert: &X509Ref, sid: &SignerId) -> bool {
    match sid {
        SignerId::IssuerSerial { issuer_der, serial } => {
            let Ok(name) = X509Name::from_der(issuer_der) else {
                return false;
            };
            let same_issuer = cert.issuer_name().try_cmp(&name).ok() == Some(Ordering::Equal);
            let cert_serial = cert.serial_number().to_bn().map(|b| b.to_vec()).unwrap_or_default();
            // A DER INTEGER's content octets carry a leading zero when the top
            // bit is set; a BIGNUM's bytes never do.
            same_issuer && strip_zeros(&cert_serial) == strip_zeros(serial)
        }
        SignerId::KeyId(id) => cert.subject_key_id().is_some_and(|k| k.as_slice() == id.as_slice()),
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|x| **x == 0).count();
    b.get(n..).unwrap_or_default()
}

fn describe_signer(report: &mut SignatureReport, cert: &X509Ref) {
    report.signer_subject = Some(one_line_name(cert.subject_name()));
    report.signer_issuer = Some(one_line_name(cert.issuer_name()));
    report.signer_serial = serial_hex(cert);
    if let Ok(der) = cert.to_der() {
        report.signer_certificate_sha256 = Some(hex(&openssl::sha::sha256(&der)));
    }
    report.signer_certificate_pem = cert.to_pem().ok().and_then(|p| String::from_utf8(p).ok());
    report.signer_emails = all_emails(cert);
    report.not_before = asn1_to_chrono(cert.not_before());
    report.not_after = asn1_to_chrono(cert.not_after());
    if let Ok(key) = cert.public_key() {
        let bits = key.bits();
        report.key_algorithm = Some(key_algorithm_name(&key));
        report.key_bits = Some(bits);
        // pec-rules.md 1.5: Aruba's 2014 leaf had a 1024-bit RSA key; the
        // provider certificates since 2017 are RSA 2048.
        match key.id() {
            Id::RSA | Id::RSA_PSS if bits < 2048 => report
                .problems
                .push(format!("RSA key of {bits} bits (accepted for received messages)")),
            Id::EC if bits < 256 => report
                .problems
                .push(format!("EC key of {bits} bits (accepted for received messages)")),
            _ => {}
        }
    }
    let cert_alg = cert.signature_algorithm().object().to_string();
    let lower = cert_alg.to_ascii_lowercase();
    if lower.contains("sha1") || lower.contains("md5") || lower.contains("md2") {
        report.problems.push(format!(
            "signer certificate signed with {cert_alg} (accepted for received messages)"
        ));
    }
}

/// Subjects of the embedded certificates, signer first.
fn embedded_chain(inspected: &Inspected) -> Vec<String> {
    let mut out = Vec::new();
    let signer_der = inspected.signer_cert.as_ref().and_then(|c| c.to_der().ok());
    if let Some(c) = &inspected.signer_cert {
        out.push(one_line_name(c.subject_name()));
    }
    for c in &inspected.certs {
        if signer_der.is_some() && c.to_der().ok() == signer_der {
            continue;
        }
        out.push(one_line_name(c.subject_name()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\x00",
            b"\x30",
            b"\x30\x80\x00\x00",
            b"not a signature at all",
            &[0x30, 0x82, 0xff, 0xff, 0x06, 0x09],
        ];
        for i in inputs {
            let r = verify_detached(b"content", i, Some(&TrustList::new()), None);
            assert_eq!(r.verdict, SignatureVerdict::Unreadable, "{i:?}");
            assert_eq!(r.trust, TrustVerdict::NotChecked);
            assert!(!r.problems.is_empty());
        }
    }

    #[test]
    fn strip_leading_zeros() {
        assert_eq!(strip_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_zeros(&[0, 0]), &[] as &[u8]);
    }
}
