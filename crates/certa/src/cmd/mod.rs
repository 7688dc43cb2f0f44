pub mod bench;
pub mod compliance;
pub mod convention;
pub mod demo;
pub mod export;
pub mod index;
pub mod init;
pub mod inspect;
pub mod keys;
pub mod lifecycle_bench;
pub mod log;
pub mod mailbox;
pub mod member;
pub mod order;
pub mod payment;
pub mod queue;
pub mod registry_bench;
pub mod samples;
pub mod serve;
pub mod subscription;
pub mod verify;

use std::path::Path;

use anyhow::{Context, Result};

/// Reads a message file; `-` reads standard input.
pub fn read_message(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
