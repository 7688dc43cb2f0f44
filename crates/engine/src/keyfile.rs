//! Keys kept in files of the data directory: 32 random bytes, made with mode
//! 0600 on first use. The database never holds them, so a copy of it alone (a
//! backup, a replica) does not give them; the nodes of one provider on one
//! database need the same files. Back them up with the database.

use std::io::Write;
use std::path::Path;

/// The length of every key.
pub const KEY_BYTES: usize = 32;

/// The key in `path`, created (0600) if there is none yet. When several
/// processes create it at once, the first file written is the key of all.
pub fn load_or_create(path: &Path) -> std::io::Result<[u8; KEY_BYTES]> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(e),
    }
}

fn parse(bytes: &[u8]) -> std::io::Result<[u8; KEY_BYTES]> {
    bytes.try_into().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a key of {KEY_BYTES} bytes was expected, it has {}", bytes.len()),
        )
    })
}

fn create(path: &Path) -> std::io::Result<[u8; KEY_BYTES]> {
    let mut key = [0u8; KEY_BYTES];
    openssl::rand::rand_bytes(&mut key).map_err(std::io::Error::other)?;
    // Written whole under a temporary name, then linked under the real one: a
    // reader never sees a half-written key, and only one creator wins.
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
        std::process::id()
    ));
    let mut file = options.open(&temp)?;
    file.write_all(&key)?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&temp, path);
    std::fs::remove_file(&temp)?;
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => parse(&std::fs::read(path)?),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_readable_by_its_owner_only_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(e.to_string().contains("32 bytes"), "{e}");
    }
}
