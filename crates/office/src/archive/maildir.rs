//! Names in the Maildir++ tree of an export: folder directories and message files.
//!
//! Maildir (<https://cr.yp.to/proto/maildir.html>): one file per message in `cur/`,
//! named `unique:2,FLAGS` with the flag letters in ASCII order. Maildir++ (Courier,
//! also read by Dovecot, mutt, mbsync and Python's `mailbox.Maildir`): the root
//! directory is INBOX, and every other folder is a directory `.A.B` beside its
//! `cur/new/tmp`, holding an empty `maildirfolder` file.
//!
//! Certa's IMAP separator is `/`, so folder `A/B` becomes `.A.B`. Within one level,
//! `%`, `.` and characters that are unsafe or awkward in file names (controls,
//! `/ \ : * ? " < > |`, anything that is not a letter, digit or common punctuation)
//! are written `%XX` for each UTF-8 byte, so a level never holds the separator and
//! the mapping is reversible: `Fatture.2025` is `.Fatture%2E2025`.

use super::{Result, bail};

/// The file Maildir++ puts in every folder directory but the root.
pub const FOLDER_MARKER: &str = "maildirfolder";

/// The Maildir++ directory of a folder, relative to the root (`""` for INBOX).
pub fn folder_dir(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        return String::new();
    }
    let mut dir = String::new();
    for level in name.split('/') {
        dir.push('.');
        escape_level(level, &mut dir);
    }
    dir
}

/// The folder name of a Maildir++ directory (the inverse of [`folder_dir`]).
pub fn folder_name(dir: &str) -> Result<String> {
    if dir.is_empty() {
        return Ok("INBOX".to_string());
    }
    let Some(rest) = dir.strip_prefix('.') else {
        bail!("{dir:?} is not a Maildir++ folder directory (it must start with a dot)");
    };
    let levels = rest.split('.').map(unescape_level).collect::<Result<Vec<_>>>()?;
    Ok(levels.join("/"))
}

fn keeps(c: char) -> bool {
    c.is_alphanumeric() || " !#$&'()+,-;=@[]^_`{}~".contains(c)
}

fn escape_level(level: &str, out: &mut String) {
    for c in level.chars() {
        if keeps(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
}

fn unescape_level(level: &str) -> Result<String> {
    let bytes = level.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = level.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                bail!("{level:?}: % must be followed by two hexadecimal digits");
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(s) if !s.is_empty() => Ok(s),
        Ok(_) => bail!("empty level in a Maildir++ folder directory"),
        Err(_) => bail!("{level:?} does not decode to UTF-8"),
    }
}

/// The Maildir info letters of IMAP flags (`\Draft` D, `\Flagged` F, `\Answered` R,
/// `\Seen` S, `\Deleted` T), in ASCII order as the Maildir spec requires. Keywords
/// have no standard letter: the manifest keeps them.
pub fn flag_letters(flags: &[String]) -> String {
    let mut letters: Vec<char> = flags
        .iter()
        .filter_map(|f| match f.to_ascii_lowercase().as_str() {
            "\\draft" => Some('D'),
            "\\flagged" => Some('F'),
            "\\answered" => Some('R'),
            "\\seen" => Some('S'),
            "\\deleted" => Some('T'),
            _ => None,
        })
        .collect();
    letters.sort_unstable();
    letters.dedup();
    letters.into_iter().collect()
}

/// A message's file name: `<internal date, seconds>.<uid>.certa:2,<flag letters>`.
/// The UID makes it unique in its folder.
pub fn message_file(internal_date_ms: i64, uid: i64, flags: &[String]) -> String {
    format!(
        "{}.{uid}.certa:2,{}",
        internal_date_ms.div_euclid(1000),
        flag_letters(flags)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_round_trip_through_maildir_plus_plus_directories() {
        for (name, dir) in [
            ("INBOX", ""),
            ("Sent", ".Sent"),
            ("Clienti/2025", ".Clienti.2025"),
            ("Fatture.2025", ".Fatture%2E2025"),
            ("100% pratiche", ".100%25 pratiche"),
            ("Città/Perché?", ".Città.Perché%3F"),
            ("a\\b:c", ".a%5Cb%3Ac"),
            ("INBOX/Sub", ".INBOX.Sub"),
        ] {
            assert_eq!(folder_dir(name), dir, "{name}");
            assert_eq!(folder_name(dir).unwrap(), name, "{dir}");
        }
    }

    #[test]
    fn bad_directories_are_refused() {
        assert!(folder_name("Sent").is_err());
        assert!(folder_name(".a..b").is_err());
        assert!(folder_name(".a%2").is_err());
        assert!(folder_name(".%FF").is_err());
    }

    #[test]
    fn flag_letters_are_sorted_and_skip_keywords() {
        let flags: Vec<String> = [
            "\\Seen",
            "$Etichetta",
            "\\Answered",
            "\\Flagged",
            "\\Draft",
            "\\Deleted",
            "\\seen",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(flag_letters(&flags), "DFRST");
        assert_eq!(message_file(1_700_000_000_999, 7, &flags), "1700000000.7.certa:2,DFRST");
        assert_eq!(message_file(0, 1, &[]), "0.1.certa:2,");
    }
}
