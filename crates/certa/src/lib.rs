//! The `certa` binary's commands and the wiring of one provider, as a library so
//! that integration tests can run a provider in-process on a chosen clock.

pub mod bench;
pub mod cmd;
pub mod provider;
pub mod trust;
