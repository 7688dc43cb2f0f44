//! Integration tests of `pec::smime`: signing, verification, trust, development PKI, interop with
//! the `openssl` command and real PEC provider signatures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pec::smime::{DevPki, SignatureVerdict, Signer, SmimeError, TrustList, TrustVerdict, dev_pki, verify_detached};

const DOMAIN: &str = "pec.example.it";
const PROVIDER: &str = "Example PEC S.p.A.";
const CONTENT: &[u8] = b"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nRicevuta di accettazione\r\n";

fn pki() -> &'static DevPki {
    static PKI: OnceLock<DevPki> = OnceLock::new();
    PKI.get_or_init(|| dev_pki(DOMAIN, PROVIDER, &["mail.example.it", "127.0.0.1"], Utc::now()).unwrap())
}

fn other_pki() -> &'static DevPki {
    static PKI: OnceLock<DevPki> = OnceLock::new();
    PKI.get_or_init(|| dev_pki("pec.other.it", "Other S.r.l.", &["other.it"], Utc::now()).unwrap())
}

fn signer() -> Signer {
    let p = pki();
    Signer::from_pem(
        p.signer_cert_pem.as_bytes(),
        p.signer_key_pem.as_bytes(),
        p.ca_cert_pem.as_bytes(),
    )
    .unwrap()
}

fn trust_of(pem: &str) -> TrustList {
    let mut t = TrustList::new();
    assert_eq!(t.add_certificates(pem.as_bytes()).unwrap(), 1);
    t
}

#[test]
fn sign_then_verify_with_ca_trust() {
    let s = signer();
    let der = s.sign_detached(CONTENT).unwrap();
    let r = verify_detached(CONTENT, &der, Some(&trust_of(&pki().ca_cert_pem)), None);
    assert_eq!(r.verdict, SignatureVerdict::Valid, "{r:#?}");
    assert_eq!(r.trust, TrustVerdict::Trusted, "{r:#?}");
    assert!(r.is_trusted_valid());
    assert_eq!(r.digest_algorithm.as_deref(), Some("sha256"));
    assert_eq!(r.signature_algorithm.as_deref(), Some("rsaEncryption"));
    assert_eq!(r.key_algorithm.as_deref(), Some("RSA"));
    assert_eq!(r.key_bits, Some(2048));
    assert!(r.signer_emails.contains(&format!("posta-certificata@{DOMAIN}")));
    assert_eq!(
        r.signer_subject.as_deref(),
        Some("CN=Posta Certificata Example PEC S.p.A., O=Example PEC S.p.A., C=IT")
    );
    assert_eq!(
        r.signer_issuer.as_deref(),
        Some("CN=Certa Development CA pec.example.it, O=Example PEC S.p.A. (development only), C=IT")
    );
    assert_eq!(r.signer_serial.as_ref().map(String::len), Some(32));
    let st = r.signing_time.expect("signingTime");
    assert!((Utc::now() - st).num_seconds().abs() < 120, "{st}");
    assert_eq!(r.checked_at, Some(st));
    assert_eq!(r.valid_at_signing_time, Some(true));
    assert_eq!(r.chain.len(), 2, "{:?}", r.chain);
    assert!(r.chain[1].starts_with("CN=Certa Development CA"));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // The report serialises with the documented tags.
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["verdict"], "valid");
    assert_eq!(j["trust"]["status"], "trusted");
}

#[test]
fn leaf_only_trust_list_is_enough() {
    let der = signer().sign_detached(CONTENT).unwrap();
    let r = verify_detached(CONTENT, &der, Some(&trust_of(&pki().signer_cert_pem)), None);
    assert_eq!(r.verdict, SignatureVerdict::Valid);
    assert_eq!(r.trust, TrustVerdict::Trusted, "{r:#?}");
    assert_eq!(r.chain.len(), 1, "{:?}", r.chain);
}

