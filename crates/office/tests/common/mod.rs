//! What the office suites share: the in-process provider of `testkit::office`,
//! on both storage back ends.
#![allow(dead_code, unused_imports)]

pub use testkit::office::*;
