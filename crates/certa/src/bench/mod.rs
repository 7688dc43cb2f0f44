//! The load benchmarks of `certa bench`, `certa lifecycle bench` and `certa
//! registry bench`: drivers that time the office and the servers; their commands
//! in `cmd/` only parse arguments and print.

pub mod lifecycle;
pub mod registry;
pub mod throughput;