#[test]
fn no_trust_list_and_unrelated_ca() {
    let der = signer().sign_detached(CONTENT).unwrap();
    let r = verify_detached(CONTENT, &der, None, None);
    assert_eq!(r.verdict, SignatureVerdict::Valid);
    assert_eq!(r.trust, TrustVerdict::NotChecked);
    assert_eq!(r.valid_at_signing_time, Some(true));
    assert_eq!(r.chain.len(), 2, "embedded certificates: {:?}", r.chain);

    let r = verify_detached(CONTENT, &der, Some(&trust_of(&other_pki().ca_cert_pem)), None);
    assert_eq!(r.verdict, SignatureVerdict::Valid);
    match &r.trust {
        TrustVerdict::NotTrusted(reason) => {
            assert!(reason.contains("signer not in the trust list"), "{reason}")
        }
        other => panic!("expected NotTrusted, got {other:?}"),
    }
    assert!(r.problems.iter().any(|p| p.contains("not in the trust list")));

    let r = verify_detached(CONTENT, &der, Some(&TrustList::new()), None);
    assert_eq!(r.trust, TrustVerdict::NotTrusted("the trust list is empty".into()));
}

#[test]
fn altered_content_is_invalid() {
    let der = signer().sign_detached(CONTENT).unwrap();
    let mut altered = CONTENT.to_vec();
    altered[CONTENT.len() - 3] ^= 0x01;
    let r = verify_detached(&altered, &der, Some(&trust_of(&pki().ca_cert_pem)), None);
    assert_eq!(r.verdict, SignatureVerdict::Invalid);
    assert_eq!(r.trust, TrustVerdict::NotChecked);
    assert!(
        r.problems.iter().any(|p| p.contains("does not match")),
        "{:?}",
        r.problems
    );
    // The signer is still described.
    assert_eq!(r.key_bits, Some(2048));
}

#[test]
fn no_line_ending_conversion() {
    let lf = b"line one\nline two\n";
    let der = signer().sign_detached(lf).unwrap();
    assert_eq!(verify_detached(lf, &der, None, None).verdict, SignatureVerdict::Valid);
    let crlf = b"line one\r\nline two\r\n";
    assert_eq!(
        verify_detached(crlf, &der, None, None).verdict,
        SignatureVerdict::Invalid
    );
    // Empty content signs and verifies too.
    let der = signer().sign_detached(b"").unwrap();
    assert_eq!(verify_detached(b"", &der, None, None).verdict, SignatureVerdict::Valid);
}

#[test]
fn garbage_and_empty_are_unreadable() {
    let der = signer().sign_detached(CONTENT).unwrap();
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"garbage".to_vec(),
        vec![0x30, 0x82, 0x01],
        der[..der.len() / 2].to_vec(),
        pki().signer_cert_pem.as_bytes().to_vec(),
    ];
    // Truncations are unreadable; single-byte corruptions anywhere must not panic (a corrupted
    // byte in an embedded CA certificate that the trust list replaces may even stay Trusted).
    let trust = trust_of(&pki().ca_cert_pem);
    for n in (0..der.len()).step_by(7) {
        inputs.push(der[..n].to_vec());
        let mut c = der.clone();
        c[n] ^= 0xff;
        let _ = verify_detached(CONTENT, &c, Some(&trust), None);
    }
    // The signature value is at the end: corrupting it makes the signature Invalid.
    let mut c = der.clone();
    let n = c.len() - 10;
    c[n] ^= 0x01;
    let r = verify_detached(CONTENT, &c, Some(&trust), None);
    assert_eq!(r.verdict, SignatureVerdict::Invalid, "{r:#?}");
    for i in &inputs {
        let r = verify_detached(CONTENT, i, Some(&trust_of(&pki().ca_cert_pem)), None);
        assert_eq!(r.verdict, SignatureVerdict::Unreadable, "{} bytes", i.len());
        assert_eq!(r.trust, TrustVerdict::NotChecked);
        assert!(!r.problems.is_empty());
    }
}

