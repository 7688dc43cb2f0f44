//! The load benchmarks of `certa bench`, `certa lifecycle bench` and `certa
//! registry bench`: drivers that time the office and the servers; their commands
//! in `cmd/` only parse arguments and print.

pub mod lifecycle;
pub mod registry;
pub mod throughput;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use engine::Clock;
use office::Office;

use crate::provider::Provider;
use crate::provider::config::Listen;
use crate::provider::setup::{IndexEntry, create, write_index};

/// A provider of its own in `dir/provider` (an index listing only it, no
/// listeners: the office's benches call the office directly), on `database`
/// (None: SQLite in it) and on the bench's `clock`; its office.
pub(crate) async fn office_in(dir: &Path, database: Option<&str>, clock: Arc<dyn Clock>) -> Result<Office> {
    let data = dir.join("provider");
    let unused = SocketAddr::from(([127, 0, 0, 1], 0));
    let listen = Listen {
        submission: unused,
        submissions: unused,
        inbound: unused,
    };
    create(&data, "bench.certa.test", "Certa Bench", listen, "../index.toml")?;
    write_index(
        &dir.join("index.toml"),
        &[IndexEntry::of(&data, "bench.certa.test", "Certa Bench", unused)],
    )?;
    let provider = Provider::open_with_clock(&data, database, clock).await?;
    Ok(Office::new(provider.engine))
}
