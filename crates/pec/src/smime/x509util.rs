//! Small helpers over OpenSSL X.509 types: one-line names, times, e-mail addresses, key facts.

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKeyRef, Public};
use openssl::x509::{X509NameRef, X509Ref};

/// The reasons of an OpenSSL error stack, without the codes and file names of its `Display`.
pub(crate) fn ossl_reason(e: &ErrorStack) -> String {
    let mut reasons: Vec<String> = Vec::new();
    for err in e.errors() {
        let r = match err.reason() {
            Some(r) => r.to_owned(),
            None => format!("error code {:#x}", err.code()),
        };
        let r = match err.function() {
            Some(f) if reasons.is_empty() => format!("{r} (in {f})"),
            _ => r,
        };
        if !reasons.contains(&r) {
            reasons.push(r);
        }
    }
    if reasons.is_empty() {
        "unknown OpenSSL error".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// A distinguished name on one line, most specific attribute first (RFC 4514 order),
/// e.g. `CN=Posta Certificata ARUBA PEC, O=Aruba PEC S.p.A., C=IT`.
pub(crate) fn one_line_name(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = Vec::new();
    for entry in name.entries() {
        let obj = entry.object();
        let key = match obj.nid().short_name() {
            Ok(s) if obj.nid() != Nid::UNDEF => s.to_owned(),
            _ => obj.to_string(),
        };
        let value = match entry.data().to_string() {
            Ok(v) => escape_dn_value(&v),
            Err(_) => format!("#{}", hex(entry.data().as_slice())),
        };
        parts.push(format!("{key}={value}"));
    }
    parts.reverse();
    parts.join(", ")
}

fn escape_dn_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push_str(&format!("\\{:02X}", u32::from(c) & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

/// Lower-case hexadecimal of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Serial number of a certificate in hexadecimal (lower case, no leading zeros beyond one byte).
pub(crate) fn serial_hex(cert: &X509Ref) -> Option<String> {
    let bn = cert.serial_number().to_bn().ok()?;
    let bytes = bn.to_vec();
    if bytes.is_empty() {
        Some("00".to_owned())
    } else {
        Some(hex(&bytes))
    }
}

/// An ASN.1 time as a chrono UTC time.
pub(crate) fn asn1_to_chrono(t: &Asn1TimeRef) -> Option<DateTime<Utc>> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    let secs = i64::from(d.days).checked_mul(86_400)?.checked_add(i64::from(d.secs))?;
    DateTime::from_timestamp(secs, 0)
}

/// A chrono UTC time as an ASN.1 time (UTCTime before 2050, GeneralizedTime after).
// time_t is i64 on most targets but not all.
#[allow(clippy::useless_conversion)]
pub(crate) fn chrono_to_asn1(t: DateTime<Utc>) -> Result<Asn1Time, String> {
    let secs = t.timestamp().try_into().map_err(|_| format!("time {t} out of range"))?;
    Asn1Time::from_unix(secs).map_err(|e| ossl_reason(&e))
}

/// rfc822Name entries of the subjectAltName extension.
pub(crate) fn san_emails(cert: &X509Ref) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(names) = cert.subject_alt_names() {
        for n in &names {
            if let Some(e) = n.email() {
                push_unique(&mut out, e);
            }
        }
    }
    out
}

/// rfc822Name SAN entries plus any emailAddress attribute of the subject DN.
pub(crate) fn all_emails(cert: &X509Ref) -> Vec<String> {
    let mut out = san_emails(cert);
    for entry in cert.subject_name().entries_by_nid(Nid::PKCS9_EMAILADDRESS) {
        if let Ok(v) = entry.data().to_string() {
            push_unique(&mut out, &v);
        }
    }
    out
}

fn push_unique(out: &mut Vec<String>, e: &str) {
    if !out.iter().any(|x| x.eq_ignore_ascii_case(e)) {
        out.push(e.to_owned());
    }
}

/// Name of a public key algorithm ("RSA", "EC", ...).
pub(crate) fn key_algorithm_name(key: &PKeyRef<Public>) -> String {
    key_id_name(key.id())
}

/// Name of a key type ("RSA", "EC", ...).
pub(crate) fn key_id_name(id: Id) -> String {
    match id {
        Id::RSA => "RSA".to_owned(),
        Id::RSA_PSS => "RSA-PSS".to_owned(),
        Id::EC => "EC".to_owned(),
        Id::DSA => "DSA".to_owned(),
        Id::ED25519 => "Ed25519".to_owned(),
        Id::ED448 => "Ed448".to_owned(),
        other => format!("key type {}", other.as_raw()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::x509::X509Name;

    #[test]
    fn names_are_reversed_and_escaped() {
        let mut b = X509Name::builder().unwrap();
        b.append_entry_by_text("C", "IT").unwrap();
        b.append_entry_by_text("O", "Acme, S.p.A.").unwrap();
        b.append_entry_by_text("CN", "Posta Certificata Acme").unwrap();
        let n = b.build();
        assert_eq!(one_line_name(&n), "CN=Posta Certificata Acme, O=Acme\\, S.p.A., C=IT");
    }

    #[test]
    fn time_round_trip() {
        let t = DateTime::from_timestamp(1_415_985_992, 0).unwrap();
        let a = chrono_to_asn1(t).unwrap();
        assert_eq!(asn1_to_chrono(&a), Some(t));
        let far = DateTime::from_timestamp(4_102_444_800 + 86_400, 0).unwrap();
        let a = chrono_to_asn1(far).unwrap();
        assert_eq!(asn1_to_chrono(&a), Some(far));
    }
}

/// What identifies a certificate, in the formats of [`super::SignatureReport`]:
/// for matching a signer against the provider index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateFacts {
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_after: String,
    pub emails: Vec<String>,
}

/// Reads the first certificate of a PEM (or DER) and describes it.
pub fn certificate_facts(pem_or_der: &[u8]) -> Result<CertificateFacts, super::SmimeError> {
    let cert = openssl::x509::X509::from_pem(pem_or_der)
        .or_else(|_| openssl::x509::X509::from_der(pem_or_der))
        .map_err(|e| super::SmimeError::Certificate(format!("not a certificate: {}", ossl_reason(&e))))?;
    let der = cert
        .to_der()
        .map_err(|e| super::SmimeError::Certificate(format!("cannot encode the certificate: {}", ossl_reason(&e))))?;
    Ok(CertificateFacts {
        sha256: hex(&openssl::sha::sha256(&der)),
        subject: one_line_name(cert.subject_name()),
        issuer: one_line_name(cert.issuer_name()),
        serial: serial_hex(&cert).unwrap_or_default(),
        not_after: asn1_to_chrono(cert.not_after())
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        emails: all_emails(&cert),
    })
}
