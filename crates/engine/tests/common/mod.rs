//! Providers in one process over a recorded wire: [`testkit::net`], shared with
//! the office's suites.
#![allow(unused_imports)]

pub use testkit::net::*;
