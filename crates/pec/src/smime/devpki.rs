//! Development PKI for `certa keys init`: a test CA, a provider signing certificate with the
//! production profile of the PEC provider certificates (pec-rules.md 1.5) and a TLS server
//! certificate. Not for production: the CA name says so.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Months, Utc};
use openssl::asn1::Asn1Integer;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, PKeyRef, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509Ref};

use super::SmimeError;
use super::x509util::{chrono_to_asn1, ossl_reason};

/// RSA size of every development key (the production provider profile).
const RSA_BITS: u32 = 2048;
/// Validity of the CA.
const CA_MONTHS: u32 = 120;
/// Validity of the provider signing certificate (as AgID's, 3 years).
const SIGNER_MONTHS: u32 = 36;
/// Validity of the TLS certificate: 825 days, the longest some TLS clients accept.
const TLS_DAYS: i64 = 825;

/// The development PKI, all PEM (keys PKCS#8, unencrypted).
pub struct DevPki {
    /// Development CA certificate (the anchor to put in trust lists and TLS client stores).
    pub ca_cert_pem: String,
    /// Development CA private key.
    pub ca_key_pem: String,
    /// Provider signing certificate.
    pub signer_cert_pem: String,
    /// Provider signing key.
    pub signer_key_pem: String,
    /// TLS server certificate.
    pub tls_cert_pem: String,
    /// TLS server key.
    pub tls_key_pem: String,
}

impl fmt::Debug for DevPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevPki")
            .field("ca_cert_pem", &self.ca_cert_pem)
            .field("signer_cert_pem", &self.signer_cert_pem)
            .field("tls_cert_pem", &self.tls_cert_pem)
            .finish_non_exhaustive()
    }
}

/// Generates the development PKI for `domain` (the provider's PEC mail domain, e.g.
/// `pec.example.it`), `provider_name` (e.g. `Example PEC S.p.A.`) and the TLS host names or IP
/// addresses `tls_hosts` (at least one), with validities starting one day before `now`.
///
/// - CA: RSA-2048, `CN=Certa Development CA <domain>, O=<provider_name> (development only), C=IT`,
///   basicConstraints critical CA:TRUE pathlen 0, keyUsage critical keyCertSign+cRLSign, 10 years.
/// - Signer: RSA-2048, sha256WithRSAEncryption, `CN=Posta Certificata <provider_name>,
///   O=<provider_name>, C=IT`, keyUsage critical digitalSignature, EKU
///   emailProtection, SAN `email:posta-certificata@<domain>`, 3 years.
/// - TLS: RSA-2048, `CN=<first host>`, SAN DNS names (IP addresses as IP SANs), EKU serverAuth,
///   keyUsage critical digitalSignature+keyEncipherment, 825 days.
///
/// Serial numbers are 16 random bytes.
pub fn dev_pki(
    domain: &str,
    provider_name: &str,
    tls_hosts: &[&str],
    now: DateTime<Utc>,
) -> Result<DevPki, SmimeError> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let provider_name = provider_name.trim();
    if domain.is_empty() || !domain.contains('.') || domain.contains(['@', ' ', '/']) {
        return Err(SmimeError::DevPkiParam(format!("bad provider domain {domain:?}")));
    }
    if provider_name.is_empty() {
        return Err(SmimeError::DevPkiParam("empty provider name".to_owned()));
    }
    let Some(first_host) = tls_hosts.first() else {
        return Err(SmimeError::DevPkiParam(
            "at least one TLS host name is required".to_owned(),
        ));
    };
    if tls_hosts
        .iter()
        .any(|h| h.trim().is_empty() || h.contains([' ', '/', '@']))
    {
        return Err(SmimeError::DevPkiParam(format!("bad TLS host name in {tls_hosts:?}")));
    }
    let start = now - Duration::days(1);
    let fail = |what: &str| {
        let what = what.to_owned();
        move |e: openssl::error::ErrorStack| SmimeError::DevPki(format!("{what}: {}", ossl_reason(&e)))
    };

    // CA
    let ca_key = rsa_key().map_err(fail("CA key"))?;
    let ca_name = name(&[
        ("C", "IT"),
        ("O", &format!("{provider_name} (development only)")),
        ("CN", &format!("Certa Development CA {domain}")),
    ])
    .map_err(fail("CA name"))?;
    let mut b = base_builder(&ca_name, &ca_name, &ca_key, start, add_months(start, CA_MONTHS)?)?;
    let ctx_ext = |b: &X509Builder, issuer: Option<&X509Ref>| {
        let ctx = b.x509v3_context(issuer, None);
        (
            SubjectKeyIdentifier::new().build(&ctx),
            AuthorityKeyIdentifier::new().keyid(true).build(&ctx),
        )
    };
    let ca_ext = (|| -> Result<(), openssl::error::ErrorStack> {
        b.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
        b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        let (ski, _) = ctx_ext(&b, None);
        b.append_extension(ski?)?;
        b.sign(&ca_key, MessageDigest::sha256())
    })();
    ca_ext.map_err(fail("CA certificate"))?;
    let ca = b.build();

    // Provider signing certificate
    let signer_key = rsa_key().map_err(fail("signer key"))?;
    let signer_name = name(&[
        ("C", "IT"),
        ("O", provider_name),
        ("CN", &format!("Posta Certificata {provider_name}")),
    ])
    .map_err(fail("signer name"))?;
    let mut b = base_builder(
        &signer_name,
        ca.subject_name(),
        &signer_key,
        start,
        add_months(start, SIGNER_MONTHS)?,
    )?;
    let signer_ext = (|| -> Result<(), openssl::error::ErrorStack> {
        b.append_extension(BasicConstraints::new().build()?)?;
        b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
        b.append_extension(ExtendedKeyUsage::new().email_protection().build()?)?;
        let san = SubjectAlternativeName::new()
            .email(&format!("posta-certificata@{domain}"))
            .build(&b.x509v3_context(Some(&ca), None))?;
        b.append_extension(san)?;
        let (ski, aki) = ctx_ext(&b, Some(&ca));
        b.append_extension(ski?)?;
        b.append_extension(aki?)?;
        b.sign(&ca_key, MessageDigest::sha256())
    })();
    signer_ext.map_err(fail("signer certificate"))?;
    let signer = b.build();

    // TLS server certificate
    let tls_key = rsa_key().map_err(fail("TLS key"))?;
    let tls_name = name(&[("CN", first_host.trim())]).map_err(fail("TLS name"))?;
    let mut b = base_builder(
        &tls_name,
        ca.subject_name(),
        &tls_key,
        start,
        start + Duration::days(TLS_DAYS),
    )?;
    let tls_ext = (|| -> Result<(), openssl::error::ErrorStack> {
        b.append_extension(BasicConstraints::new().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .build()?,
        )?;
        b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
        let mut san = SubjectAlternativeName::new();
        for h in tls_hosts {
            let h = h.trim();
            if h.parse::<IpAddr>().is_ok() {
                san.ip(h);
            } else {
                san.dns(h);
            }
        }
        let san = san.build(&b.x509v3_context(Some(&ca), None))?;
        b.append_extension(san)?;
        let (ski, aki) = ctx_ext(&b, Some(&ca));
        b.append_extension(ski?)?;
        b.append_extension(aki?)?;
        b.sign(&ca_key, MessageDigest::sha256())
    })();
    tls_ext.map_err(fail("TLS certificate"))?;
    let tls = b.build();

    Ok(DevPki {
        ca_cert_pem: cert_pem(&ca).map_err(fail("CA PEM"))?,
        ca_key_pem: key_pem(&ca_key).map_err(fail("CA key PEM"))?,
        signer_cert_pem: cert_pem(&signer).map_err(fail("signer PEM"))?,
        signer_key_pem: key_pem(&signer_key).map_err(fail("signer key PEM"))?,
        tls_cert_pem: cert_pem(&tls).map_err(fail("TLS PEM"))?,
        tls_key_pem: key_pem(&tls_key).map_err(fail("TLS key PEM"))?,
    })
}

