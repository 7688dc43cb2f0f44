//! The webmail in a real headless browser (Debian's chromium driven by
//! playwright-core) against `certa demo`: every scenario of
//! `crates/web/tests/browser`, with a screenshot of each page under
//! `<target>/screenshots/`.

mod support;

use support::{CERTA, Demo};

#[test]
fn the_webmail_logs_in_switches_language_and_logs_out_in_a_browser() {
    let demo = Demo::start(CERTA, None);
    let out = testkit::browser::run("webmail", &demo);
    println!("{out}");
}

#[test]
fn two_step_verification_is_turned_on_and_asked_at_login_in_a_browser() {
    let demo = Demo::start(CERTA, None);
    let out = testkit::browser::run("security", &demo);
    println!("{out}");
}