#[test]
fn signature_uses_sha256_and_signing_time() {
    use cms::cert::x509::der::Decode;
    let der = signer().sign_detached(CONTENT).unwrap();
    let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
    assert_eq!(ci.content_type.to_string(), "1.2.840.113549.1.7.2");
    let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    assert!(sd.encap_content_info.econtent.is_none(), "detached");
    assert_eq!(
        sd.certificates.as_ref().map(|c| c.0.len()),
        Some(2),
        "signer + chain embedded"
    );
    let si = sd.signer_infos.0.get(0).unwrap();
    assert_eq!(si.digest_alg.oid.to_string(), "2.16.840.1.101.3.4.2.1");
    let attrs = si.signed_attrs.as_ref().unwrap();
    assert!(
        attrs.iter().any(|a| a.oid.to_string() == "1.2.840.113549.1.9.5"),
        "signingTime"
    );
    assert_eq!(signer().micalg(), "sha-256");
}

#[test]
fn openssl_command_verifies_our_signature() {
    let dir = tempfile::tempdir().unwrap();
    let der = signer().sign_detached(CONTENT).unwrap();
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let sig = write("sig.der", &der);
    let content = write("content.bin", CONTENT);
    let ca = write("ca.pem", pki().ca_cert_pem.as_bytes());
    let mut altered = CONTENT.to_vec();
    altered[0] ^= 0x20;
    let altered = write("altered.bin", &altered);
    let run = |content: &Path, purpose: Option<&str>| {
        let mut cmd = Command::new("openssl");
        cmd.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(&sig)
            .arg("-content")
            .arg(content)
            .arg("-CAfile")
            .arg(&ca)
            .args(["-out", "/dev/null"]);
        if let Some(p) = purpose {
            cmd.args(["-purpose", p]);
        }
        let out = cmd.output().expect("the openssl command must be installed");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    for purpose in [None, Some("any"), Some("smimesign")] {
        let (ok, err) = run(&content, purpose);
        assert!(ok, "purpose {purpose:?}: {err}");
        let (ok, _) = run(&altered, purpose);
        assert!(!ok, "altered content accepted with purpose {purpose:?}");
    }
}

#[test]
fn fallback_time_when_no_signing_time() {
    use openssl::cms::{CMSOptions, CmsContentInfo};
    use openssl::pkey::PKey;
    use openssl::x509::X509;
    let p = pki();
    let cert = X509::from_pem(p.signer_cert_pem.as_bytes()).unwrap();
    let key = PKey::private_key_from_pem(p.signer_key_pem.as_bytes()).unwrap();
    let cms = CmsContentInfo::sign(
        Some(&cert),
        Some(&key),
        None,
        Some(CONTENT),
        CMSOptions::DETACHED | CMSOptions::BINARY | CMSOptions::NOATTR,
    )
    .unwrap();
    let der = cms.to_der().unwrap();
    let trust = trust_of(&p.ca_cert_pem);
    let date = Utc::now() - Duration::hours(1);
    let r = verify_detached(CONTENT, &der, Some(&trust), Some(date));
    assert_eq!(r.verdict, SignatureVerdict::Valid);
    assert_eq!(r.signing_time, None);
    assert_eq!(r.checked_at, Some(date));
    assert_eq!(r.valid_at_signing_time, Some(true));
    assert_eq!(r.trust, TrustVerdict::Trusted, "{r:#?}");
    assert!(r.problems.iter().any(|x| x.contains("no signingTime")));

    // A date after the certificate's end: expired.
    let late = Utc::now() + Duration::days(5 * 365);
    let r = verify_detached(CONTENT, &der, Some(&trust), Some(late));
    assert_eq!(r.valid_at_signing_time, Some(false));
    assert!(
        matches!(&r.trust, TrustVerdict::NotTrusted(x) if x.contains("expired")),
        "{:?}",
        r.trust
    );

    // No time at all: validity unknown, the chain is checked without times.
    let r = verify_detached(CONTENT, &der, Some(&trust), None);
    assert_eq!(r.checked_at, None);
    assert_eq!(r.valid_at_signing_time, None);
    assert_eq!(r.trust, TrustVerdict::Trusted);
    assert!(r.problems.iter().any(|x| x.contains("validity not checked")));
}

#[test]
fn expired_at_signing_time_is_not_trusted() {
    let old = dev_pki(DOMAIN, PROVIDER, &["localhost"], Utc::now() - Duration::days(5 * 365)).unwrap();
    let s = Signer::from_pem(old.signer_cert_pem.as_bytes(), old.signer_key_pem.as_bytes(), b"").unwrap();
    let der = s.sign_detached(CONTENT).unwrap();
    let r = verify_detached(CONTENT, &der, Some(&trust_of(&old.ca_cert_pem)), None);
    assert_eq!(r.verdict, SignatureVerdict::Valid);
    assert_eq!(r.valid_at_signing_time, Some(false));
    assert!(
        matches!(&r.trust, TrustVerdict::NotTrusted(x) if x.contains("certificate expired at signing time")),
        "{:?}",
        r.trust
    );
    assert_eq!(r.chain.len(), 1, "only the signer is embedded: {:?}", r.chain);
    let r = verify_detached(CONTENT, &der, None, None);
    assert_eq!(r.valid_at_signing_time, Some(false));
    assert_eq!(r.trust, TrustVerdict::NotChecked);
    assert!(r.problems.iter().any(|x| x.contains("expired")));
}

#[test]
fn signer_from_pem_checks() {
    let p = pki();
    let s = signer();
    assert_eq!(s.emails(), vec![format!("posta-certificata@{DOMAIN}")]);
    assert_eq!(s.certificate_pem(), p.signer_cert_pem.as_bytes());
    let dbg = format!("{s:?}");
    assert!(dbg.contains("Posta Certificata Example PEC"), "{dbg}");
    assert!(!dbg.contains("PRIVATE") && !dbg.contains("MII"), "{dbg}");

    // Traditional (PKCS#1) PEM key.
    let key = openssl::pkey::PKey::private_key_from_pem(p.signer_key_pem.as_bytes()).unwrap();
    let trad = key.rsa().unwrap().private_key_to_pem().unwrap();
    assert!(String::from_utf8_lossy(&trad).contains("BEGIN RSA PRIVATE KEY"));
    Signer::from_pem(p.signer_cert_pem.as_bytes(), &trad, b"").unwrap();

    let err = |r: Result<Signer, SmimeError>| r.map(|_| ()).unwrap_err();
    let e = err(Signer::from_pem(
        p.signer_cert_pem.as_bytes(),
        p.tls_key_pem.as_bytes(),
        b"",
    ));
    assert!(matches!(e, SmimeError::KeyMismatch), "{e}");
    let e = err(Signer::from_pem(b"nope", p.signer_key_pem.as_bytes(), b""));
    assert!(matches!(e, SmimeError::Certificate(_)), "{e}");
    let e = err(Signer::from_pem(p.signer_cert_pem.as_bytes(), b"nope", b""));
    assert!(matches!(e, SmimeError::PrivateKey(_)), "{e}");
    let e = err(Signer::from_pem(
        p.signer_cert_pem.as_bytes(),
        p.signer_key_pem.as_bytes(),
        b"junk",
    ));
    assert!(matches!(e, SmimeError::Chain(_)), "{e}");
    let encrypted = key
        .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"secret")
        .unwrap();
    let e = err(Signer::from_pem(p.signer_cert_pem.as_bytes(), &encrypted, b""));
    assert!(
        matches!(e, SmimeError::PrivateKey(ref m) if m.contains("encrypted")),
        "{e}"
    );

    // RSA-1024 is refused.
    let (cert, key) = self_signed_rsa(1024);
    let e = err(Signer::from_pem(&cert, &key, b""));
    assert!(matches!(e, SmimeError::WeakKey(ref m) if m.contains("1024")), "{e}");
    assert!(e.to_string().contains("1024 bits"), "{e}");
}