fn rsa_key() -> Result<PKey<Private>, openssl::error::ErrorStack> {
    PKey::from_rsa(Rsa::generate(RSA_BITS)?)
}

fn name(entries: &[(&str, &str)]) -> Result<X509Name, openssl::error::ErrorStack> {
    let mut b = X509Name::builder()?;
    for (k, v) in entries {
        b.append_entry_by_text(k, v)?;
    }
    Ok(b.build())
}

fn add_months(t: DateTime<Utc>, months: u32) -> Result<DateTime<Utc>, SmimeError> {
    t.checked_add_months(Months::new(months))
        .ok_or_else(|| SmimeError::DevPkiParam(format!("time {t} out of range")))
}

/// A builder with version 3, random serial, names, validity and public key set.
fn base_builder(
    subject: &X509Name,
    issuer: &openssl::x509::X509NameRef,
    key: &PKeyRef<Private>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<X509Builder, SmimeError> {
    let nb = chrono_to_asn1(not_before).map_err(SmimeError::DevPkiParam)?;
    let na = chrono_to_asn1(not_after).map_err(SmimeError::DevPkiParam)?;
    let build = || -> Result<X509Builder, openssl::error::ErrorStack> {
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        let serial = random_serial()?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(subject)?;
        b.set_issuer_name(issuer)?;
        b.set_not_before(&nb)?;
        b.set_not_after(&na)?;
        b.set_pubkey(key)?;
        Ok(b)
    };
    build().map_err(|e| SmimeError::DevPki(format!("certificate builder: {}", ossl_reason(&e))))
}

/// 16 random bytes, positive (top bit clear, so the DER INTEGER is exactly 16 bytes).
fn random_serial() -> Result<Asn1Integer, openssl::error::ErrorStack> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::ONE, false)?;
    bn.to_asn1_integer()
}

fn cert_pem(c: &X509) -> Result<String, openssl::error::ErrorStack> {
    Ok(String::from_utf8_lossy(&c.to_pem()?).into_owned())
}

fn key_pem(k: &PKey<Private>) -> Result<String, openssl::error::ErrorStack> {
    Ok(String::from_utf8_lossy(&k.private_key_to_pem_pkcs8()?).into_owned())
}
