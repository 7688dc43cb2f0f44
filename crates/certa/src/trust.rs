//! Loading a trust list (`--trust DIR|FILE`) from disk.

use std::path::Path;

use anyhow::{Context, Result, bail};
use pec::smime::TrustList;

/// Reads a PEM bundle or DER certificate file, or every `*.pem`, `*.crt`, `*.cer`
/// and `*.der` file of a directory.
pub fn load(path: &Path) -> Result<TrustList> {
    let mut list = TrustList::new();
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read the trust directory {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| ["pem", "crt", "cer", "der"].contains(&e.to_ascii_lowercase().as_str()))
            })
            .collect();
        files.sort();
        for file in &files {
            add_file(&mut list, file)?;
        }
        if list.is_empty() {
            bail!(
                "no certificate (*.pem, *.crt, *.cer, *.der) found in the trust directory {}",
                path.display()
            );
        }
    } else {
        add_file(&mut list, path)?;
    }
    Ok(list)
}

fn add_file(list: &mut TrustList, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read the trust file {}", file.display()))?;
    list.add_certificates(&bytes)
        .with_context(|| format!("trust file {} holds no usable certificate", file.display()))?;
    Ok(())
}
