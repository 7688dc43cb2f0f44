//! The webmail's scenarios in a real headless browser: Debian's `chromium`
//! driven by npm's `playwright-core` (installed by `./run-tests` into
//! `crates/web/tests/browser/node_modules`; never a browser download), against
//! a running `certa demo`. The browser trusts exactly the demo's TLS keys, by
//! their SPKI hashes. Screenshots of every page go under the build folder,
//! `<target>/screenshots/<scenario>/`, kept as artefacts.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::demo::Demo;
use crate::process::require;

/// The folder of the scenarios and their npm package.
pub fn scenarios() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/tests/browser"))
}

/// `<target>/screenshots/<scenario>`: the target folder is found from the
/// running test binary (`<target>/debug/deps/<test>`).
pub fn screenshots(scenario: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    target.join("screenshots").join(scenario)
}

/// The base64 SHA-256 of a certificate's public key (what chromium's
/// `--ignore-certificate-errors-spki-list` names), by the openssl command line.
pub fn spki_sha256(cert_pem: &Path) -> String {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
        cert_pem.display()
    );
    let out = Command::new("sh").arg("-c").arg(script).output().expect("run openssl");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `scenario.mjs` against `demo`; its output (one line per step). Fails the
/// test, with that output, when a step fails.
pub fn run(scenario: &str, demo: &Demo) -> String {
    run_with(scenario, demo, &[])
}

/// [`run`] with environment variables for the scenario (`CERTA`: the binary
/// that drives the daily machine).
pub fn run_with(scenario: &str, demo: &Demo, env: &[(&str, &str)]) -> String {
    require("chromium", "chromium");
    require("node", "nodejs");
    let dir = scenarios();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run ./run-tests, or `npm ci` in {}",
        dir.display()
    );
    let providers = demo.info["providers"].as_array().expect("providers in demo.json");
    let spki: Vec<String> = (0..providers.len())
        .map(|i| spki_sha256(&demo.data(i).join("keys/tls.pem")))
        .collect();
    let shots = screenshots(scenario);
    let _ = std::fs::remove_dir_all(&shots);
    let out = Command::new("node")
        .current_dir(&dir)
        .arg(format!("{scenario}.mjs"))
        .arg(demo.path("demo.json"))
        .arg(&shots)
        .arg(spki.join(","))
        .envs(env.iter().copied())
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser scenario {scenario} failed:\n{text}");
    text
}
