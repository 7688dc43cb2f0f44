//! A mailbox holder's security settings (webmail): two-factor login with TOTP
//! (RFC 6238) and app passwords for IMAP, POP3 and SMTP.
//!
//! - Enrolment: [`start_enrolment`] makes a secret (kept sealed, `seal.rs`) and
//!   gives the `otpauth://` URI and its QR code; [`confirm_enrolment`] with the
//!   first code turns TOTP on and gives ten recovery codes, shown once (only
//!   their argon2id hashes are kept, each usable once).
//! - Login: the password opens a session that awaits the second factor;
//!   [`verify_second_factor`] takes a code or a recovery code and completes it.
//!   Wrong ones count in the engine's brute-force limits, shared with the
//!   password and the mail protocols.
//! - RFC 6238 5.2: a code is accepted for its step and the one before (clock
//!   drift, the time to type), and never twice: the step of the last code
//!   accepted is stored and a code of that step or an earlier one is refused.
//! - Once TOTP is on, the main password no longer opens IMAP, POP3 and SMTP
//!   (they cannot ask for a code): only app passwords do, and an app password
//!   never opens the web (the engine's `guard::Channel`). App passwords are
//!   16 random lowercase letters (about 75 bits), shown once in groups of four.
//!
//! No secret, code or password is ever logged.

mod app_passwords;
pub(crate) mod seal;
pub mod totp;

use std::net::IpAddr;

use serde::Serialize;
use store::sessions;
use store::two_factor;

pub use app_passwords::{MAX_APP_PASSWORDS, NewAppPassword, create_app_password, revoke_app_password};
pub use seal::{KEY_FILE, Key};

use crate::{Error, Office, Result};

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// Whether a mailbox's logins ask for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TotpState {
    Off,
    /// A secret was made and awaits its first code.
    Pending,
    /// On since this instant (ms).
    On {
        since: i64,
    },
}

/// A mailbox's security settings at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub totp: TotpState,
    /// Recovery codes not used yet.
    pub recovery_codes_left: usize,
    pub app_passwords: Vec<AppPasswordView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppPasswordView {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What an authenticator app needs: the secret as text, the URI and its QR code.
#[derive(Clone, Serialize)]
pub struct Enrolment {
    /// The secret in base32, in groups of four for typing.
    pub secret: String,
    /// The `otpauth://totp/...` key URI.
    pub uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(..)")
    }
}

/// The recovery codes of an enrolment just confirmed: shown once.
#[derive(Clone, Serialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

/// How a second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "with", rename_all = "kebab-case")]
pub enum SecondFactor {
    Code,
    /// A recovery code, now used; how many are left.
    RecoveryCode {
        left: usize,
    },
}

/// A second factor accepted: the login is complete under a new session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    pub with: SecondFactor,
    /// The complete session's token (the one awaiting the factor has ended).
    pub token: String,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verified({:?})", self.with)
    }
}

/// Why a second factor was refused, in terms a page can say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "refused", rename_all = "kebab-case")]
pub enum SecondFactorRefusal {
    /// Not the code of now, nor an unused recovery code.
    Wrong,
    /// The right code, but already used (RFC 6238 5.2): wait for the next one.
    Replayed,
    /// Too many failures from this account or address: try again after this many minutes.
    Throttled { minutes: u64 },
    /// The session is not awaiting a second factor (ended, or complete already).
    NoPendingLogin,
}

/// The security settings of `mailbox_id`.
pub async fn overview(office: &Office, mailbox_id: i64) -> Result<Overview> {
    let mut c = office.store().conn().await?;
    let totp = match two_factor::totp(&mut c, mailbox_id).await? {
        None => TotpState::Off,
        Some(t) if t.enabled => TotpState::On {
            since: t.enabled_at.unwrap_or_default(),
        },
        Some(_) => TotpState::Pending,
    };
    let recovery_codes_left = two_factor::unused_recovery_codes(&mut c, mailbox_id).await?.len();
    let app_passwords = two_factor::app_passwords(&mut c, mailbox_id)
        .await?
        .into_iter()
        .map(|a| AppPasswordView {
            id: a.id,
            name: a.name,
            created_at: a.created_at,
            last_used_at: a.last_used_at,
        })
        .collect();
    Ok(Overview {
        totp,
        recovery_codes_left,
        app_passwords,
    })
}