fn self_signed_rsa(bits: u32) -> (Vec<u8>, Vec<u8>) {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509::X509Builder, x509::X509Name};
    let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("CN", "weak").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build().to_pem().unwrap(), key.private_key_to_pem_pkcs8().unwrap())
}

#[test]
fn trust_list_bundles() {
    let p = pki();
    let mut t = TrustList::new();
    let bundle = format!("{}{}{}", p.ca_cert_pem, p.signer_key_pem, other_pki().ca_cert_pem);
    assert_eq!(
        t.add_certificates(bundle.as_bytes()).unwrap(),
        2,
        "the key block is skipped"
    );
    assert_eq!(
        t.add_certificates(p.ca_cert_pem.as_bytes()).unwrap(),
        0,
        "no duplicates"
    );
    let der = openssl::x509::X509::from_pem(p.signer_cert_pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    assert_eq!(t.add_certificates(&der).unwrap(), 1);
    assert_eq!(t.len(), 3);
    assert!(!t.is_empty());
    let subjects = t.subjects();
    assert!(
        subjects[0].starts_with("CN=Certa Development CA pec.example.it"),
        "{subjects:?}"
    );
    assert!(subjects[2].starts_with("CN=Posta Certificata"), "{subjects:?}");
    assert!(matches!(t.add_certificates(b"hello"), Err(SmimeError::BadDer(_))));
    assert!(matches!(t.add_certificates(b"  \n"), Err(SmimeError::NoCertificate)));
}

#[test]
fn dev_pki_profile() {
    use openssl::x509::X509;
    let p = pki();
    let now = Utc::now();
    let signer = X509::from_pem(p.signer_cert_pem.as_bytes()).unwrap();
    let text = String::from_utf8(signer.to_text().unwrap()).unwrap();
    for needle in [
        "Signature Algorithm: sha256WithRSAEncryption",
        "Public-Key: (2048 bit)",
        "X509v3 Key Usage: critical",
        "Digital Signature",
        "E-mail Protection",
        "email:posta-certificata@pec.example.it",
        "Subject: C=IT, O=Example PEC S.p.A., CN=Posta Certificata Example PEC S.p.A.",
        "CA:FALSE",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in\n{text}");
    }
    assert_eq!(signer.serial_number().to_bn().unwrap().num_bytes(), 16);
    let nb = asn1(signer.not_before());
    let na = asn1(signer.not_after());
    assert!(((now - Duration::days(1)) - nb).num_seconds().abs() < 120, "{nb}");
    let days = (na - nb).num_days();
    assert!((1095..=1097).contains(&days), "{days} days");

    let ca = X509::from_pem(p.ca_cert_pem.as_bytes()).unwrap();
    let text = String::from_utf8(ca.to_text().unwrap()).unwrap();
    for needle in [
        "X509v3 Basic Constraints: critical",
        "CA:TRUE",
        "Certificate Sign, CRL Sign",
        "Public-Key: (2048 bit)",
        "CN=Certa Development CA pec.example.it",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in\n{text}");
    }
    let days = (asn1(ca.not_after()) - asn1(ca.not_before())).num_days();
    assert!((3650..=3655).contains(&days), "{days} days");

    let tls = X509::from_pem(p.tls_cert_pem.as_bytes()).unwrap();
    let text = String::from_utf8(tls.to_text().unwrap()).unwrap();
    for needle in [
        "TLS Web Server Authentication",
        "DNS:mail.example.it",
        "IP Address:127.0.0.1",
        "CN=mail.example.it",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in\n{text}");
    }
    // The TLS certificate chains to the CA for the TLS server purpose.
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::{X509PurposeId, X509StoreContext};
    let mut b = X509StoreBuilder::new().unwrap();
    b.add_cert(ca.clone()).unwrap();
    b.set_purpose(X509PurposeId::SSL_SERVER).unwrap();
    let store = b.build();
    let mut ctx = X509StoreContext::new().unwrap();
    let ok = ctx
        .init(&store, &tls, &Stack::new().unwrap(), |c| c.verify_cert())
        .unwrap();
    assert!(ok);
    // Keys are PKCS#8 and match.
    assert!(p.tls_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(format!("{p:?}").find("PRIVATE").is_none(), "Debug must not show keys");

    // Bad parameters are refused with a message.
    assert!(matches!(
        dev_pki("", PROVIDER, &["h"], now),
        Err(SmimeError::DevPkiParam(_))
    ));
    assert!(matches!(
        dev_pki(DOMAIN, " ", &["h"], now),
        Err(SmimeError::DevPkiParam(_))
    ));
    assert!(matches!(
        dev_pki(DOMAIN, PROVIDER, &[], now),
        Err(SmimeError::DevPkiParam(_))
    ));
}

fn asn1(t: &openssl::asn1::Asn1TimeRef) -> DateTime<Utc> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).unwrap();
    let d = epoch.diff(t).unwrap();
    Utc.timestamp_opt(i64::from(d.days) * 86_400 + i64::from(d.secs), 0)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real provider signatures

fn real_dir() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/real"));
    assert!(p.is_dir(), "test vectors missing: {}", p.display());
    p
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Bare LF to CRLF (existing CRLF kept).
fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 20);
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

