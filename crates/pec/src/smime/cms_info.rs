//! Lenient decoding of a CMS / PKCS#7 SignedData with the RustCrypto `cms` crate, for reporting:
//! embedded certificates, the signer identifier, digest and signature algorithms, signingTime.
//! The structures are RFC 5652's: ContentInfo (3), SignedData (5.1), SignerInfo (5.3), the
//! signing-time attribute (11.3).
//!
//! The SignedData is walked element by element so that one odd certificate (which the strict
//! `x509-cert` decoder might refuse, while OpenSSL accepts it) does not hide the SignerInfo.

use chrono::{DateTime, Utc};
use cms::cert::x509::der::asn1::{Any, ObjectIdentifier};
use cms::cert::x509::der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use cms::cert::x509::time::Time;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignerIdentifier, SignerInfo};

/// id-signedData (RFC 5652 5.1).
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-signingTime (RFC 5652 11.3).
const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-sha256 (RFC 5754).
pub(crate) const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";

/// How the SignerInfo names its certificate (RFC 5652 5.3, `SignerIdentifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignerId {
    /// issuerAndSerialNumber: the issuer Name (DER) and the serial number's content octets.
    IssuerSerial { issuer_der: Vec<u8>, serial: Vec<u8> },
    /// subjectKeyIdentifier.
    KeyId(Vec<u8>),
}

/// What the first SignerInfo says.
#[derive(Debug, Clone)]
pub(crate) struct SignerSummary {
    pub digest_oid: String,
    pub signature_oid: String,
    pub signing_time: Option<DateTime<Utc>>,
    pub sid: SignerId,
}

/// The decoded parts of a SignedData.
#[derive(Debug, Clone, Default)]
pub(crate) struct CmsInfo {
    /// DER of each embedded certificate (plain X.509 certificates only), in encoding order.
    pub certificates_der: Vec<Vec<u8>>,
    /// Number of SignerInfo elements.
    pub signer_count: usize,
    /// The first SignerInfo that decoded, if any.
    pub first_signer: Option<SignerSummary>,
}

/// Why the input could not be decoded as a SignedData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CmsDecodeError {
    /// A ContentInfo of another type (e.g. EnvelopedData).
    NotSignedData(String),
    /// Not decodable (BER the strict decoder refuses, truncated, garbage...).
    Malformed(String),
}

/// Decodes a ContentInfo holding a SignedData. Trailing bytes after the ContentInfo are ignored.
pub(crate) fn parse(der: &[u8]) -> Result<CmsInfo, CmsDecodeError> {
    let malformed = |what: &str, e: cms::cert::x509::der::Error| CmsDecodeError::Malformed(format!("{what}: {e}"));
    let mut reader = SliceReader::new(der).map_err(|e| malformed("ContentInfo", e))?;
    let ci = ContentInfo::decode(&mut reader).map_err(|e| malformed("ContentInfo", e))?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(CmsDecodeError::NotSignedData(ci.content_type.to_string()));
    }
    if ci.content.tag() != Tag::Sequence {
        return Err(CmsDecodeError::Malformed("SignedData is not a SEQUENCE".to_owned()));
    }
    let elements = elements_of(ci.content.value()).map_err(|e| malformed("SignedData", e))?;
    let mut info = CmsInfo::default();
    // RFC 5652 5.1: version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls,
    // signerInfos.
    let mut signer_infos: Option<&Any> = None;
    for (i, el) in elements.iter().enumerate() {
        if i < 3 {
            continue;
        }
        match el.tag() {
            Tag::ContextSpecific {
                constructed: true,
                number,
            } if number == TagNumber::N0 => {
                // Certificates that fail to decode as TLVs are skipped.
                if let Ok(certs) = elements_of(el.value()) {
                    for c in certs {
                        if c.tag() == Tag::Sequence
                            && let Ok(d) = c.to_der()
                        {
                            info.certificates_der.push(d);
                        }
                    }
                }
            }
            Tag::Set => signer_infos = Some(el),
            _ => {}
        }
    }
    let Some(signer_infos) = signer_infos else {
        return Err(CmsDecodeError::Malformed("SignedData has no signerInfos".to_owned()));
    };
    let signers = elements_of(signer_infos.value()).map_err(|e| malformed("signerInfos", e))?;
    info.signer_count = signers.len();
    for s in &signers {
        let Ok(d) = s.to_der() else { continue };
        if let Ok(si) = SignerInfo::from_der(&d) {
            info.first_signer = Some(summarise(&si));
            break;
        }
    }
    Ok(info)
}

fn elements_of(value: &[u8]) -> Result<Vec<Any>, cms::cert::x509::der::Error> {
    let mut reader = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(Any::decode(&mut reader)?);
    }
    Ok(out)
}

fn summarise(si: &SignerInfo) -> SignerSummary {
    let sid = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => SignerId::IssuerSerial {
            issuer_der: ias.issuer.to_der().unwrap_or_default(),
            serial: ias.serial_number.as_bytes().to_vec(),
        },
        SignerIdentifier::SubjectKeyIdentifier(ski) => SignerId::KeyId(ski.0.as_bytes().to_vec()),
    };
    let signing_time = si.signed_attrs.as_ref().and_then(|attrs| {
        attrs
            .iter()
            .filter(|a| a.oid == OID_SIGNING_TIME)
            .flat_map(|a| a.values.iter())
            .find_map(decode_time)
    });
    SignerSummary {
        digest_oid: si.digest_alg.oid.to_string(),
        signature_oid: si.signature_algorithm.oid.to_string(),
        signing_time,
        sid,
    }
}

fn decode_time(v: &Any) -> Option<DateTime<Utc>> {
    let d = v.to_der().ok()?;
    let t = Time::from_der(&d).ok()?;
    let secs = i64::try_from(t.to_unix_duration().as_secs()).ok()?;
    DateTime::from_timestamp(secs, 0)
}

/// Name of a digest algorithm OID ("sha256", ...), or the dotted OID.
pub(crate) fn digest_name(oid: &str) -> String {
    match oid {
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        "1.2.840.113549.2.5" => "md5",
        "1.2.840.113549.2.2" => "md2",
        other => other,
    }
    .to_owned()
}

/// Name of a signature algorithm OID ("rsaEncryption", "sha256WithRSAEncryption", ...), or the
/// dotted OID.
pub(crate) fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.2.1" => "ecPublicKey",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "dsa",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(parse(b""), Err(CmsDecodeError::Malformed(_))));
        assert!(matches!(parse(b"\x30\x03\x02\x01"), Err(CmsDecodeError::Malformed(_))));
        assert!(matches!(parse(&[0x30, 0x80, 0, 0]), Err(CmsDecodeError::Malformed(_))));
    }

    #[test]
    fn other_content_type_is_reported() {
        // ContentInfo { id-data, [0] OCTET STRING "x" }
        let der = [
            0x30, 0x14, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x07, 0x04, 0x05, b'h',
            b'e', b'l', b'l', b'o',
        ];
        assert_eq!(
            parse(&der).unwrap_err(),
            CmsDecodeError::NotSignedData("1.2.840.113549.1.7.1".to_owned())
        );
    }

    #[test]
    fn names() {
        assert_eq!(digest_name("1.3.14.3.2.26"), "sha1");
        assert_eq!(digest_name(OID_SHA256), "sha256");
        assert_eq!(signature_name("1.2.840.113549.1.1.11"), "sha256WithRSAEncryption");
        assert_eq!(signature_name("1.2.3"), "1.2.3");
    }
}