/// Starts (or starts again) turning TOTP on: a new secret awaiting its first code.
pub async fn start_enrolment(office: &Office, mailbox_id: i64) -> Result<Enrolment> {
    let mut secret = [0u8; totp::SECRET_BYTES];
    openssl::rand::rand_bytes(&mut secret).map_err(|e| Error::corrupt(format!("no random bytes: {e}")))?;
    let sealed = key(office)?.seal(mailbox_id, &secret)?;
    let mut c = office.store().conn().await?;
    if !two_factor::begin_enrolment(&mut c, mailbox_id, &sealed, office.now_ms()).await? {
        return Err(Error::refused(
            "two-factor login is already on: turn it off first to use another authenticator",
        ));
    }
    let address = store::mailboxes::by_id(&mut c, mailbox_id).await?.address;
    enrolment(office, &address, &secret)
}

/// The enrolment awaiting its first code, if one does (to show it again after a wrong code).
pub async fn pending_enrolment(office: &Office, mailbox_id: i64) -> Result<Option<Enrolment>> {
    let mut c = office.store().conn().await?;
    let Some(t) = two_factor::totp(&mut c, mailbox_id).await? else {
        return Ok(None);
    };
    if t.enabled {
        return Ok(None);
    }
    let secret = key(office)?.open(mailbox_id, &t.sealed_secret)?;
    let address = store::mailboxes::by_id(&mut c, mailbox_id).await?.address;
    enrolment(office, &address, &secret).map(Some)
}

/// Confirms the enrolment with the authenticator's first `code`: TOTP is on,
/// and the recovery codes (shown once) are returned.
pub async fn confirm_enrolment(office: &Office, mailbox_id: i64, code: &str) -> Result<RecoveryCodes> {
    let Some(code) = totp::as_code(code) else {
        return Err(Error::invalid("code", "six digits are expected"));
    };
    let mut c = office.store().conn().await?;
    let t = match two_factor::totp(&mut c, mailbox_id).await? {
        Some(t) if !t.enabled => t,
        Some(_) => return Err(Error::refused("two-factor login is already on")),
        None => return Err(Error::refused("start turning two-factor login on first")),
    };
    let secret = key(office)?.open(mailbox_id, &t.sealed_secret)?;
    let Some(step) = totp::matching_step(&secret, &code, office.now().timestamp()) else {
        return Err(Error::invalid(
            "code",
            "not the code the authenticator shows now: check the phone's time and type the current code",
        ));
    };
    let codes = new_recovery_codes()?;
    let mut hashes = Vec::with_capacity(codes.len());
    for code in &codes {
        hashes.push(hash(&normalise_recovery(code)).await?);
    }
    let mut tx = office.store().begin().await?;
    if !two_factor::enable(&mut tx, mailbox_id, step, office.now_ms()).await? {
        return Err(Error::refused("two-factor login is already on"));
    }
    two_factor::replace_recovery_codes(&mut tx, mailbox_id, &hashes).await?;
    tx.commit().await?;
    tracing::info!(target: "security", mailbox_id, "two-factor login turned on");
    Ok(RecoveryCodes(codes))
}

