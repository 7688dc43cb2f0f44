//! Time-based one-time passwords: RFC 6238 (TOTP) over RFC 4226 (HOTP), with
//! the parameters every authenticator app assumes: HMAC-SHA-1, 30-second steps
//! from the Unix epoch, 6 digits. The secret is written in base32 (RFC 4648 6)
//! in the `otpauth://` URI the apps scan (Google Authenticator's key URI format).
//!
//! HMAC-SHA-1 is OpenSSL's, which the office links already for S/MIME; the
//! algorithm itself is the few lines below, checked against RFC 6238 Appendix B.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

/// RFC 6238 4.1: X, the step in seconds.
pub const STEP_SECONDS: i64 = 30;
/// RFC 4226 5.3: six digits.
pub const DIGITS: u32 = 6;
/// RFC 4226 4 R6: a 160-bit shared secret.
pub const SECRET_BYTES: usize = 20;

/// RFC 6238 4.2: T = floor((unix time - T0) / X), T0 = 0.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// RFC 4226 5.3: the HOTP value of `counter`, zero-padded to six digits.
pub fn code(secret: &[u8], counter: i64) -> Option<String> {
    let key = PKey::hmac(secret).ok()?;
    let mut signer = Signer::new(MessageDigest::sha1(), &key).ok()?;
    signer.update(&counter.to_be_bytes()).ok()?;
    let mac = signer.sign_to_vec().ok()?;
    // Dynamic truncation: the low 4 bits of the last byte give the offset.
    let offset = usize::from(*mac.last()? & 0x0f);
    let bytes: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    let value = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    Some(format!("{:06}", value % 10u32.pow(DIGITS)))
}

/// The code an authenticator shows at `unix_seconds` for a secret given in base32.
pub fn code_at(secret_base32: &str, unix_seconds: i64) -> Option<String> {
    code(&base32_decode(secret_base32)?, step_at(unix_seconds))
}

/// A six-digit code as typed (spaces allowed between digits), or None.
pub fn as_code(given: &str) -> Option<String> {
    let digits: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The step whose code `code` is at `unix_seconds`, comparing in constant time:
/// RFC 6238 5.2, one step back at most, for the delay of typing and sending.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let now = step_at(unix_seconds);
    [now, now - 1]
        .into_iter()
        .find(|&step| self::code(secret, step).is_some_and(|c| openssl::memcmp::eq(c.as_bytes(), code.as_bytes())))
}

/// Google Authenticator's key URI format: label `issuer:account`, the issuer
/// again as a parameter, the algorithm, digits and period spelled out.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent(issuer),
        percent(account),
        percent(issuer),
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986 2.3).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 6, without padding (the key URI format omits it).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// RFC 4648 6, case-insensitive, spaces and padding ignored; None for another character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32.iter().position(|&a| char::from(a) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; the last 6 are ours).
    #[test]
    fn the_rfc_6238_test_vectors_give_their_codes() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code(secret, step_at(time)).as_deref(), Some(&eight[2..]), "at {time}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi======").as_deref(), Some(&b"foobar"[..]));
        let secret: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32_encode(&secret)), Some(secret));
        assert_eq!(base32_decode("MZ1"), None);
    }

    #[test]
    fn codes_are_six_digits_as_typed() {
        assert_eq!(as_code("123 456").as_deref(), Some("123456"));
        assert_eq!(as_code("12345"), None);
        assert_eq!(as_code("12345a"), None);
        assert_eq!(as_code("１２３４５６"), None);
    }
}
