//! `certa registry bench` as a user runs it, on a small roll: every figure line
//! is printed (the bench itself fails when a count differs from the generated
//! roll's). No timing is asserted: the figures depend on the machine.

use std::process::Command;

#[test]
fn registry_bench_prints_every_figure() {
    let out = Command::new(env!("CARGO_BIN_EXE_certa"))
        .args(["registry", "bench", "--members", "600", "--runs", "1"])
        .env("RUST_LOG", "warn")
        .env_remove("CERTA_DATABASE")
        .output()
        .expect("run certa registry bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "certa registry bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for prefix in [
        "members written (store functions of the import, 5000 per transaction): 600 members in ",
        "INI-PEC first day: ",
        "INI-PEC next day: 3 rows in ",
        "compliance report: 601 members (",
        "member import (CSV): 600 rows in ",
        "  of which parse_roll: 600 rows in ",
    ] {
        let line = stdout.lines().find(|l| l.starts_with(prefix));
        assert!(
            line.is_some_and(|l| l.ends_with(" s (median of 1)")),
            "no line {prefix:?}…(median of 1) in:\n{stdout}"
        );
    }
}