/// Turns TOTP off, proven by a current code or the mailbox's password; the
/// main password opens IMAP, POP3 and SMTP again. A wrong proof counts in the
/// brute-force limits.
pub async fn disable(office: &Office, mailbox_id: i64, proof: &str, ip: IpAddr) -> Result<()> {
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let Some(t) = two_factor::totp(&mut c, mailbox_id).await? else {
        return Err(Error::refused("two-factor login is not on"));
    };
    if let Some(retry_after) = office.engine().login_locked(&mailbox.address, ip) {
        return Err(Error::Refused {
            field: Some("proof"),
            reason: format!(
                "too many failed attempts: try again in {} minutes",
                retry_after.as_secs().div_ceil(60)
            ),
        });
    }
    let proven = if !t.enabled {
        true
    } else if let Some(code) = totp::as_code(proof) {
        let secret = key(office)?.open(mailbox_id, &t.sealed_secret)?;
        match totp::matching_step(&secret, &code, office.now().timestamp()) {
            Some(step) if step > t.last_step => two_factor::use_step(&mut c, mailbox_id, step).await?,
            _ => false,
        }
    } else {
        store::mailboxes::authenticate(&mut c, &mailbox.address, proof)
            .await?
            .is_some()
    };
    if !proven {
        office.engine().second_factor_failed(&mailbox.address, ip);
        return Err(Error::invalid(
            "proof",
            "neither the code the authenticator shows now nor the mailbox's password",
        ));
    }
    let mut tx = office.store().begin().await?;
    two_factor::disable(&mut tx, mailbox_id).await?;
    tx.commit().await?;
    tracing::info!(target: "security", address = %mailbox.address, "two-factor login turned off");
    Ok(())
}

/// The operator turns TOTP off for the holder of `address` who lost both the
/// authenticator and the recovery codes (and proved who they are to the
/// provider): the password alone opens the webmail, and IMAP, POP3 and SMTP,
/// again. App passwords stay. Whether it was on.
pub async fn turn_off_for_holder(office: &Office, address: &str) -> Result<bool> {
    let mut tx = office.store().begin().await?;
    let mailbox = store::mailboxes::get(&mut tx, address)
        .await?
        .ok_or_else(|| Error::not_found("address", format!("no mailbox {address} on this provider")))?;
    let was_on = two_factor::totp_enabled(&mut tx, mailbox.id).await?;
    two_factor::disable(&mut tx, mailbox.id).await?;
    tx.commit().await?;
    tracing::warn!(target: "security", address = %mailbox.address, was_on, "two-factor login turned off by the operator");
    Ok(was_on)
}

/// Completes the login of the session `token`, which awaits its second factor,
/// with a TOTP code or a recovery code from `ip`.
pub async fn verify_second_factor(
    office: &Office,
    token: &str,
    given: &str,
    ip: IpAddr,
) -> Result<std::result::Result<Verified, SecondFactorRefusal>> {
    let id = crate::login::hash(token);
    let mut c = office.store().conn().await?;
    let Some(session) = sessions::get(&mut c, &id).await? else {
        return Ok(Err(SecondFactorRefusal::NoPendingLogin));
    };
    if session.stage != sessions::Stage::Password {
        return Ok(Err(SecondFactorRefusal::NoPendingLogin));
    }
    let mailbox = store::mailboxes::by_id(&mut c, session.mailbox_id).await?;
    if let Some(retry_after) = office.engine().login_locked(&mailbox.address, ip) {
        return Ok(Err(SecondFactorRefusal::Throttled {
            minutes: retry_after.as_secs().div_ceil(60),
        }));
    }
    let Some(t) = two_factor::totp(&mut c, mailbox.id).await?.filter(|t| t.enabled) else {
        // Turned off meanwhile (from another session): the password was enough.
        let token = crate::login::complete(office, &id, mailbox.id).await?;
        return Ok(Ok(Verified {
            with: SecondFactor::Code,
            token,
        }));
    };
    let outcome = if let Some(code) = totp::as_code(given) {
        let secret = key(office)?.open(mailbox.id, &t.sealed_secret)?;
        match totp::matching_step(&secret, &code, office.now().timestamp()) {
            Some(step) => {
                if two_factor::use_step(&mut c, mailbox.id, step).await? {
                    Ok(SecondFactor::Code)
                } else {
                    Err(SecondFactorRefusal::Replayed)
                }
            }
            None => Err(SecondFactorRefusal::Wrong),
        }
    } else {
        match use_recovery_code(office, &mut c, mailbox.id, given).await? {
            Some(left) => Ok(SecondFactor::RecoveryCode { left }),
            None => Err(SecondFactorRefusal::Wrong),
        }
    };
    match outcome {
        Ok(with) => {
            drop(c);
            let token = crate::login::complete(office, &id, mailbox.id).await?;
            tracing::info!(target: "security", address = %mailbox.address, %ip, ?with, "second factor accepted");
            Ok(Ok(Verified { with, token }))
        }
        Err(refusal) => {
            office.engine().second_factor_failed(&mailbox.address, ip);
            Ok(Err(refusal))
        }
    }
}

