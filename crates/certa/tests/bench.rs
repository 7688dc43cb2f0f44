//! `certa bench` as a user runs it: a small load, every message delivered, the JSON
//! report's shape. No timing is asserted: the figures depend on the machine.

use std::process::Command;

#[test]
fn bench_delivers_every_message_and_reports_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_certa"))
        .args(["bench", "--messages", "20", "--concurrency", "2", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run certa bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "certa bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("the report is JSON");

    for (field, value) in [("messages", 20), ("concurrency", 2), ("recipients", 2), ("size", 4096)] {
        assert_eq!(report[field], value, "{field}");
    }
    for field in ["submitted", "accepted", "delivered"] {
        assert_eq!(report[field], 20, "{field}");
    }
    assert_eq!(report["failed"], 0);
    assert_eq!(report["failures"], serde_json::json!([]));
    // A temporary data directory is removed and not reported.
    assert!(report.get("data").is_none());
    for field in ["login_seconds", "wall_seconds"] {
        assert!(report[field].is_f64(), "{field}");
    }
    for field in ["submitted_per_second", "accepted_per_second", "delivered_per_second"] {
        assert!(report["throughput"][field].is_f64(), "throughput.{field}");
    }
    for latency in ["smtp_reply", "acceptance", "delivery"] {
        for p in ["p50", "p90", "p99", "max"] {
            assert!(report["latency_ms"][latency][p].is_f64(), "latency_ms.{latency}.{p}");
        }
    }
}