/// The signed content (first part, CRLF) and the DER signature of a multipart/signed message.
fn split_signed(name: &str) -> (Vec<u8>, Vec<u8>) {
    let raw = std::fs::read(real_dir().join(name)).unwrap();
    let data = to_crlf(&raw);
    let b = find(&data, b"boundary=\"", 0).unwrap() + 10;
    let e = find(&data, b"\"", b).unwrap();
    let delim = [b"--", &data[b..e]].concat();
    let open = [&delim[..], b"\r\n"].concat();
    let close_prefix = [b"\r\n", &delim[..]].concat();
    let start = find(&data, &open, e).unwrap() + open.len();
    let end = find(&data, &close_prefix, start).unwrap();
    let content = data[start..end].to_vec();
    let part2 = find(&data, &open, end).unwrap() + open.len();
    let part2_end = find(&data, &close_prefix, part2).unwrap();
    let part = &data[part2..part2_end];
    let body = find(part, b"\r\n\r\n", 0).unwrap() + 4;
    let b64: Vec<u8> = part[body..]
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = openssl::base64::decode_block(std::str::from_utf8(&b64).unwrap()).unwrap();
    (content, der)
}

/// The certificates embedded in a signature, as PEM (via OpenSSL's PKCS#7 code).
fn embedded_pems(der: &[u8]) -> Vec<String> {
    let p7 = openssl::pkcs7::Pkcs7::from_der(der).unwrap();
    p7.signed()
        .and_then(|s| s.certificates())
        .unwrap()
        .iter()
        .map(|c| String::from_utf8(c.to_pem().unwrap()).unwrap())
        .collect()
}

