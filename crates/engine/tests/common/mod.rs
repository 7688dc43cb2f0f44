//! Providers in one process over a recorded wire: `testkit::net`, shared with the
//! office's and the web's suites that follow a message between two providers.
#![allow(dead_code, unused_imports)]

pub use testkit::net::*;