/// The time step among now's and the one before whose code is `code`.
/// Uses the recovery code `given` if it is one of the unused ones: how many are left.
async fn use_recovery_code(
    office: &Office,
    c: &mut store::Conn,
    mailbox_id: i64,
    given: &str,
) -> Result<Option<usize>> {
    let given = normalise_recovery(given);
    if given.len() != 10 {
        return Ok(None);
    }
    let unused = two_factor::unused_recovery_codes(c, mailbox_id).await?;
    for (id, hash) in &unused {
        if store::mailboxes::verify_password(hash, &given).await {
            if !two_factor::use_recovery_code(c, *id, office.now_ms()).await? {
                return Ok(None);
            }
            return Ok(Some(unused.len() - 1));
        }
    }
    Ok(None)
}

fn enrolment(office: &Office, address: &str, secret: &[u8]) -> Result<Enrolment> {
    let issuer = office.engine().gestore().name().to_string();
    let encoded = totp::base32_encode(secret);
    let uri = totp::otpauth_uri(&issuer, address, &encoded);
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| Error::corrupt(format!("cannot draw the QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrolment {
        secret: grouped(&encoded, 4, ' '),
        uri,
        qr_svg,
    })
}

fn key(office: &Office) -> Result<Key> {
    Key::of(office.store().data_dir())
}

fn new_recovery_codes() -> Result<Vec<String>> {
    // No 0/o, 1/l/i: read from paper and typed again.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| random_from(ALPHABET, 10).map(|c| grouped(&c, 5, '-')))
        .collect()
}

fn normalise_recovery(given: &str) -> String {
    given
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

async fn hash(text: &str) -> Result<String> {
    let text = text.to_string();
    tokio::task::spawn_blocking(move || store::mailboxes::hash_password(&text))
        .await
        .map_err(|e| Error::corrupt(format!("hashing stopped: {e}")))?
        .map_err(Error::from)
}

/// `n` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
fn random_from(alphabet: &[u8], n: usize) -> Result<String> {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut buf = [0u8; 32];
        openssl::rand::rand_bytes(&mut buf).map_err(|e| Error::corrupt(format!("no random bytes: {e}")))?;
        for b in buf {
            if usize::from(b) < limit && out.len() < n {
                out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
            }
        }
    }
    Ok(out)
}

fn grouped(text: &str, size: usize, separator: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(&separator.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_the_one_before_only() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let step = totp::step_at(now);
        let current = totp::code(secret, step).unwrap();
        let previous = totp::code(secret, step - 1).unwrap();
        let older = totp::code(secret, step - 2).unwrap();
        let next = totp::code(secret, step + 1).unwrap();
        assert_eq!(totp::matching_step(secret, &current, now), Some(step));
        assert_eq!(totp::matching_step(secret, &previous, now), Some(step - 1));
        assert_eq!(totp::matching_step(secret, &older, now), None);
        assert_eq!(totp::matching_step(secret, &next, now), None);
    }

    #[test]
    fn generated_passwords_have_their_form() {
        let p = random_from(b"abcdefghijklmnopqrstuvwxyz", 16).unwrap();
        let shown = grouped(&p, 4, '-');
        assert_eq!(shown.len(), 19);
        assert_eq!(engine::guard::app_password_form(&shown), Some(p));
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && normalise_recovery(c).len() == 10));
    }
}