#[test]
fn real_aruba_2018_sha1() {
    let (content, der) = split_signed("aruba-2018-accettazione.eml");
    let r = verify_detached(&content, &der, None, None);
    eprintln!("{r:#?}");
    assert_eq!(r.verdict, SignatureVerdict::Valid, "{r:#?}");
    assert_eq!(r.digest_algorithm.as_deref(), Some("sha1"));
    assert!(
        r.signer_emails.contains(&"posta-certificata@pec.aruba.it".to_owned()),
        "{:?}",
        r.signer_emails
    );
    assert!(r.problems.iter().any(|p| p.contains("sha1")), "{:?}", r.problems);
    assert_eq!(r.key_bits, Some(2048));
    assert_eq!(
        r.signer_issuer.as_deref().map(|s| s.starts_with("CN=AgID CA1")),
        Some(true)
    );
    let st = r.signing_time.expect("signingTime");
    assert_eq!(st.date_naive().to_string(), "2018-11-13");
    assert_eq!(r.valid_at_signing_time, Some(true));

    // Trusted when the provider's own certificate (as in the provider index) is the anchor, and
    // when the AgID CA is.
    let pems = embedded_pems(&der);
    for pem in &pems {
        let r = verify_detached(&content, &der, Some(&trust_of(pem)), None);
        assert_eq!(r.trust, TrustVerdict::Trusted, "anchor {pem}: {r:#?}");
    }
    // Content changed by one byte.
    let mut altered = content.clone();
    altered[200] ^= 0x01;
    assert_eq!(
        verify_detached(&altered, &der, None, None).verdict,
        SignatureVerdict::Invalid
    );
    // The LF form as stored is not what was signed.
    assert_eq!(
        verify_detached(
            &content.iter().copied().filter(|b| *b != b'\r').collect::<Vec<_>>(),
            &der,
            None,
            None
        )
        .verdict,
        SignatureVerdict::Invalid
    );
}

