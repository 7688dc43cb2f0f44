//! `certa domain add|list`: the domains whose mailboxes this provider hosts.

use std::process::ExitCode;

use anyhow::Result;
use office::mailboxes;

use super::{DataArgs, OnCommandLine};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Host mailboxes of another domain on this provider.
    Add {
        /// The domain, e.g. pec.example.it.
        domain: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The domains hosted here, one per line.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

const NAMES: &[(&str, &str)] = &[("domain", "DOMAIN")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Add { domain, data } => {
            let office = data.office().await?;
            let domain = mailboxes::add_domain(&office, &domain).await.named(NAMES)?;
            println!("domain {domain} added");
        }
        Command::List { data } => {
            let office = data.office().await?;
            for d in mailboxes::domains(&office).await.named(NAMES)? {
                println!("{d}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
