//! The TOTP secrets are sealed before they reach the database: AES-256-GCM
//! (NIST SP 800-38D) under a key kept in a file of the data directory,
//! `second-factor.key`, created with mode 0600 on first use. A copy of the
//! database alone (a backup, a replica) does not give the secrets; a node of the
//! same provider on the same database needs the same key file.
//!
//! Each secret has a fresh 96-bit nonce, and its mailbox's id as associated
//! data, so a sealed secret moved to another mailbox's row does not open.
//! OpenSSL does the cipher (already linked for S/MIME). The sealed form is
//! `v1:` and base64 of nonce, ciphertext and tag.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use crate::{Error, Result};

pub const KEY_FILE: &str = "second-factor.key";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// The sealing key of a data directory, made on first use.
pub struct Key([u8; engine::keyfile::KEY_BYTES]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// The key of `data_dir`, created (0600) if there is none yet.
    pub fn of(data_dir: &Path) -> Result<Key> {
        let path = data_dir.join(KEY_FILE);
        engine::keyfile::load_or_create(&path)
            .map(Key)
            .map_err(|e| Error::File {
                path,
                reason: e.to_string(),
            })
    }

    /// `secret` sealed for `mailbox_id`.
    pub fn seal(&self, mailbox_id: i64, secret: &[u8]) -> Result<String> {
        self.seal_as(MAILBOX_CONTEXT, mailbox_id, secret)
    }

    /// The secret `sealed` for `mailbox_id`; an error when it was not sealed
    /// with this key for this mailbox.
    pub fn open(&self, mailbox_id: i64, sealed: &str) -> Result<Vec<u8>> {
        self.open_as(MAILBOX_CONTEXT, mailbox_id, sealed)
    }

    /// `secret` sealed for row `id` of what `context` names (a mailbox's, a
    /// staff account's): it opens for that row of that kind only.
    pub fn seal_as(&self, context: &str, id: i64, secret: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_BYTES];
        openssl::rand::rand_bytes(&mut nonce).map_err(|e| Error::corrupt(format!("no random bytes: {e}")))?;
        let mut tag = [0u8; TAG_BYTES];
        let sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            &associated(context, id),
            secret,
            &mut tag,
        )
        .map_err(|e| Error::corrupt(format!("cannot seal a second-factor secret: {e}")))?;
        let mut all = nonce.to_vec();
        all.extend_from_slice(&sealed);
        all.extend_from_slice(&tag);
        Ok(format!("v1:{}", STANDARD.encode(all)))
    }

    /// The secret `sealed` for row `id` of `context`.
    pub fn open_as(&self, context: &str, id: i64, sealed: &str) -> Result<Vec<u8>> {
        let damaged = |why: &str| Error::corrupt(format!("the second-factor secret of {context}:{id} {why}"));
        let bytes = sealed
            .strip_prefix("v1:")
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(|| damaged("is not in the sealed form"))?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(damaged("is too short"));
        }
        let (nonce, rest) = bytes.split_at(NONCE_BYTES);
        let (data, tag) = rest.split_at(rest.len() - TAG_BYTES);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            &associated(context, id),
            data,
            tag,
        )
        .map_err(|_| damaged(&format!("does not open with the key {KEY_FILE} of this data directory")))
    }
}

/// The associated data of mailboxes' secrets (the first context, kept as it was).
const MAILBOX_CONTEXT: &str = "certa-totp";

fn associated(context: &str, id: i64) -> Vec<u8> {
    format!("{context}:{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_with_its_key_for_its_mailbox_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let sealed = key.seal(7, b"the secret").unwrap();
        assert!(!sealed.contains("the secret"));
        assert_eq!(Key::of(dir.path()).unwrap().open(7, &sealed).unwrap(), b"the secret");
        assert!(key.open(8, &sealed).is_err());
        let other = tempfile::tempdir().unwrap();
        assert!(Key::of(other.path()).unwrap().open(7, &sealed).is_err());
        assert!(key.open(7, "v1:AAAA").is_err());
        assert!(key.open(7, "garbage").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Key::of(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