#[test]
fn real_aruba_2014_rsa1024() {
    let (content, der) = split_signed("aruba-2014-message2_accettazione.eml");
    let r = verify_detached(&content, &der, None, None);
    eprintln!("{r:#?}");
    assert_eq!(r.verdict, SignatureVerdict::Valid, "{r:#?}");
    assert_eq!(r.digest_algorithm.as_deref(), Some("sha1"));
    assert_eq!(r.signature_algorithm.as_deref(), Some("rsaEncryption"));
    assert_eq!(r.key_bits, Some(1024));
    assert!(
        r.signer_emails.contains(&"posta-certificata@pec.aruba.it".to_owned()),
        "{:?}",
        r.signer_emails
    );
    assert!(r.problems.iter().any(|p| p.contains("sha1")), "{:?}", r.problems);
    assert!(r.problems.iter().any(|p| p.contains("1024")), "{:?}", r.problems);
    assert_eq!(
        r.signer_subject.as_deref(),
        Some("C=IT, O=ARUBA PEC S.p.A., CN=Posta Certificata ARUBA PEC")
    );
    assert_eq!(
        r.not_before.map(|t| t.date_naive().to_string()).as_deref(),
        Some("2014-02-10")
    );
    assert_eq!(
        r.not_after.map(|t| t.date_naive().to_string()).as_deref(),
        Some("2017-02-10")
    );
    assert_eq!(
        r.signing_time,
        Some(Utc.with_ymd_and_hms(2014, 11, 14, 17, 26, 32).unwrap())
    );
    assert_eq!(r.valid_at_signing_time, Some(true));
    // Both the leaf (provider index model) and the DigitPA CA are valid anchors at signing time,
    // despite SHA-1 and RSA-1024.
    for pem in embedded_pems(&der) {
        let r = verify_detached(&content, &der, Some(&trust_of(&pem)), None);
        assert_eq!(r.trust, TrustVerdict::Trusted, "anchor {pem}: {r:#?}");
    }
    let mut altered = content.clone();
    altered[100] ^= 0x01;
    assert_eq!(
        verify_detached(&altered, &der, None, None).verdict,
        SignatureVerdict::Invalid
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn signature() -> &'static [u8] {
        static SIG: OnceLock<Vec<u8>> = OnceLock::new();
        SIG.get_or_init(|| signer().sign_detached(CONTENT).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes(sig in proptest::collection::vec(any::<u8>(), 0..600), content in proptest::collection::vec(any::<u8>(), 0..64)) {
            let r = verify_detached(&content, &sig, Some(&trust_of(&pki().ca_cert_pem)), Some(Utc::now()));
            prop_assert_eq!(r.verdict, SignatureVerdict::Unreadable);
        }

        #[test]
        fn mutated_signature(edits in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4), cut in any::<prop::sample::Index>()) {
            let mut sig = signature().to_vec();
            for (i, x) in &edits {
                let n = i.index(sig.len());
                sig[n] ^= x;
            }
            if edits.len() == 3 {
                let n = cut.index(sig.len());
                sig.truncate(n);
            }
            let r = verify_detached(CONTENT, &sig, Some(&trust_of(&pki().ca_cert_pem)), None);
            // Whatever the verdict, a Trusted one needs a Valid signature.
            prop_assert!(r.trust != TrustVerdict::Trusted || r.verdict == SignatureVerdict::Valid);
        }
    }
}
